"""Fault injection: latency, 5xx, forced 429s, late answers, webhook and download faults."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from dataclasses import dataclass
from typing import Any

from .config import FaultSettings


class FaultError(ValueError):
    """A runtime fault update names an unknown knob or carries a bad value."""


@dataclass(frozen=True)
class RequestFault:
    kind: str  # "error" | "rate_limit"
    status: int
    retry_after: int = 0


_RATES = (
    "error_rate",
    "rate_limit_rate",
    "read_timeout_rate",
    "webhook_drop_rate",
    "webhook_duplicate_rate",
)
_NON_NEGATIVE_INTS = (
    "latency_ms",
    "retry_after_seconds",
    "download_delay_ms",
    "download_bytes_per_second",
)


def parse_fault_update(current: FaultSettings, payload: dict[str, Any]) -> FaultSettings:
    """Validate a ``POST /_sandbox/faults`` body and merge it into the current settings."""
    known = {field.name for field in dataclasses.fields(FaultSettings)}
    unknown = sorted(set(payload) - known)
    if unknown:
        raise FaultError(f"Unknown fault knob(s): {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    for name, value in payload.items():
        if name in _RATES:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise FaultError(f"{name} must be a number between 0 and 1")
            changes[name] = float(value)
        elif name in _NON_NEGATIVE_INTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FaultError(f"{name} must be a non-negative integer")
            changes[name] = value
        elif name == "error_status":
            if isinstance(value, bool) or not isinstance(value, int) or not 500 <= value <= 599:
                raise FaultError("error_status must be an integer between 500 and 599")
            changes[name] = value
        elif name == "read_timeout_seconds":
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise FaultError("read_timeout_seconds must be a non-negative number")
            changes[name] = float(value)
        elif name == "fault_budget":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise FaultError("fault_budget must be null or a non-negative integer")
            changes[name] = value
        elif name == "paths":
            if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                raise FaultError("paths must be a list of path prefixes")
            changes[name] = tuple(value)
        elif name == "webhook_reorder":
            if not isinstance(value, bool):
                raise FaultError("webhook_reorder must be a boolean")
            changes[name] = value
    return current.replace(**changes)


class Faults:
    """The live fault state: settings, the remaining budget and a seeded RNG."""

    def __init__(self, settings: FaultSettings, seed: int = 4242) -> None:
        self.settings = settings
        self.budget = settings.fault_budget
        self.rng = random.Random(seed)

    def update(self, settings: FaultSettings) -> None:
        self.settings = settings
        self.budget = settings.fault_budget

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self.settings)
        data["paths"] = list(self.settings.paths)
        data["fault_budget_remaining"] = self.budget
        return data

    def _applies(self, path: str) -> bool:
        paths = self.settings.paths
        return not paths or any(path.startswith(prefix) for prefix in paths)

    def _spend(self) -> bool:
        if self.budget is None:
            return True
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True

    async def before(self, path: str) -> RequestFault | None:
        """Run before a provider handler: latency, then maybe an injected error or 429."""
        if not self._applies(path):
            return None
        settings = self.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        if settings.error_rate and self.rng.random() < settings.error_rate and self._spend():
            return RequestFault("error", settings.error_status)
        if (
            settings.rate_limit_rate
            and self.rng.random() < settings.rate_limit_rate
            and self._spend()
        ):
            return RequestFault("rate_limit", 429, settings.retry_after_seconds)
        return None

    def late_answer_delay(self, path: str) -> float:
        """Seconds to hold an already-processed response (a client read timeout)."""
        settings = self.settings
        if not self._applies(path) or not settings.read_timeout_rate:
            return 0.0
        if self.rng.random() < settings.read_timeout_rate and self._spend():
            return settings.read_timeout_seconds
        return 0.0

    def webhook_copies(self) -> int:
        """0 (dropped), 1 or 2 (duplicated) deliveries for one webhook."""
        settings = self.settings
        if settings.webhook_drop_rate and self.rng.random() < settings.webhook_drop_rate:
            return 0
        if settings.webhook_duplicate_rate and self.rng.random() < settings.webhook_duplicate_rate:
            return 2
        return 1
