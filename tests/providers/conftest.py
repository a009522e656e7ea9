"""Provider client tests run against the real sandbox, started once on a free port.

Every test gets a reset sandbox (fresh account, queues, faults and rate windows) and clients
with short timeouts and near-instant retry backoff. Redis is ``settings.REDIS_URL`` (the
test settings start a private embedded server when it is unset), and each test's limiter
uses its own key prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from django.conf import settings

from leadops.providers.base import RetryPolicy, Timeouts
from leadops.providers.crm import CrmClient
from leadops.providers.ratelimit import RateLimiter
from leadops.providers.reapi import ReapiClient
from leadops.providers.tracerfy import TracerfyClient
from leadops.sandbox.config import SandboxConfig
from leadops.sandbox.testing import RunningSandbox, run_sandbox

SANDBOX_KEY = "sandbox-key"
CRM_KEY, CRM_SECRET = "sandbox-key", "sandbox-secret"
TEST_TIMEOUTS = Timeouts(connect=2.0, read=5.0, write=5.0, pool=2.0)
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05)


class Control:
    """The sandbox's ``/_sandbox/`` knobs, for arranging a test."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.base_url}/_sandbox/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def faults(self, **knobs: Any) -> dict[str, Any]:
        return self._post("faults", knobs)

    def fault_state(self) -> dict[str, Any]:
        return httpx.get(f"{self.base_url}/_sandbox/faults", timeout=10).json()

    def account(self, **fields: Any) -> dict[str, Any]:
        return self._post("account", fields)

    def settings(self, **fields: Any) -> dict[str, Any]:
        return self._post("settings", fields)

    def crm_received(self) -> dict[str, Any]:
        return httpx.get(f"{self.base_url}/_sandbox/crm/received", timeout=10).json()


FAST = SandboxConfig(speed=200.0, webhook_rate=5000.0)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    with run_sandbox(FAST) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_sandbox(request: pytest.FixtureRequest) -> None:
    """Reset the shared sandbox (account, queues, faults, rate windows) before each test."""
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").reset()


@pytest.fixture
def control(sandbox: RunningSandbox) -> Control:
    return Control(sandbox.base_url)


def tracerfy_url(sandbox: RunningSandbox) -> str:
    return f"{sandbox.base_url}/tracerfy/v1/api/"


@pytest.fixture
def tracerfy(sandbox: RunningSandbox) -> Iterator[TracerfyClient]:
    with TracerfyClient(
        base_url=tracerfy_url(sandbox),
        api_key=SANDBOX_KEY,
        timeouts=TEST_TIMEOUTS,
        retry=FAST_RETRY,
    ) as client:
        yield client


@pytest.fixture
def reapi(sandbox: RunningSandbox) -> Iterator[ReapiClient]:
    with ReapiClient(
        base_url=f"{sandbox.base_url}/reapi/v1/",
        api_key=SANDBOX_KEY,
        timeouts=TEST_TIMEOUTS,
        retry=FAST_RETRY,
    ) as client:
        yield client


@pytest.fixture
def crm(sandbox: RunningSandbox) -> Iterator[CrmClient]:
    with CrmClient(
        base_url=f"{sandbox.base_url}/crm/v1/",
        api_key=CRM_KEY,
        api_secret=CRM_SECRET,
        timeouts=TEST_TIMEOUTS,
        retry=FAST_RETRY,
    ) as client:
        yield client


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def key_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix no other test (or test run) shares; its keys are removed afterwards."""
    prefix = f"test:ratelimit:{uuid.uuid4().hex}"
    yield prefix
    keys = list(redis_client.scan_iter(f"{prefix}:*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def limiter(redis_client: redis.Redis, key_prefix: str) -> RateLimiter:
    return RateLimiter(redis_client, prefix=key_prefix)
