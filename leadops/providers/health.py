"""The Settings page's operations view of the providers: a connectivity check per provider and
the shared rate limiter's usage right now.

Every check is one free call through the usual client factories with PROVIDER_PAGE_TIMEOUT and
no retry, so a provider that is down costs the page seconds, and never an exception: a failure
is the ``ProviderError`` message in words. Nothing paid is ever called:

- Tracerfy: ``GET analytics/`` (the account's figures, a read);
- RealEstateAPI: ``POST SkipTraceBatch`` with no skip requests, refused (400) after the key
  is authenticated, so a 400 proves the key and a 401/403 refuses it;
- the CRM: ``POST batch`` with an empty data array (nothing created or changed).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings

from leadops import providers

from .errors import AuthFailed, ProviderError, ProviderUnavailable, RateLimited
from .ratelimit import DEFAULT_LIMITS

OK, FAILED, OFF = "ok", "failed", "off"


@dataclass(frozen=True)
class CheckResult:
    """One provider's answer: ``state`` is ok, failed or off; ``message`` says it in words."""

    provider: str
    name: str
    state: str
    message: str
    seconds: float | None = None  # how long the call took (None: no call was made)

    @property
    def ok(self) -> bool:
        return self.state == OK

    @property
    def millis(self) -> int | None:
        return None if self.seconds is None else round(self.seconds * 1000)


def failure_words(exc: ProviderError, name: str) -> str:
    """A failed check in a user's words, with the provider's own message."""
    detail = str(exc).rstrip(".")
    if isinstance(exc, AuthFailed):
        return f"{name} refused the credentials (HTTP {exc.status}): {detail}."
    if isinstance(exc, ProviderUnavailable):
        if exc.timed_out:
            wait = settings.PROVIDER_PAGE_TIMEOUT
            return f"{name} did not answer in time (timeout after {wait:g} s)."
        # A check is never paid work: the client's "may have been accepted" means nothing here.
        detail = detail.split("; the request may have been accepted")[0]
        return f"{name} is unreachable or failing: {detail}."
    if isinstance(exc, RateLimited):
        return f"{name} is rate limited right now: {detail}."
    return f"{name} refused the check: {detail}."


def _timed(provider: str, name: str, call: Callable[[], str]) -> CheckResult:
    started = time.monotonic()
    try:
        message = call()
    except ProviderError as exc:
        return CheckResult(
            provider, name, FAILED, failure_words(exc, name), time.monotonic() - started
        )
    except redis.RedisError:
        return CheckResult(
            provider,
            name,
            FAILED,
            "Not checked: the shared rate limiter (Redis) is unavailable.",
            time.monotonic() - started,
        )
    except ValueError as exc:  # a client refuses to be built without a base URL
        return CheckResult(provider, name, FAILED, f"Not checked: {exc}.")
    return CheckResult(provider, name, OK, message, time.monotonic() - started)


def _check_tracerfy() -> str:
    with providers.tracerfy_client(page=True) as client:
        figures = client.analytics()
    return f"Connected: the account's analytics answered (balance {figures.balance:,} credits)."


def _check_reapi() -> str:
    with providers.reapi_client(timeouts=providers.page_timeouts()) as client:
        refusal = client.key_check()
    return f"Connected: the key was accepted (an empty batch was refused as expected: {refusal})."


def _check_crm() -> str:
    with providers.crm_client(timeouts=providers.page_timeouts()) as client:
        answer = client.connection_test()
    return f"Connected: the CRM answered “{answer.status}” to an empty batch."


def check_connections() -> list[CheckResult]:
    """Each provider checked once, in the Settings page's order."""
    results = [
        _timed("tracerfy", "Tracerfy", _check_tracerfy),
        _timed("reapi", "RealEstateAPI", _check_reapi),
    ]
    if settings.CRM_ENABLED:
        results.append(_timed("crm", "CRM", _check_crm))
    else:
        results.append(CheckResult("crm", "CRM", OFF, "Off (CRM_ENABLED=false): nothing to check."))
    return results


@dataclass(frozen=True)
class WindowRow:
    """One window of a limited family as the page shows it."""

    family: str
    used: int
    limit: int
    window_seconds: float
    free_in: float

    @property
    def full(self) -> bool:
        return self.free_in > 0

    @property
    def window_words(self) -> str:
        return duration_words(self.window_seconds)

    @property
    def free_in_words(self) -> str:
        return duration_words(self.free_in)


def duration_words(seconds: float) -> str:
    """3600 → "1 h", 300 → "5 min", 86400 → "24 h", 2.5 → "3 s"."""
    seconds = max(0.0, seconds)
    if seconds >= 3600 and seconds % 3600 < 1:
        return f"{round(seconds / 3600)} h"
    if seconds >= 60 and seconds % 60 < 1:
        return f"{round(seconds / 60)} min"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds)} s"


def rate_usage() -> list[WindowRow] | None:
    """Every window of every limited family right now (no slot taken), or None when Redis
    cannot be asked (the page says "unavailable" instead of failing)."""
    rows = []
    try:
        limiter = providers.limiter()
        for family in DEFAULT_LIMITS:
            for window in limiter.usage(family):
                rows.append(
                    WindowRow(
                        family, window.used, window.limit, window.window_seconds, window.free_in
                    )
                )
    except redis.RedisError:
        return None
    return rows
