"""Tracerfy's normal and advanced batch trace as job steps (submit, find a lost
submission, poll, ingest).

Each submitted row carries the property address the results are matched on; Tracerfy
echoes it back, and traces.services.trace_results_store attaches a result only where the
match is unambiguous.
"""

import csv
import io
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from leadops import providers
from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.providers.errors import ProviderUnavailable
from leadops.providers.tracerfy import TraceColumns, TraceQueue
from traces.models import TraceJob
from traces.services import records_to_send, trace_results_store

CSV_COLUMNS = [
    "address",
    "city",
    "state",
    "zip",
    "first_name",
    "last_name",
    "mail_address",
    "mail_city",
    "mail_state",
    "mail_zip",
]
COLUMNS = TraceColumns(
    address="address",
    city="city",
    state="state",
    zip="zip",
    first_name="first_name",
    last_name="last_name",
    mail_address="mail_address",
    mail_city="mail_city",
    mail_state="mail_state",
    mailing_zip="mail_zip",
)
ADVANCED_COLUMNS = TraceColumns(address="address", city="city", state="state", zip="zip")
MAX_QUEUE_PAGES = 10


def _row(values: dict) -> list[str]:
    first = values.get("owner_first_name", "")
    last = values.get("owner_last_name", "")
    company = values.get("owner_company", "")
    if company and not (first and last):
        # A company or trust owner: its name in the last-name column, the first name empty.
        # The contract requires both columns for a normal trace, not a value in each cell
        # (docs/providers/tracerfy-api.md, Batch Trace); see traces/import_kinds.py.
        first, last = "", company
    return [
        values.get("property_address", ""),
        values.get("property_city", ""),
        values.get("property_state", ""),
        values.get("property_zip", ""),
        first,
        last,
        values.get("mailing_address", ""),
        values.get("mailing_city", ""),
        values.get("mailing_state", ""),
        values.get("mailing_zip", ""),
    ]


def build_csv(job: TraceJob) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for values in records_to_send(job=job).values_list("values", flat=True).iterator(2000):
        writer.writerow(_row(values))
    return out.getvalue().encode()


def walk_queues(client, *, job: TraceJob | None = None):
    """Queues newest first, page by page; stops (and says so) if a page repeats an earlier one."""
    seen: set[int] = set()
    for page in range(1, MAX_QUEUE_PAGES + 1):
        result = client.list_queues(page=page)
        ids = {q.id for q in result.queues}
        if ids and ids <= seen:
            raise ProviderUnavailable(
                f"Tracerfy returned page {page} of the queue list twice; stopped reading",
                request_sent=True,
            )
        seen |= ids
        yield from result.queues
        if not result.next_page:
            return


def missing_queue(job: TraceJob, what: str) -> PollResult:
    """The provider does not list the job's queue: wait up to JOB_MISSING_QUEUE_SECONDS after
    it was accepted, then fail (credits released) naming the queue and when it was accepted."""
    limit = timedelta(seconds=settings.JOB_MISSING_QUEUE_SECONDS)
    accepted = job.submitted_at or job.submit_started_at or timezone.now()
    waited = timezone.now() - accepted
    if waited < limit:
        return PollResult(
            ready=False,
            detail=f"Waiting for Tracerfy to list {what} {job.provider_ref}",
            retry_in=max(1.0, min(30.0, (limit - waited).total_seconds())),
        )
    at = timezone.localtime(accepted).strftime("%Y-%m-%d %H:%M:%S %Z")
    return PollResult(
        ready=False,
        failed=True,
        detail=f"Tracerfy no longer lists {what} {job.provider_ref}, which it accepted at {at}; "
        f"nothing came back within {_span(limit)}. Credits returned. Check Tracerfy's "
        "dashboard before tracing these records again.",
    )


def _span(limit: timedelta) -> str:
    seconds = limit.total_seconds()
    if seconds >= 60:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} second{'' if seconds == 1 else 's'}"


def find_queue(client, queue_id: str) -> TraceQueue | None:
    return next((q for q in walk_queues(client) if str(q.id) == queue_id), None)


class TracerfySteps:
    def submit(self, job: TraceJob) -> Submitted:
        columns = COLUMNS if job.trace_type == "normal" else ADVANCED_COLUMNS
        with providers.tracerfy_client() as client:
            accepted = client.trace_csv(
                csv_file=build_csv(job),
                columns=columns,
                trace_type=job.trace_type,
                filename=f"leadops-trace-{job.pk}.csv",
            )
        return Submitted(
            str(accepted.queue_id),
            expected_seconds=float(accepted.estimated_wait_seconds or 30),
            detail=f"Tracerfy queue {accepted.queue_id} accepted "
            f"{accepted.rows_uploaded or job.records_sent:,} rows",
        )

    def find_submission(self, job: TraceJob) -> Submitted | None:
        """Our queue is one created after we started submitting that no other job claims,
        of our trace type and, where Tracerfy lists it, with our number of rows (so several
        jobs whose answers were lost at once each find their own)."""
        since = job.submit_started_at - timedelta(seconds=60)
        claimed = set(
            TraceJob.objects.exclude(provider_ref="").values_list("provider_ref", flat=True)
        )
        candidates = []
        with providers.tracerfy_client() as client:
            for queue in walk_queues(client):
                if queue.created_at < since:
                    break
                ours = str(queue.id) not in claimed and queue.trace_type in ("", job.trace_type)
                if ours and queue.rows_uploaded in (None, 0, job.records_sent):
                    candidates.append(queue)
        if len(candidates) == 1:
            return Submitted(
                str(candidates[0].id),
                expected_seconds=5,
                detail=f"Found our submission as Tracerfy queue {candidates[0].id}",
            )
        if len(candidates) > 1:
            ids = ", ".join(str(q.id) for q in candidates)
            raise ProviderUnavailable(
                f"Several new Tracerfy queues ({ids}) could be this job's; waiting for one to "
                "be claimed before deciding",
                request_sent=True,
            )
        return None

    def poll(self, job: TraceJob) -> PollResult:
        with providers.tracerfy_client() as client:
            queue = find_queue(client, job.provider_ref)
        if queue is None:
            return missing_queue(job, "queue")
        if queue.pending:
            return PollResult(ready=False, detail="Tracing at Tracerfy", retry_in=10)
        return PollResult(ready=True, detail=f"Tracerfy finished queue {queue.id}")

    def ingest(self, job: TraceJob) -> Ingested:
        """Results from the records endpoint; from the queue's download CSV when that
        endpoint is down or answers nothing for a finished queue that had rows."""
        with providers.tracerfy_client() as client:
            queue = find_queue(client, job.provider_ref)
            link = queue.download_url if queue else None
            try:
                records = client.get_queue(int(job.provider_ref))
            except ProviderUnavailable:
                if not link:
                    raise
                records = ()
            if not records and link and (queue.rows_uploaded or job.records_sent):
                records = client.trace_download(link)
            return tracerfy_ingest(
                job=job,
                rows=(_result_row(r) for r in records),
                charged=queue.credits_deducted if queue else None,
            )


def tracerfy_ingest(*, job: TraceJob, rows: Iterable[dict], charged: int | None) -> Ingested:
    """Store a Tracerfy queue's result rows (streamed) and say what it comes to: Tracerfy's
    own charge (hits times the rate when it gives none), never more than was held."""
    stored, hits, unmatched = trace_results_store(job=job, rows=rows)
    if charged is None:
        charged = hits * job.credits_per_record
    note = (
        f"; {unmatched:,} provider rows matched no record and were kept aside" if unmatched else ""
    )
    return Ingested(
        charged_credits=min(charged, job.estimated_credits),
        rows=stored,
        hits=hits,
        detail=f"{stored:,} results stored, {hits:,} hits; Tracerfy charged {charged:,}{note}",
    )


def _result_row(record) -> dict:
    phones = []
    if record.primary_phone:
        phones.append({"number": record.primary_phone, "type": record.primary_phone_type})
    phones += [{"number": n, "type": "Mobile"} for n in record.mobiles if n != record.primary_phone]
    phones += [
        {"number": n, "type": "Landline"} for n in record.landlines if n != record.primary_phone
    ]
    has_mobile = bool(record.mobiles) or record.primary_phone_type.lower() in {"mobile", "wireless"}
    return {
        "address": record.address,
        "city": record.city,
        "state": record.state,
        "hit": record.hit,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "mail_address": record.mail_address,
        "mail_city": record.mail_city,
        "mail_state": record.mail_state,
        "mail_zip": record.mail_zip,
        "primary_phone": record.primary_phone,
        "primary_phone_type": record.primary_phone_type,
        "phones": phones,
        "emails": list(record.emails),
        "has_mobile": has_mobile,
        "has_email": bool(record.emails),
        "litigator": False,
    }
