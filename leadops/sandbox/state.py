"""In-memory sandbox state: the account, every job, downloads and background work.

The sandbox runs on one asyncio event loop. Every mutation of this state happens in
synchronous code between awaits (a check-and-deduct of credits never awaits in the middle),
so no two requests can interleave inside one; that is the guard, and it is why nothing
here takes a lock. Background processing runs as asyncio tasks tracked in ``tasks`` so a
reset can cancel them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import secrets
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from .config import SandboxConfig
from .faults import Faults
from .ratelimit import RateLimiter
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


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.tasks: set[asyncio.Task[Any]] = set()
        self.webhooks = WebhookSender(
            faults=lambda: self.faults,
            rate=lambda: self.settings.webhook_rate,
            timeout=config.webhook_timeout,
        )
        self._init()

    def _init(self) -> None:
        config = self.config
        self.settings = Settings(
            speed=config.speed,
            miss_rate=config.miss_rate,
            reapi_ack_shape=config.reapi_ack_shape,
            webhook_rate=config.webhook_rate,
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
        # Separate id ranges make a client that mixes up id kinds fail loudly.
        self.trace_ids = itertools.count(1001)
        self.parcel_ids = itertools.count(201)
        self.dnc_ids = itertools.count(301)
        self.lead_list_ids = itertools.count(401)
        self.reapi_ids = itertools.count(1)
        self.webhooks.reset()

    async def reset(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()
        self._init()

    async def start(self) -> None:
        await self.webhooks.start()

    async def close(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.webhooks.close()

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
        self.downloads[token] = Download(filename=filename, content=content)
        return f"{base_url}/files/{token}.csv"

    def new_uuid(self) -> str:
        return str(uuid.uuid4())
