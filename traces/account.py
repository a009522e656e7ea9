"""The Tracerfy account as LeadOps users may see it: analytics and the queue history.

Both are read while a user waits, so they come through a page client (PROVIDER_PAGE_TIMEOUT,
no retry) into lazily loaded panels (htmx fragments): a slow or failing provider leaves its
panel saying so and never holds up a page.

The provider account is shared by every team of this installation, so the history shows a
team its own jobs' queues, plus — to team admins and managers only — queues created outside
LeadOps (read-only, without their download links). Other teams' queues are never listed.
"""

from dataclasses import dataclass

from django.core.cache import cache

from leadops import providers
from leadops.providers.errors import ProviderError, ProviderUnavailable, RateLimited
from leadops.providers.tracerfy import Analytics, TraceQueue
from traces.models import TraceJob, TraceProvider

# A page shows provider figures at most this old, so page views and radio clicks on the cost
# preview do not each ask the provider; a provider that failed is asked again after the
# shorter wait, not on every page view while it is down.
ACCOUNT_TTL = 60
UNAVAILABLE_TTL = 15

REAPI_NO_BALANCE = "RealEstateAPI does not report a balance through its API; see its dashboard."


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


@dataclass(frozen=True)
class AccountFigures:
    """One provider's account as a page shows it: figures, or why there are none."""

    provider: str
    analytics: Analytics | None = None  # Tracerfy's account figures
    note: str = ""  # why there are no figures ("" when there are)

    @property
    def balance(self) -> int | None:
        return self.analytics.balance if self.analytics is not None else None


def unavailable_reason(exc: ProviderError) -> str:
    """Why a read for a page failed, in a user's words (a read is never paid work, so the
    "may have been accepted" of a lost answer means nothing here)."""
    if isinstance(exc, ProviderUnavailable):
        return "Tracerfy is slow or not answering; try again in a minute"
    if isinstance(exc, RateLimited):
        return "Tracerfy's rate limit is reached; try again in a minute"
    return str(exc).rstrip(".")


def account_cache_key(provider: str) -> str:
    return f"provider-account:{provider}"


def provider_account(*, provider: str) -> AccountFigures:
    """The provider's account figures for a page: cached ACCOUNT_TTL seconds, asked with
    PROVIDER_PAGE_TIMEOUT and no retry, and never an exception (a failure is the note)."""
    if provider == TraceProvider.REAPI:
        return AccountFigures(provider=provider, note=REAPI_NO_BALANCE)
    key = account_cache_key(provider)
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        with providers.tracerfy_client(page=True) as client:
            figures = AccountFigures(provider=provider, analytics=client.analytics())
        ttl = ACCOUNT_TTL
    except ProviderError as exc:
        figures = AccountFigures(
            provider=provider,
            note=f"Tracerfy balance unavailable right now: {unavailable_reason(exc)}.",
        )
        ttl = UNAVAILABLE_TTL
    cache.set(key, figures, ttl)
    return figures


def tracerfy_queue_history(*, team, can_manage: bool, page: int = 1) -> QueueHistory:
    """One page of the provider's queue list (100 per page, newest first), filtered for `team`."""
    with providers.tracerfy_client(page=True) as client:
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
