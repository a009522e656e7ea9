"""Tracerfy APN / parcel batch trace as job steps: submit, find a lost submission, poll, ingest.

The parcel endpoint takes a CSV of parcel id, county and state and answers with a
`parcel_queue_id` (its own id space, not a trace queue id). Results arrive only as the
download CSV named by `GET trace/parcel/queue/:id` (or the `parcel_trace` webhook), one row
per parcel, echoing parcel id, county and state; those three are the match key
(traces.services.parcel_match_key), and a row that matches no single sent parcel is kept aside.

Tracerfy has no list of parcel queues, so a submission whose answer was lost can only be
recognised by its completion webhook. Until PARCEL_LOST_AFTER has passed LeadOps waits for
it; after that the job fails with its credits returned. The parcels are never sent twice.
"""

import csv
import io
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from leadops import providers
from leadops.jobs.errors import SubmissionLost
from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.providers.errors import NotFound, ProviderUnavailable
from leadops.webhooks.models import WebhookEvent
from traces.models import TraceJob, TraceType
from traces.services import parcel_match_key, records_to_send
from traces.tracerfy_steps import missing_queue, tracerfy_ingest

CSV_COLUMNS = ["parcel_id", "county", "state"]
FAILED_STATUSES = {"failed", "error", "cancelled", "canceled"}
MOBILE_TYPES = {"mobile", "wireless", "cell"}
# Columns of the provider's row kept in TraceResult.raw (the rest are stored as fields).
RAW_KEEP = (
    "parcel_id",
    "county",
    "state",
    "full_name",
    "age",
    "deceased",
    "property_owner",
    "property_address",
    "property_city",
    "property_state",
    "property_zip",
    "mail_zip",
)


def lost_after(job: TraceJob) -> timedelta:
    """How long to wait for the completion webhook of a submission whose answer was lost."""
    return timedelta(seconds=settings.PARCEL_LOST_AFTER_SECONDS + job.records_sent / 100)


def build_csv(job: TraceJob) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for values in records_to_send(job=job).values_list("values", flat=True).iterator(2000):
        writer.writerow(
            [
                values.get("apn", ""),
                values.get("property_county", ""),
                values.get("property_state", ""),
            ]
        )
    return out.getvalue().encode()


def _flag(value) -> bool:
    return str(value or "").strip().lower() in {"true", "1", "yes", "y", "t"}


def result_fields(row: dict[str, str]) -> dict:
    """TraceResult fields (plus `match_key` and `hit`) from one row of the parcel CSV."""
    phones = []
    for n in range(1, 21):
        if f"phone_{n}" not in row:
            break
        number = (row[f"phone_{n}"] or "").strip()
        if number:
            phones.append(
                {
                    "number": number,
                    "type": (row.get(f"phone_{n}_type") or "").strip(),
                    "dnc": _flag(row.get(f"phone_{n}_dnc")),
                    "carrier": (row.get(f"phone_{n}_carrier") or "").strip(),
                }
            )
    emails = [
        row[f"email_{n}"].strip() for n in range(1, 21) if (row.get(f"email_{n}") or "").strip()
    ]
    first = phones[0] if phones else {"number": "", "type": ""}
    found = bool(phones or emails or row.get("last_name") or row.get("full_name"))
    return {
        "match_key": parcel_match_key(
            apn=row.get("parcel_id", ""), county=row.get("county", ""), state=row.get("state", "")
        ),
        "hit": _flag(row["hit"]) if (row.get("hit") or "").strip() else found,
        "first_name": (row.get("first_name") or "").strip()[:120],
        "last_name": (row.get("last_name") or "").strip()[:120],
        "mail_address": (row.get("mail_address") or "").strip()[:255],
        "mail_city": (row.get("mail_city") or "").strip()[:120],
        "mail_state": (row.get("mail_state") or "").strip()[:20],
        "mail_zip": (row.get("mail_zip") or "").strip()[:10],
        "primary_phone": first["number"][:32],
        "primary_phone_type": first["type"][:32],
        "phones": phones,
        "emails": emails,
        "has_mobile": any(p["type"].lower() in MOBILE_TYPES for p in phones),
        "has_email": bool(emails),
        "litigator": _flag(row.get("litigator")),
        "raw": {k: row[k] for k in RAW_KEEP if row.get(k)},
    }


def _claimed_refs() -> set[str]:
    return set(
        TraceJob.objects.filter(trace_type=TraceType.PARCEL)
        .exclude(provider_ref="")
        .values_list("provider_ref", flat=True)
    )


class ParcelSteps:
    def submit(self, job: TraceJob) -> Submitted:
        with providers.tracerfy_client() as client:
            accepted = client.parcel_trace(
                csv_file=build_csv(job),
                parcel_id_column="parcel_id",
                county_column="county",
                state_column="state",
                filename=f"leadops-apn-{job.pk}.csv",
            )
        uploaded = accepted.rows_uploaded
        note = ""
        if uploaded is not None and uploaded != job.records_sent:
            note = f" (LeadOps sent {job.records_sent:,}; Tracerfy kept {uploaded:,})"
        return Submitted(
            str(accepted.parcel_queue_id),
            expected_seconds=min(600.0, 10 + job.records_sent / 200),
            detail=f"Tracerfy parcel queue {accepted.parcel_queue_id} accepted "
            f"{uploaded if uploaded is not None else job.records_sent:,} parcels{note}",
        )

    def find_submission(self, job: TraceJob) -> Submitted | None:
        """Our parcel queue is the one a `parcel_trace` webhook announced after we started
        submitting, for as many rows as we sent, that no other job claims."""
        since = job.submit_started_at - timedelta(seconds=60)
        claimed = _claimed_refs()
        candidates = set()
        events = WebhookEvent.objects.filter(
            provider="tracerfy", kind="parcel_trace", received_at__gte=since
        )
        for event in events:
            payload = event.payload()
            ref = payload.get("parcel_queue_id")
            rows = payload.get("rows_uploaded")
            if ref is None or str(ref) in claimed:
                continue
            if rows is not None and rows != job.records_sent:
                continue
            candidates.add(str(ref))
        if len(candidates) == 1:
            ref = candidates.pop()
            return Submitted(
                ref,
                expected_seconds=1,
                detail=f"Found our submission as Tracerfy parcel queue {ref}",
            )
        if len(candidates) > 1:
            raise ProviderUnavailable(
                f"Several new Tracerfy parcel queues ({', '.join(sorted(candidates))}) could be "
                "this job's; waiting for one to be claimed before deciding",
                request_sent=True,
            )
        waited = timezone.now() - job.submit_started_at
        if waited < lost_after(job):
            raise ProviderUnavailable(
                "Tracerfy keeps no list of parcel queues; waiting for its completion call "
                "rather than sending the parcels again",
                request_sent=True,
            )
        raise SubmissionLost(
            "Tracerfy did not answer the parcel submission and sent no completion call within "
            f"{lost_after(job).total_seconds() / 60:.0f} minutes. LeadOps did not send the "
            "parcels again; credits are returned. Check Tracerfy's dashboard before resubmitting."
        )

    def poll(self, job: TraceJob) -> PollResult:
        try:
            with providers.tracerfy_client() as client:
                queue = client.parcel_queue(int(job.provider_ref))
        except NotFound:
            return missing_queue(job, "parcel queue")
        if queue.status.lower() in FAILED_STATUSES:
            return PollResult(
                ready=False, failed=True, detail=f"Tracerfy reports the parcel queue {queue.status}"
            )
        if queue.pending:
            return PollResult(
                ready=False,
                detail="Tracing parcels at Tracerfy",
                rows_total=queue.rows_uploaded,
                retry_in=10,
            )
        return PollResult(ready=True, detail=f"Tracerfy finished parcel queue {queue.id}")

    def ingest(self, job: TraceJob) -> Ingested:
        with providers.tracerfy_client() as client:
            queue = client.parcel_queue(int(job.provider_ref))
            if not queue.download_url:
                raise ProviderUnavailable(
                    f"Tracerfy parcel queue {queue.id} has no download link yet",
                    request_sent=True,
                )
            return tracerfy_ingest(
                job=job,
                rows=(result_fields(row) for row in client.download_csv(queue.download_url)),
                charged=queue.credits_deducted,
            )
