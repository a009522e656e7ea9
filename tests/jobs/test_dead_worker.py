"""A step whose worker was killed is queued again at once, not after RQ's own maintenance.

The worker is a real `manage.py rqworker` process running a real step that blocks; the test
kills it (and its work horse) with SIGKILL, as an operator or the OOM killer would.
"""

from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from leadops.jobs.queueing import _enqueue_now, get_queue
from leadops.waiting import wait_until
from tests.support.workers import kill_hard, rq_worker

pytestmark = pytest.mark.django_db(transaction=True)

STEP = "time.sleep"


def _status(job_id, rq_redis):
    return Job.fetch(job_id, connection=rq_redis).get_status(refresh=True)


def test_a_step_whose_worker_was_killed_is_queued_again(rq_redis, tmp_path, caplog):
    _enqueue_now(STEP, (60,), job_id="step-7", queue="default", delay=None)
    with rq_worker(log=tmp_path / "worker.log", name="doomed") as worker:
        wait_until(
            lambda: _status("step-7", rq_redis) == JobStatus.STARTED,
            timeout=30,
            what="the worker to start the step",
        )
        # While the worker lives, queueing the step again is refused: it is running.
        _enqueue_now(STEP, (60,), job_id="step-7", queue="default", delay=None)
        assert _status("step-7", rq_redis) == JobStatus.STARTED
        assert "already queued or running" in caplog.text
        kill_hard(worker)

    # RQ still believes it runs (its heartbeat has not expired) ...
    assert _status("step-7", rq_redis) == JobStatus.STARTED
    _enqueue_now(STEP, (0,), job_id="step-7", queue="default", delay=None)
    # ... but the worker is gone, so the step is queued afresh, ready for the next worker.
    assert _status("step-7", rq_redis) == JobStatus.QUEUED
    assert get_queue("default").get_job_ids() == ["step-7"]
    assert "is no longer running; queueing it again" in caplog.text


def test_a_delayed_step_no_scheduler_queued_is_queued_when_asked_again(rq_redis, caplog):
    _enqueue_now(STEP, (0,), job_id="step-8", queue="default", delay=60)
    assert _status("step-8", rq_redis) == JobStatus.SCHEDULED
    # Asked again before it is due: it waits for its time, as scheduled.
    _enqueue_now(STEP, (0,), job_id="step-8", queue="default", delay=None)
    assert _status("step-8", rq_redis) == JobStatus.SCHEDULED
    # Its time passed two minutes ago and no scheduler (a worker --with-scheduler) moved it.
    job = Job.fetch("step-8", connection=rq_redis)
    ScheduledJobRegistry("default", connection=rq_redis).schedule(
        job, datetime.now(UTC) - timedelta(seconds=120)
    )
    _enqueue_now(STEP, (0,), job_id="step-8", queue="default", delay=None)
    assert _status("step-8", rq_redis) == JobStatus.QUEUED
    assert get_queue("default").get_job_ids() == ["step-8"]
    assert "no scheduler queued it; queueing it now" in caplog.text
