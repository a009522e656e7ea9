"""Playwright against Debian's chromium (nothing downloads a browser).

Screenshots land in test-artifacts/ (kept by CI as artifacts).
"""

import os
import shutil
import threading
from pathlib import Path

import django_rq
import httpx
import pytest
from django.db import connection
from playwright.sync_api import expect
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty

from leadops.accounts.models import Role
from leadops.credits import services as credits
from tests.factories import MembershipFactory, TeamFactory, UserFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        raise pytest.UsageError(
            f"Browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium "
            "(or set CHROMIUM_PATH)."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def screenshot(page, request):
    """Save a full-page screenshot named after the test: screenshot("after-login")."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(label: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def trace_member(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    team = TeamFactory(name="Trace Team")
    user = UserFactory(username="trace-staff")
    MembershipFactory(user=user, team=team, role=Role.STAFF)
    credits.grant(
        wallet=credits.wallet_for(user=user, team=team),
        amount=200,
        actor=None,
        reason="Trial credits",
        idempotency_key="e2e-trace",
    )
    return user


class ThreadWorker(SimpleWorker):
    """A SimpleWorker that can run off the main thread (signals belong to the main one)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


@pytest.fixture
def worker(rq_redis):
    """An RQ worker draining the queues in the background while the browser watches."""
    stop = threading.Event()

    def loop():
        queues = [django_rq.get_queue(n) for n in ("high", "default", "low")]
        while not stop.is_set():
            ThreadWorker(queues, connection=rq_redis).work(burst=True)
            stop.wait(0.2)
        connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


def log_in(page, base, username, password="pw-for-tests"):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


@pytest.fixture
def tracing_app(page, live_server, sandbox, worker, trace_member, settings):
    """trace-staff logged in, Tracerfy pointed at the sandbox and its webhooks at this app;
    returns the app's base URL."""
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    hook = f"{live_server.url}/webhooks/tracerfy/{settings.WEBHOOK_TOKEN}/"
    httpx.post(f"{sandbox.base_url}/_sandbox/webhook-url", json={"url": hook}, timeout=5)
    log_in(page, live_server.url, trace_member.username)
    return live_server.url
