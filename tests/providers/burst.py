"""Worker functions for the multi-process limiter tests.

They live in their own small module so a spawned child process imports only this, the
limiter and the client: no Django, no pytest fixtures, no sandbox server.
"""

from __future__ import annotations

import threading
from typing import Any

import redis

from leadops.providers.errors import RateLimited
from leadops.providers.ratelimit import RateLimiter
from leadops.providers.tracerfy import TraceColumns, TracerfyClient


def acquire_burst(
    redis_url: str,
    prefix: str,
    scale: float,
    family: str,
    calls: int,
    rounds: int,
    window: float,
    start: Any,
) -> list[list[float]]:
    """For each round: meet the other process at the ``start`` barrier, call ``acquire``
    ``calls`` times as fast as possible, then wait the ``window`` out. Returns every answer
    of every round (0.0 = slot taken)."""
    client = redis.Redis.from_url(redis_url)
    limiter = RateLimiter(client, prefix=prefix, scale=scale)
    pause = threading.Event()
    answers = []
    for _ in range(rounds):
        start.wait(timeout=30)
        answers.append([limiter.acquire(family) for _ in range(calls)])
        pause.wait(window)
    client.close()
    return answers


def submit_traces(
    redis_url: str, prefix: str, scale: float, base_url: str, submissions: int, start: Any
) -> dict[str, int]:
    """Submit ``submissions`` one-row traces through a limited client, waiting out local
    refusals; count what the provider accepted and how often it answered 429."""
    client = redis.Redis.from_url(redis_url)
    limiter = RateLimiter(client, prefix=prefix, scale=scale)
    columns = TraceColumns(address="address", city="city", state="state")
    pause = threading.Event()
    counts = {"accepted": 0, "provider_429": 0, "local_waits": 0}
    start.wait(timeout=30)
    with TracerfyClient(base_url=base_url, api_key="sandbox-key", limiter=limiter) as tracerfy:
        while counts["accepted"] < submissions:
            try:
                tracerfy.trace_records(
                    records=[{"address": "1 Burst Way", "city": "Austin", "state": "TX"}],
                    columns=columns,
                    trace_type="advanced",
                )
            except RateLimited as exc:
                if not exc.local:
                    counts["provider_429"] += 1
                    break
                counts["local_waits"] += 1
                pause.wait(exc.retry_after)
                continue
            counts["accepted"] += 1
    client.close()
    return counts


def report(results: Any, task: str, *args: Any) -> None:
    """Process entry point: run ``task`` from this module and put its result on the queue."""
    results.put(globals()[task](*args))
