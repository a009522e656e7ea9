"""Shared fixtures: the named actors every access test uses, RQ, and the provider sandbox.

owner      admin of team A (also a Django superuser)
staff      staff member of team A, with a wallet
outsider   staff member of team B
anonymous  a visitor who is not logged in

sandbox    the one provider sandbox of the session (tests/support/sandbox.py), reset before
           and after each test that uses it; ``sandbox.control`` arranges it, and a folder
           that wants other runtime settings than the session's overrides ``sandbox_settings``
receiver   a webhook receiver for the session, emptied for each test that uses it
"""

import os

import pytest

from leadops.accounts.models import Role
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.support.jobs import rq_queues
from tests.support.sandbox import SandboxControl, SessionSandbox, run_session_sandbox


def pytest_report_header(config):
    return f"database: {os.environ.get('DATABASE_URL') or 'sqlite (memory)'}; " + (
        f"redis: {os.environ.get('REDIS_URL') or 'embedded'}"
    )


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (row locking under real concurrency) are deselected, not skipped,
    when the suite runs on SQLite; CI always runs them."""
    if (os.environ.get("DATABASE_URL") or "").startswith(("postgres", "pgsql")):
        return
    keep = [i for i in items if "postgres" not in i.keywords]
    dropped = [i for i in items if "postgres" in i.keywords]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty Django cache (the cached provider figures of one test
    must not answer for the next)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Acme Investing")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Other Co")


@pytest.fixture
def owner(team_a):
    user = UserFactory(username="owner", is_staff=True, is_superuser=True)
    MembershipFactory(user=user, team=team_a, role=Role.ADMIN)
    return user


@pytest.fixture
def staff(team_a):
    from leadops.credits import services as credits

    user = UserFactory(username="staffer")
    MembershipFactory(user=user, team=team_a, role=Role.STAFF)
    credits.wallet_for(user=user, team=team_a)
    return user


@pytest.fixture
def outsider(team_b):
    user = UserFactory(username="outsider")
    MembershipFactory(user=user, team=team_b, role=Role.STAFF)
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def rq_redis():
    """The test Redis, emptied: RQ queues, scheduled jobs and limiter keys start clean."""
    import django_rq

    conn = django_rq.get_connection("default")
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def run_worker(rq_redis):
    """Run every queued RQ job in this process (SimpleWorker, burst) and return how many ran."""
    from rq import SimpleWorker
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    def run() -> int:
        queues = rq_queues()
        worker = SimpleWorker(queues, connection=rq_redis)
        worker.work(burst=True)
        failed = sum(FailedJobRegistry(queue=q).count for q in queues)
        assert failed == 0, "an RQ job failed: see the worker log above"
        return sum(FinishedJobRegistry(queue=q).count for q in queues)

    return run


@pytest.fixture(scope="session")
def sandbox_server():
    """The real provider sandbox on a free port for the whole session (the only one the suite
    shares; a test that needs a differently built sandbox starts its own)."""
    with run_session_sandbox() as running:
        yield running


@pytest.fixture
def sandbox_settings() -> dict:
    """Runtime settings (``POST /_sandbox/settings``: speed, miss_rate, webhook_rate,
    reapi_ack_shape) laid over the session config after each reset. A folder's conftest
    overrides this fixture when its tests were written against other values."""
    return {}


@pytest.fixture
def sandbox(sandbox_server, sandbox_settings) -> SessionSandbox:
    """The session sandbox, reset to a clean account (no queues, faults or webhook URL)."""
    sandbox_server.reset()
    if sandbox_settings:
        sandbox_server.control.settings(**sandbox_settings)
    yield sandbox_server
    sandbox_server.reset()


@pytest.fixture
def live_sandbox(sandbox, live_server, rq_redis, settings):
    """The sandbox as Tracerfy, its webhooks sent to this test's live server."""
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    sandbox.control.webhook_url(f"{live_server.url}/webhooks/tracerfy/{settings.WEBHOOK_TOKEN}/")
    return sandbox


@pytest.fixture
def control(sandbox) -> SandboxControl:
    """The sandbox's ``/_sandbox/`` control API (the same as ``sandbox.control``)."""
    return sandbox.control


@pytest.fixture(scope="session")
def receiver_server():
    from leadops.sandbox.testing import WebhookReceiver

    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def receiver(receiver_server):
    """A webhook receiver (``receiver.url(path)``, ``receiver.calls``), empty at the start."""
    receiver_server.clear()
    return receiver_server
