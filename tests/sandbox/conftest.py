"""Sandbox contract tests: the session sandbox and webhook receiver come from tests/conftest.py
(reset / emptied before every test that uses them); these are clients onto it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from leadops.sandbox.testing import WebhookReceiver
from tests.support.sandbox import BEARER, SessionSandbox


@pytest.fixture
def api(sandbox: SessionSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.urls["tracerfy"], headers=BEARER, timeout=10) as client:
        yield client


@pytest.fixture
def account_hook(sandbox: SessionSandbox, receiver: WebhookReceiver) -> str:
    """Point the account-level Tracerfy webhook at the receiver."""
    url = receiver.url("/tracerfy")
    sandbox.control.webhook_url(url)
    return url
