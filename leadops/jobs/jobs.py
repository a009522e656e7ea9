"""RQ entry points: take ids, call one service, nothing else. All are idempotent."""

from leadops.jobs import services


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
    """RQ on_failure callback for the steps above."""
    label, job_id = rq_job.args[:2]
    services.job_step_crashed(
        label=label,
        job_id=job_id,
        step=rq_job.func_name.rsplit(".", 1)[-1],
        error=f"{exc_type.__name__}: {exc_value}"[:500],
    )
