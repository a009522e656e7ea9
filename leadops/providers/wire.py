"""What every call to a provider shares, API call or result download alike: our
User-Agent, how a response names its request, the timeouts and the retry policy.

``base`` (the API client) and ``downloads`` (result files) both build on this module and
never on each other's internals, so the dependency runs one way: base → downloads → wire.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

USER_AGENT = "LeadOps/0.1"
REQUEST_ID_HEADERS = ("x-request-id", "x-amzn-requestid", "x-correlation-id", "cf-ray")


def request_id(response: httpx.Response) -> str | None:
    """The provider's (or its CDN's) id for this request, for the log line."""
    return next((response.headers[h] for h in REQUEST_ID_HEADERS if h in response.headers), None)


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``read`` is the longest we wait for a provider to answer one request."""

    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 5.0

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for idempotent reads only; attempts include the first call.

    The default (3 attempts, 0.25 s doubling, full jitter) keeps the worst case under about
    a second of waiting on top of the calls themselves: long outages are the job layer's
    business (it reschedules), not a worker's.
    """

    attempts: int = 3
    backoff: float = 0.25
    max_backoff: float = 2.0

    def delay(self, retry: int) -> float:
        ceiling = min(self.max_backoff, self.backoff * (2**retry))
        return random.uniform(0, ceiling)


NO_RETRIES = RetryPolicy(attempts=1)
