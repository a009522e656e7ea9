"""RQ entry points of the job machinery: take ids, call one service, nothing else.

All are idempotent. Services enqueue them by dotted path (`leadops.jobs.tasks.poll`), so no
service imports this module.
"""

import logging

from leadops.credits.errors import CreditError
from leadops.jobs import services
from leadops.jobs.errors import JobError
from leadops.providers.errors import ProviderError

log = logging.getLogger(__name__)

# Errors whose message is written for the people reading the job's timeline.
KNOWN_ERRORS = (ProviderError, JobError, CreditError)


def submit(label: str, job_id: int) -> None:
    services.job_submit_step(label=label, job_id=job_id)


def reconcile_submission(label: str, job_id: int) -> None:
    services.job_reconcile_submission_step(label=label, job_id=job_id)


def poll(label: str, job_id: int) -> None:
    services.job_poll_step(label=label, job_id=job_id)


def ingest(label: str, job_id: int) -> None:
    services.job_ingest_step(label=label, job_id=job_id)


def reconcile() -> dict[str, int]:
    return services.job_reconcile_all()


def step_crashed(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """RQ on_failure callback for the steps above.

    A known error keeps its own message; anything else is logged with its traceback and the
    timeline gets a plain sentence (never the raw exception text).
    """
    label, job_id = rq_job.args[:2]
    step = rq_job.func_name.rsplit(".", 1)[-1]
    if isinstance(exc_value, KNOWN_ERRORS):
        error = str(exc_value)[:500]
    else:
        log.error(
            "RQ step %s of %s:%s crashed",
            rq_job.id,
            label,
            job_id,
            exc_info=(exc_type, exc_value, traceback),
        )
        error = ""
    services.job_step_crashed(
        label=label, job_id=job_id, step=step, error=error, reference=rq_job.id
    )
