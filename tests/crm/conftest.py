import pytest

from tests.dnc.conftest import phone_batch  # noqa: F401 (a fixture these tests share)
from tests.support.crm import finished_trace, point_crm_at


@pytest.fixture
def crm_sandbox(sandbox, rq_redis, settings):
    """The sandbox as the CRM (its received-data endpoint tells what arrived)."""
    point_crm_at(sandbox, settings)
    return sandbox


@pytest.fixture
def hits_trace(staff, team_a):
    """A complete trace of `n` owners, every one a hit with two phones and an email (made
    directly: the tests here are about what is pushed, not about tracing)."""
    made = iter(range(1, 100))

    def make(n: int = 10):
        return finished_trace(team_a, staff, n, email_every=1, name=f"owners-{next(made)}.csv")

    return make
