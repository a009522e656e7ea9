"""Sandbox state: the account, every job, downloads, the paid-request log, background work.

The sandbox runs on one asyncio event loop. Every mutation of this state happens in
synchronous code between awaits (a check-and-deduct of credits never awaits in the middle),
so no two requests can interleave inside one; that is the guard, and it is why nothing
here takes a lock. Background processing runs as asyncio tasks tracked in ``tasks`` so a
reset can cancel them.

With a state file (``SandboxConfig.state_file``) every object worth keeping is written
through to SQLite when it changes (``save``; see ``store.py``) and loaded at start, after
which unfinished background work resumes (each provider module registers a resumer in
``resumers``). Id counters are written on every allocation, so ids never repeat across a
restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .config import SandboxConfig
from .faults import Faults
from .ratelimit import RateLimiter
from .store import MemoryStore, open_store
from .webhooks import WebhookSender

logger = logging.getLogger("leadops.sandbox")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Settings:
    """Knobs changeable at runtime through ``POST /_sandbox/settings``."""

    speed: float
    miss_rate: float
    reapi_ack_shape: str
    webhook_rate: float
    crm_max_bytes: int


@dataclass
class Account:
    balance: int
    suspended: bool = False
    webhook_url: str | None = None

    def can_afford(self, credits: int) -> bool:
        return self.balance >= credits

    def charge(self, credits: int) -> int:
        self.balance -= credits
        return credits


@dataclass
class Download:
    filename: str
    content: bytes
    created_at: float = field(default_factory=time.time)  # wall clock: survives a restart
    expired: bool = False


@dataclass
class TraceQueue:
    id: int
    created_at: dt.datetime
    trace_type: str
    rows: list[dict[str, str]]
    estimated_wait_seconds: int
    pending: bool = True
    records: list[dict[str, str]] = field(default_factory=list)
    hits: int = 0
    credits_deducted: int = 0
    download_url: str | None = None
    fate: str = "ok"  # ok | stuck | vanish (faults.queue_fate)
    vanished: bool = False
    base_url: str = ""
    webhook_sent: bool = False  # the account webhook of the finished job

    @property
    def credits_per_lead(self) -> int:
        return 2 if self.trace_type == "advanced" else 1


@dataclass
class ParcelQueue:
    id: int
    created_at: dt.datetime
    rows: list[dict[str, str]]
    status: str = "pending"
    results: list[dict[str, Any]] = field(default_factory=list)
    rows_hit: int = 0
    credits_deducted: int = 0
    download_url: str | None = None
    completed_at: dt.datetime | None = None
    fate: str = "ok"  # ok | stuck | failed | vanish
    vanished: bool = False
    base_url: str = ""
    webhook_sent: bool = False


@dataclass
class DncQueue:
    id: int
    created_at: dt.datetime
    phones: list[tuple[str, str]]
    source_type: str
    source_queue_id: int | None = None
    phone_columns_used: list[str] = field(default_factory=list)
    pending: bool = True
    results: list[dict[str, Any]] = field(default_factory=list)
    phones_clean: int = 0
    credits_deducted: int = 0
    download_url: str | None = None
    clean_download_url: str | None = None
    fate: str = "ok"  # ok | stuck | vanish
    vanished: bool = False
    base_url: str = ""
    webhook_sent: bool = False


@dataclass
class LeadList:
    id: int
    name: str
    strategy: str
    strategy_label: str
    created_at: dt.datetime
    requested_count: int
    capped_count: int
    spec: dict[str, Any]
    status: str = "pending"
    progress_stage: str = ""
    progress_percent: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    credits_deducted: int = 0
    download_url: str = ""
    error_message: str = ""
    completed_at: dt.datetime | None = None
    fate: str = "ok"  # ok | stuck | failed | vanish
    vanished: bool = False
    base_url: str = ""
    webhook_sent: bool = False


@dataclass
class ReapiBatch:
    batch_id: str
    api_key: str
    items: list[dict[str, Any]]
    request_ids: dict[str, str]
    webhook_url: str | None
    webcomplete_url: str | None
    status: str = "processing"
    match_count: int = 0
    error_count: int = 0
    processed_count: int = 0
    # Keys whose per-item call has been made, and whether the completion call was: what a
    # restart must not send again.
    sent: set[str] = field(default_factory=set)
    complete_sent: bool = False
    # Decided once, before the first per-item call (so a restart re-sends the same results).
    computed: bool = False
    miss_rate: float = 0.0
    error_keys: set[str] = field(default_factory=set)


@dataclass
class PaidRequest:
    """One paid request the sandbox accepted and processed (``GET /_sandbox/paid``)."""

    seq: int
    method: str
    path: str
    at: str
    provider: str
    kind: str
    created_id: int | str | None
    count: int
    billed: int | None
    billing_final: bool
    fingerprint: str
    row_fingerprints: list[str]
    answered: str = "ok"  # "ok", or the fault kind that replaced the answer
    status_code: int | None = None

    def as_dict(self, *, rows: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not rows:
            del data["row_fingerprints"]
        data["faulted"] = self.answered != "ok"
        return data


def row_fingerprint(row: Any) -> str:
    """A short stable hash of one row's content (keys sorted)."""
    text = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def payload_fingerprint(kind: str, row_fingerprints: Iterable[str], extra: Any = None) -> str:
    """sha256 of the kind, ``extra`` and the sorted row hashes: equal content, equal print."""
    text = json.dumps([kind, extra, sorted(row_fingerprints)], default=str)
    return hashlib.sha256(text.encode()).hexdigest()


FIRST_IDS = {"trace": 1001, "parcel": 201, "dnc": 301, "lead_list": 401, "reapi": 1, "paid": 1}


Resumer = Callable[["SandboxState", Any], None]


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.tasks: set[asyncio.Task[Any]] = set()
        self.webhooks = WebhookSender(
            faults=lambda: self.faults,
            rate=lambda: self.settings.webhook_rate,
            timeout=config.webhook_timeout,
        )
        self.store: MemoryStore = MemoryStore()
        # kind -> function(state, obj) that restarts unfinished work after a restart.
        self.resumers: dict[str, Resumer] = {}
        self._init()

    def _init(self) -> None:
        config = self.config
        self.settings = Settings(
            speed=config.speed,
            miss_rate=config.miss_rate,
            reapi_ack_shape=config.reapi_ack_shape,
            webhook_rate=config.webhook_rate,
            crm_max_bytes=config.crm_max_bytes,
        )
        self.account = Account(balance=config.balance, webhook_url=config.webhook_url)
        self.faults = Faults(config.faults)
        self.limiter = RateLimiter(config.rate_window_scale)
        self.trace_queues: dict[int, TraceQueue] = {}
        self.parcel_queues: dict[int, ParcelQueue] = {}
        self.dnc_queues: dict[int, DncQueue] = {}
        self.lead_lists: dict[int, LeadList] = {}
        self.reapi_batches: dict[str, ReapiBatch] = {}
        self.crm_received: list[dict[str, Any]] = []
        self.downloads: dict[str, Download] = {}
        self.conversations: dict[str, list[str]] = {}
        self.paid: list[PaidRequest] = []
        self.paid_refs: dict[tuple[str, str], PaidRequest] = {}
        # Separate id ranges make a client that mixes up id kinds fail loudly.
        self.next_ids: dict[str, int] = dict(FIRST_IDS)
        self.webhooks.reset()

    async def reset(self) -> None:
        await self._cancel_tasks()
        self.store.clear()
        self._init()

    async def start(self) -> None:
        await self.webhooks.start()
        self.store = open_store(self.config.state_file)
        self._load()

    async def close(self) -> None:
        await self._cancel_tasks()
        await self.webhooks.close()
        self.store.close()
        self.store = MemoryStore()

    async def _cancel_tasks(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()

    # Persistence -----------------------------------------------------------------------

    def save(self, kind: str, key: object, obj: Any) -> None:
        """Write one object through to the state file (a no-op without one)."""
        self.store.put(kind, key, obj)

    def save_account(self) -> None:
        self.store.put("account", "account", self.account)

    def _load(self) -> None:
        store = self.store
        for account in store.load("account"):
            self.account = account
        for counters in store.load("counters"):
            self.next_ids.update(counters)
        jobs: dict[str, dict[int, Any]] = {
            "trace": self.trace_queues,
            "parcel": self.parcel_queues,
            "dnc": self.dnc_queues,
            "lead_list": self.lead_lists,
        }
        for kind, table in jobs.items():
            for obj in sorted(store.load(kind), key=lambda o: o.id):
                table[obj.id] = obj
        for kind, job_id in store.load("webhook_sent"):
            job = jobs[kind].get(job_id)
            if job is not None:
                job.webhook_sent = True
        for batch in store.load("reapi"):
            self.reapi_batches[batch.batch_id] = batch
        for batch_id, key in store.load("reapi_sent"):
            if batch_id in self.reapi_batches:
                self.reapi_batches[batch_id].sent.add(key)
        for token, download in store.load("download"):
            self.downloads[token] = download
        for entry in sorted(store.load("paid"), key=lambda e: e.seq):
            self.paid.append(entry)
            if entry.created_id is not None:
                self.paid_refs[(entry.kind, str(entry.created_id))] = entry
        for kind, table in (
            ("trace", self.trace_queues),
            ("parcel", self.parcel_queues),
            ("dnc", self.dnc_queues),
            ("lead_list", self.lead_lists),
            ("reapi", self.reapi_batches),
        ):
            resume = self.resumers.get(kind)
            if resume is not None:
                for obj in list(table.values()):
                    resume(self, obj)

    def next_id(self, kind: str) -> int:
        """The next id of ``kind`` (written through, so never handed out twice)."""
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        self.store.put("counters", "counters", self.next_ids)
        return value

    def charge(self, credits: int) -> int:
        charged = self.account.charge(credits)
        self.save_account()
        return charged

    # The paid-request log --------------------------------------------------------------

    def record_paid(
        self,
        request: Any,
        *,
        provider: str,
        kind: str,
        rows: list[Any],
        created_id: int | str | None = None,
        billed: int | None = None,
        extra: Any = None,
        count: int | None = None,
    ) -> PaidRequest:
        """Log a paid request (``billed`` None: settled later by ``settle_paid``; ``count``
        defaults to the number of rows)."""
        fingerprints = [row_fingerprint(row) for row in rows]
        entry = PaidRequest(
            seq=self.next_id("paid"),
            method=request.method,
            path=request.url.path,
            at=utcnow().isoformat(),
            provider=provider,
            kind=kind,
            created_id=created_id,
            count=len(rows) if count is None else count,
            billed=billed,
            billing_final=billed is not None,
            fingerprint=payload_fingerprint(kind, fingerprints, extra),
            row_fingerprints=fingerprints,
        )
        self.paid.append(entry)
        if created_id is not None:
            self.paid_refs[(kind, str(created_id))] = entry
        # The endpoint wrapper marks the entry if the answer is then faulted.
        request.state.paid = entry
        self.save("paid", entry.seq, entry)
        return entry

    def settle_paid(self, kind: str, created_id: int | str, billed: int) -> None:
        entry = self.paid_refs.get((kind, str(created_id)))
        if entry is not None:
            entry.billed = billed
            entry.billing_final = True
            self.save("paid", entry.seq, entry)

    def mark_paid_answer(self, entry: PaidRequest, answered: str, status: int | None) -> None:
        entry.answered = answered
        entry.status_code = status
        self.save("paid", entry.seq, entry)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def processing_seconds(self, units: int, per_second: float, overhead: float = 0.3) -> float:
        """Simulated processing time at the current speed."""
        return (overhead + units / per_second) / self.settings.speed

    async def keep_pace(self, started: float, done: float, seconds: float) -> None:
        """Sleep until ``done`` (0..1) of a job planned to take ``seconds`` has elapsed.

        Generating results costs real CPU time; pacing against the clock (rather than
        sleeping a fixed slice per chunk) keeps the total close to the plan, and always
        yields so other requests are served between chunks.
        """
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, started + seconds * done - loop.time()))

    def add_download(self, base_url: str, prefix: str, filename: str, content: bytes) -> str:
        token = f"{prefix}-{secrets.token_hex(8)}"
        download = Download(filename=filename, content=content)
        self.downloads[token] = download
        self.save("download", token, (token, download))
        return f"{base_url}/files/{token}.csv"

    def new_uuid(self) -> str:
        return str(uuid.uuid4())
