"""The provider sandbox as the tests use it: one per session, arranged per test.

``tests/conftest.py`` starts one sandbox with ``SESSION_CONFIG`` and resets it around every
test that asks for ``sandbox``; a reset restores that config. Whatever a test needs beyond it
(another miss rate, faults, a balance, a webhook URL) goes through ``SandboxControl``, the
sandbox's ``/_sandbox/`` control API, reachable as ``sandbox.control``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from leadops.providers.base import RetryPolicy, Timeouts
from leadops.sandbox.config import SandboxConfig
from leadops.sandbox.testing import RunningSandbox, run_sandbox, wait_until
from tests.support.rows import csv_bytes

T = TypeVar("T")

# Fast processing and webhooks; everything else (miss rate 0.15, balance 100,000, no faults)
# is the sandbox's own default, so a test that asserts a default reads the real one.
SESSION_CONFIG = SandboxConfig(port=0, speed=200.0, webhook_rate=5000.0)

SANDBOX_KEY = "sandbox-key"
BEARER = {"Authorization": f"Bearer {SANDBOX_KEY}"}
CRM_KEY, CRM_SECRET = "sandbox-key", "sandbox-secret"

# Provider clients pointed at the sandbox: short timeouts, near-instant retry backoff.
TEST_TIMEOUTS = Timeouts(connect=2.0, read=5.0, write=5.0, pool=2.0)
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05)


class SandboxControl:
    """The sandbox's ``/_sandbox/`` knobs, for arranging a test and reading what it saw.

    A call with arguments changes the knobs and returns the new state; without arguments it
    only reads. A refused change (HTTP 400) fails the test with the sandbox's message.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.base_url}/_sandbox/{path}", json=body, timeout=10)
        assert response.status_code == 200, f"/_sandbox/{path}: {response.text}"
        return response.json()

    def _read_or_set(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", path, body) if body else self._send("GET", path)

    def reset(self) -> dict[str, Any]:
        return self._send("POST", "reset")

    def faults(self, **knobs: Any) -> dict[str, Any]:
        return self._read_or_set("faults", knobs)

    def fault_state(self) -> dict[str, Any]:
        return self._send("GET", "faults")

    def fault_rules(self, *rules: dict[str, Any]) -> dict[str, Any]:
        """Replace the per-rule request faults, e.g.
        ``fault_rules({"path": "/reapi/v1/SkipTraceBatch", "methods": ["POST"],
        "processed_error_rate": 0.3}, {"path": "/tracerfy/v1/api/queues", "error_rate": 0.1})``
        (the first rule that matches a request decides its faults; none: the flat knobs)."""
        return self._send("POST", "faults", {"rules": list(rules)})

    def stats(self, *, events: bool = False) -> dict[str, Any]:
        """Injected-fault counters: ``{"total", "kinds": {kind: n}, "paths": {kind:
        {"METHOD /path": n}}}`` (``events``: also the latest events)."""
        return self._send("GET", "stats?events=1" if events else "stats")

    def fault_count(self, kind: str, where: str | None = None) -> int:
        """How many faults of ``kind`` were injected (at ``where``, "METHOD /path", if given)."""
        counters = self.stats()
        if where is None:
            return counters["kinds"].get(kind, 0)
        return counters["paths"].get(kind, {}).get(where, 0)

    def paid(self, kind: str | None = None, *, rows: bool = False) -> dict[str, Any]:
        """The paid-request log: ``{"count", "requests": [...], "duplicates": {"requests":
        [[seq, …], …], "rows": n, "rows_sample": [...]}}`` (``rows``: per-row fingerprints)."""
        query = []
        if kind:
            query.append(f"kind={kind}")
        if rows:
            query.append("rows=1")
        return self._send("GET", "paid" + ("?" + "&".join(query) if query else ""))

    def paid_requests(self, kind: str | None = None) -> list[dict[str, Any]]:
        return self.paid(kind)["requests"]

    def account(self, **fields: Any) -> dict[str, Any]:
        return self._read_or_set("account", fields)

    def balance(self) -> int:
        return self.account()["balance"]

    def settings(self, **fields: Any) -> dict[str, Any]:
        return self._read_or_set("settings", fields)

    def webhook_url(self, url: str | None) -> dict[str, Any]:
        """Point the account-level (Tracerfy) webhook at ``url`` (None: no webhook)."""
        return self._send("POST", "webhook-url", {"url": url})

    def webhooks(self) -> dict[str, Any]:
        """The webhook delivery log: ``{"deliveries": [...]}``."""
        return self._send("GET", "webhooks")

    def deliveries(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.webhooks()["deliveries"] if d["kind"] == kind]

    def crm_received(self) -> dict[str, Any]:
        return self._send("GET", "crm/received")


@dataclass
class SessionSandbox(RunningSandbox):
    """A running sandbox with its control API at hand: ``sandbox.control.faults(...)``."""

    @property
    def control(self) -> SandboxControl:
        return SandboxControl(self.base_url)


@contextmanager
def run_session_sandbox(config: SandboxConfig = SESSION_CONFIG) -> Iterator[SessionSandbox]:
    with run_sandbox(config) as running:
        yield SessionSandbox(
            base_url=running.base_url,
            server=running.server,
            thread=running.thread,
            config=running.config,
        )


def tracerfy_url(sandbox: RunningSandbox) -> str:
    return f"{sandbox.base_url}/tracerfy/v1/api/"


def reapi_url(sandbox: RunningSandbox) -> str:
    return f"{sandbox.base_url}/reapi/v1/"


def eventually(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Call ``read`` until ``done(result)``; return that result (waits without sleeping)."""
    box: list[T] = []

    def check() -> bool:
        box[:] = [read()]
        return done(box[0])

    wait_until(check, timeout=timeout, message="provider state not reached")
    return box[0]


# The form fields of a normal trace upload, for CSVs written from ``rows.address_rows``.
NORMAL_COLUMNS = {
    "address_column": "address",
    "city_column": "city",
    "state_column": "state",
    "zip_column": "zip",
    "first_name_column": "first_name",
    "last_name_column": "last_name",
    "mail_address_column": "mail_address",
    "mail_city_column": "mail_city",
    "mail_state_column": "mail_state",
    "mailing_zip_column": "mailing_zip",
}


def submit_trace(
    api: httpx.Client, rows: list[dict[str, Any]], trace_type: str = "normal", **extra: str
) -> httpx.Response:
    """POST a CSV trace to the sandbox's Tracerfy API (``api``: a client with ``BEARER``)."""
    data = {**NORMAL_COLUMNS, "trace_type": trace_type, **extra}
    return api.post("trace/", files={"csv_file": ("records.csv", csv_bytes(rows))}, data=data)


def wait_queue_done(api: httpx.Client, queue_id: int, timeout: float = 10.0) -> dict:
    def done() -> dict | None:
        queues = api.get("queues/").json()
        match = [q for q in queues if q["id"] == queue_id]
        return match[0] if match and not match[0]["pending"] else None

    return wait_until(done, timeout=timeout, message=f"queue {queue_id} did not complete")
