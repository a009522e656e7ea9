"""Fault knob validation and the per-rule fault spec, shared by ``config.py`` (environment)
and ``faults.py`` (``POST /_sandbox/faults``). Imports nothing from the sandbox."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

QUEUE_KINDS = ("trace", "parcel", "dnc", "lead_list")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class FaultError(ValueError):
    """A runtime fault update names an unknown knob or carries a bad value."""


@dataclass(frozen=True)
class FaultRule:
    """Request faults for the requests one rule matches (path prefixes and methods).

    The flat request knobs of :class:`FaultSettings` form the default rule; a request that
    matches one of ``FaultSettings.rules`` (the first that matches wins) gets that rule's
    knobs instead, and an unset knob of a rule means "no such fault".
    """

    paths: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    rate_limit_rate: float = 0.0
    retry_after_seconds: int = 30
    read_timeout_rate: float = 0.0
    read_timeout_seconds: float = 15.0
    processed_error_rate: float = 0.0
    processed_error_status: int = 500
    reset_before_rate: float = 0.0
    reset_after_rate: float = 0.0
    malformed_body_rate: float = 0.0
    truncated_body_rate: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        return not self.paths or any(path.startswith(prefix) for prefix in self.paths)


# The knobs a rule carries besides its scope (``paths``, ``methods``).
RULE_KNOBS = tuple(
    f.name for f in dataclasses.fields(FaultRule) if f.name not in ("paths", "methods")
)


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
