"""Sandbox fixtures: one fast sandbox per session, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from leadops.sandbox.config import SandboxConfig
from leadops.sandbox.testing import RunningSandbox, WebhookReceiver, run_sandbox

from .helpers import BEARER

FAST = SandboxConfig(speed=200.0, webhook_rate=5000.0)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    with run_sandbox(FAST) as running:
        yield running


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_sandbox(request: pytest.FixtureRequest) -> None:
    """Reset the shared sandbox (and clear the receiver) before each test that uses it."""
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").reset()
    if "receiver" in request.fixturenames:
        request.getfixturevalue("receiver").clear()


@pytest.fixture
def api(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.urls["tracerfy"], headers=BEARER, timeout=10) as client:
        yield client


@pytest.fixture
def account_hook(sandbox: RunningSandbox, receiver: WebhookReceiver) -> str:
    """Point the account-level Tracerfy webhook at the receiver."""
    url = receiver.url("/tracerfy")
    httpx.post(f"{sandbox.base_url}/_sandbox/webhook-url", json={"url": url}).raise_for_status()
    return url
