"""Issue 12: a web host and a worker host that share only PostgreSQL and Redis.

The web app (gunicorn) and an RQ worker (``manage.py rqworker``) run as separate processes,
each in its own working directory with its own ``MEDIA_ROOT``, as two machines would. A
20,000-row upload goes in over HTTP on host A, is cleaned and stored by the worker on host
B (it reads the file from the database), and a Tracerfy trace of it runs to completion
against the provider sandbox. Neither host's media folder ever holds the upload.

PostgreSQL only: the processes share the test database pytest-django created, which this
test's transactional data is committed to. About 25 s on a 2-core machine.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import django_rq
import httpx
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from rq.job import Job

from leadops.credits import services as credits
from leadops.imports.models import ImportBatch, ImportStatus, StoredUpload
from leadops.jobs.models import JobStatus
from leadops.waiting import wait_until
from tests.support.forms import submit_token
from tests.support.rows import OWNER_HEADER, owner_rows, stored_files, table_csv
from tests.support.sandbox import reapi_url, tracerfy_url
from traces.models import TraceJob, TraceResult

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000
WORKER_NAME = "host-b-worker"
PASSWORD = "two-hosts-password"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database (``test_<name>``) as a URL the child processes can use."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Host:
    """One machine: its own working directory, media folder and log, running one process."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self.cwd = root / name
        self.media = self.cwd / "media"
        self.media.mkdir(parents=True)
        self.log = self.cwd / "process.log"
        self.process: subprocess.Popen | None = None

    def start(self, command: list[str], env: dict[str, str]) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env={**env, "MEDIA_ROOT": str(self.media)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # stop() ends its children too (pool, work horse)
            )

    def running(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited ({self.process.returncode}):\n{self.tail()}")
        return True

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def shared_env(*, sandbox, web_url: str) -> dict[str, str]:
    """What both hosts are configured with: the shared database, Redis and providers."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not key.startswith(("DATABASE_", "REDIS_", "MEDIA_", "UPLOAD", "TRACERFY_", "REAPI_"))
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "leadops.settings",
        "PYTHONUNBUFFERED": "1",
        "DEBUG": "true",
        "SECRET_KEY": "two-hosts-test-secret-key",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "UPLOAD_STORAGE": "database",
        "PROVIDER_MODE": "sandbox",
        "SANDBOX_URL": sandbox.base_url,
        "TRACERFY_BASE_URL": tracerfy_url(sandbox),
        "REAPI_BASE_URL": reapi_url(sandbox),
        # No webhooks in this test (the sandbox has no webhook URL): the worker polls.
        "WEBHOOK_TOKEN": settings.WEBHOOK_TOKEN,
        "PUBLIC_BASE_URL": web_url,
    }


@contextmanager
def two_hosts(tmp_path: Path, *, sandbox) -> Iterator[tuple[Host, Host, str]]:
    port = free_port()
    web_url = f"http://127.0.0.1:{port}"
    env = shared_env(sandbox=sandbox, web_url=web_url)
    web, worker = Host(tmp_path, "host-a"), Host(tmp_path, "host-b")
    try:
        web.start(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "leadops.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=2",
                "--timeout=120",
                "--no-control-socket",  # a per-user socket other test runs would share
            ],
            env,
        )
        worker.start(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "rqworker",
                "high",
                "default",
                "low",
                "--with-scheduler",
                f"--name={WORKER_NAME}",
            ],
            env,
        )

        def web_answers() -> bool:
            web.running() and worker.running()
            try:
                return httpx.get(f"{web_url}/login/", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(web_answers, timeout=60, what="the web host to answer")
        yield web, worker, web_url
    finally:
        web.stop()
        worker.stop()


def log_in(client: httpx.Client, username: str) -> None:
    client.get("/login/").raise_for_status()
    response = client.post(
        "/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 302, response.text[:2000]


def post(client: httpx.Client, path: str, data: dict, **kwargs) -> httpx.Response:
    """A form POST with the CSRF token; the answer must be a redirect (the form was taken)."""
    response = client.post(
        path, data={**data, "csrfmiddlewaretoken": client.cookies["csrftoken"]}, **kwargs
    )
    assert response.status_code == 302, response.text[:3000]
    return response


def test_upload_on_one_host_is_stored_and_traced_by_a_worker_on_another(
    tmp_path, sandbox, staff, rq_redis
):
    # The hosts run the production settings, whose hashers do not include the tests' fast one.
    staff.password = PBKDF2PasswordHasher().encode(PASSWORD, "twohostsalt", iterations=1000)
    staff.save(update_fields=["password"])
    credits.grant(
        wallet=staff.wallet, amount=ROWS, actor=None, reason="two hosts", idempotency_key="2h"
    )
    body = table_csv([OWNER_HEADER, *owner_rows(ROWS)])

    with two_hosts(tmp_path, sandbox=sandbox) as (web, worker, web_url):
        alive = lambda: web.running() and worker.running()  # noqa: E731
        with httpx.Client(base_url=web_url, timeout=60) as client:
            log_in(client, staff.username)

            # Host A: upload and map. Over 5,000 rows, so the store is queued for a worker.
            uploaded = post(
                client,
                "/imports/",
                {"job_type": "trace_normal"},
                files={"file": ("owners.csv", body, "text/csv")},
            )
            batch_id = int(
                re.fullmatch(r"/imports/(\d+)/mapping/", uploaded.headers["location"])[1]
            )
            batch = ImportBatch.objects.get(pk=batch_id)
            assert (batch.rows_read, batch.file_size) == (ROWS, len(body))
            post(
                client,
                f"/imports/{batch_id}/mapping/",
                {
                    "job_type": "trace_normal",
                    **{f"col_{i}": batch.mapping[h] for i, h in enumerate(batch.headers)},
                },
            )

            # Host B's worker stores it: the file comes from the database, not a disk.
            def stored() -> bool:
                alive()
                return client.get(f"/imports/{batch_id}/progress/").status_code == 204

            wait_until(stored, timeout=120, what="the worker to store the import")
            batch.refresh_from_db()
            assert batch.status == ImportStatus.STORED, batch.reject_message
            assert batch.unique_records == ROWS
            store_job = Job.fetch(f"import-store-{batch_id}", connection=django_rq.get_connection())
            assert (store_job.get_status(), store_job.worker_name) == ("finished", WORKER_NAME)

            # Host A: the cost preview and the trace; host B submits, polls and ingests.
            preview = client.get(f"/traces/new/{batch_id}/")
            assert preview.status_code == 200
            expected = re.search(r'name="expected_credits" value="(\d+)"', preview.text)[1]
            assert int(expected) == ROWS  # a normal trace: 1 credit a record, none reused
            started = post(
                client,
                f"/traces/new/{batch_id}/",
                {
                    "provider": "tracerfy",
                    "trace_type": "normal",
                    "expected_credits": expected,
                    "submit_token": submit_token(preview.text),
                },
            )
            job_id = int(re.fullmatch(r"/traces/(\d+)/", started.headers["location"])[1])

            def finished() -> TraceJob | None:
                alive()
                job = TraceJob.objects.get(pk=job_id)
                return job if job.is_terminal else None

            try:
                job = wait_until(finished, timeout=180, what="the trace to finish")
            except TimeoutError as exc:
                raise AssertionError(f"{exc}\nworker log:\n{worker.tail()}") from None

    assert job.status == JobStatus.COMPLETE, f"{job.error_message}\n{worker.tail()}"
    assert TraceResult.objects.filter(job=job).count() == ROWS
    assert TraceResult.objects.filter(job=job, record__isnull=True).count() == 0
    # The upload lived in the shared database only: neither host's media folder has it.
    assert StoredUpload.objects.get(name=batch.file.name).size == len(body)
    assert stored_files(web.media) == []
    assert stored_files(worker.media) == []
