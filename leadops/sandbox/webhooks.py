"""Outbound webhook delivery: paced (at most ``webhook_rate`` per second), with fault knobs.

Deliveries are never retried, like the providers (Tracerfy says so explicitly). Every
attempt, drop and duplicate is written to the delivery log (``GET /_sandbox/webhooks``).
``webhook_delay_max_seconds`` holds each delivery for a random time after its paced slot,
in its own task, so one long delay never blocks the deliveries behind it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .faults import Faults

logger = logging.getLogger("leadops.sandbox.webhooks")

LOG_LIMIT = 50_000
REORDER_MAX_DELAY = 1.0


@dataclass(frozen=True)
class Delivery:
    kind: str
    url: str
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # Called once the attempt is over (delivered, failed or dropped): progress a restart
    # must not repeat.
    on_done: Callable[[], None] | None = field(default=None, compare=False)


class WebhookSender:
    def __init__(
        self,
        *,
        faults: Callable[[], Faults],
        rate: Callable[[], float],
        timeout: float,
    ) -> None:
        self._faults = faults
        self._rate = rate
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._next_slot = 0.0
        self.log: list[dict[str, Any]] = []

    async def start(self) -> None:
        timeout = httpx.Timeout(self._timeout, connect=min(self._timeout, 5.0))
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def reset(self) -> None:
        self.log.clear()
        self._next_slot = 0.0

    async def send_all(self, deliveries: list[Delivery]) -> None:
        """Deliver a batch in order (paced); returns once every attempt has finished."""
        faults = self._faults()
        expanded = self._expand(deliveries, faults)
        if faults.settings.webhook_reorder and len(expanded) > 1:
            faults.rng.shuffle(expanded)
        tasks = []
        for delivery, duplicate in expanded:
            await self._pace()
            delay = faults.webhook_delay(f"webhook {delivery.kind}")
            tasks.append(asyncio.create_task(self._post(delivery, duplicate, delay)))
        if tasks:
            await asyncio.gather(*tasks)

    async def send_one(self, delivery: Delivery) -> None:
        """Deliver an account-level event; reordering delays it by a random amount."""
        faults = self._faults()
        if faults.settings.webhook_reorder:
            await asyncio.sleep(faults.rng.uniform(0, REORDER_MAX_DELAY))
        await self.send_all([delivery])

    def _expand(self, deliveries: list[Delivery], faults: Faults) -> list[tuple[Delivery, bool]]:
        expanded: list[tuple[Delivery, bool]] = []
        for delivery in deliveries:
            copies = faults.webhook_copies(f"webhook {delivery.kind}")
            if copies == 0:
                self._record(delivery, dropped=True)
                if delivery.on_done is not None:
                    delivery.on_done()
            for copy in range(copies):
                expanded.append((delivery, copy > 0))
        return expanded

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self._rate()
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _post(self, delivery: Delivery, duplicate: bool, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        await self._attempt(delivery, duplicate, delay)
        # Not reached when cancelled (a reset or a shutdown): that call is made again later.
        if delivery.on_done is not None:
            delivery.on_done()

    async def _attempt(self, delivery: Delivery, duplicate: bool, delay: float) -> None:
        if self._client is None:
            self._record(delivery, duplicate=duplicate, error="sender not started")
            return
        headers = {"Content-Type": "application/json", **delivery.headers}
        sent_at = dt.datetime.now(dt.UTC).isoformat()
        try:
            response = await self._client.post(delivery.url, json=delivery.payload, headers=headers)
        except httpx.HTTPError as exc:
            logger.info("webhook %s to %s failed: %s", delivery.kind, delivery.url, exc)
            error = f"{type(exc).__name__}: {exc}"
            self._record(delivery, duplicate=duplicate, error=error, delay=delay, sent_at=sent_at)
            return
        self._record(
            delivery,
            duplicate=duplicate,
            status_code=response.status_code,
            delay=delay,
            sent_at=sent_at,
        )

    def _record(
        self,
        delivery: Delivery,
        *,
        dropped: bool = False,
        duplicate: bool = False,
        status_code: int | None = None,
        error: str | None = None,
        delay: float = 0.0,
        sent_at: str | None = None,
    ) -> None:
        if len(self.log) >= LOG_LIMIT:
            del self.log[: LOG_LIMIT // 10]
        self.log.append(
            {
                "kind": delivery.kind,
                "url": delivery.url,
                "payload": delivery.payload,
                "dropped": dropped,
                "duplicate": duplicate,
                "status_code": status_code,
                "error": error,
                "delayed_seconds": round(delay, 3),
                "sent_at": sent_at,  # when the POST started (None: never sent)
                "at": dt.datetime.now(dt.UTC).isoformat(),
            }
        )
