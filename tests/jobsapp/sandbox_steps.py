"""ProbeJob steps over the real Tracerfy client (json_data trace) against the sandbox."""

from datetime import timedelta

from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.providers.tracerfy import TraceColumns, TracerfyClient

COLUMNS = TraceColumns(
    address="address",
    city="city",
    state="state",
    zip="zip",
    first_name="first_name",
    last_name="last_name",
    mail_address="address",
    mail_city="city",
    mail_state="state",
    mailing_zip="zip",
)


class TracerfySteps:
    def __init__(self, client: TracerfyClient, *, expected_seconds: float = 0.0):
        self.client = client
        self.expected_seconds = expected_seconds
        self.submits = 0

    def submit(self, job) -> Submitted:
        self.submits += 1
        accepted = self.client.trace_records(records=job.addresses, columns=COLUMNS)
        return Submitted(str(accepted.queue_id), expected_seconds=self.expected_seconds)

    def _queues(self):
        page = 1
        while True:
            result = self.client.list_queues(page=page)
            yield from result.queues
            if not result.next_page:
                return
            page += 1

    def find_submission(self, job):
        since = job.submit_started_at - timedelta(seconds=5)
        candidates = [q for q in self._queues() if q.created_at >= since]
        if len(candidates) == 1:
            return Submitted(
                str(candidates[0].id), expected_seconds=0, detail="Found by reconciliation"
            )
        return None

    def poll(self, job) -> PollResult:
        for queue in self._queues():
            if str(queue.id) == job.provider_ref:
                return PollResult(ready=not queue.pending, detail="Tracing at the provider")
        return PollResult(ready=False, failed=True, detail="The provider lost the queue")

    def ingest(self, job) -> Ingested:
        records = self.client.get_queue(int(job.provider_ref))
        queue = next(q for q in self._queues() if str(q.id) == job.provider_ref)
        type(job).objects.filter(pk=job.pk).update(
            records=[{"address": r.address, "hit": r.hit} for r in records]
        )
        return Ingested(
            charged_credits=queue.credits_deducted or 0,
            rows=len(records),
            hits=sum(1 for r in records if r.hit),
        )
