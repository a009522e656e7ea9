"""`kill -9` of the worker in the middle of ingesting a 20,000-row trace.

Real processes, as `make run` has them: `manage.py rqworker` (forking) and
`manage.py reconcile_cron`, against the test database, the test Redis and the sandbox. The
job must complete with exactly one result per record, and the ingest must start again
within JOB_STUCK_AFTER_SECONDS plus one sweep of the kill, however long RQ itself would take
to notice its dead worker.
"""

import time
from datetime import UTC, datetime

import pytest
from django.db.models import Count
from rq.job import Job, JobStatus

from leadops.credits import services as credits
from leadops.waiting import wait_until
from tests.support.jobs import assert_credits_balance
from tests.support.rows import owner_rows
from tests.support.workers import kill_hard, manage_process, rq_worker
from traces import services
from traces.models import TraceJob, TraceResult

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 20_000
STUCK_AFTER = 4  # JOB_STUCK_AFTER_SECONDS for these processes
SWEEP_EVERY = 2  # JOB_RECONCILE_EVERY
INGEST_HOLD_MS = 5000  # the sandbox holds the results download this long: the kill lands inside


def _log_tail(path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


def test_a_worker_killed_mid_ingest_loses_and_doubles_nothing(
    stored_batch, staff, sandbox, settings, rq_redis, tmp_path
):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    credits.grant(wallet=staff.wallet, amount=ROWS, actor=None, reason="t", idempotency_key="k9")
    batch = stored_batch(owner_rows(ROWS))
    sandbox.control.faults(latency_ms=INGEST_HOLD_MS, paths=["/tracerfy/v1/api/queue/"])
    job = services.trace_job_create(batch=batch, trace_type="normal", user=staff)
    ingest_id = f"trace-ingest-{job.pk}"
    env = {"JOB_STUCK_AFTER_SECONDS": STUCK_AFTER, "JOB_RECONCILE_EVERY": SWEEP_EVERY}
    first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"

    with manage_process("reconcile_cron", log=tmp_path / "cron.log", **env):
        with rq_worker(log=first_log, name="first", **env) as first:

            def ingesting():
                return (
                    rq_redis.exists(f"rq:job:{ingest_id}")
                    and Job.fetch(ingest_id, connection=rq_redis).get_status(refresh=True)
                    == JobStatus.STARTED
                )

            wait_until(ingesting, timeout=120, what=f"the ingest to start\n{_log_tail(first_log)}")
            time.sleep(1.0)  # inside the results download
            kill_hard(first)
            killed_at = datetime.now(UTC)
        assert TraceJob.objects.get(pk=job.pk).status == "ingesting"
        assert not TraceResult.objects.filter(job=job).exists()
        sandbox.control.faults(latency_ms=0, paths=[])

        with rq_worker(log=second_log, name="second", **env):
            wait_until(
                lambda: TraceJob.objects.get(pk=job.pk).is_terminal,
                timeout=STUCK_AFTER + SWEEP_EVERY + 90,
                what=f"the trace to finish\n{_log_tail(second_log)}",
            )
            rerun = Job.fetch(ingest_id, connection=rq_redis)

    job.refresh_from_db()
    assert job.status == "complete", job.error_message
    results = TraceResult.objects.filter(job=job, record__isnull=False)
    assert results.count() == ROWS
    assert not results.values("record").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert job.rows_done == ROWS
    # The rerun began within JOB_STUCK_AFTER_SECONDS + one sweep (+1 s for the worker to
    # take it off the queue), not when RQ's maintenance would have noticed.
    restarted = rerun.started_at.replace(tzinfo=UTC)
    assert (restarted - killed_at).total_seconds() <= STUCK_AFTER + SWEEP_EVERY + 1
    assert_credits_balance(staff.wallet)
