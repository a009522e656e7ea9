"""Tracerfy's DNC scrub as job steps (submit, find a lost submission, poll, ingest).

How the phones are sent depends on the source (docs/providers/tracerfy-api.md, Start DNC
Scrub and DNC Scrub from Trace):

- an upload: as a CSV shaped like the file — one row per source row with its phones to send
  in their own columns (``phone_column`` for one column, ``phone_columns`` for several) and
  its owner's name as the label (``label_column``, or ``label_columns`` for a first and a
  last name), a phone kept only on the first row and column it appeared in;
- a pasted list: the JSON ``phones`` array;
- a finished trace: ``scrub-from-queue`` with the trace's Tracerfy queue when the scrub is
  the whole queue's phones of the chosen types (``DncEstimate.from_queue``), else the list.

Tracerfy keeps no list of DNC queues, so a submission whose answer was lost is found by the
``dnc_scrub`` completion webhook it sends (as for parcel queues), or given up on after
DNC_LOST_AFTER_SECONDS without being sent twice.
"""

import csv
import io
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from dnc.models import DncPhone, DncScrub, DncSource, PhoneOrigin
from dnc.services import QUEUE_COLUMNS, dnc_results_store
from leadops import providers
from leadops.imports.models import ImportRecord
from leadops.jobs.errors import SubmissionLost
from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.phones import us_e164
from leadops.providers.errors import NotFound, ProviderUnavailable
from leadops.webhooks.models import WebhookEvent
from traces.tracerfy_steps import missing_queue

CHUNK = 2000
# Tracerfy checks about this many phones a second (for the first poll's timing).
PHONES_PER_SECOND = 2000


def _sent(job: DncScrub):
    return DncPhone.objects.filter(job=job, origin=PhoneOrigin.SENT)


def _ten_digits(phone: str) -> str:
    return phone.removeprefix("+1")


def _label_fields(job: DncScrub) -> list[str]:
    mapped = set(job.batch.mapping.values())
    if {"owner_first_name", "owner_last_name"} <= mapped:
        return ["owner_first_name", "owner_last_name"]
    for field in ("owner_full_name", "owner_company", "property_address"):
        if field in mapped:
            return [field]
    return []


def upload_csv(job: DncScrub) -> tuple[bytes, list[str], list[str]]:
    """The CSV of an upload's phones to send, its phone columns and its label columns."""
    by_record: dict[int | None, dict[str, str]] = {}
    sent = _sent(job).order_by("line", "id").values_list("record_id", "column", "phone")
    for record_id, column, phone in sent.iterator(chunk_size=CHUNK):
        by_record.setdefault(record_id, {})[column] = _ten_digits(phone)
    phone_cols = sorted(
        {c for row in by_record.values() for c in row},
        key=lambda c: int(c.rsplit("_", 1)[-1]) if c[-1].isdigit() else 0,
    )
    labels = _label_fields(job)
    ids = [pk for pk in by_record if pk]
    values: dict[int, dict] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ImportRecord.objects.filter(pk__in=ids[start : start + CHUNK])
        values.update(dict(chunk.values_list("pk", "values")))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*phone_cols, *labels])
    for record_id, row in by_record.items():
        own = values.get(record_id, {}) if record_id else {}
        writer.writerow([*(row.get(c, "") for c in phone_cols), *(own.get(f, "") for f in labels)])
    return out.getvalue().encode(), phone_cols, labels


def _claimed_refs() -> set[str]:
    return set(DncScrub.objects.exclude(provider_ref="").values_list("provider_ref", flat=True))


def lost_after(job: DncScrub) -> timedelta:
    """How long to wait for the completion webhook of a submission whose answer was lost."""
    return timedelta(seconds=settings.DNC_LOST_AFTER_SECONDS + job.phones_sent / PHONES_PER_SECOND)


class DncSteps:
    def submit(self, job: DncScrub) -> Submitted:
        with providers.tracerfy_client() as client:
            if job.from_queue:
                accepted = client.dnc_scrub_from_queue(
                    queue_id=int(job.trace.provider_ref),
                    phone_columns=QUEUE_COLUMNS[job.phone_types or "all"],
                )
            elif job.source == DncSource.UPLOAD:
                body, phone_cols, labels = upload_csv(job)
                accepted = client.dnc_scrub_csv(
                    csv_file=body,
                    phone_columns=phone_cols,
                    label_columns=labels,
                    filename=f"leadops-dnc-{job.pk}.csv",
                )
            else:
                phones = _sent(job).order_by("id").values_list("phone", flat=True)
                accepted = client.dnc_scrub_phones([_ten_digits(p) for p in phones])
        how = "from trace queue " + job.trace.provider_ref if job.from_queue else ""
        checked = f"{accepted.phones_to_check:,}" if accepted.phones_to_check is not None else "?"
        return Submitted(
            str(accepted.dnc_queue_id),
            expected_seconds=max(5.0, job.phones_sent / PHONES_PER_SECOND),
            detail=f"Tracerfy DNC queue {accepted.dnc_queue_id} accepted {checked} phones"
            + (f" ({how})" if how else ""),
        )

    def find_submission(self, job: DncScrub) -> Submitted | None:
        """Our DNC queue is the one a `dnc_scrub` webhook announced after we started
        submitting, for as many phones as we sent, that no other scrub claims."""
        since = job.submit_started_at - timedelta(seconds=60)
        claimed = _claimed_refs()
        candidates = set()
        events = WebhookEvent.objects.filter(
            provider="tracerfy", kind="dnc_scrub", received_at__gte=since
        )
        for event in events:
            payload = event.payload()
            ref, rows = payload.get("id"), payload.get("rows_uploaded")
            if ref is None or str(ref) in claimed:
                continue
            if rows is not None and rows != job.phones_sent:
                continue
            candidates.add(str(ref))
        if len(candidates) == 1:
            ref = candidates.pop()
            return Submitted(
                ref, expected_seconds=1, detail=f"Found our submission as Tracerfy DNC queue {ref}"
            )
        if len(candidates) > 1:
            raise ProviderUnavailable(
                f"Several new Tracerfy DNC queues ({', '.join(sorted(candidates))}) could be "
                "this scrub's; waiting for one to be claimed before deciding",
                request_sent=True,
            )
        if timezone.now() - job.submit_started_at < lost_after(job):
            raise ProviderUnavailable(
                "Tracerfy keeps no list of DNC queues; waiting for its completion call rather "
                "than sending the phones again",
                request_sent=True,
            )
        raise SubmissionLost(
            "Tracerfy did not answer the DNC submission and sent no completion call within "
            f"{lost_after(job).total_seconds() / 60:.0f} minutes. LeadOps did not send the "
            "phones again; credits are returned. Check Tracerfy's dashboard before "
            "scrubbing them again."
        )

    def poll(self, job: DncScrub) -> PollResult:
        try:
            with providers.tracerfy_client() as client:
                queue = client.dnc_queue(int(job.provider_ref))
        except NotFound:
            return missing_queue(job, "DNC queue")
        if queue.pending:
            return PollResult(ready=False, detail="Scrubbing at Tracerfy", retry_in=5)
        return PollResult(ready=True, detail=f"Tracerfy finished DNC queue {queue.id}")

    def ingest(self, job: DncScrub) -> Ingested:
        with providers.tracerfy_client() as client:
            queue = client.dnc_queue(int(job.provider_ref))
            if queue.pending or not queue.download_url:
                raise ProviderUnavailable(
                    f"Tracerfy DNC queue {queue.id} has no download link yet", request_sent=True
                )
            clean = None
            if queue.clean_download_url:
                clean = {
                    us_e164(row.get("phone", ""))
                    for row in client.download_csv(queue.clean_download_url)
                }
            stored = dnc_results_store(
                job=job, rows=client.download_csv(queue.download_url), clean_phones=clean
            )
        charged = queue.credits_deducted if queue.credits_deducted is not None else stored.rows
        detail = (
            f"{stored.rows:,} phones scrubbed, {stored.clean:,} clean; Tracerfy charged {charged:,}"
        )
        if stored.unknown:
            detail += f"; {stored.unknown:,} result rows named phones this scrub did not send"
        reason = ""
        if stored.no_result:
            reason = (
                f"{stored.no_result:,} of {job.phones_sent:,} phones got no result from "
                "Tracerfy. They were not charged and are not clean: scrub them again."
            )
        return Ingested(
            charged_credits=min(charged, job.estimated_credits),
            rows=stored.rows,
            hits=stored.clean,
            detail=detail,
            failed_rows=stored.no_result,
            failure_reason=reason,
        )
