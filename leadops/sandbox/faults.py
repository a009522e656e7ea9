"""Fault injection: request faults (before and after processing), webhook, queue, batch-item
and download faults, and the counters of every fault injected.

Request faults are decided per request by a *rule*: the first of ``FaultSettings.rules``
whose paths and methods match the request, else the default rule made of the flat knobs
(``paths``, ``methods``, ``error_rate``, …). Faults before processing (``reset_before``,
``error``, ``rate_limit``) mean "nothing was processed"; faults after processing
(``reset_after``, ``processed_error``, ``malformed_body``, ``truncated_body``, a late answer)
mean "the work was done, the answer is lost or unreadable".
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from .config import FaultSettings
from .knobs import FaultError, FaultRule, check_knob, parse_rules

__all__ = ["FaultError", "Faults", "parse_fault_update", "parse_rules"]

# Every fault kind the counters know (``GET /_sandbox/stats``).
FAULT_KINDS = (
    "error",
    "rate_limit",
    "reset_before",
    "processed_error",
    "reset_after",
    "malformed_body",
    "truncated_body",
    "read_timeout",
    "webhook_drop",
    "webhook_duplicate",
    "webhook_delay",
    "queue_stuck",
    "queue_failed",
    "queue_vanish",
    "reapi_item_error",
    "download_error",
    "download_expired",
)
PRE_KINDS = ("reset_before", "error", "rate_limit")
POST_KINDS = ("reset_after", "processed_error", "malformed_body", "truncated_body")
EVENT_LIMIT = 10_000


@dataclass(frozen=True)
class RequestFault:
    kind: str  # "error" | "rate_limit" | "reset_before"
    status: int
    retry_after: int = 0


@dataclass(frozen=True)
class AnswerFault:
    """What happens to an already-processed answer."""

    kind: str | None  # one of POST_KINDS, or None
    status: int = 500
    delay: float = 0.0  # a late answer (read timeout), on top of ``kind``


@dataclass(frozen=True)
class Plan:
    """The request faults decided for one request: the rule and what fires before it runs."""

    rule: FaultRule | None
    before: RequestFault | None = None


def parse_fault_update(current: FaultSettings, payload: dict[str, Any]) -> FaultSettings:
    """Validate a ``POST /_sandbox/faults`` body and merge it into the current settings."""
    known = {field.name for field in dataclasses.fields(FaultSettings)}
    unknown = sorted(set(payload) - known)
    if unknown:
        raise FaultError(f"Unknown fault knob(s): {', '.join(unknown)}")
    changes = {name: check_knob(name, value) for name, value in payload.items()}
    return current.replace(**changes)


class FaultCounters:
    """How many faults of each kind were injected, by kind and by ``METHOD path``."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.paths: dict[str, Counter[str]] = {}
        self.events: deque[dict[str, Any]] = deque(maxlen=EVENT_LIMIT)

    def add(self, kind: str, where: str, **detail: Any) -> None:
        self.kinds[kind] += 1
        self.paths.setdefault(kind, Counter())[where] += 1
        self.events.append(
            {"kind": kind, "where": where, "at": dt.datetime.now(dt.UTC).isoformat(), **detail}
        )

    def as_dict(self, *, events: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "total": sum(self.kinds.values()),
            "kinds": {kind: self.kinds.get(kind, 0) for kind in FAULT_KINDS},
            "paths": {kind: dict(counts) for kind, counts in self.paths.items()},
        }
        if events:
            data["events"] = list(self.events)
        return data


class Faults:
    """The live fault state: settings, the remaining budget, a seeded RNG and the counters."""

    def __init__(self, settings: FaultSettings, seed: int = 4242) -> None:
        self.settings = settings
        self.budget = settings.fault_budget
        self.rng = random.Random(seed)
        self.counters = FaultCounters()

    def update(self, settings: FaultSettings) -> None:
        self.settings = settings
        self.budget = settings.fault_budget

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self.settings)
        data["fault_budget_remaining"] = self.budget
        data["counters"] = self.counters.as_dict()
        return data

    def rule_for(self, method: str, path: str) -> FaultRule | None:
        for rule in self.settings.rules:
            if rule.matches(method, path):
                return rule
        default = self.settings.default_rule()
        return default if default.matches(method, path) else None

    def _spend(self) -> bool:
        if self.budget is None:
            return True
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True

    def _fires(self, rate: float) -> bool:
        return bool(rate) and self.rng.random() < rate and self._spend()

    async def before(self, method: str, path: str) -> Plan:
        """Run before a provider handler: latency, then maybe a reset, a 5xx or a 429."""
        rule = self.rule_for(method, path)
        if rule is None:
            return Plan(rule=None)
        if rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        where = f"{method} {path}"
        fault = None
        if self._fires(rule.reset_before_rate):
            fault = RequestFault("reset_before", 0)
        elif self._fires(rule.error_rate):
            fault = RequestFault("error", rule.error_status)
        elif self._fires(rule.rate_limit_rate):
            fault = RequestFault("rate_limit", 429, rule.retry_after_seconds)
        if fault is not None:
            self.counters.add(fault.kind, where)
        return Plan(rule=rule, before=fault)

    def after(self, plan: Plan, method: str, path: str) -> AnswerFault | None:
        """Decide what happens to the answer of a processed request (None: nothing)."""
        rule = plan.rule
        if rule is None:
            return None
        where = f"{method} {path}"
        kind = None
        for name, rate in (
            ("reset_after", rule.reset_after_rate),
            ("processed_error", rule.processed_error_rate),
            ("malformed_body", rule.malformed_body_rate),
            ("truncated_body", rule.truncated_body_rate),
        ):
            if self._fires(rate):
                kind = name
                self.counters.add(name, where)
                break
        delay = 0.0
        if kind != "reset_after" and self._fires(rule.read_timeout_rate):
            delay = rule.read_timeout_seconds
            self.counters.add("read_timeout", where)
        if kind is None and not delay:
            return None
        return AnswerFault(kind=kind, status=rule.processed_error_status, delay=delay)

    def webhook_copies(self, where: str) -> int:
        """0 (dropped), 1 or 2 (duplicated) deliveries for one webhook."""
        settings = self.settings
        if settings.webhook_drop_rate and self.rng.random() < settings.webhook_drop_rate:
            self.counters.add("webhook_drop", where)
            return 0
        if settings.webhook_duplicate_rate and self.rng.random() < settings.webhook_duplicate_rate:
            self.counters.add("webhook_duplicate", where)
            return 2
        return 1

    def webhook_delay(self, where: str) -> float:
        """Seconds to hold one delivery (0..webhook_delay_max_seconds, uniform)."""
        top = self.settings.webhook_delay_max_seconds
        if not top:
            return 0.0
        self.counters.add("webhook_delay", where)
        return self.rng.uniform(0, top)

    def queue_fate(self, kind: str, where: str, *, can_fail: bool) -> str:
        """``ok``, ``stuck`` (never finishes), ``failed`` or ``vanish`` for an accepted job."""
        settings = self.settings
        if settings.queue_kinds and kind not in settings.queue_kinds:
            return "ok"
        fate = "ok"
        if settings.queue_stuck_rate and self.rng.random() < settings.queue_stuck_rate:
            fate = "stuck"
        elif (
            can_fail
            and settings.queue_failed_rate
            and self.rng.random() < settings.queue_failed_rate
        ):
            fate = "failed"
        elif settings.queue_vanish_rate and self.rng.random() < settings.queue_vanish_rate:
            fate = "vanish"
        if fate != "ok":
            self.counters.add(f"queue_{fate}", where, queue_kind=kind)
        return fate

    def reapi_item_error(self, where: str) -> bool:
        rate = self.settings.reapi_item_error_rate
        if rate and self.rng.random() < rate:
            self.counters.add("reapi_item_error", where)
            return True
        return False

    def download_error(self) -> int | None:
        """A 5xx status for this download request, or None."""
        settings = self.settings
        if settings.download_error_rate and self.rng.random() < settings.download_error_rate:
            self.counters.add("download_error", "GET /files/")
            return settings.download_error_status
        return None

    def download_expires_now(self, age_seconds: float) -> bool:
        """Whether a link ``age_seconds`` old has expired (by age, or picked at the rate)."""
        settings = self.settings
        if settings.download_expire_seconds and age_seconds >= settings.download_expire_seconds:
            return True
        return bool(settings.download_expire_rate) and (
            self.rng.random() < settings.download_expire_rate
        )
