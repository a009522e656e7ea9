"""The Tracerfy account as LeadOps users may see it: analytics and the queue history.

The provider account is shared by every team of this installation, so the history shows a
team its own jobs' queues, plus — to team admins and managers only — queues created outside
LeadOps (read-only, without their download links). Other teams' queues are never listed.
"""

from dataclasses import dataclass

from django.core.cache import cache

from leadops import providers
from leadops.providers.errors import ProviderError
from leadops.providers.tracerfy import Analytics, TraceQueue
from traces.models import TraceJob

ANALYTICS_TTL = 60


@dataclass(frozen=True)
class QueueRow:
    queue: TraceQueue
    job: TraceJob | None  # this team's job for the queue, if any


@dataclass(frozen=True)
class QueueHistory:
    rows: list[QueueRow]
    page: int
    next_page: int | None
    prev_page: int | None
    total_count: int | None
    hidden: int  # queues on this page the viewer may not see


def tracerfy_analytics() -> tuple[Analytics | None, str]:
    """Account analytics (cached a minute), or None and why not."""
    cached = cache.get("tracerfy:analytics")
    if cached is not None:
        return cached, ""
    try:
        with providers.tracerfy_client() as client:
            analytics = client.analytics()
    except ProviderError as exc:
        return None, f"Tracerfy account figures are unavailable right now: {exc}"
    cache.set("tracerfy:analytics", analytics, ANALYTICS_TTL)
    return analytics, ""


def tracerfy_queue_history(*, team, can_manage: bool, page: int = 1) -> QueueHistory:
    """One page of the provider's queue list (100 per page, newest first), filtered for `team`."""
    with providers.tracerfy_client() as client:
        result = client.list_queues(page=page)
    refs = [str(q.id) for q in result.queues]
    jobs = {
        job.provider_ref: job
        for job in TraceJob.objects.filter(
            provider="tracerfy", provider_ref__in=refs
        ).select_related("batch")
    }
    rows, hidden = [], 0
    for queue in result.queues:
        job = jobs.get(str(queue.id))
        if job is not None and job.team_id == team.pk:
            rows.append(QueueRow(queue, job))
        elif job is None and can_manage:
            rows.append(QueueRow(queue, None))
        else:
            hidden += 1
    return QueueHistory(
        rows=rows,
        page=page,
        next_page=result.next_page,
        prev_page=result.prev_page,
        total_count=result.total_count,
        hidden=hidden,
    )
