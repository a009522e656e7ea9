"""Sandbox configuration: one typed dataclass, read from the environment or built in code.

Every environment reader fails loudly on a value it cannot parse, so a typo in a Procfile
or a test environment stops the sandbox at start instead of silently using a default.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .knobs import QUEUE_KINDS, RULE_KNOBS, FaultRule, parse_rules

__all__ = ["QUEUE_KINDS", "ConfigError", "FaultRule", "FaultSettings", "SandboxConfig"]

ACK_SHAPES = ("flat", "nested")
DEFAULT_STATE_FILE = "var/sandbox.sqlite3"
# SANDBOX_STATE_FILE values meaning "keep the state in memory only".
MEMORY_ONLY = (":memory:", "none")


class ConfigError(ValueError):
    """An environment variable holds a value the sandbox cannot use."""


@dataclass(frozen=True)
class FaultSettings:
    """Fault knobs; the same names are accepted by ``POST /_sandbox/faults``."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    rate_limit_rate: float = 0.0
    retry_after_seconds: int = 30
    read_timeout_rate: float = 0.0
    read_timeout_seconds: float = 15.0
    fault_budget: int | None = None
    paths: tuple[str, ...] = ()
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_reorder: bool = False
    download_delay_ms: int = 0
    download_bytes_per_second: int = 0
    # Answered after processing: the work was done, the answer is lost or unreadable.
    processed_error_rate: float = 0.0
    processed_error_status: int = 500
    reset_before_rate: float = 0.0
    reset_after_rate: float = 0.0
    malformed_body_rate: float = 0.0
    truncated_body_rate: float = 0.0
    methods: tuple[str, ...] = ()
    rules: tuple[FaultRule, ...] = ()
    webhook_delay_max_seconds: float = 0.0
    # The fate of an accepted queue / lead list (decided when it is accepted).
    queue_stuck_rate: float = 0.0
    queue_failed_rate: float = 0.0
    queue_vanish_rate: float = 0.0
    queue_kinds: tuple[str, ...] = ()
    reapi_item_error_rate: float = 0.0
    download_error_rate: float = 0.0
    download_error_status: int = 503
    download_expire_seconds: float = 0.0
    download_expire_rate: float = 0.0

    def default_rule(self) -> FaultRule:
        return FaultRule(
            paths=self.paths,
            methods=self.methods,
            **{name: getattr(self, name) for name in RULE_KNOBS},
        )

    def replace(self, **changes: object) -> FaultSettings:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    public_base_url: str | None = None
    tracerfy_keys: tuple[str, ...] = ("sandbox-key",)
    reapi_keys: tuple[str, ...] = ("sandbox-key",)
    crm_username: str = "sandbox-key"
    crm_password: str = "sandbox-secret"
    speed: float = 1.0
    miss_rate: float = 0.15
    balance: int = 100_000
    webhook_url: str | None = None
    reapi_ack_shape: str = "flat"
    rate_window_scale: float = 1.0
    webhook_rate: float = 50.0
    webhook_timeout: float = 10.0
    crm_max_bytes: int = 100 * 1024
    faults: FaultSettings = field(default_factory=FaultSettings)
    # SQLite file the state is written through to (None: memory only, nothing survives).
    state_file: str | None = None

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ConfigError("speed must be > 0")
        if not 0.0 <= self.miss_rate <= 1.0:
            raise ConfigError("miss_rate must be between 0 and 1")
        if self.reapi_ack_shape not in ACK_SHAPES:
            raise ConfigError(f"reapi_ack_shape must be one of {', '.join(ACK_SHAPES)}")
        if self.rate_window_scale <= 0:
            raise ConfigError("rate_window_scale must be > 0")
        if self.webhook_rate <= 0:
            raise ConfigError("webhook_rate must be > 0")
        if not self.tracerfy_keys or not self.reapi_keys:
            raise ConfigError("at least one API key is required per provider")

    def replace(self, **changes: object) -> SandboxConfig:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, default_state_file: str | None = None
    ) -> SandboxConfig:
        """Read every knob; ``default_state_file`` applies when SANDBOX_STATE_FILE is unset
        (``python -m leadops.sandbox`` passes ``var/sandbox.sqlite3``)."""
        env = _Env(os.environ if environ is None else environ)
        state_file = env.optional_str("SANDBOX_STATE_FILE") or default_state_file
        if state_file in MEMORY_ONLY:
            state_file = None
        faults = FaultSettings(
            latency_ms=env.int("SANDBOX_FAULT_LATENCY_MS", 0, minimum=0),
            error_rate=env.rate("SANDBOX_FAULT_ERROR_RATE", 0.0),
            error_status=env.int("SANDBOX_FAULT_ERROR_STATUS", 503, minimum=500, maximum=599),
            rate_limit_rate=env.rate("SANDBOX_FAULT_429_RATE", 0.0),
            retry_after_seconds=env.int("SANDBOX_FAULT_RETRY_AFTER", 30, minimum=0),
            read_timeout_rate=env.rate("SANDBOX_FAULT_READ_TIMEOUT_RATE", 0.0),
            read_timeout_seconds=env.float("SANDBOX_FAULT_READ_TIMEOUT_SECONDS", 15.0, minimum=0),
            fault_budget=env.optional_int("SANDBOX_FAULT_BUDGET"),
            paths=env.list("SANDBOX_FAULT_PATHS", ()),
            webhook_drop_rate=env.rate("SANDBOX_WEBHOOK_DROP_RATE", 0.0),
            webhook_duplicate_rate=env.rate("SANDBOX_WEBHOOK_DUPLICATE_RATE", 0.0),
            webhook_reorder=env.bool("SANDBOX_WEBHOOK_REORDER", False),
            download_delay_ms=env.int("SANDBOX_DOWNLOAD_DELAY_MS", 0, minimum=0),
            download_bytes_per_second=env.int("SANDBOX_DOWNLOAD_BYTES_PER_SECOND", 0, minimum=0),
            processed_error_rate=env.rate("SANDBOX_FAULT_PROCESSED_ERROR_RATE", 0.0),
            processed_error_status=env.int(
                "SANDBOX_FAULT_PROCESSED_ERROR_STATUS", 500, minimum=500, maximum=599
            ),
            reset_before_rate=env.rate("SANDBOX_FAULT_RESET_BEFORE_RATE", 0.0),
            reset_after_rate=env.rate("SANDBOX_FAULT_RESET_AFTER_RATE", 0.0),
            malformed_body_rate=env.rate("SANDBOX_FAULT_MALFORMED_BODY_RATE", 0.0),
            truncated_body_rate=env.rate("SANDBOX_FAULT_TRUNCATED_BODY_RATE", 0.0),
            methods=tuple(m.upper() for m in env.list("SANDBOX_FAULT_METHODS", ())),
            rules=env.fault_rules("SANDBOX_FAULT_RULES"),
            webhook_delay_max_seconds=env.float(
                "SANDBOX_FAULT_WEBHOOK_DELAY_MAX_SECONDS", 0.0, minimum=0
            ),
            queue_stuck_rate=env.rate("SANDBOX_FAULT_QUEUE_STUCK_RATE", 0.0),
            queue_failed_rate=env.rate("SANDBOX_FAULT_QUEUE_FAILED_RATE", 0.0),
            queue_vanish_rate=env.rate("SANDBOX_FAULT_QUEUE_VANISH_RATE", 0.0),
            queue_kinds=env.choices("SANDBOX_FAULT_QUEUE_KINDS", QUEUE_KINDS),
            reapi_item_error_rate=env.rate("SANDBOX_FAULT_REAPI_ITEM_ERROR_RATE", 0.0),
            download_error_rate=env.rate("SANDBOX_FAULT_DOWNLOAD_ERROR_RATE", 0.0),
            download_error_status=env.int(
                "SANDBOX_FAULT_DOWNLOAD_ERROR_STATUS", 503, minimum=500, maximum=599
            ),
            download_expire_seconds=env.float(
                "SANDBOX_FAULT_DOWNLOAD_EXPIRE_SECONDS", 0.0, minimum=0
            ),
            download_expire_rate=env.rate("SANDBOX_FAULT_DOWNLOAD_EXPIRE_RATE", 0.0),
        )
        return cls(
            host=env.str("SANDBOX_HOST", "127.0.0.1"),
            port=env.int("SANDBOX_PORT", 8765, minimum=0, maximum=65535),
            public_base_url=env.optional_str("SANDBOX_PUBLIC_BASE_URL"),
            tracerfy_keys=env.list("SANDBOX_TRACERFY_KEY", ("sandbox-key",)),
            reapi_keys=env.list("SANDBOX_REAPI_KEY", ("sandbox-key",)),
            crm_username=env.str("SANDBOX_CRM_USERNAME", "sandbox-key"),
            crm_password=env.secret("SANDBOX_CRM_PASSWORD", "sandbox-secret"),
            speed=env.float("SANDBOX_SPEED", 1.0, minimum=0.001),
            miss_rate=env.rate("SANDBOX_MISS_RATE", 0.15),
            balance=env.int("SANDBOX_BALANCE", 100_000),
            webhook_url=env.optional_str("SANDBOX_WEBHOOK_URL"),
            reapi_ack_shape=env.choice("SANDBOX_REAPI_ACK_SHAPE", "flat", ACK_SHAPES),
            rate_window_scale=env.float("SANDBOX_RATE_WINDOW_SCALE", 1.0, minimum=0.0001),
            webhook_rate=env.float("SANDBOX_WEBHOOK_RATE", 50.0, minimum=0.01),
            webhook_timeout=env.float("SANDBOX_WEBHOOK_TIMEOUT", 10.0, minimum=0.01),
            crm_max_bytes=env.int("SANDBOX_CRM_MAX_BYTES", 100 * 1024, minimum=1),
            faults=faults,
            state_file=state_file,
        )


class _Env:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def _raw(self, name: str) -> str | None:
        value = self._environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def str(self, name: str, default: str) -> str:
        value = self._raw(name)
        return default if value is None else value

    def optional_str(self, name: str) -> str | None:
        return self._raw(name)

    def secret(self, name: str, default: str) -> str:
        file_name = self._raw(f"{name}_FILE")
        if file_name is not None:
            try:
                with open(file_name, encoding="utf-8") as handle:
                    return handle.read().strip()
            except OSError as exc:
                raise ConfigError(f"{name}_FILE: cannot read {file_name!r}: {exc}") from exc
        return self.str(name, default)

    def int(
        self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError as exc:
            raise ConfigError(f"{name}: expected an integer, got {value!r}") from exc
        if minimum is not None and number < minimum:
            raise ConfigError(f"{name}: must be >= {minimum}, got {number}")
        if maximum is not None and number > maximum:
            raise ConfigError(f"{name}: must be <= {maximum}, got {number}")
        return number

    def optional_int(self, name: str) -> int | None:
        if self._raw(name) is None:
            return None
        return self.int(name, 0, minimum=0)

    def float(self, name: str, default: float, *, minimum: float | None = None) -> float:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError as exc:
            raise ConfigError(f"{name}: expected a number, got {value!r}") from exc
        if number != number or number in (float("inf"), float("-inf")):
            raise ConfigError(f"{name}: expected a finite number, got {value!r}")
        if minimum is not None and number < minimum:
            raise ConfigError(f"{name}: must be >= {minimum}, got {number}")
        return number

    def rate(self, name: str, default: float) -> float:
        number = self.float(name, default, minimum=0.0)
        if number > 1.0:
            raise ConfigError(f"{name}: must be between 0 and 1, got {number}")
        return number

    def bool(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}: expected a boolean (true/false), got {value!r}")

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.str(name, default)
        if value not in choices:
            raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
        return value

    def list(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._raw(name)
        if value is None:
            return default
        items = tuple(item.strip() for item in value.split(",") if item.strip())
        if not items:
            raise ConfigError(f"{name}: expected a comma-separated list, got {value!r}")
        return items

    def choices(self, name: str, choices: tuple[str, ...]) -> tuple[str, ...]:
        items = self.list(name, ())
        bad = [item for item in items if item not in choices]
        if bad:
            raise ConfigError(f"{name}: expected some of {', '.join(choices)}, got {bad!r}")
        return items

    def fault_rules(self, name: str) -> tuple[FaultRule, ...]:
        value = self._raw(name)
        if value is None:
            return ()
        try:
            return parse_rules(json.loads(value))
        except ValueError as exc:  # JSONDecodeError and FaultError are ValueErrors
            kind = "JSON" if isinstance(exc, json.JSONDecodeError) else "a rule"
            raise ConfigError(
                f"{name}: expected a JSON list of fault rules ({kind}): {exc}"
            ) from exc
