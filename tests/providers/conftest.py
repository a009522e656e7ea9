"""Provider client tests run against the session sandbox (tests/conftest.py).

Every test gets a reset sandbox (fresh account, queues, faults and rate windows) and clients
with short timeouts and near-instant retry backoff. Redis is ``settings.REDIS_URL`` (the
test settings start a private embedded server when it is unset), and each test's limiter
uses its own key prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from leadops.providers.crm import CrmClient
from leadops.providers.ratelimit import RateLimiter
from leadops.providers.reapi import ReapiClient
from leadops.providers.tracerfy import TracerfyClient
from leadops.sandbox.testing import RunningSandbox
from tests.support.sandbox import (
    CRM_KEY,
    CRM_SECRET,
    FAST_RETRY,
    SANDBOX_KEY,
    TEST_TIMEOUTS,
    reapi_url,
    tracerfy_url,
)


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
        base_url=reapi_url(sandbox),
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
