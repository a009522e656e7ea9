import pytest
from django.db.models import Sum

from leadops.credits import services as credits
from leadops.credits.models import CreditEntry, CreditHold
from leadops.jobs.registry import lookup
from tests.jobsapp.models import ProbeJob


@pytest.fixture
def steps():
    """The ProbeJob steps object; assign `.impl` in the test."""
    _model, probe_steps = lookup("probe")
    yield probe_steps
    probe_steps.impl = None


@pytest.fixture
def funded_staff(staff):
    credits.grant(wallet=staff.wallet, amount=1000, actor=None, reason="t", idempotency_key="fund")
    return staff


@pytest.fixture
def make_job(funded_staff, team_a):
    def make(**fields):
        defaults = {
            "team": team_a,
            "created_by": funded_staff,
            "provider": "tracerfy",
            "estimated_credits": 100,
            "rows_total": 10,
        }
        return ProbeJob.objects.create(**{**defaults, **fields})

    return make


def assert_credits_balance(wallet) -> None:
    """holds = captures + releases, the wallet equals its ledger, and nothing stays held."""
    wallet.refresh_from_db()
    held = CreditHold.objects.filter(wallet=wallet).aggregate(
        a=Sum("amount"), c=Sum("captured"), r=Sum("released")
    )
    assert (held["a"] or 0) == (held["c"] or 0) + (held["r"] or 0)
    sums = CreditEntry.objects.filter(wallet=wallet).aggregate(a=Sum("amount"), h=Sum("held_delta"))
    assert sums["a"] == wallet.available
    assert (sums["h"] or 0) == wallet.held == 0
