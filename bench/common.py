"""Shared set-up for benchmarks: a PostgreSQL database of their own, Redis, Django."""

import os
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def bench_database():
    """A fresh PostgreSQL database for one benchmark, dropped afterwards.

    BENCH_PG_URL names the server (default: local postgres, trust auth).
    """
    import psycopg

    admin_url = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
    name = f"leadops_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(database_url: str, redis_url: str | None = None) -> None:
    os.environ["DATABASE_URL"] = database_url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_redis_url() -> str:
    """REDIS_URL if set, else a private embedded redis-server for this benchmark run."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    from leadops.devserver import start_test_redis

    return start_test_redis(ROOT / "var" / "bench-redis")


# `make bench-smoke` (BENCH_SMOKE=1): every bench at small sizes, so none can rot; its figures
# are printed but mean nothing against the targets.
SMOKE = os.environ.get("BENCH_SMOKE") == "1"


def size(env: str, full: int, smoke: int) -> int:
    """A bench's size: the environment's `env` if set, else `smoke` in a smoke run, else `full`."""
    return int(os.environ.get(env) or (smoke if SMOKE else full))


def check(
    value: float, *, unit: str, under: float | None = None, at_least: float | None = None
) -> dict:
    """One reported figure against its target, the shape every bench uses:
    ``{"value": 1.43, "unit": "s", "target": "< 2", "pass": true}``."""
    if (under is None) == (at_least is None):
        raise ValueError("a target is either `under` or `at_least`")
    if under is not None:
        target, ok = f"< {under:g}", value < under
    else:
        target, ok = f">= {at_least:g}", value >= at_least
    return {"value": value, "unit": unit, "target": target, "pass": bool(ok)}


def emit(result: dict) -> None:
    """Print a bench's result as JSON. Its ``figures`` (name -> :func:`check`) are what
    `python -m bench` reports; the bench passes when every figure does."""
    import json

    figures = result.get("figures")
    if figures is not None:
        result["pass"] = all(f["pass"] for f in figures.values())
    print(json.dumps(result, indent=2), flush=True)


def python() -> str:
    return sys.executable


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, **kwargs)


def staff_team(name: str = "Bench", username: str = "bench"):
    """A new team and a staff member of it: who every bench acts as. Returns (team, user)."""
    from leadops.accounts.models import Membership, Role, Team
    from tests.factories import UserFactory

    team = Team.objects.create(name=name)
    user = UserFactory(username=username)
    Membership.objects.create(user=user, team=team, role=Role.STAFF)
    return team, user


def stored_import(*, team, user, rows: int):
    """A stored trace import of `rows` Austin addresses (1000 MAIN ST, 1001 MAIN ST, ...)."""
    from leadops.imports.models import ImportBatch, ImportRecord

    batch = ImportBatch.objects.create(
        team=team,
        created_by=user,
        filename="bench.csv",
        kind="csv",
        headers=[],
        job_type="trace_normal",
        status="stored",
        unique_records=rows,
    )
    ImportRecord.objects.bulk_create(
        [
            ImportRecord(
                batch=batch,
                line=n + 2,
                values={
                    "property_address": f"{1000 + n} MAIN ST",
                    "property_city": "AUSTIN",
                    "property_state": "TX",
                    "property_zip": "78701",
                },
            )
            for n in range(rows)
        ],
        batch_size=5000,
    )
    return batch
