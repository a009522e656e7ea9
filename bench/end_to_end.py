"""A 10,000-row skip trace from upload to exported results, by stage, as deployed: the web
app under gunicorn (it receives the provider's webhook), one real RQ worker process (with
its scheduler), and the provider sandbox in its own process at full speed, all on a fresh
PostgreSQL database. Target: under 20 s from the upload to the last byte of the export.

Stages (each timed from this process, or read from the job's own timestamps):

- **upload**: ``import_upload`` streams the CSV to disk, reads every row and auto-maps it;
- **store**: ``import_set_mapping`` + ``import_store`` (read, clean, dedupe, COPY);
- **cost preview**: ``trace_estimate`` (what the preview page shows);
- **submit**: ``trace_job_submit`` (credits held, the step queued) — the click;
- **worker pickup**: queued → the worker starts the submit step;
- **provider submit**: the worker sends the records (``submit_started_at`` → ``submitted_at``);
- **provider processing**: submitted → the sandbox's completion webhook stored by the web app;
- **results stored**: the webhook → the job complete (the drain, the download, the ingest);
- **export**: the job's full CSV export, streamed to the end (the download the user makes).

Records: the tests' owner rows (tests.support.rows: address, owner and mailing address). Sizes:
BENCH_E2E_ROWS (10,000; smoke 200).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime

from bench.common import (
    ROOT,
    bench_database,
    bench_redis_url,
    check,
    emit,
    free_port,
    setup_django,
    size,
    staff_team,
)

ROWS = size("BENCH_E2E_ROWS", 10_000, 200)
TARGET_SECONDS = 20.0
TOKEN = "bench-e2e-token"


@contextmanager
def process(args: list[str], env: dict[str, str], log_name: str):
    log_path = ROOT / "var" / "bench" / log_name
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    import httpx

    from leadops.sandbox.testing import run_sandbox_process
    from leadops.waiting import wait_until

    redis_url = bench_redis_url()
    web_port = free_port()
    web = f"http://127.0.0.1:{web_port}"
    sandbox_env = {"SANDBOX_SPEED": "1000", "SANDBOX_WEBHOOK_RATE": "5000"}
    with bench_database() as db_url, run_sandbox_process(sandbox_env) as sandbox:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "leadops.settings",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "SANDBOX_URL": sandbox,
            "PUBLIC_BASE_URL": web,
            "WEBHOOK_TOKEN": TOKEN,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        os.environ.update(env)
        setup_django(db_url, redis_url)
        httpx.post(
            f"{sandbox}/_sandbox/webhook-url",
            json={"url": f"{web}/webhooks/tracerfy/{TOKEN}/"},
            timeout=10,
        ).raise_for_status()
        gunicorn = [sys.executable, "-m", "gunicorn", "leadops.wsgi", "-b", f"127.0.0.1:{web_port}"]
        worker = [
            sys.executable,
            "manage.py",
            "rqworker",
            "high",
            "default",
            "webhooks",
            "low",
            "--with-scheduler",
        ]
        with (
            process([*gunicorn, "-w", "2", "--log-level", "warning"], env, "e2e-web.log"),
            process(worker, env, "e2e-worker.log"),
        ):
            wait_until(lambda: _answers(f"{web}/login/"), timeout=30, what="gunicorn")
            emit(measure(ROWS))


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def measure(rows: int) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from leadops.credits import services as credits
    from leadops.imports import services as imports
    from leadops.jobs.models import FINISHED, JobStatus
    from leadops.waiting import wait_until
    from leadops.webhooks.models import WebhookEvent
    from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
    from traces import selectors
    from traces.models import TraceJob
    from traces.services import trace_estimate, trace_job_submit

    team, user = staff_team("Bench e2e", "bench-e2e")
    credits.grant(
        wallet=credits.wallet_for(user=user, team=team),
        amount=10 * rows + 1000,
        actor=None,
        reason="bench",
        idempotency_key="bench-e2e",
    )
    body = table_csv([OWNER_HEADER, *owner_rows(rows)])
    stages: dict[str, float] = {}
    began = time.perf_counter()

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - since, 3)
        return now

    t = time.perf_counter()
    upload = SimpleUploadedFile("county-export.csv", body, content_type="text/csv")
    batch = imports.import_upload(
        team=team, user=user, uploaded_file=upload, job_type="trace_normal"
    )
    t = lap("upload", t)
    batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_normal")
    batch = imports.import_store(batch=batch)
    t = lap("store", t)
    estimate = trace_estimate(batch=batch, trace_type="normal", user=user, provider="tracerfy")
    t = lap("cost_preview", t)
    job = trace_job_submit(
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        user=user,
        seen_credits=estimate.total_credits,
    )
    clicked_at = datetime.now().astimezone()
    t = lap("submit", t)

    def finished() -> bool:
        return TraceJob.objects.filter(pk=job.pk, status__in=FINISHED).exists()

    wait_until(finished, timeout=300, interval=0.05, what="the trace to finish")
    t = lap("worker_to_results_stored", t)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETE, (job.status, job.error_message)
    headers, export_rows = selectors.export_rows(job=job, results=selectors.trace_results(job=job))
    from leadops.exports import iter_csv

    exported = sum(len(chunk) for chunk in iter_csv(headers, export_rows))
    lap("export", t)
    total = time.perf_counter() - began

    webhook = WebhookEvent.objects.filter(ref=job.provider_ref).order_by("received_at").first()
    seconds = lambda a, b: round((b - a).total_seconds(), 3) if a and b else None  # noqa: E731
    worker = {
        "worker_pickup": seconds(clicked_at, job.submit_started_at),
        "provider_submit": seconds(job.submit_started_at, job.submitted_at),
        "provider_processing_to_webhook": seconds(
            job.submitted_at, webhook.received_at if webhook else None
        ),
        "webhook_to_results_stored": seconds(
            webhook.received_at if webhook else None, job.completed_at
        ),
    }
    return {
        "benchmark": "end_to_end",
        "figures": {
            "upload_to_export_seconds": check(round(total, 2), unit="s", under=TARGET_SECONDS)
        },
        "database": f"PostgreSQL {connection.pg_version // 10000}",
        "rows": rows,
        "records_sent": job.records_sent if hasattr(job, "records_sent") else None,
        "hits": job.hits,
        "results_via": "webhook" if webhook else "polling",
        "export_bytes": exported,
        "stages_seconds": stages,
        "worker_stages_seconds": worker,
        "setup": "gunicorn 2 sync workers, 1 RQ worker with scheduler, sandbox process at "
        "SANDBOX_SPEED=1000; import, preview and submit called as the views call them",
    }


if __name__ == "__main__":
    main()
