"""Real RQ worker processes for tests that kill them: started as subprocesses against the test
database and the test Redis, and killed the way an operator or the kernel would (`kill -9`
of the worker and of the work horse it forked for the current job)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this test runs on (the test database pytest-django made)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        host = db.get("HOST") or "127.0.0.1"
        return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def process_env(**overrides: object) -> dict[str, str]:
    """What a LeadOps process on another host would be configured with, pointing at this
    test's database, Redis and provider URLs; `overrides` win (JOB_STUCK_AFTER_SECONDS=...)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leadops.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "TRACERFY_BASE_URL": settings.TRACERFY_BASE_URL,
        "REAPI_BASE_URL": settings.REAPI_BASE_URL,
        "CRM_BASE_URL": settings.CRM_BASE_URL,
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "WEBHOOK_TOKEN": settings.WEBHOOK_TOKEN,
        "JOB_RECONCILE_DELAY": str(settings.JOB_RECONCILE_DELAY),
        "PYTHONUNBUFFERED": "1",
    }
    env.update({name: str(value) for name, value in overrides.items()})
    return env


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(entry.name))
    return kids


def kill_hard(proc: subprocess.Popen) -> None:
    """`kill -9` the process and everything it forked (RQ's work horse runs in its own
    process group, so killing the worker's group alone would leave it running)."""
    for pid in [*_children(proc.pid), proc.pid]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)


@contextmanager
def manage_process(*args: str, log: Path, **env: object) -> Iterator[subprocess.Popen]:
    """`manage.py <args>` as a subprocess (output to `log`), stopped when the block ends."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=process_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            kill_hard(proc)


def rq_worker(*, log: Path, name: str, **env: object):
    """The worker as the Procfile runs it (forking, every queue, most urgent first, with
    RQ's scheduler for delayed steps)."""
    return manage_process(
        "rqworker",
        "high",
        "default",
        "webhooks",
        "low",
        "--with-scheduler",
        "--name",
        name,
        log=log,
        **env,
    )
