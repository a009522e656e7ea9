"""Running jobs in tests (RQ queues, a worker thread, a trace run to its end) and checking the
credit ledger afterwards."""

from __future__ import annotations

import django_rq
from django.db.models import Sum
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty

from leadops.credits.models import CreditEntry, CreditHold
from leadops.jobs import services as job_services
from leadops.waiting import wait_until
from traces.models import TraceJob

QUEUE_NAMES = ("high", "default", "webhooks", "low")


def rq_queues() -> list:
    """The RQ queues a worker drains, most urgent first."""
    return [django_rq.get_queue(name) for name in QUEUE_NAMES]


class ThreadWorker(SimpleWorker):
    """A SimpleWorker that can run off the main thread (signals belong to the main one)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


def assert_credits_balance(wallet) -> None:
    """holds = captures + releases, the wallet equals its ledger, and nothing stays held."""
    wallet.refresh_from_db()
    held = CreditHold.objects.filter(wallet=wallet).aggregate(
        a=Sum("amount"), c=Sum("captured"), r=Sum("released")
    )
    assert (held["a"] or 0) == (held["c"] or 0) + (held["r"] or 0)
    sums = CreditEntry.objects.filter(wallet=wallet).aggregate(a=Sum("amount"), h=Sum("held_delta"))
    assert sums["a"] == wallet.available
    assert (sums["h"] or 0) == wallet.held == 0


def run_until_done(job, run_worker, timeout=30, sweep=False, reconcile=False, resubmit=False):
    """Run the worker (and, on request, the scheduled steps) until the paid job (a trace, a
    DNC scrub: any registered kind) is terminal; returns it fresh from the database."""
    model, label = type(job), job.JOB_LABEL

    def done():
        if sweep:
            job_services.job_reconcile_all()
        # What the scheduled reconcile / retry steps do (burst workers skip scheduled jobs).
        if reconcile:
            job_services.job_reconcile_submission_step(label=label, job_id=job.pk)
        if resubmit:
            job_services.job_submit_step(label=label, job_id=job.pk)
        run_worker()
        return model.objects.get(pk=job.pk).is_terminal

    wait_until(done, timeout=timeout, interval=0.2, what=f"{label} #{job.pk} to finish")
    return model.objects.get(pk=job.pk)


def first_post_times_out(monkeypatch, sandbox, *, client_factory: str, path: str) -> None:
    """The sandbox takes the first POST to `path` but answers after our 1 s read timeout;
    `client_factory` (a leadops.providers factory name) builds clients with that timeout."""
    from leadops import providers
    from leadops.providers.base import Timeouts

    real = getattr(providers, client_factory)
    monkeypatch.setattr(
        providers, client_factory, lambda **kw: real(timeouts=Timeouts(read=1.0, connect=2.0))
    )
    sandbox.control.faults(
        read_timeout_rate=1.0,
        read_timeout_seconds=3,
        paths=[path],
        fault_budget=1,
    )


def partial_trace(*, batch, user, hits: int, misses: int, no_result: int) -> TraceJob:
    """A Tracerfy trace of `batch` (by `user`) that ended "Complete with errors": its first
    records hits, then misses, then records without a result, in line order."""
    from leadops.jobs.models import JobStatus
    from traces.models import MatchStatus, TraceResult

    count = hits + misses + no_result
    job = TraceJob.objects.create(
        team=batch.team,
        created_by=user,
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        status=JobStatus.PARTIAL,
        records_sent=count,
        error_message=f"{no_result} of {count} records got no result ({no_result} lost). They "
        "were not charged; re-trace them from this page.",
    )
    statuses = [MatchStatus.HIT] * hits + [MatchStatus.MISS] * misses
    statuses += [MatchStatus.NO_RESULT] * no_result
    records = list(batch.records.order_by("line")[:count])
    TraceResult.objects.bulk_create(
        TraceResult(
            team=batch.team,
            job=job,
            record=record,
            match_key=str(record.pk),
            status=status,
            raw={"note": "no result received: lost"} if status == MatchStatus.NO_RESULT else {},
        )
        for record, status in zip(records, statuses, strict=True)
    )
    return job
