"""bench/webhooks.py runs end to end on tiny sizes, so it cannot rot: its load generator talks
HTTP/1.1 to the real server (keep-alive with gunicorn.conf.py's webhooks role, a connection
per request with the sync baseline), and its stored-exactly-once count adds up."""

import sys

import pytest

from bench import webhooks
from bench.common import free_port
from tests.support.workers import process_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "server",
    [
        ["-c", str(webhooks.ROOT / "gunicorn.conf.py"), "-w", "1"],
        ["django.core.wsgi:get_wsgi_application()", "-w", "1", "-k", "sync", "-c", "/dev/null"],
    ],
    ids=["intake", "baseline_full_stack"],
)
def test_a_tiny_run_stores_every_event_once_and_counts_redeliveries(server, monkeypatch, rq_redis):
    for name, value in {"EVENTS": 40, "DUPLICATES": 6, "WARMUP": 4, "CONNECTIONS": 4}.items():
        monkeypatch.setattr(webhooks, name, value)
    port = free_port()
    role = {"GUNICORN_ROLE": "webhooks"} if "gunicorn.conf.py" in server[1] else {}
    env = process_env(WEBHOOK_TOKEN=webhooks.TOKEN, LOG_LEVEL="WARNING", **role)
    command = [sys.executable, "-m", "gunicorn", *server, "-b", f"127.0.0.1:{port}"]
    run = webhooks.measure("tiny", command, env, port, offset=0)
    assert run["statuses"] == {"200": 46}
    assert (run["events_stored"], run["lost_events"], run["duplicates_counted"]) == (40, 0, 6)
    assert run["answered"] == 46 and run["requests_per_second"] > 0
    assert 0 < run["latency_ms"]["p50"] <= run["latency_ms"]["p99"] <= run["latency_ms"]["max"]
