"""The free preview of a build: how many properties match, how many would be delivered, and
the most it can cost, next to the user's credits and the hourly preview allowance.

Tracerfy limits previews per account (the limiter's family "tracerfy.preview", set under the
documented 120/hr). The limiter is asked before the call; when it refuses, or Tracerfy
answers 429, the outcome says when the next preview is possible. A 400 names the part of the
request it refuses (`{"geography": [...]}`), which the page shows next to that section.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from leadbuilder.spec import CREDITS_PER_ROW, BuildSpec
from leadops import providers
from leadops.credits import services as credits
from leadops.providers.errors import (
    InvalidRequest,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from leadops.providers.tracerfy import LeadPreview

FAMILY = "tracerfy.preview"
# Tracerfy's own example: 2,500 credits are $50.00.
USD_PER_CREDIT = 0.02
NEAR_LIMIT = 0.8
# Error body keys -> the section of the build screen that shows them.
SECTIONS = {
    "strategy": "strategy",
    "geography": "geography",
    "filter_overrides": "filters",
    "requested_count": "count",
}
UNAVAILABLE = (
    "Tracerfy is not answering right now, so there is no preview. Nothing was charged; "
    "try again in a minute."
)


@dataclass(frozen=True)
class PreviewUsage:
    """The hourly preview allowance as it stands."""

    used: int
    limit: int
    window_seconds: float
    free_in: float

    @property
    def near(self) -> bool:
        return self.limit > 0 and self.used >= NEAR_LIMIT * self.limit

    @property
    def window_words(self) -> str:
        """ "hour" for Tracerfy's hourly window (ours is padded by a fraction of a second)."""
        hours = round(self.window_seconds / 3600)
        if hours >= 1 and abs(self.window_seconds - hours * 3600) < 60:
            return "hour" if hours == 1 else f"{hours} hours"
        return _duration(self.window_seconds)


@dataclass(frozen=True)
class PreviewOutcome:
    preview: LeadPreview | None
    available_credits: int
    usage: PreviewUsage | None = None
    error: str = ""
    section_errors: dict[str, list[str]] = field(default_factory=dict)
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.preview is not None

    @property
    def max_credit_cost(self) -> int:
        if self.preview is None:
            return 0
        return self.preview.max_credit_cost

    @property
    def max_cost_usd(self) -> float:
        if self.preview is not None and self.preview.max_credit_cost_usd is not None:
            return self.preview.max_credit_cost_usd
        return round(self.max_credit_cost * USD_PER_CREDIT, 2)

    @property
    def credits_per_row(self) -> int:
        return CREDITS_PER_ROW

    @property
    def short_by(self) -> int:
        return max(0, self.max_credit_cost - self.available_credits)

    @property
    def next_preview_at(self) -> dt.datetime | None:
        if self.retry_after is None:
            return None
        return timezone.now() + dt.timedelta(seconds=self.retry_after)

    @property
    def retry_words(self) -> str:
        return _duration(self.retry_after or 0)


def _duration(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    hours = round(minutes / 60, 1)
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def preview_usage() -> PreviewUsage | None:
    """The tightest window of the preview family (None when it has no limit)."""
    windows = providers.limiter().usage(FAMILY)
    if not windows:
        return None
    tight = max(windows, key=lambda w: (w.used / w.limit if w.limit else 0, w.free_in))
    return PreviewUsage(tight.used, tight.limit, tight.window_seconds, tight.free_in)


def section_errors(detail: Any) -> dict[str, list[str]]:
    """A 400 body's field errors by build-screen section (unknown keys: "form")."""
    found: dict[str, list[str]] = {}
    if not isinstance(detail, dict):
        return found
    for key, value in detail.items():
        messages = value if isinstance(value, list) else [value]
        words = [m if isinstance(m, str) else str(m) for m in messages]
        found.setdefault(SECTIONS.get(key, "form"), []).extend(words)
    return found


def lead_preview(*, team, user, spec: BuildSpec) -> PreviewOutcome:
    """Ask Tracerfy for the free preview of `spec`; every failure becomes a message."""
    available = credits.wallet_for(user=user, team=team).available
    try:
        with providers.tracerfy_client(page=True) as client:
            preview = client.lead_preview(**spec.provider_body())
    except RateLimited as exc:
        if exc.local:
            message = (
                "You have used this hour's preview allowance "
                f"({_limit_words()}). The next preview is possible in "
                f"{_duration(exc.retry_after)}."
            )
        else:
            message = (
                f"Tracerfy refused the preview: {exc.message} The next preview is possible in "
                f"{_duration(exc.retry_after)}."
            )
        return PreviewOutcome(
            None, available, preview_usage(), error=message, retry_after=exc.retry_after
        )
    except InvalidRequest as exc:
        return PreviewOutcome(
            None,
            available,
            preview_usage(),
            error=f"Tracerfy refused this search: {exc.message}",
            section_errors=section_errors(exc.detail),
        )
    except ProviderUnavailable:
        return PreviewOutcome(None, available, preview_usage(), error=UNAVAILABLE)
    except ProviderError as exc:
        return PreviewOutcome(
            None, available, preview_usage(), error=f"Tracerfy refused the preview: {exc.message}"
        )
    return PreviewOutcome(preview, available, preview_usage())


def _limit_words() -> str:
    usage = preview_usage()
    if usage is None:
        return "no limit"
    return f"{usage.limit} previews per {usage.window_words}"
