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

from .config import QUEUE_KINDS, RULE_KNOBS, FaultRule, FaultSettings

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
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
EVENT_LIMIT = 10_000


class FaultError(ValueError):
    """A runtime fault update names an unknown knob or carries a bad value."""


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


_RATES = (
    "error_rate",
    "rate_limit_rate",
    "read_timeout_rate",
    "webhook_drop_rate",
    "webhook_duplicate_rate",
    "processed_error_rate",
    "reset_before_rate",
    "reset_after_rate",
    "malformed_body_rate",
    "truncated_body_rate",
    "queue_stuck_rate",
    "queue_failed_rate",
    "queue_vanish_rate",
    "reapi_item_error_rate",
    "download_error_rate",
    "download_expire_rate",
)
_NON_NEGATIVE_INTS = (
    "latency_ms",
    "retry_after_seconds",
    "download_delay_ms",
    "download_bytes_per_second",
)
_STATUSES = ("error_status", "processed_error_status", "download_error_status")
_NON_NEGATIVE_NUMBERS = (
    "read_timeout_seconds",
    "webhook_delay_max_seconds",
    "download_expire_seconds",
)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def _string_list(name: str, value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FaultError(f"{name} must be a list of {what}")
    return tuple(value)


def _methods(name: str, value: Any) -> tuple[str, ...]:
    methods = tuple(m.upper() for m in _string_list(name, value, "HTTP methods"))
    bad = [m for m in methods if m not in METHODS]
    if bad:
        raise FaultError(f"{name}: unknown HTTP method(s): {', '.join(bad)}")
    return methods


def check_knob(name: str, value: Any) -> Any:
    """Validate one knob's value; return it normalized (raises FaultError)."""
    if name in _RATES:
        if not _is_number(value) or not 0 <= value <= 1:
            raise FaultError(f"{name} must be a number between 0 and 1")
        return float(value)
    if name in _NON_NEGATIVE_INTS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FaultError(f"{name} must be a non-negative integer")
        return value
    if name in _STATUSES:
        if isinstance(value, bool) or not isinstance(value, int) or not 500 <= value <= 599:
            raise FaultError(f"{name} must be an integer between 500 and 599")
        return value
    if name in _NON_NEGATIVE_NUMBERS:
        if not _is_number(value) or value < 0:
            raise FaultError(f"{name} must be a non-negative number")
        return float(value)
    if name == "fault_budget":
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise FaultError("fault_budget must be null or a non-negative integer")
        return value
    if name == "paths":
        return _string_list(name, value, "path prefixes")
    if name == "methods":
        return _methods(name, value)
    if name == "queue_kinds":
        kinds = _string_list(name, value, "queue kinds")
        bad = [kind for kind in kinds if kind not in QUEUE_KINDS]
        if bad:
            raise FaultError(
                f"queue_kinds: unknown kind(s) {', '.join(bad)}; one of " + ", ".join(QUEUE_KINDS)
            )
        return kinds
    if name == "webhook_reorder":
        if not isinstance(value, bool):
            raise FaultError("webhook_reorder must be a boolean")
        return value
    if name == "rules":
        return parse_rules(value)
    raise FaultError(f"Unknown fault knob(s): {name}")


def parse_rules(value: Any) -> tuple[FaultRule, ...]:
    """Validate a list of rule objects: ``{"paths"|"path", "methods", <request knobs>}``."""
    if not isinstance(value, list):
        raise FaultError("rules must be a list of rule objects")
    rules = []
    allowed = {"path", "paths", "methods", *RULE_KNOBS}
    for index, raw in enumerate(value):
        if not isinstance(raw, dict):
            raise FaultError(f"rules[{index}] must be an object")
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise FaultError(f"rules[{index}]: unknown knob(s): {', '.join(unknown)}")
        if "path" in raw and "paths" in raw:
            raise FaultError(f"rules[{index}]: give path or paths, not both")
        fields: dict[str, Any] = {}
        try:
            for name, item in raw.items():
                if name == "path":
                    if not isinstance(item, str):
                        raise FaultError("path must be a path prefix")
                    fields["paths"] = (item,)
                else:
                    fields[name] = check_knob(name, item)
        except FaultError as exc:
            raise FaultError(f"rules[{index}]: {exc}") from exc
        rules.append(FaultRule(**fields))
    return tuple(rules)


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
