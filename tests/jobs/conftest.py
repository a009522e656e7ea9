import pytest

from leadops.credits import services as credits
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
