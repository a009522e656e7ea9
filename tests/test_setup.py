"""Settings, start-up checks and the demo seed."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from leadops.credits.models import CreditEntry

ROOT = Path(__file__).resolve().parent.parent


def run_module(args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_module(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY="x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="leadops.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="redis://127.0.0.1:6379/0",
        PROVIDER_MODE="live",
        TRACERFY_API_KEY="k",
        REAPI_API_KEY="k",
        CRM_ENABLED="true",
        CRM_API_KEY="k",
        CRM_API_SECRET="s",
        CRM_BASE_URL="https://crm.example.com/v1/",
        WEBHOOK_TOKEN="t" * 32,
        PUBLIC_BASE_URL="https://leadops.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


LIVE = {
    "PROVIDER_MODE": "live",
    "TRACERFY_API_KEY": "k",
    "REAPI_API_KEY": "k",
}
PRINT_CRM = (
    "import django;django.setup();from django.conf import settings as s;"
    "print(s.CRM_ENABLED, repr(s.CRM_BASE_URL), repr(s.CRM_API_KEY))"
)


def test_live_mode_runs_without_the_optional_crm(tmp_path):
    result = run_module(
        ["-c", PRINT_CRM],
        DJANGO_SETTINGS_MODULE="leadops.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **LIVE,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False '' ''"


def test_live_mode_with_the_crm_enabled_demands_its_secrets(tmp_path):
    result = run_module(
        ["-c", PRINT_CRM],
        DJANGO_SETTINGS_MODULE="leadops.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CRM_ENABLED="true",
        CRM_BASE_URL="https://crm.example.com/v1/",
        **LIVE,
    )
    assert result.returncode != 0
    assert "Set the CRM_API_KEY environment variable (or CRM_API_KEY_FILE)." in result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = run_module(
        ["manage.py", "check"],
        DEBUG="false",
        SECRET_KEY="",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable (or SECRET_KEY_FILE)." in result.stderr


def test_secret_readable_from_file(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    result = run_module(
        [
            "-c",
            "import django,os;django.setup();from django.conf import settings;"
            "print(settings.TRACERFY_API_KEY)",
        ],
        DJANGO_SETTINGS_MODULE="leadops.settings",
        TRACERFY_API_KEY_FILE=str(secret),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.stdout.strip() == "from-a-file", result.stderr


def test_preflight_names_a_taken_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_module(
            ["-m", "leadops.devserver", "preflight"],
            WEB_PORT=str(port),
            SANDBOX_PORT="0",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"LeadOps cannot start: port {port} on 127.0.0.1 is already in use, so the web process "
        f"cannot start (is another `make run` still running? `lsof -i :{port}` shows who)"
    ]


def test_preflight_names_an_unreachable_database():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    result = run_module(
        ["-m", "leadops.devserver", "preflight"],
        WEB_PORT="0",
        SANDBOX_PORT="0",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{dead_port}/nothing",
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "LeadOps cannot start: the database is unreachable (postgresql)"
    )
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.django_db
def test_seed_demo_is_safe_to_run_twice(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert "Created demo user 'admin'" in first
    assert "Created demo user 'staff'" in first
    assert "already exist" in second
    grant = CreditEntry.objects.get()
    assert grant.amount == 5000
    assert grant.wallet.user.username == "staff"


@pytest.mark.django_db
def test_seed_demo_prints_the_real_web_port(capsys, monkeypatch):
    monkeypatch.setenv("WEB_PORT", "8123")
    call_command("seed_demo")
    assert "Log in at http://127.0.0.1:8123/ as admin" in capsys.readouterr().out
    monkeypatch.delenv("WEB_PORT")
    call_command("seed_demo")
    assert "Log in at http://127.0.0.1:8000/ as admin" in capsys.readouterr().out
