"""Enqueue RQ steps after the surrounding transaction commits, under ids we choose.

django-rq 4 defers enqueueing to commit and then returns None inside atomic(), so we choose
the job id ourselves (`trace-submit-42`) and enqueue with unique=True: the same step is never
queued twice at once. A finished or failed RQ job with the same id is cleared first, so a
step can be run again later (a second poll, a retried submit).
"""

import functools
import logging
from collections.abc import Callable
from datetime import timedelta

import django_rq
import redis
from django.conf import settings
from django.db import transaction
from rq.callbacks import Callback
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)

_DONE = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED}


@functools.cache
def redis_connection() -> redis.Redis:
    """One connection pool per process (redis-py resets it after a fork).

    django_rq.get_queue() builds a new client, and so a new connection, on every call: at
    webhook rates that doubled the intake latency.
    """
    return redis.Redis.from_url(settings.REDIS_URL)


def get_queue(name: str):
    return django_rq.get_queue(name, connection=redis_connection(), commit_mode="auto")


def _enqueue_now(
    func: Callable | str,
    args: tuple,
    *,
    job_id: str,
    queue: str,
    delay: float | None,
    on_failure: Callable | None = None,
) -> None:
    q = get_queue(queue)
    options = {"job_id": job_id, "unique": True}
    if on_failure is not None:
        options["on_failure"] = Callback(on_failure)
    for _attempt in range(2):
        try:
            if delay:
                q.enqueue_in(timedelta(seconds=delay), func, *args, **options)
            else:
                q.enqueue_call(func, args=args, **options)
            return
        except DuplicateJobError:
            existing = Job.fetch(job_id, connection=q.connection)
            if existing.get_status(refresh=True) not in _DONE:
                log.info("step %s is already queued or running", job_id)
                return
            existing.delete()


def enqueue_step(
    func: Callable | str,
    *args,
    job_id: str,
    queue: str = "default",
    delay: float | None = None,
    on_failure: Callable | None = None,
) -> None:
    """Queue `func(*args)` as `job_id` once the current transaction (if any) commits.

    `on_failure(rq_job, connection, exc_type, exc_value, traceback)` runs if it crashes.
    """
    transaction.on_commit(
        lambda: _enqueue_now(
            func, args, job_id=job_id, queue=queue, delay=delay, on_failure=on_failure
        )
    )
