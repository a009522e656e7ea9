"""The lean intake path: `/webhooks/…` served by a plain WSGI application, without Django's
request, sessions, auth, CSRF, messages, CSP or axes (leadops.webhooks.intake), and the cheap
"drain wanted" signal (one Redis round trip)."""

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from django.urls import reverse

from leadops.jobs import queueing
from leadops.jobs.queueing import get_queue
from leadops.waiting import wait_until
from leadops.webhooks.models import EventStatus, WebhookEvent
from leadops.webhooks.services import webhook_sweep
from tests.support.workers import process_env, rq_worker

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-webhook-token"
URL = f"/webhooks/tracerfy/{TOKEN}/"


def trace_done(queue_id: int) -> bytes:
    """Tracerfy's account-level call for a finished trace queue."""
    return json.dumps(
        {
            "id": queue_id,
            "created_at": "2025-07-13T18:55:02.962332Z",
            "pending": False,
            "download_url": "https://example.com/x.csv",
            "rows_uploaded": 12,
            "credits_deducted": 12,
            "queue_type": "api",
            "trace_type": "normal",
            "credits_per_lead": 1,
        }
    ).encode()


def post(client, body: bytes, url: str = URL, **headers):
    return client.post(url, content=body, headers={"Content-Type": "application/json", **headers})


def test_an_event_is_stored_with_no_session_cookie_and_no_csrf_token(intake_client, handled):
    response = post(intake_client, trace_done(365))
    assert response.status_code == 200
    assert "set-cookie" not in response.headers  # no session, no CSRF cookie
    assert "Cookie" not in response.headers.get("Vary", "")
    assert response.headers["Content-Length"] == "0"
    # The headers that matter on any answer are still set; the page-only ones are not.
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP
    assert "Content-Security-Policy" not in response.headers
    event = WebhookEvent.objects.get()
    assert (event.dedupe_key, event.status) == ("tracerfy:trace:365:done", EventStatus.PENDING)


def test_an_event_costs_one_statement_even_from_a_logged_in_browser(intake_client, staff):
    """No session, user or team is loaded: a session cookie (a user's browser posting to the
    URL) costs nothing, and the event is its one INSERT (the savepoint around it is the
    test's transaction's)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    browser = Client()
    browser.force_login(staff)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    intake_client.cookies.set(settings.SESSION_COOKIE_NAME, session)
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql.split()[0].upper())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert post(intake_client, trace_done(1)).status_code == 200
    assert [s for s in statements if s not in ("SAVEPOINT", "RELEASE")] == ["INSERT"]


def test_https_answers_carry_hsts(intake_client, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    settings.SECURE_HSTS_PRELOAD = False
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = post(intake_client, trace_done(1), **{"X-Forwarded-Proto": "https"})
    assert proxied.headers["Strict-Transport-Security"] == "max-age=3600"
    assert "Strict-Transport-Security" not in post(intake_client, trace_done(2)).headers


def test_a_wrong_token_or_provider_is_a_404_that_stores_nothing(intake_client, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    assert post(intake_client, trace_done(1), url="/webhooks/tracerfy/guess/").status_code == 404
    assert post(intake_client, trace_done(1), url=f"/webhooks/nosuch/{TOKEN}/").status_code == 404
    # Not a route of the intake at all: still a small JSON 404, never an error page or a 500.
    response = post(intake_client, trace_done(1), url="/webhooks/tracerfy/")
    assert (response.status_code, response.json()) == (404, {"error": "not found"})
    assert not WebhookEvent.objects.exists()
    assert "Not Found: /webhooks/tracerfy/***/" in [r.getMessage() for r in caplog.records]
    assert TOKEN not in caplog.text


def test_bad_bodies_and_methods_are_refused(intake_client, settings, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    settings.DEBUG = False
    big = json.dumps({"id": 1, "pad": "x" * (1024 * 1024)}).encode()
    assert post(intake_client, big).status_code == 413
    response = post(intake_client, b"not json")
    assert (response.status_code, response.json()) == (400, {"error": "body is not JSON"})
    assert post(intake_client, b"[1, 2]").status_code == 400
    refused = intake_client.get(URL)
    assert (refused.status_code, refused.headers["Allow"]) == (405, "POST")
    assert intake_client.put(URL, content=b"{}").status_code == 405
    deep = post(intake_client, b"[" * 40 + b"]" * 40)
    assert (deep.status_code, deep.json()) == (400, {"error": "body nests deeper than 32 levels"})
    assert not WebhookEvent.objects.exists()
    lines = [r.getMessage() for r in caplog.records]
    assert "Bad Request: /webhooks/tracerfy/***/" in lines
    assert "Method Not Allowed (GET): /webhooks/tracerfy/***/" in lines
    assert TOKEN not in caplog.text


def test_an_unexpected_error_is_a_json_500_logged_with_the_token_masked(
    intake_client, monkeypatch, caplog
):
    from leadops.webhooks import intake

    def broken(**kwargs):
        raise RuntimeError("the database said no")

    monkeypatch.setattr(intake, "webhook_receive", broken)
    response = post(intake_client, trace_done(1))
    assert (response.status_code, response.json()) == (500, {"error": "server error"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Internal Server Error: /webhooks/tracerfy/***/"
    assert "the database said no" in caplog.text  # the traceback is kept
    assert TOKEN not in caplog.text


def test_the_body_is_read_no_further_than_its_content_length(intake_client):
    """PEP 3333: past CONTENT_LENGTH the input may be the next request on the connection (or
    block); the intake reads the declared bytes only."""
    import io

    from leadops.webhooks.intake import application

    body = trace_done(11)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": URL,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body + b"POST /webhooks/next HTTP/1.1\r\n"),
        "wsgi.url_scheme": "http",
    }
    answered = []
    application(environ, lambda status, headers: answered.append(status))
    assert answered == ["200 OK"]
    assert WebhookEvent.objects.get().dedupe_key == "tracerfy:trace:11:done"


def test_a_redelivery_is_counted_on_its_original(intake_client):
    for _ in range(3):
        assert post(intake_client, trace_done(7)).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.duplicates == 2


def test_reapi_still_needs_its_api_key(intake_client):
    item = json.dumps({"batchId": "b1", "batchRequestId": "r1", "input": {"key": "7"}}).encode()
    url = f"/webhooks/reapi/{TOKEN}/"
    assert post(intake_client, item, url=url, **{"X-Api-Key": "wrong"}).status_code == 401
    assert post(intake_client, item, url=url, **{"X-Api-Key": "sandbox-key"}).status_code == 200
    assert WebhookEvent.objects.get().headers.get("x-api-key") is None


# --- the cheap signal ----------------------------------------------------------------------------


class CountingRedis(redis.Redis):
    """The real test Redis, counting the commands the intake sends."""

    commands: list[str]

    def execute_command(self, *args, **options):
        self.commands.append(str(args[0]))
        return super().execute_command(*args, **options)


@pytest.fixture
def counted(rq_redis, monkeypatch, settings):
    conn = CountingRedis.from_url(settings.REDIS_URL)
    conn.commands = []
    monkeypatch.setattr(queueing, "redis_connection", lambda: conn)
    return conn


def test_each_event_after_the_first_costs_one_redis_command(
    intake_client, counted, handled, run_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(intake_client, trace_done(0)).status_code == 200
    assert counted.commands[0] == "SET"  # the flag, then the drain is queued
    assert get_queue("webhooks").get_job_ids() == ["webhook-drain"]
    counted.commands.clear()
    for n in range(1, 21):
        with django_capture_on_commit_callbacks(execute=True):
            assert post(intake_client, trace_done(n)).status_code == 200
    assert counted.commands == ["SET"] * 20
    run_worker()
    assert handled == list(range(21))
    # The drain cleared the flag as it started: the next event queues the next drain.
    with django_capture_on_commit_callbacks(execute=True):
        post(intake_client, trace_done(99))
    assert get_queue("webhooks").get_job_ids() == ["webhook-drain"]
    run_worker()
    assert handled[-1] == 99


def test_a_flag_left_without_a_drain_is_covered_by_the_sweep(
    intake_client, rq_redis, handled, run_worker, django_capture_on_commit_callbacks
):
    # An intake set the flag and died before queueing the drain (or Redis lost the job).
    rq_redis.set("leadops:step-wanted:webhook-drain", b"1", px=60_000)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(intake_client, trace_done(5)).status_code == 200
    assert get_queue("webhooks").get_job_ids() == []  # the flag was trusted
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_sweep(older_than=0) == 1
    run_worker()
    assert handled == [5]


def test_a_flag_whose_drain_cannot_be_queued_is_dropped(
    intake_client, rq_redis, handled, django_capture_on_commit_callbacks, monkeypatch
):
    """If the signalling intake could not queue a drain, the next one must try again."""
    monkeypatch.setattr(queueing, "_enqueue_now", lambda *a, **k: False)
    with django_capture_on_commit_callbacks(execute=True):
        post(intake_client, trace_done(1))
    assert not rq_redis.exists("leadops:step-wanted:webhook-drain")


@pytest.mark.django_db(transaction=True)
def test_a_burst_is_all_processed_by_a_real_worker(intake_client, rq_redis, settings, tmp_path):
    """Events arriving before and while a real (forking) worker drains are all handled,
    without the sweep: no flag is left standing while events wait."""
    settings.WEBHOOK_STALE_SECONDS = 120  # a stuck flag would outlast the wait below
    kinds = [json.dumps({"id": n, "type": "bench_noise"}).encode() for n in range(300)]
    for body in kinds[:100]:
        assert post(intake_client, body).status_code == 200
    with rq_worker(log=tmp_path / "worker.log", name="burst"):
        for body in kinds[100:]:
            assert post(intake_client, body).status_code == 200
            time.sleep(0.002)
        wait_until(
            lambda: not WebhookEvent.objects.filter(status=EventStatus.PENDING).exists(),
            timeout=60,
            what="every event handled",
        )
    assert WebhookEvent.objects.filter(status=EventStatus.IGNORED).count() == 300


# --- through a real server -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["web", "webhooks"])
def test_gunicorn_conf_serves_webhooks_lean_and_pages_in_full(tmp_path, role):
    """gunicorn.conf.py with leadops.wsgi, in both roles (web: sync workers; webhooks:
    gthread, keep-alive): `/webhooks/` answers carry no page headers (CSP), pages still do;
    the token is in no log line."""
    secret = "s3cret-Token-lean-9d1"
    port = _free_port()
    env = {
        **process_env(),
        "DEBUG": "true",
        "WEBHOOK_TOKEN": secret,
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ROLE": role,
    }
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--access-logfile", "-"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=30, what="gunicorn")
        with httpx.Client(base_url=base, timeout=5) as client:
            refused = client.post(f"/webhooks/tracerfy/{secret}/", content=b"not json")
            again = client.get(f"/webhooks/tracerfy/{secret}/")
            page = client.get("/healthz")
        assert (refused.status_code, again.status_code) == (400, 405)
        assert refused.json() == {"error": "body is not JSON"}
        # Kept alive for the provider's next event by the webhooks role only.
        assert (refused.headers["connection"] == "close") is (role == "web")
        assert "content-security-policy" not in refused.headers
        assert refused.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" in page.headers
        wait_until(lambda: 'HTTP/1.1" 405' in log.read_text(), timeout=10, what="access line")
    finally:
        server.terminate()
        server.wait(timeout=10)
    output = log.read_text()
    assert '"POST /webhooks/tracerfy/***/ HTTP/1.1" 400' in output
    assert secret not in output


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_full_stack_route_still_answers_for_reverse(client):
    """reverse() names the intake URL (Settings shows it); the full stack still serves it."""
    assert reverse("webhooks:receive", args=["tracerfy", TOKEN]) == URL
    assert client.get(URL).status_code == 405


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_is_stored_when_the_kept_database_connection_died(intake_client, caplog):
    """The intake skips Django's per-request health check (a SELECT 1 per event): a kept
    connection that died is replaced and the event stored all the same, once."""
    import psycopg
    from django.db import connection

    from tests.support.workers import database_url

    assert post(intake_client, trace_done(1)).status_code == 200
    pid = connection.connection.info.backend_pid
    with psycopg.connect(database_url(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_until(lambda: not _backend_alive(pid), timeout=10, what="the backend gone")
    assert post(intake_client, trace_done(2)).status_code == 200
    assert sorted(WebhookEvent.objects.values_list("dedupe_key", flat=True)) == [
        "tracerfy:trace:1:done",
        "tracerfy:trace:2:done",
    ]
    assert "the database connection was dead" in caplog.text


def _backend_alive(pid: int) -> bool:
    import psycopg

    from tests.support.workers import database_url

    with psycopg.connect(database_url(), autocommit=True) as other:
        return other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
