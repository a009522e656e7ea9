"""Operations on paid jobs: transitions, credits, and the provider steps run by RQ.

Every status change goes through `job_transition` (row lock, allowed-transition check,
JobEvent). Credits move only through leadops.credits.services with references derived from
the job (`trace:42`), so replaying any step charges nothing twice:

    queue   hold the estimate           (draft → queued)
    submit  provider accepts            (queued → submitting → submitted)
    poll    provider says it is ready   (submitted → ingesting)
    ingest  results stored in bulk      (ingesting → complete: capture charged, release rest)
                                        (ingesting → partial when some rows got nothing)
    fail    anything permanent          (→ failed: release everything)

When submitting is exhausted (SUBMIT_MAX_ATTEMPTS, a permanent error, a lost submission)
the job's steps are asked first whether the provider already has part of the job
(`registry.give_up`): then the job goes on with that part instead of failing.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from leadops.accounts.permissions import control_refusal, may_control
from leadops.credits import services as credits
from leadops.jobs import queueing
from leadops.jobs.errors import InvalidTransition, NotAllowed, SubmissionLost
from leadops.jobs.models import (
    ALLOWED,
    FINISHED,
    JobEvent,
    JobNotice,
    JobStatus,
    NoticeLevel,
    PaidJob,
)
from leadops.jobs.registry import Ingested, all_kinds, give_up, lookup
from leadops.providers.errors import ProviderError, ProviderUnavailable, RateLimited
from leadops.search.services import search_index_queue
from leadops.webhooks.services import webhook_replay_unmatched

log = logging.getLogger(__name__)

S = JobStatus
# The RQ entry points (leadops.jobs.tasks), named by path so that this module never imports them.
TASKS = "leadops.jobs.tasks"

# How long the machinery waits before looking again; the reconciliation job uses these too.
SUBMIT_MAX_ATTEMPTS = 5


def job_event(
    *,
    job: PaidJob,
    detail: str,
    actor: AbstractBaseUser | None = None,
    from_status: str = "",
    to_status: str = "",
) -> JobEvent:
    return JobEvent.objects.create(
        content_type=ContentType.objects.get_for_model(job),
        object_id=job.pk,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        detail=detail[:2000],
    )


def job_events(*, job: PaidJob):
    return JobEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(job), object_id=job.pk
    ).select_related("actor")


def job_transition(
    *,
    job: PaidJob,
    to: str,
    actor: AbstractBaseUser | None = None,
    detail: str = "",
    expect: str | None = None,
    **fields,
) -> PaidJob:
    """Move `job` to status `to` (and set `fields`) under a row lock, with a timeline event.

    `expect` makes it a claim: if the row is not in that status any more, someone else has
    moved it and InvalidTransition is raised without changing anything.
    """
    with transaction.atomic():
        locked = type(job).objects.select_for_update().get(pk=job.pk)
        if (expect is not None and locked.status != expect) or to not in ALLOWED[locked.status]:
            raise InvalidTransition(job=locked, to=to)
        from_status = locked.status
        locked.status = to
        now = timezone.now()
        stamp = {
            S.QUEUED: "queued_at",
            S.SUBMITTING: "submit_started_at",
            S.SUBMITTED: "submitted_at",
            S.COMPLETE: "completed_at",
            S.PARTIAL: "completed_at",
            S.FAILED: "completed_at",
            S.CANCELLED: "completed_at",
        }.get(to)
        if stamp and stamp not in fields:
            fields[stamp] = now
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        job_event(job=locked, actor=actor, detail=detail, from_status=from_status, to_status=to)
        if to in FINISHED:
            # Its rows become searchable (queued once this transaction commits).
            search_index_queue(job=locked)
    for name in ["status", *fields]:
        setattr(job, name, getattr(locked, name))
    return job


def _step_id(job: PaidJob, step: str, n: int | str | None = None) -> str:
    suffix = f"-{n}" if n is not None else ""
    return f"{job.JOB_LABEL}-{step}-{job.pk}{suffix}"


def _enqueue(
    job: PaidJob, step: str, *, delay: float | None = None, n: int | str | None = None
) -> None:
    queue = "high" if step in {"ingest", "poll"} else "default"
    queueing.enqueue_step(
        f"{TASKS}.{step}",
        job.JOB_LABEL,
        job.pk,
        job_id=_step_id(job, step, n),
        queue=queue,
        delay=delay,
        on_failure=f"{TASKS}.step_crashed",
    )


# --- user-facing operations ----------------------------------------------------------------


def job_queue(*, job: PaidJob, actor: AbstractBaseUser) -> PaidJob:
    """Hold the estimated credits and queue the submission (draft → queued).

    Raises leadops.credits.errors.InsufficientCredits (nothing changes) when the wallet is short.
    """
    with transaction.atomic():
        wallet = credits.wallet_for(user=job.created_by, team=job.team)
        hold = None
        if job.estimated_credits:
            hold = credits.hold(
                wallet=wallet,
                amount=job.estimated_credits,
                reference=job.credit_reference,
                actor=actor,
                reason=f"Hold for {type(job)._meta.verbose_name} #{job.pk}",
            )
        job_transition(
            job=job,
            to=S.QUEUED,
            actor=actor,
            hold=hold,
            detail=f"Queued; {job.estimated_credits:,} credits held"
            if job.estimated_credits
            else "Queued (no credits needed)",
            stage="Waiting to submit",
        )
        _enqueue(job, "submit", n=0)
    return job


def job_cancel(*, job: PaidJob, actor: AbstractBaseUser) -> PaidJob:
    """Cancel before the provider has it; credits return in full.

    Only the job's creator or an admin or manager of its team may (NotAllowed otherwise).
    """
    if not may_control(user=actor, work=job):
        raise NotAllowed(control_refusal(work=job, action="cancel"))
    with transaction.atomic():
        job_transition(job=job, to=S.CANCELLED, actor=actor, detail="Cancelled", stage="Cancelled")
        _release(job, "cancelled")
    return job


def _release(job: PaidJob, why: str) -> None:
    if job.hold_id:
        credits.release(hold=job.hold, actor=None, reason=f"{job.credit_reference} {why}")


def job_notify(*, job: PaidJob, level: str, text: str) -> JobNotice:
    """Tell the job's creator it ended (the header's bell; an email on commit when
    JOB_EMAIL_NOTICES is on and they have an address). Call inside the ending transaction."""
    url = job.get_absolute_url() if hasattr(job, "get_absolute_url") else ""
    notice = JobNotice.objects.create(
        user_id=job.created_by_id,
        team_id=job.team_id,
        content_type=ContentType.objects.get_for_model(job),
        object_id=job.pk,
        level=level,
        text=text[:500],
        url=url,
    )
    if settings.JOB_EMAIL_NOTICES:
        transaction.on_commit(lambda: _mail_notice(notice.pk), robust=True)
    return notice


def _mail_notice(notice_id: int) -> None:
    from django.core.mail import send_mail

    notice = JobNotice.objects.select_related("user").get(pk=notice_id)
    if not notice.user.email:
        return
    link = f"{settings.PUBLIC_BASE_URL}{notice.url}" if notice.url else settings.PUBLIC_BASE_URL
    try:
        send_mail(
            subject=f"LeadOps: {notice.text}"[:150],
            message=f"{notice.text}\n\n{link}\n",
            from_email=None,
            recipient_list=[notice.user.email],
        )
    except OSError:  # SMTP errors and refused connections: the job is done all the same
        log.exception("could not mail notice %s", notice_id)


def job_fail(*, job: PaidJob, reason: str, actor: AbstractBaseUser | None = None) -> PaidJob:
    """Fail with a reason a person understands; every held credit is released."""
    with transaction.atomic():
        locked = type(job).objects.select_for_update().get(pk=job.pk)
        if locked.is_terminal:
            return locked
        job_transition(
            job=job,
            to=S.FAILED,
            actor=actor,
            detail=reason,
            error_message=reason,
            stage="Failed",
            next_poll_at=None,
        )
        _release(job, "failed: credits returned")
        job_notify(job=job, level=NoticeLevel.DANGER, text=f"{job} failed: {reason}")
    return job


# --- steps run by RQ (leadops.jobs.tasks) ----------------------------------------------------


def _load(label: str, job_id: int):
    model, steps = lookup(label)
    return model.objects.select_related("hold", "team", "created_by").get(pk=job_id), steps


def job_submit_step(*, label: str, job_id: int) -> None:
    job, steps = _load(label, job_id)
    if job.status == S.SUBMITTING:
        # A worker died or the POST's answer was lost: never resend blindly.
        job_reconcile_submission_step(label=label, job_id=job_id)
        return
    try:
        job_transition(
            job=job,
            to=S.SUBMITTING,
            expect=S.QUEUED,
            detail="Submitting to the provider",
            stage="Submitting",
            submit_attempts=job.submit_attempts + 1,
        )
    except InvalidTransition:
        log.info(
            "%s: not queued any more (%s); nothing to submit", job.credit_reference, job.status
        )
        return
    try:
        result = steps.submit(job)
    except RateLimited as exc:
        # "Wait", not "failed": a rate limit does not use up one of SUBMIT_MAX_ATTEMPTS (the
        # hard limit still ends a job that never gets a slot).
        _back_to_queue(
            job,
            exc.retry_after,
            f"Provider rate limit; retrying in {exc.retry_after:.0f}s",
            counted=False,
        )
    except ProviderUnavailable as exc:
        if exc.request_sent:
            # The provider may have accepted it. Look before doing anything else.
            job_event(
                job=job, detail=f"No answer from the provider ({exc}); checking its queue list"
            )
            _enqueue(job, "reconcile_submission", delay=settings.JOB_RECONCILE_DELAY)
        else:
            _retry_or_fail(job, steps, str(exc))
    except ProviderError as exc:
        if exc.permanent:
            _give_up_or_fail(job, steps, str(exc))
        else:
            _retry_or_fail(job, steps, str(exc))
    else:
        _mark_submitted(job, result)


def _mark_submitted(job: PaidJob, result) -> None:
    with transaction.atomic():
        job_transition(
            job=job,
            to=S.SUBMITTED,
            expect=S.SUBMITTING,
            provider_ref=result.provider_ref,
            detail=result.detail or f"Accepted by the provider as {result.provider_ref}",
            stage="Processing at the provider",
            next_poll_at=timezone.now() + timedelta(seconds=result.expected_seconds),
            expected_done_at=timezone.now() + timedelta(seconds=result.expected_seconds),
        )
        # A webhook usually arrives first; this poll (and the sweep) cover a lost one.
        _enqueue(job, "poll", delay=result.expected_seconds, n=job.poll_count)
    # A completion webhook can beat the commit of the provider's id: hear it again now.
    for provider, kinds in _by_provider(job.completion_webhooks).items():
        webhook_replay_unmatched(provider=provider, kinds=kinds, ref=job.provider_ref)


def _by_provider(pairs) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for provider, kind in pairs:
        grouped.setdefault(provider, []).append(kind)
    return grouped


def _back_to_queue(job: PaidJob, delay: float, detail: str, *, counted: bool = True) -> None:
    """Queue the submission again after `delay`; `counted=False` gives the attempt back."""
    attempts = job.submit_attempts if counted else job.submit_attempts - 1
    # An uncounted attempt reuses a number, so its step id gets a suffix of its own (the run
    # that just failed still holds the plain id).
    n = attempts if counted else f"{attempts}w{time.monotonic_ns() % 10**12}"
    with transaction.atomic():
        job_transition(
            job=job,
            to=S.QUEUED,
            expect=S.SUBMITTING,
            detail=detail,
            stage="Waiting to retry",
            submit_attempts=attempts,
        )
        _enqueue(job, "submit", delay=max(1.0, delay), n=n)


def _retry_or_fail(job: PaidJob, steps, message: str) -> None:
    if job.submit_attempts >= SUBMIT_MAX_ATTEMPTS:
        _give_up_or_fail(job, steps, f"The provider kept failing: {message}")
        return
    backoff = settings.JOB_SUBMIT_BACKOFF
    delay = backoff[min(job.submit_attempts, len(backoff)) - 1]
    _back_to_queue(job, delay, f"Provider error ({message}); retrying in {delay}s")


def _give_up_or_fail(job: PaidJob, steps, reason: str) -> None:
    """Submitting is exhausted: carry on with the part the provider has, or fail the job."""
    kept = give_up(steps, job, reason)
    if kept is None:
        job_fail(job=job, reason=reason)
        return
    job_event(
        job=job,
        detail=f"Stopped submitting ({reason}); carrying on with the part the provider accepted",
    )
    _mark_submitted(job, kept)


def job_reconcile_submission_step(*, label: str, job_id: int) -> None:
    """The submit POST got no answer: find it at the provider, or resubmit if it is not there."""
    job, steps = _load(label, job_id)
    if job.status != S.SUBMITTING:
        return
    try:
        found = steps.find_submission(job)
    except SubmissionLost as exc:
        _give_up_or_fail(job, steps, str(exc))
        return
    except ProviderError as exc:
        detail = f"Could not confirm the submission yet: {exc}"
        if job_events(job=job).order_by("-pk").values_list("detail", flat=True).first() != detail:
            job_event(job=job, detail=detail)
        _enqueue(job, "reconcile_submission", delay=settings.JOB_RECONCILE_DELAY * 3)
        return
    if found is not None:
        _mark_submitted(job, found)
    else:
        _back_to_queue(job, 1, "The provider has no record of the submission; submitting again")


def job_poll_step(*, label: str, job_id: int) -> None:
    job, steps = _load(label, job_id)
    if job.status != S.SUBMITTED:
        return
    type(job).objects.filter(pk=job.pk).update(poll_count=job.poll_count + 1)
    try:
        result = steps.poll(job)
    except RateLimited as exc:
        _schedule_poll(job, exc.retry_after)
        return
    except ProviderError as exc:
        if exc.permanent:
            job_fail(job=job, reason=str(exc))
        else:
            _schedule_poll(job, 30)
        return
    if result.failed:
        job_fail(job=job, reason=result.detail or "The provider reported the job failed.")
    elif result.ready:
        job_start_ingest(job=job, detail=result.detail or "Results are ready")
    else:
        progress = {}
        if result.rows_total is not None:
            progress["rows_total"] = result.rows_total
        if result.rows_done is not None:
            progress["rows_done"] = result.rows_done
        type(job).objects.filter(pk=job.pk).update(stage=result.detail or job.stage, **progress)
        _schedule_poll(job, result.retry_in)


def _schedule_poll(job: PaidJob, delay: float) -> None:
    type(job).objects.filter(pk=job.pk).update(
        next_poll_at=timezone.now() + timedelta(seconds=delay)
    )
    _enqueue(job, "poll", delay=delay, n=job.poll_count + 1)


def job_start_ingest(*, job: PaidJob, detail: str) -> bool:
    """Claim the job for ingestion (submitted → ingesting) and queue the ingest step.

    Returns False when another worker or webhook got there first: a duplicate is a no-op.
    """
    try:
        with transaction.atomic():
            job_transition(
                job=job,
                to=S.INGESTING,
                expect=S.SUBMITTED,
                detail=detail,
                stage="Downloading results",
                next_poll_at=None,
            )
            _enqueue(job, "ingest")
    except InvalidTransition:
        return False
    return True


def job_ingest_step(*, label: str, job_id: int) -> None:
    job, steps = _load(label, job_id)
    if job.status != S.INGESTING:
        return
    try:
        result = steps.ingest(job)
    except ProviderError as exc:
        if exc.permanent:
            job_fail(job=job, reason=str(exc))
        else:
            with transaction.atomic():
                job_transition(
                    job=job,
                    to=S.SUBMITTED,
                    expect=S.INGESTING,
                    stage="Waiting for results",
                    detail=f"Results not downloadable yet ({exc}); will poll again",
                    next_poll_at=timezone.now() + timedelta(seconds=15),
                )
        return
    job_complete(job=job, result=result)


def job_complete(*, job: PaidJob, result: Ingested) -> PaidJob:
    """Ingested: capture what the provider charged, release the rest, complete.

    With `result.failed_rows` the job ends `partial` ("Complete with errors") and
    `result.failure_reason` is shown on it; the credits move the same way (the done part
    captured, everything else released), so hold = capture + release still holds exactly.
    """
    partial = result.failed_rows > 0
    detail = result.detail or (
        f"{result.rows:,} rows, {result.hits:,} hits; {result.charged_credits:,} credits charged"
    )
    reason = result.failure_reason or (
        f"{result.failed_rows:,} rows could not be done; their credits were returned."
    )
    with transaction.atomic():
        job_transition(
            job=job,
            to=S.PARTIAL if partial else S.COMPLETE,
            expect=S.INGESTING,
            charged_credits=result.charged_credits,
            rows_done=result.rows,
            hits=result.hits,
            stage=S.PARTIAL.label if partial else "Complete",
            error_message=reason if partial else "",
            detail=f"{detail}. {reason}" if partial else detail,
        )
        if job.hold_id:
            credits.settle(
                hold=job.hold,
                charged=result.charged_credits,
                actor=None,
                reason=f"{job.credit_reference}: provider charged {result.charged_credits:,}",
            )
        job_notify(
            job=job,
            level=NoticeLevel.WARNING if partial else NoticeLevel.SUCCESS,
            text=f"{job} is complete with errors: {reason}" if partial else f"{job} is complete",
        )
    return job


def job_reconcile_all(*, now=None) -> dict[str, int]:
    """The scheduled sweep: nothing waits forever on a lost webhook or a dead worker."""
    now = now or timezone.now()
    hard_limit = timedelta(hours=settings.JOB_HARD_LIMIT_HOURS)
    stuck_after = timedelta(seconds=settings.JOB_STUCK_AFTER_SECONDS)
    counts = {"polled": 0, "resubmitted": 0, "reingested": 0, "expired": 0}
    for model, _steps in all_kinds():
        active = model.objects.filter(status__in=[S.QUEUED, S.SUBMITTING, S.SUBMITTED, S.INGESTING])
        for job in active.filter(queued_at__lt=now - hard_limit):
            job_fail(
                job=job,
                reason=f"Did not finish within {hard_limit.total_seconds() / 3600:.0f} hours; "
                "credits returned. Check the provider's dashboard before resubmitting.",
            )
            counts["expired"] += 1
        for job in model.objects.filter(status=S.SUBMITTED, next_poll_at__lte=now):
            # Its own id: the scheduled poll with the usual id may be stuck behind a dead
            # scheduler. Two polls are harmless (a poll only acts on a submitted job).
            _enqueue(job, "poll", n=f"sweep{job.poll_count}")
            counts["polled"] += 1
        for job in model.objects.filter(
            status=S.SUBMITTING, submit_started_at__lt=now - stuck_after
        ):
            _enqueue(job, "reconcile_submission")
            counts["resubmitted"] += 1
        for job in model.objects.filter(status=S.QUEUED, updated_at__lt=now - stuck_after):
            _enqueue(job, "submit", n=job.submit_attempts)
            counts["resubmitted"] += 1
        for job in model.objects.filter(status=S.INGESTING, updated_at__lt=now - stuck_after):
            _enqueue(job, "ingest")
            counts["reingested"] += 1
    return counts


def job_poll_now(*, job: PaidJob, why: str) -> bool:
    """A webhook said the job may be done: re-read the provider's status right away.

    Returns False when there is nothing to do (already ingesting, complete, or failed).
    """
    if job.status != S.SUBMITTED:
        return False
    job_event(job=job, detail=why)
    _enqueue(job, "poll", n=f"now{job.poll_count}")
    return True


def job_step_crashed(
    *, label: str, job_id: int, step: str, error: str = "", reference: str = ""
) -> None:
    """An RQ step raised: put it on the timeline in words people can act on.

    `error` is the message of a known error (written for users); an unexpected one arrives
    empty (its traceback is in the worker log, under `reference`). The job keeps its state;
    the reconciliation sweep runs the step again after JOB_STUCK_AFTER_SECONDS, and the hard
    limit fails it (releasing credits) if it never heals.
    """
    model, _steps = lookup(label)
    job = model.objects.filter(pk=job_id).first()
    if job is None or job.is_terminal:
        return
    if error:
        detail = f"The {step} step failed ({error}); it will be retried"
    else:
        detail = (
            f"The {step} step failed unexpectedly; it will be retried automatically. If this "
            "keeps happening, ask an admin to check the worker log"
            + (f" for {reference}" if reference else "")
            + "."
        )
    job_event(job=job, detail=detail)
