"""Sliding-window rate limits per API key, with the providers' documented windows.

All methods are synchronous and never await, so within the sandbox's single event loop a
check-and-record is atomic without a lock.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float


# bucket name -> windows; every window must have room for a request to pass.
LIMITS: dict[str, tuple[Window, ...]] = {
    "tracerfy.trace": (Window(10, 300),),
    "tracerfy.parcel": (Window(10, 300),),
    "tracerfy.lookup": (Window(500, 60),),
    "tracerfy.parcel_lookup": (Window(500, 60),),
    "tracerfy.preview": (Window(120, 3600),),
    "tracerfy.execute": (Window(10, 3600), Window(50, 86400)),
    "tracerfy.autocomplete": (Window(30, 60),),
}


class RateLimiter:
    def __init__(self, window_scale: float = 1.0, clock=time.monotonic) -> None:
        self._scale = window_scale
        self._clock = clock
        self._hits: dict[tuple[str, str, int], deque[float]] = {}

    def hit(self, key: str, bucket: str) -> float | None:
        """Record one request; return None if allowed, else seconds until retry."""
        windows = LIMITS[bucket]
        now = self._clock()
        waits: list[float] = []
        queues: list[deque[float]] = []
        for index, window in enumerate(windows):
            span = window.seconds * self._scale
            queue = self._hits.setdefault((key, bucket, index), deque())
            while queue and queue[0] <= now - span:
                queue.popleft()
            if len(queue) >= window.limit:
                waits.append(queue[0] + span - now)
            queues.append(queue)
        if waits:
            return max(waits)
        for queue in queues:
            queue.append(now)
        return None

    def reset(self) -> None:
        self._hits.clear()


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
