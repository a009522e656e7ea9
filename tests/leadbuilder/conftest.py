from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from dnc.models import InternalDnc
from dnc.services import phone_status_store
from leadbuilder.strategies import strategies_forget, strategies_list
from leadops.credits import services as credits
from tests.leadbuilder.factories import lead_build, provider_row

RECENT = timezone.now() - timedelta(days=2)
OLD = timezone.now() - timedelta(days=settings.DNC_FRESH_DAYS + 9)


def known_row(n: int, **changes) -> dict:
    """Generated provider row `n` with `changes` laid over it."""
    row = provider_row(n, seed="known")
    row.update(changes)
    return row


def scores(sell=10, refi=10, roof=10, hvac=10, solar=10) -> dict:
    def cat(score):
        if score is None:
            return ""
        return "High" if score >= 70 else "Medium" if score >= 40 else "Low"

    values = {}
    for key, score in [
        ("sell", sell),
        ("refi", refi),
        ("roof_renovate", roof),
        ("hvac_renovate", hvac),
        ("solar_renovate", solar),
    ]:
        values[f"{key}_propensity_score"] = score
        values[f"{key}_propensity_category"] = cat(score)
    return values


def dnc_store(team, phone: str, *, when=RECENT, **flags) -> None:
    """The team's latest DNC result for E.164 `phone` (clean unless a flag is given)."""
    values = {"national_dnc": False, "state_dnc": False, "dma": False, "litigator": False}
    values.update(flags)
    values["is_clean"] = not any(flags.values())
    phone_status_store(team_id=team.pk, rows=[(phone, values, "Mobile", when, "test")])


def internal_add(team, user, phone: str) -> None:
    InternalDnc.objects.create(team=team, phone=phone, reason="asked", added_by=user)


@pytest.fixture
def make_build(team_a, staff):
    def make(rows=0, **kwargs):
        return lead_build(team=team_a, user=staff, rows=rows, **kwargs)

    return make


# The build screen's fixtures: the sandbox as Tracerfy with an empty strategies cache.
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


@pytest.fixture
def funded(staff):
    """`staff` with 100 credits."""
    credits.grant(wallet=staff.wallet, amount=100, actor=None, reason="t", idempotency_key="lb")
    staff.wallet.refresh_from_db()
    return staff
