"""Tracerfy's lead build as job steps (execute, find a lost execute, poll, fetch the rows).

- **submit**: ``POST lead-builder/execute/`` with the build's spec and a name that carries
  the build's id (``… · LeadOps #42``), so a lost answer can be recognised later.
- **find_submission**: Tracerfy documents no list of lead lists, so an execute whose answer
  was lost is found by the ``lead_list`` completion webhook carrying our name, or given up on
  after LEAD_LOST_AFTER_SECONDS without executing twice (credits returned).
- **poll**: ``GET lead-builder/<id>/``; its stage (fetching_properties → skip_tracing →
  generating_csv) and percent are the build's progress.
- **ingest**: the rows through ``GET lead-builder/<id>/rows/`` (ROWS_PER_PAGE, the documented
  maximum), stored in bulk as they come. A 409 ("still processing") raises ``NotReady``: the
  job goes back to polling (rescheduled, never a sleep). A rerun replaces the rows.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from leadbuilder.models import LeadBuild
from leadbuilder.services import lead_rows_store
from leadbuilder.spec import CREDITS_PER_ROW
from leadops import providers
from leadops.jobs.errors import SubmissionLost
from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.providers.errors import NotFound, ProviderUnavailable
from leadops.webhooks.models import WebhookEvent
from traces.tracerfy_steps import missing_queue

ROWS_PER_PAGE = 500
# Pages fetched (and parsed) ahead while earlier ones are stored: storing waits on the
# database most of the time, and this keeps the fetching threads busy meanwhile.
PAGES_AHEAD = 8
# Tracerfy builds about this many rows a second (for the first poll's timing).
ROWS_PER_SECOND = 200
STAGES = {
    "fetching_properties": "Fetching properties",
    "skip_tracing": "Skip tracing owners",
    "generating_csv": "Generating the list",
}


def row_pages(client, ref: int, *, per_page: int = ROWS_PER_PAGE, ahead: int = PAGES_AHEAD):
    """Every page of lead list `ref`'s rows, in order. The first page says how many there
    are; the next `ahead` pages are then always on their way (a thread pool) while the
    caller stores the current one, so Tracerfy's time serving a page overlaps ours storing
    the last. Raises what the client raises (``NotReady`` on a 409) at the page it concerns.
    """
    first = client.lead_rows(ref, page=1, per_page=per_page)
    yield first
    if first.total_pages <= 1:
        return
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="lead-rows") as pool:
        pending = deque()
        next_page = 2
        while next_page <= first.total_pages or pending:
            while next_page <= first.total_pages and len(pending) < ahead:
                pending.append(
                    pool.submit(client.lead_rows, ref, page=next_page, per_page=per_page)
                )
                next_page += 1
            yield pending.popleft().result()


def provider_name(job: LeadBuild) -> str:
    """The name sent with the build: the user's, plus the id a lost answer is found by."""
    return f"{job.name[:150]} · LeadOps #{job.pk}"


def lost_after(job: LeadBuild) -> timedelta:
    return timedelta(
        seconds=settings.LEAD_LOST_AFTER_SECONDS + job.requested_count / ROWS_PER_SECOND
    )


def _stage_text(stage: str, percent: int | None) -> str:
    text = STAGES.get(stage, "Building at Tracerfy")
    return f"{text} ({percent} %)" if percent is not None else text


class LeadSteps:
    def submit(self, job: LeadBuild) -> Submitted:
        spec = job.build_spec
        with providers.tracerfy_client() as client:
            accepted = client.lead_execute(**spec.provider_body(), name=provider_name(job))
        detail = f"Tracerfy accepted lead list {accepted.id}"
        ceiling = accepted.max_credit_cost
        if ceiling is not None and ceiling > job.estimated_credits:
            detail += (
                f"; its ceiling is {ceiling:,} credits, above the {job.estimated_credits:,} "
                "held: the team is charged at most what was held"
            )
        return Submitted(
            str(accepted.id),
            expected_seconds=max(3.0, job.requested_count / ROWS_PER_SECOND),
            detail=detail,
        )

    def find_submission(self, job: LeadBuild) -> Submitted | None:
        name = provider_name(job)
        since = job.submit_started_at - timedelta(seconds=60)
        events = WebhookEvent.objects.filter(
            provider="tracerfy", kind="lead_list", received_at__gte=since
        )
        for event in events:
            payload = event.payload()
            if payload.get("name") == name and payload.get("id") is not None:
                ref = str(payload["id"])
                return Submitted(
                    ref, expected_seconds=1, detail=f"Found our build as Tracerfy lead list {ref}"
                )
        if timezone.now() - job.submit_started_at < lost_after(job):
            raise ProviderUnavailable(
                "Tracerfy keeps no list of lead lists; waiting for its completion call rather "
                "than executing the build again",
                request_sent=True,
            )
        raise SubmissionLost(
            "Tracerfy did not answer the build request and sent no completion call within "
            f"{lost_after(job).total_seconds() / 60:.0f} minutes. LeadOps did not execute it "
            "again; credits are returned. Check Tracerfy's dashboard before building again."
        )

    def poll(self, job: LeadBuild) -> PollResult:
        try:
            with providers.tracerfy_client() as client:
                status = client.lead_status(int(job.provider_ref))
        except NotFound:
            return missing_queue(job, "lead list")
        if status.status == "failed":
            return PollResult(
                ready=False,
                failed=True,
                detail=f"Tracerfy could not build the list: {status.error_message or 'failed'}. "
                "Credits returned.",
            )
        if status.is_complete:
            return PollResult(ready=True, detail=f"Tracerfy finished lead list {status.id}")
        LeadBuild.objects.filter(pk=job.pk).update(progress_stage=status.progress_stage)
        return PollResult(
            ready=False,
            detail=_stage_text(status.progress_stage, status.progress_percent),
            rows_total=100 if status.progress_percent is not None else None,
            rows_done=status.progress_percent,
            retry_in=3 if status.progress_stage == "generating_csv" else 5,
        )

    def ingest(self, job: LeadBuild) -> Ingested:
        ref = int(job.provider_ref)
        with providers.tracerfy_client() as client:
            # A list still building answers 409 (NotReady): the job goes back to polling.
            stored = lead_rows_store(job=job, pages=row_pages(client, ref))
            status = client.lead_status(ref)
        charged = (
            status.credits_deducted
            if status.credits_deducted is not None
            else stored.rows * CREDITS_PER_ROW
        )
        detail = (
            f"{stored.rows:,} rows stored, {stored.with_phone:,} with a phone; "
            f"Tracerfy charged {charged:,} credits"
        )
        if status.actual_count is not None and status.actual_count != stored.rows:
            detail += f" (it reported {status.actual_count:,} rows)"
        return Ingested(
            charged_credits=charged, rows=stored.rows, hits=stored.with_phone, detail=detail
        )
