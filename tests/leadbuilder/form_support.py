"""Fixtures of the build-screen tests (imported by each test module that uses them)."""

from __future__ import annotations

import pytest

from leadbuilder.strategies import strategies_forget, strategies_list
from leadops.credits import services as credits

# A valid build form: city geography, no strategy (custom), nothing else.
CITY = {"geo_mode": "city", "geo_cities": "Phoenix", "geo_states": "AZ", "requested_count": "500"}


@pytest.fixture
def lb_sandbox(sandbox, rq_redis, settings):
    """The sandbox as Tracerfy, with an empty strategies cache and limiter."""
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    strategies_forget()
    yield sandbox
    strategies_forget()


@pytest.fixture
def strategies(lb_sandbox):
    return strategies_list()


@pytest.fixture
def funded_staff(staff):
    credits.grant(
        wallet=staff.wallet, amount=10_000, actor=None, reason="t", idempotency_key="lb-form"
    )
    staff.wallet.refresh_from_db()
    return staff
