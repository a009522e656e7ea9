"""Provider clients built from settings.

The client classes take explicit arguments (tests build them directly); these factories are
the one place that reads settings, so ``PROVIDER_MODE=live`` with real keys changes only
the values, never the code path. Settings are read at call time, not import time.
"""

from __future__ import annotations

from .base import Timeouts
from .crm import CrmClient
from .ratelimit import RateLimiter
from .reapi import ReapiClient
from .tracerfy import TracerfyClient
from .wire import NO_RETRIES

RATE_LIMIT_PREFIX = "leadops:ratelimit"

_limiter: RateLimiter | None = None


def limiter() -> RateLimiter:
    """The process-wide limiter on ``settings.REDIS_URL`` (one connection pool per process)."""
    global _limiter
    if _limiter is None:
        from django.conf import settings

        _limiter = RateLimiter.from_url(
            settings.REDIS_URL,
            prefix=RATE_LIMIT_PREFIX,
            scale=settings.PROVIDER_RATE_WINDOW_SCALE,
        )
    return _limiter


def _timeouts() -> Timeouts:
    from django.conf import settings

    read = settings.PROVIDER_READ_TIMEOUT
    return Timeouts(read=read, write=read)


def page_timeouts() -> Timeouts:
    """For a call a user's page waits on: PROVIDER_PAGE_TIMEOUT for every phase."""
    from django.conf import settings

    wait = settings.PROVIDER_PAGE_TIMEOUT
    return Timeouts(connect=wait, read=wait, write=wait, pool=wait)


def tracerfy_client(*, timeouts: Timeouts | None = None, page: bool = False) -> TracerfyClient:
    """``page=True``: a client for a read a page waits on (a balance, the queue list), with
    PROVIDER_PAGE_TIMEOUT and no retry, so a slow provider costs a page seconds, not minutes."""
    from django.conf import settings

    return TracerfyClient(
        base_url=settings.TRACERFY_BASE_URL,
        api_key=settings.TRACERFY_API_KEY,
        timeouts=timeouts or (page_timeouts() if page else _timeouts()),
        limiter=limiter(),
        retry=NO_RETRIES if page else None,
    )


def reapi_client(*, timeouts: Timeouts | None = None) -> ReapiClient:
    from django.conf import settings

    return ReapiClient(
        base_url=settings.REAPI_BASE_URL,
        api_key=settings.REAPI_API_KEY,
        timeouts=timeouts or _timeouts(),
        limiter=limiter(),
    )


def crm_client(*, timeouts: Timeouts | None = None) -> CrmClient:
    from django.conf import settings

    return CrmClient(
        base_url=settings.CRM_BASE_URL,
        api_key=settings.CRM_API_KEY,
        api_secret=settings.CRM_API_SECRET,
        timeouts=timeouts or _timeouts(),
        limiter=limiter(),
    )


def reapi_webhook_authentic(headers) -> bool:
    """RealEstateAPI's callbacks carry the account's API key in `x-api-key`."""
    import hmac

    from django.conf import settings

    given = str(headers.get("x-api-key", "")).encode()
    return hmac.compare_digest(given, (settings.REAPI_API_KEY or "").encode())


def webhook_descriptions():
    """Each provider's webhook description, as registered with leadops.webhooks.registry."""
    from leadops.webhooks.registry import ProviderWebhooks

    from . import reapi, tracerfy

    return [
        ProviderWebhooks("tracerfy", describe=tracerfy.describe_webhook),
        ProviderWebhooks(
            "reapi", describe=reapi.describe_webhook, authenticate=reapi_webhook_authentic
        ),
    ]
