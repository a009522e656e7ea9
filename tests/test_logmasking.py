"""The webhook token never reaches a log line: runserver's and gunicorn's access lines and
django.request's warnings show `/webhooks/<provider>/***/` (leadops/logmasking.py)."""

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.urls import reverse

from leadops.logmasking import mask_secrets
from leadops.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-webhook-token"  # settings_test.WEBHOOK_TOKEN
SECRET = "s3cret-Token-for-logs-7f2c"  # the token of the server processes below


def test_mask_secrets_hides_the_path_segment_and_the_token_anywhere(settings):
    settings.WEBHOOK_TOKEN = SECRET
    assert mask_secrets(f'"POST /webhooks/tracerfy/{SECRET}/ HTTP/1.1" 200 0') == (
        '"POST /webhooks/tracerfy/***/ HTTP/1.1" 200 0'
    )
    assert mask_secrets("/webhooks/reapi/a-wrong-guess/?x=1") == "/webhooks/reapi/***/?x=1"
    assert mask_secrets(f"url was https://h/x?t={SECRET}") == "url was https://h/x?t=***"
    assert mask_secrets("GET /traces/12/ HTTP/1.1") == "GET /traces/12/ HTTP/1.1"


@pytest.mark.django_db
def test_django_request_warnings_carry_no_token(client, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    url = reverse("webhooks:receive", args=["tracerfy", TOKEN])
    assert client.post(url, data=b"not json", content_type="application/json").status_code == 400
    assert client.get(url).status_code == 405
    lines = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert "Bad Request: /webhooks/tracerfy/***/" in lines
    assert "Method Not Allowed (GET): /webhooks/tracerfy/***/" in lines
    assert TOKEN not in caplog.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_and_hit(command: list[str], port: int, tmp_path: Path) -> str:
    """Start a real web process, send a webhook it refuses (no database needed), return what it
    logged."""
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leadops.settings",
        "DEBUG": "true",
        "WEBHOOK_TOKEN": SECRET,
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"

            def up() -> bool:
                try:
                    return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(up, timeout=30, what="the web process")
            url = f"{base}/webhooks/tracerfy/{SECRET}/"
            assert httpx.post(url, content=b"not json", timeout=5).status_code == 400
            # The access line is written after the response is sent: wait for it.
            wait_until(
                lambda: 'HTTP/1.1" 400' in log.read_text(), timeout=10, what="the access line"
            )
        finally:
            process.terminate()
            process.wait(timeout=10)
    return log.read_text()


def test_runserver_access_lines_carry_no_token(tmp_path):
    port = _free_port()
    output = _serve_and_hit(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        port,
        tmp_path,
    )
    assert '"POST /webhooks/tracerfy/***/ HTTP/1.1" 400' in output
    assert "Bad Request: /webhooks/tracerfy/***/" in output
    assert SECRET not in output


def test_gunicorn_access_log_carries_no_token(tmp_path):
    port = _free_port()
    output = _serve_and_hit(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "leadops.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--access-logfile",
            "-",
            "--logger-class",
            "leadops.logmasking.GunicornLogger",
        ],
        port,
        tmp_path,
    )
    assert '"POST /webhooks/tracerfy/***/ HTTP/1.1" 400' in output
    assert SECRET not in output
