"""Enqueue RQ steps after the surrounding transaction commits, under ids we choose.

django-rq 4 defers enqueueing to commit and then returns None inside atomic(), so we choose
the job id ourselves (`trace-submit-42`) and enqueue with unique=True: the same step is never
queued twice at once. A finished or failed RQ job with the same id is cleared first, so a
step can be run again later (a second poll, a retried submit).

A step whose worker died (`kill -9`, a lost host) stays "started" in RQ under its id until
RQ's own maintenance declares it abandoned, which can take many minutes. So when a step is
queued again under an id that is still "started", `_worker_gone` checks the worker: its key
expired, its heartbeat for this step expired, or (same host) its process is gone. Then the
dead run is cleared and the step queued afresh. Steps are idempotent, so even a wrong guess
(a worker on another host that shares our host name) costs a repeated run, never a double
effect.
"""

import contextlib
import functools
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import django_rq
import redis
from django.conf import settings
from django.db import transaction
from rq.callbacks import Callback
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from rq.worker import Worker

log = logging.getLogger(__name__)

# A scheduled step this late was missed by the scheduler (see _overdue).
SCHEDULER_GRACE = 30.0
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
    then_id: str | None = None,
) -> bool:
    """Queue the step now; True when a run of it is waiting to start (queued now or before),
    False when none is (only a run that started already, or the id kept being taken)."""
    q = get_queue(queue)
    options = {"job_id": job_id, "unique": True}
    if on_failure is not None:
        options["on_failure"] = Callback(on_failure)
    for _attempt in range(5):
        try:
            if delay:
                q.enqueue_in(timedelta(seconds=delay), func, *args, **options)
            else:
                q.enqueue_call(func, args=args, **options)
            return True
        except DuplicateJobError:
            try:
                existing = Job.fetch(job_id, connection=q.connection)
                status = existing.get_status(refresh=True)
            except (NoSuchJobError, InvalidJobOperation):
                continue  # another process cleared it meanwhile: try again
            if status == JobStatus.STARTED and (gone := _worker_gone(existing)):
                # delete() below also drops the dead run from the started registry.
                log.warning("step %s was running, but %s; queueing it again", job_id, gone)
            elif status == JobStatus.SCHEDULED and (late := _overdue(existing)):
                log.warning(
                    "step %s was due %.0fs ago and no scheduler queued it; queueing it now",
                    job_id,
                    late,
                )
                delay = None
            elif status == JobStatus.STARTED and then_id:
                # Running, perhaps past the point where it would see our work: queue a
                # follow-up run (which, if it is queued already, will see it).
                return _enqueue_now(
                    func, args, job_id=then_id, queue=queue, delay=delay, on_failure=on_failure
                )
            elif status not in _DONE:
                # Routine for a step that coalesces (the webhook drain): not worth a line.
                log.log(
                    logging.DEBUG if then_id else logging.INFO,
                    "step %s is already queued or running",
                    job_id,
                )
                return status != JobStatus.STARTED
            with contextlib.suppress(NoSuchJobError, InvalidJobOperation):
                existing.delete()
    log.error("could not queue step %s: its id kept being taken and cleared", job_id)
    return False


def _overdue(job: Job) -> float:
    """Seconds a scheduled step is past its time beyond SCHEDULER_GRACE (0: not overdue).

    RQ's scheduler runs inside a worker started `--with-scheduler`; if that worker died, a
    delayed step (a retry, the next poll) would wait until one comes back.
    """
    registry = ScheduledJobRegistry(job.origin, connection=job.connection)
    try:
        due = registry.get_scheduled_time(job)
    except NoSuchJobError:
        return 0.0
    late = (datetime.now(UTC) - due.replace(tzinfo=UTC)).total_seconds()
    return late if late > SCHEDULER_GRACE else 0.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_gone(job: Job) -> str:
    """Why the worker of a "started" RQ job cannot be running it any more ("" if it may be)."""
    connection = job.connection
    registry = StartedJobRegistry(job.origin, connection=connection)
    if job.id in registry.get_expired_job_ids():
        return "its worker stopped sending heartbeats"
    if not job.worker_name:
        return ""
    key = Worker.redis_worker_namespace_prefix + job.worker_name
    worker = Worker.find_by_key(key, connection=connection)
    if worker is None:
        return f"its worker {job.worker_name} is gone"
    if worker.hostname == socket.gethostname() and worker.pid and not _pid_alive(worker.pid):
        return f"its worker {job.worker_name} (pid {worker.pid}) is no longer running"
    return ""


def _signal_key(job_id: str) -> str:
    return f"leadops:step-wanted:{job_id}"


def signal_step(
    func: Callable | str,
    *,
    job_id: str,
    queue: str,
    then_id: str,
    ttl: float,
) -> None:
    """Ask for one run of a step that works through whatever is waiting (the webhook drain),
    after the current transaction (if any) commits: one Redis round trip when it is asked
    for already.

    A "wanted" flag is set with SET NX; only the caller that sets it queues the step (as
    `enqueue_step(..., then_id=...)` would, several round trips). The step clears the flag
    with `signal_taken(job_id)` *before* it looks for work, so whatever was committed before a
    caller found the flag set is seen by that run, and whatever comes later sets the flag
    anew. The flag expires after `ttl` seconds, so a caller that set it but could not queue
    the step (Redis gone between the two calls, the process killed) delays the next run by
    that long at most; the periodic sweep (`enqueue_step`, no flag) covers the rest.
    """

    key = _signal_key(job_id)

    def signal() -> None:
        connection = redis_connection()
        if not connection.set(key, b"1", nx=True, px=int(ttl * 1000)):
            return
        queued = False
        try:
            queued = _enqueue_now(func, (), job_id=job_id, queue=queue, delay=None, then_id=then_id)
        finally:
            if not queued:
                # No run waits to clear the flag (only one that started, and its follow-up
                # too): the next caller must try again rather than trust the flag.
                with contextlib.suppress(redis.RedisError):
                    connection.delete(key)

    # robust: Redis down is logged, never an error for an event already stored.
    transaction.on_commit(signal, robust=True)


def signal_taken(job_id: str) -> None:
    """Called by a signalled step as it starts, before it looks for work (see signal_step).

    If Redis cannot be told, the flag expires on its own (its ttl): callers meanwhile trust
    a run that is already under way, so the cost is a delay, never a lost step.
    """
    try:
        redis_connection().delete(_signal_key(job_id))
    except redis.RedisError as exc:
        log.warning("could not clear the signal of step %s: %s", job_id, exc)


def enqueue_step(
    func: Callable | str,
    *args,
    job_id: str,
    queue: str = "default",
    delay: float | None = None,
    on_failure: Callable | None = None,
    then_id: str | None = None,
) -> None:
    """Queue `func(*args)` as `job_id` once the current transaction (if any) commits.

    `on_failure(rq_job, connection, exc_type, exc_value, traceback)` runs if it crashes.
    `then_id`: when a run under `job_id` is already *running*, queue one more under this id
    (a step that works through whatever is waiting, such as the webhook drain, may have
    looked already); at most one run and one follow-up exist at a time.
    """
    transaction.on_commit(
        lambda: _enqueue_now(
            func,
            args,
            job_id=job_id,
            queue=queue,
            delay=delay,
            on_failure=on_failure,
            then_id=then_id,
        ),
        # Redis down or a race lost: logged, never an error for work already committed.
        # The database says what is due; the sweep queues it again.
        robust=True,
    )
