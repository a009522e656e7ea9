"""Playwright against Debian's chromium (nothing downloads a browser).

Screenshots land in test-artifacts/ (kept by CI as artifacts).
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from django.db import connection

from tests.support.browser import log_in, make_member
from tests.support.jobs import ThreadWorker, rq_queues

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
    return make_member(
        "trace-staff",
        "Trace Team",
        credits_granted=200,
        reason="Trial credits",
        key="e2e-trace",
    )


@pytest.fixture
def worker(rq_redis):
    """An RQ worker draining the queues in the background while the browser watches."""
    stop = threading.Event()

    def loop():
        queues = rq_queues()
        while not stop.is_set():
            ThreadWorker(queues, connection=rq_redis).work(burst=True)
            stop.wait(0.2)
        connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
def tracing_app(page, live_server, sandbox, worker, trace_member, settings):
    """trace-staff logged in, Tracerfy pointed at the sandbox and its webhooks at this app;
    returns the app's base URL."""
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    sandbox.control.webhook_url(f"{live_server.url}/webhooks/tracerfy/{settings.WEBHOOK_TOKEN}/")
    log_in(page, live_server.url, trace_member.username)
    return live_server.url
