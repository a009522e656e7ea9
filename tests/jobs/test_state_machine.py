"""The transition function and the credit hooks, with scripted provider steps.

Scripted steps stand in for outcomes that the sandbox-backed tests (test_against_sandbox.py)
reach for real; here each branch of the step runner is pinned down on its own.
"""

import pytest

from leadops.credits.errors import InsufficientCredits
from leadops.jobs import services
from leadops.jobs.errors import InvalidTransition
from leadops.jobs.models import JobStatus as S
from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.providers.errors import InvalidRequest, ProviderUnavailable, RateLimited
from tests.support.jobs import assert_credits_balance

pytestmark = pytest.mark.django_db


class Script:
    def __init__(self, submit=None, poll=None, ingest=None, found=None, kept=None):
        self._submit, self._poll, self._ingest, self._found = submit, poll, ingest, found
        self._kept = kept
        self.calls: list[str] = []
        self.reasons: list[str] = []

    def _run(self, name, outcome):
        self.calls.append(name)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def submit(self, job):
        return self._run("submit", self._submit)

    def find_submission(self, job):
        return self._run("find_submission", self._found)

    def poll(self, job):
        return self._run("poll", self._poll)

    def ingest(self, job):
        return self._run("ingest", self._ingest)

    def give_up(self, job, reason):
        self.reasons.append(reason)
        return self._run("give_up", self._kept)


def events(job):
    return [(e.from_status, e.to_status) for e in services.job_events(job=job) if e.to_status]


def test_transition_writes_event_and_refuses_illegal_moves(make_job, staff):
    job = make_job()
    services.job_transition(job=job, to=S.QUEUED, actor=staff, detail="go")
    job.refresh_from_db()
    assert job.status == S.QUEUED and job.queued_at is not None
    with pytest.raises(InvalidTransition, match="cannot go from queued to complete"):
        services.job_transition(job=job, to=S.COMPLETE)
    event = services.job_events(job=job).get()
    assert (event.from_status, event.to_status, event.actor, event.detail) == (
        "draft",
        "queued",
        staff,
        "go",
    )


def test_claim_with_expect_fails_when_someone_else_moved_it(make_job):
    job = make_job(status=S.QUEUED)
    stale = type(job).objects.get(pk=job.pk)
    services.job_transition(job=job, to=S.SUBMITTING, expect=S.QUEUED)
    with pytest.raises(InvalidTransition):
        services.job_transition(job=stale, to=S.SUBMITTING, expect=S.QUEUED)


def test_queue_holds_estimate_and_insufficient_credits_changes_nothing(make_job, staff):
    job = make_job(estimated_credits=400)
    services.job_queue(job=job, actor=staff)
    staff.wallet.refresh_from_db()
    assert (staff.wallet.available, staff.wallet.held) == (600, 400)

    too_big = make_job(estimated_credits=601)
    with pytest.raises(InsufficientCredits):
        services.job_queue(job=too_big, actor=staff)
    too_big.refresh_from_db()
    assert too_big.status == S.DRAFT and too_big.hold is None


def test_full_run_captures_charged_and_releases_rest(make_job, staff, steps):
    steps.impl = Script(
        submit=Submitted("Q-1", expected_seconds=0),
        poll=PollResult(ready=True),
        ingest=Ingested(charged_credits=37, rows=10, hits=8),
    )
    job = make_job()
    services.job_queue(job=job, actor=staff)
    services.job_submit_step(label="probe", job_id=job.pk)
    services.job_poll_step(label="probe", job_id=job.pk)
    services.job_ingest_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.provider_ref, job.charged_credits, job.hits) == (
        S.COMPLETE,
        "Q-1",
        37,
        8,
    )
    assert events(job) == [
        ("draft", "queued"),
        ("queued", "submitting"),
        ("submitting", "submitted"),
        ("submitted", "ingesting"),
        ("ingesting", "complete"),
    ]
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 1000 - 37
    assert_credits_balance(staff.wallet)


def test_replayed_steps_charge_nothing_twice(make_job, staff, steps):
    steps.impl = Script(
        submit=Submitted("Q-2", expected_seconds=0),
        poll=PollResult(ready=True),
        ingest=Ingested(charged_credits=10, rows=10),
    )
    job = make_job()
    services.job_queue(job=job, actor=staff)
    for _ in range(2):
        services.job_submit_step(label="probe", job_id=job.pk)
        services.job_poll_step(label="probe", job_id=job.pk)
        services.job_ingest_step(label="probe", job_id=job.pk)
    assert steps.impl.calls == ["submit", "poll", "ingest"]
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 990
    assert_credits_balance(staff.wallet)


def test_permanent_provider_error_fails_with_its_words_and_releases(make_job, staff, steps):
    steps.impl = Script(submit=InvalidRequest("Invalid address_column: 'adress'", status=400))
    job = make_job()
    services.job_queue(job=job, actor=staff)
    services.job_submit_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert job.status == S.FAILED
    assert job.error_message == "Invalid address_column: 'adress'"
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 1000
    assert_credits_balance(staff.wallet)


def test_rate_limited_submit_goes_back_to_queue(make_job, staff, steps):
    steps.impl = Script(submit=RateLimited("slow down", retry_after=42))
    job = make_job()
    services.job_queue(job=job, actor=staff)
    services.job_submit_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert job.status == S.QUEUED
    assert "retrying in 42s" in services.job_events(job=job).last().detail


def test_rate_limits_never_use_up_the_submit_attempts(make_job, staff, steps):
    """A provider that keeps saying "slow down" delays the job; it never fails it (one of 30
    jobs of the fault suite once failed after five 429s and 503s in a row)."""
    steps.impl = Script(submit=RateLimited("slow down", retry_after=1))
    job = make_job()
    services.job_queue(job=job, actor=staff)
    for _ in range(services.SUBMIT_MAX_ATTEMPTS + 3):
        services.job_submit_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.submit_attempts) == (S.QUEUED, 0)
    steps.impl = Script(submit=ProviderUnavailable("connection refused", request_sent=False))
    for _ in range(services.SUBMIT_MAX_ATTEMPTS):
        services.job_submit_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert job.status == S.FAILED  # real failures still count
    assert_credits_balance(staff.wallet)


def test_timed_out_post_is_reconciled_not_resent(make_job, staff, steps):
    steps.impl = Script(
        submit=ProviderUnavailable("read timeout", timed_out=True, request_sent=True),
        found=Submitted("Q-found", expected_seconds=5),
    )
    job = make_job()
    services.job_queue(job=job, actor=staff)
    services.job_submit_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert job.status == S.SUBMITTING
    # A second delivery of the submit step must not POST again: it reconciles.
    services.job_submit_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.provider_ref) == (S.SUBMITTED, "Q-found")
    assert steps.impl.calls == ["submit", "find_submission"]


def test_lost_post_that_provider_never_got_is_resubmitted(make_job, staff, steps):
    steps.impl = Script(
        submit=ProviderUnavailable("read timeout", timed_out=True, request_sent=True), found=None
    )
    job = make_job()
    services.job_queue(job=job, actor=staff)
    services.job_submit_step(label="probe", job_id=job.pk)
    services.job_reconcile_submission_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert job.status == S.QUEUED
    assert "no record of the submission" in services.job_events(job=job).last().detail


def test_connect_error_retries_then_fails_after_max_attempts(make_job, staff, steps):
    steps.impl = Script(submit=ProviderUnavailable("connection refused", request_sent=False))
    job = make_job()
    services.job_queue(job=job, actor=staff)
    for _ in range(services.SUBMIT_MAX_ATTEMPTS):
        services.job_submit_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert job.status == S.FAILED
    assert job.error_message == "The provider kept failing: connection refused"
    assert_credits_balance(staff.wallet)


def test_poll_not_ready_updates_progress(make_job, staff, steps):
    steps.impl = Script(poll=PollResult(ready=False, detail="Tracing", rows_total=10, rows_done=4))
    job = make_job(status=S.SUBMITTED, provider_ref="Q")
    services.job_poll_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.stage, job.rows_done, job.poll_count) == (S.SUBMITTED, "Tracing", 4, 1)
    assert job.next_poll_at is not None


def test_cancel_releases_everything(make_job, staff):
    job = make_job()
    services.job_queue(job=job, actor=staff)
    services.job_cancel(job=job, actor=staff)
    job.refresh_from_db()
    assert job.status == S.CANCELLED
    assert_credits_balance(staff.wallet)
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 1000


def test_reconcile_expires_jobs_past_the_hard_limit(make_job, staff):
    from datetime import timedelta

    from django.utils import timezone

    job = make_job()
    services.job_queue(job=job, actor=staff)
    type(job).objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(days=2))
    counts = services.job_reconcile_all()
    job.refresh_from_db()
    assert counts["expired"] == 1
    assert job.status == S.FAILED
    assert job.error_message.startswith("Did not finish within 24 hours; credits returned.")
    assert_credits_balance(staff.wallet)


def test_webhook_that_beat_the_commit_is_replayed_when_job_is_submitted(
    make_job, staff, steps, client
):
    import json

    from django.conf import settings
    from django.urls import reverse

    from leadops.webhooks.models import EventStatus, WebhookEvent
    from leadops.webhooks.services import webhook_process

    steps.impl = Script(submit=Submitted("777", expected_seconds=60))
    job = make_job()
    services.job_queue(job=job, actor=staff)
    # The provider's completion call arrives while our submit is still in flight.
    client.post(
        reverse("webhooks:receive", args=["tracerfy", settings.WEBHOOK_TOKEN]),
        data=json.dumps({"id": 777, "pending": False, "trace_type": "normal"}),
        content_type="application/json",
    )
    event = WebhookEvent.objects.get()
    assert webhook_process(event_id=event.pk).status == EventStatus.UNMATCHED
    services.job_submit_step(label="probe", job_id=job.pk)
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING  # queued again for processing
    assert webhook_process(event_id=event.pk).status == EventStatus.PROCESSED


def test_crashing_step_is_recorded_on_the_timeline(
    make_job, staff, steps, rq_redis, django_capture_on_commit_callbacks
):
    import django_rq
    from rq import SimpleWorker

    class Boom(Script):
        def submit(self, job):
            raise ZeroDivisionError("division by zero")

    steps.impl = Boom()
    job = make_job()
    with django_capture_on_commit_callbacks(execute=True):
        services.job_queue(job=job, actor=staff)
    queue = django_rq.get_queue("default")
    SimpleWorker([queue], connection=rq_redis).work(burst=True)
    job.refresh_from_db()
    assert job.status == S.SUBMITTING  # left for the sweep, not silently lost
    # An unexpected error is logged with its traceback; the timeline gets a plain sentence
    # with what to do, never the raw exception text.
    detail = services.job_events(job=job).last().detail
    assert detail == (
        "The submit step failed unexpectedly; it will be retried automatically. If this keeps "
        f"happening, ask an admin to check the worker log for probe-submit-{job.pk}-0."
    )
    assert "ZeroDivisionError" not in detail


def test_a_known_error_that_crashes_a_step_keeps_its_own_message(
    make_job, staff, steps, rq_redis, django_capture_on_commit_callbacks
):
    import django_rq
    from rq import SimpleWorker

    from leadops.credits.errors import HoldClosed

    class Refused(Script):
        def submit(self, job):
            raise HoldClosed("probe:1")

    steps.impl = Refused()
    job = make_job()
    with django_capture_on_commit_callbacks(execute=True):
        services.job_queue(job=job, actor=staff)
    SimpleWorker([django_rq.get_queue("default")], connection=rq_redis).work(burst=True)
    assert services.job_events(job=job).last().detail == (
        "The submit step failed (The credit hold probe:1 is already settled.); it will be retried"
    )


def test_rows_that_got_nothing_end_complete_with_errors_capturing_only_the_done_part(
    make_job, staff, steps
):
    steps.impl = Script(
        submit=Submitted("Q-3", expected_seconds=0),
        poll=PollResult(ready=True),
        ingest=Ingested(
            charged_credits=30,
            rows=10,
            hits=6,
            failed_rows=4,
            failure_reason="4 of 10 records got no result: the provider never sent them.",
        ),
    )
    job = make_job()
    services.job_queue(job=job, actor=staff)
    services.job_submit_step(label="probe", job_id=job.pk)
    services.job_poll_step(label="probe", job_id=job.pk)
    services.job_ingest_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.get_status_display()) == (S.PARTIAL, "Complete with errors")
    assert job.is_terminal and job.is_finished and job.completed_at is not None
    assert job.progress_percent == 100
    assert (job.charged_credits, job.hits, job.rows_done) == (30, 6, 10)
    assert job.error_message == "4 of 10 records got no result: the provider never sent them."
    assert events(job)[-1] == ("ingesting", "partial")
    hold = job.hold
    hold.refresh_from_db()
    assert (hold.amount, hold.captured, hold.released) == (100, 30, 70)
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 1000 - 30
    assert_credits_balance(staff.wallet)
    # Final: a late failure changes nothing, and no move leaves it.
    services.job_fail(job=job, reason="late")
    job.refresh_from_db()
    assert job.status == S.PARTIAL
    with pytest.raises(InvalidTransition):
        services.job_transition(job=job, to=S.COMPLETE)


def test_exhausted_submission_carries_on_with_the_part_the_provider_has(make_job, staff, steps):
    steps.impl = Script(
        submit=ProviderUnavailable("Service unavailable.", request_sent=False),
        kept=Submitted("B-1", expected_seconds=5, detail="Carrying on with batch B-1"),
    )
    job = make_job()
    services.job_queue(job=job, actor=staff)
    for _ in range(services.SUBMIT_MAX_ATTEMPTS):
        services.job_submit_step(label="probe", job_id=job.pk)
        if type(job).objects.get(pk=job.pk).status != S.QUEUED:
            break
    job.refresh_from_db()
    assert (job.status, job.provider_ref) == (S.SUBMITTED, "B-1")
    assert steps.impl.calls.count("submit") == services.SUBMIT_MAX_ATTEMPTS
    assert steps.impl.reasons == ["The provider kept failing: Service unavailable."]
    timeline = [e.detail for e in services.job_events(job=job)]
    assert (
        "Stopped submitting (The provider kept failing: Service unavailable.); carrying on "
        "with the part the provider accepted"
    ) in timeline
    assert timeline[-1] == "Carrying on with batch B-1"
    staff.wallet.refresh_from_db()
    assert staff.wallet.held == 100  # still held for the part that runs


def test_permanent_error_with_nothing_accepted_fails_after_asking(make_job, staff, steps):
    steps.impl = Script(submit=InvalidRequest("Bad batch.", status=400), kept=None)
    job = make_job()
    services.job_queue(job=job, actor=staff)
    services.job_submit_step(label="probe", job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_message) == (S.FAILED, "Bad batch.")
    assert steps.impl.calls == ["submit", "give_up"]
    assert_credits_balance(staff.wallet)
