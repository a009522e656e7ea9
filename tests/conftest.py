"""Shared fixtures: the named actors every access test uses.

owner      admin of team A (also a Django superuser)
staff      staff member of team A, with a wallet
outsider   staff member of team B
anonymous  a visitor who is not logged in
"""

import os

import pytest
from django.db import connection

from leadops.accounts.models import Role
from tests.factories import MembershipFactory, TeamFactory, UserFactory

PASSWORD = "pw-for-tests"


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


def using_postgres() -> bool:
    return connection.vendor == "postgresql"


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
    import django_rq
    from rq import SimpleWorker
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    def run() -> int:
        queues = [django_rq.get_queue(n) for n in ("high", "default", "low")]
        worker = SimpleWorker(queues, connection=rq_redis)
        worker.work(burst=True)
        failed = sum(FailedJobRegistry(queue=q).count for q in queues)
        assert failed == 0, "an RQ job failed: see the worker log above"
        return sum(FinishedJobRegistry(queue=q).count for q in queues)

    return run


@pytest.fixture(scope="session")
def sandbox_server():
    """The real provider sandbox on a free port for the whole session (fast processing)."""
    from leadops.sandbox.config import SandboxConfig
    from leadops.sandbox.testing import run_sandbox

    with run_sandbox(SandboxConfig(port=0, speed=200.0, miss_rate=0.2)) as running:
        yield running


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox, reset to a clean account (no queues, faults or webhook URL) for this test."""
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.reset()
