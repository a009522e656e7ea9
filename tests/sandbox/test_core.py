"""Core: configuration, auth, reset, control API, faults, rate-limit windows, start-up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from leadops.sandbox.config import ConfigError, FaultSettings, SandboxConfig
from leadops.sandbox.testing import run_sandbox, wait_until
from tests.support.rows import address_rows
from tests.support.sandbox import BEARER, submit_trace, wait_queue_done

TRACERFY_ROUTES = [
    ("GET", "queues/"),
    ("GET", "queue/1"),
    ("GET", "analytics/"),
    ("POST", "trace/"),
    ("POST", "trace/lookup/"),
    ("POST", "trace/parcel/"),
    ("GET", "trace/parcel/queue/1"),
    ("POST", "trace/parcel/lookup/"),
    ("POST", "dnc/scrub/"),
    ("POST", "dnc/scrub-from-queue/"),
    ("GET", "dnc/queue/1"),
    ("POST", "dnc/lookup/"),
    ("GET", "lead-builder/filters/"),
    ("POST", "lead-builder/preview/"),
    ("POST", "lead-builder/execute/"),
    ("GET", "lead-builder/1/"),
    ("GET", "lead-builder/1/rows/"),
    ("POST", "lead-builder/lookup/"),
    ("POST", "lead-builder/autocomplete/"),
    ("POST", "lead-builder/ai-assist/"),
]


def test_config_defaults_from_empty_env():
    config = SandboxConfig.from_env({})
    assert (config.host, config.port) == ("127.0.0.1", 8765)
    assert config.tracerfy_keys == ("sandbox-key",)
    assert config.reapi_keys == ("sandbox-key",)
    assert (config.crm_username, config.crm_password) == ("sandbox-key", "sandbox-secret")
    assert config.faults == FaultSettings()


def test_config_reads_every_knob(tmp_path):
    secret = tmp_path / "crm-password"
    secret.write_text("from-file\n")
    config = SandboxConfig.from_env(
        {
            "SANDBOX_HOST": "0.0.0.0",
            "SANDBOX_PORT": "9000",
            "SANDBOX_PUBLIC_BASE_URL": "http://sandbox.test:9000",
            "SANDBOX_TRACERFY_KEY": "a,b",
            "SANDBOX_REAPI_KEY": "r",
            "SANDBOX_CRM_USERNAME": "u",
            "SANDBOX_CRM_PASSWORD_FILE": str(secret),
            "SANDBOX_SPEED": "5",
            "SANDBOX_MISS_RATE": "0.5",
            "SANDBOX_BALANCE": "42",
            "SANDBOX_WEBHOOK_URL": "http://127.0.0.1:1/hook",
            "SANDBOX_REAPI_ACK_SHAPE": "nested",
            "SANDBOX_RATE_WINDOW_SCALE": "0.0167",
            "SANDBOX_WEBHOOK_RATE": "10",
            "SANDBOX_WEBHOOK_TIMEOUT": "2",
            "SANDBOX_CRM_MAX_BYTES": "2048",
            "SANDBOX_FAULT_LATENCY_MS": "5",
            "SANDBOX_FAULT_ERROR_RATE": "0.1",
            "SANDBOX_FAULT_ERROR_STATUS": "502",
            "SANDBOX_FAULT_429_RATE": "0.2",
            "SANDBOX_FAULT_RETRY_AFTER": "7",
            "SANDBOX_FAULT_READ_TIMEOUT_RATE": "0.3",
            "SANDBOX_FAULT_READ_TIMEOUT_SECONDS": "9",
            "SANDBOX_FAULT_BUDGET": "3",
            "SANDBOX_FAULT_PATHS": "/tracerfy/,/reapi/",
            "SANDBOX_WEBHOOK_DROP_RATE": "0.4",
            "SANDBOX_WEBHOOK_DUPLICATE_RATE": "0.5",
            "SANDBOX_WEBHOOK_REORDER": "true",
            "SANDBOX_DOWNLOAD_DELAY_MS": "100",
            "SANDBOX_DOWNLOAD_BYTES_PER_SECOND": "1000",
        }
    )
    assert config.port == 9000
    assert config.tracerfy_keys == ("a", "b")
    assert config.crm_password == "from-file"
    assert config.reapi_ack_shape == "nested"
    assert config.rate_window_scale == 0.0167
    assert config.faults == FaultSettings(
        latency_ms=5, error_rate=0.1, error_status=502, rate_limit_rate=0.2,
        retry_after_seconds=7, read_timeout_rate=0.3, read_timeout_seconds=9.0, fault_budget=3,
        paths=("/tracerfy/", "/reapi/"), webhook_drop_rate=0.4, webhook_duplicate_rate=0.5,
        webhook_reorder=True, download_delay_ms=100, download_bytes_per_second=1000,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SANDBOX_PORT", "eighty"),
        ("SANDBOX_PORT", "70000"),
        ("SANDBOX_SPEED", "0"),
        ("SANDBOX_SPEED", "nan"),
        ("SANDBOX_MISS_RATE", "1.5"),
        ("SANDBOX_WEBHOOK_REORDER", "maybe"),
        ("SANDBOX_REAPI_ACK_SHAPE", "deep"),
        ("SANDBOX_FAULT_ERROR_STATUS", "404"),
        ("SANDBOX_CRM_PASSWORD_FILE", "/nonexistent/secret"),
    ],
)
def test_config_fails_loudly(name, value):
    with pytest.raises(ConfigError, match=name):
        SandboxConfig.from_env({name: value})


def test_health(sandbox):
    assert httpx.get(f"{sandbox.base_url}/_sandbox/health").json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path"), TRACERFY_ROUTES)
def test_tracerfy_requires_bearer_token(sandbox, method, path):
    url = sandbox.urls["tracerfy"] + path
    missing = httpx.request(method, url)
    assert missing.status_code == 401
    assert missing.json() == {"detail": "Authentication credentials were not provided."}
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = httpx.request(method, url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Invalid token."}


def test_reset_restores_a_clean_state(api, sandbox):
    sandbox.control.account(balance=7, suspended=True)
    sandbox.control.faults(latency_ms=1)
    sandbox.control.settings(miss_rate=0.9)
    sandbox.control.webhook_url("http://127.0.0.1:9/x")
    api.post("dnc/scrub/", json={"phones": ["5125550100"]})
    sandbox.reset()
    assert sandbox.control.account() == {
        "balance": 100_000,
        "suspended": False,
        "webhook_url": None,
    }
    assert sandbox.control.fault_state()["latency_ms"] == 0
    assert sandbox.control.settings()["miss_rate"] == 0.15
    assert api.get("dnc/queue/301").status_code == 404
    assert api.get("queues/").json() == []


@pytest.mark.parametrize(
    ("path", "payload", "message"),
    [
        ("faults", {"explode": True}, "Unknown fault knob(s): explode"),
        ("faults", {"error_rate": 2}, "error_rate must be a number between 0 and 1"),
        ("faults", {"error_status": 404}, "error_status must be an integer between 500 and 599"),
        ("faults", {"paths": "/x"}, "paths must be a list of path prefixes"),
        ("settings", {"speed": 0}, "speed must be > 0"),
        ("settings", {"colour": 1}, "Unknown setting(s): colour"),
        ("settings", {"reapi_ack_shape": "deep"}, "reapi_ack_shape must be one of flat, nested"),
        ("account", {"balance": "lots"}, "balance must be an integer"),
        ("webhook-url", {"url": "ftp://x"}, "url must be an http(s) URL or null"),
    ],
)
def test_control_api_rejects_bad_values(sandbox, path, payload, message):
    response = httpx.post(f"{sandbox.base_url}/_sandbox/{path}", json=payload)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_injected_5xx_with_budget_and_path_scope(api, sandbox):
    sandbox.control.faults(
        error_rate=1.0, error_status=502, fault_budget=2, paths=["/tracerfy/v1/api/queues"]
    )
    assert api.get("analytics/").status_code == 200  # outside the scoped paths
    first = api.get("queues/")
    assert first.status_code == 502
    assert first.json() == {"detail": "Service temporarily unavailable, try again later."}
    assert api.get("queues/").status_code == 502
    assert api.get("queues/").status_code == 200  # budget spent
    assert sandbox.control.fault_state()["fault_budget_remaining"] == 0


def test_injected_5xx_uses_documented_message(api, sandbox):
    sandbox.control.faults(error_rate=1.0)
    response = api.post("trace/lookup/", json={"address": "1 Main", "city": "A", "state": "TX"})
    assert response.status_code == 503
    assert response.json() == {
        "error": "Skip trace service temporarily unavailable. Please try again."
    }


def test_forced_429s(api, sandbox):
    sandbox.control.faults(rate_limit_rate=1.0, retry_after_seconds=17)
    response = api.get("analytics/")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "17"
    assert response.json() == {"detail": "Request was throttled. Expected available in 17 seconds."}
    reapi = httpx.post(sandbox.urls["reapi"], json={}, headers={"x-api-key": "sandbox-key"})
    assert reapi.status_code == 429
    assert reapi.json()["statusCode"] == 429


def test_added_latency(api, sandbox):
    sandbox.control.faults(latency_ms=150)
    started = time.monotonic()
    assert api.get("analytics/").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_read_timeout_still_processes_the_request(sandbox):
    sandbox.control.faults(
        read_timeout_rate=1.0, read_timeout_seconds=2, paths=["/tracerfy/v1/api/trace/"]
    )
    impatient = httpx.Client(base_url=sandbox.urls["tracerfy"], headers=BEARER, timeout=0.3)
    with impatient, pytest.raises(httpx.ReadTimeout):
        submit_trace(impatient, address_rows(3))
    with httpx.Client(base_url=sandbox.urls["tracerfy"], headers=BEARER, timeout=5) as api:
        queues = wait_until(lambda: api.get("queues/").json())
        assert len(queues) == 1
        wait_queue_done(api, queues[0]["id"])


def test_dropped_and_duplicated_webhooks(api, sandbox, receiver, account_hook):
    sandbox.control.faults(webhook_drop_rate=1.0)
    wait_queue_done(api, submit_trace(api, address_rows(1)).json()["queue_id"])
    log = wait_until(lambda: sandbox.control.webhooks()["deliveries"])
    assert log[0]["dropped"] is True
    assert receiver.calls == []
    sandbox.control.faults(webhook_drop_rate=0.0, webhook_duplicate_rate=1.0)
    queue_id = submit_trace(api, address_rows(2)).json()["queue_id"]
    wait_until(lambda: len(receiver.calls_to("/tracerfy")) == 2)
    assert [c.json()["id"] for c in receiver.calls_to("/tracerfy")] == [queue_id, queue_id]


def test_reordered_webhooks(sandbox, receiver):
    sandbox.control.faults(webhook_reorder=True)
    items = [
        {"key": i, "address": f"{i} Elm St", "city": "Austin", "state": "TX", "zip": "78701"}
        for i in range(30)
    ]
    httpx.post(
        sandbox.urls["reapi"],
        json={"skips": items, "webhook_url": receiver.url("/items")},
        headers={"x-api-key": "sandbox-key"},
    )
    wait_until(lambda: len(receiver.calls_to("/items")) == 30)
    keys = [call.json()["input"]["key"] for call in receiver.calls_to("/items")]
    assert sorted(keys) == list(range(30))
    assert keys != list(range(30))


def test_failed_webhook_is_logged_not_retried(api, sandbox, receiver, account_hook):
    receiver.status = 500
    try:
        wait_queue_done(api, submit_trace(api, address_rows(1)).json()["queue_id"])
        log = wait_until(lambda: sandbox.control.webhooks()["deliveries"])
    finally:
        receiver.status = 200
    assert len(log) == 1
    assert log[0]["status_code"] == 500
    assert len(receiver.calls) == 1


def test_webhook_to_unreachable_url_is_logged(api, sandbox):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    sandbox.control.webhook_url(f"http://127.0.0.1:{dead_port}/hook")
    wait_queue_done(api, submit_trace(api, address_rows(1)).json()["queue_id"])
    log = wait_until(lambda: sandbox.control.webhooks()["deliveries"])
    assert log[0]["status_code"] is None
    assert log[0]["error"].startswith("ConnectError")


def test_slow_downloads(api, sandbox):
    queue = wait_queue_done(api, submit_trace(api, address_rows(40)).json()["queue_id"])
    fast = httpx.get(queue["download_url"]).content
    sandbox.control.faults(download_delay_ms=100, download_bytes_per_second=20_000)
    started = time.monotonic()
    slow = httpx.get(queue["download_url"])
    elapsed = time.monotonic() - started
    assert slow.content == fast
    assert slow.headers["Content-Length"] == str(len(fast))
    assert elapsed >= 0.1 + len(fast) / 20_000 * 0.9


def test_rate_window_scale_and_per_key_limits():
    config = SandboxConfig(speed=500.0, rate_window_scale=0.005, tracerfy_keys=("k1", "k2"))
    with run_sandbox(config) as small:
        clients = {
            key: httpx.Client(
                base_url=small.urls["tracerfy"], headers={"Authorization": f"Bearer {key}"}
            )
            for key in ("k1", "k2")
        }
        try:
            for _ in range(10):
                assert submit_trace(clients["k1"], address_rows(1)).status_code == 200
            limited = submit_trace(clients["k1"], address_rows(1))
            assert limited.status_code == 429
            assert limited.headers["Retry-After"] in ("1", "2")
            assert submit_trace(clients["k2"], address_rows(1)).status_code == 200
            # the 5-minute window is 1.5 s at this scale
            wait_until(
                lambda: submit_trace(clients["k1"], address_rows(1)).status_code == 200,
                timeout=5,
                interval=0.1,
            )
        finally:
            for client in clients.values():
                client.close()


def test_configured_public_base_url_and_env_webhook(receiver):
    config = SandboxConfig(
        speed=500.0,
        public_base_url="http://sandbox.example.test:9999",
        webhook_url=receiver.url("/from-env"),
    )
    with run_sandbox(config) as other:
        with httpx.Client(base_url=other.urls["tracerfy"], headers=BEARER) as api:
            queue = wait_queue_done(api, submit_trace(api, address_rows(1)).json()["queue_id"])
        assert queue["download_url"].startswith("http://sandbox.example.test:9999/files/")
        wait_until(lambda: receiver.calls_to("/from-env"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_main_prints_base_urls_and_serves():
    port = _free_port()
    env = {
        **os.environ,
        "SANDBOX_PORT": str(port),
        "SANDBOX_HOST": "127.0.0.1",
        "SANDBOX_STATE_FILE": ":memory:",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "leadops.sandbox"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(5)]
        assert lines[0].strip() == "LeadOps provider sandbox"
        assert f"http://127.0.0.1:{port}/tracerfy/v1/api/" in lines[1]
        assert f"http://127.0.0.1:{port}/reapi/v1/SkipTraceBatch" in lines[2]
        assert f"http://127.0.0.1:{port}/crm/v1/batch" in lines[3]

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/_sandbox/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_main_refuses_bad_configuration():
    env = {**os.environ, "SANDBOX_SPEED": "fast"}
    result = subprocess.run(
        [sys.executable, "-m", "leadops.sandbox"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "SANDBOX_SPEED" in result.stderr
