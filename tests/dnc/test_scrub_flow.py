"""DNC scrubs from each source to stored results, against the sandbox with real webhooks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dnc import services
from dnc.models import DncPhone, DncScrub, InternalDnc, PhoneOrigin, PhoneOutcome, PhoneStatus
from dnc.selectors import phone_statuses
from leadops.jobs.models import JobStatus as S
from leadops.jobs.services import job_events
from leadops.sandbox.data import phone_flags
from tests.dnc.conftest import e164, phone
from tests.support.jobs import assert_credits_balance, first_post_times_out, run_until_done
from traces.models import TraceResult

pytestmark = pytest.mark.django_db(transaction=True)

SCRUB = "/tracerfy/v1/api/dnc/scrub/"
FROM_QUEUE = "/tracerfy/v1/api/dnc/scrub-from-queue/"


def _clean(n: int) -> bool:
    return bool(phone_flags(e164(n)[2:])["is_clean"])


def first_clean(count: int = 1, *, start: int = 0) -> list[int]:
    """Test phone numbers (see conftest.phone) the sandbox reports clean."""
    return [n for n in range(start, start + 400) if _clean(n)][:count]


def first_flagged(count: int = 1, *, start: int = 0) -> list[int]:
    return [n for n in range(start, start + 400) if not _clean(n)][:count]


def scrub_list(user, numbers, run_worker, *, team=None, **run):
    draft = services.dnc_draft_from_list(
        team=team or user.wallet.team, user=user, text="\n".join(phone(n) for n in numbers)
    )
    estimate = services.dnc_estimate(job=draft, user=user)
    job = services.dnc_scrub_submit(job=draft, user=user, seen_credits=estimate.total_credits)
    return run_until_done(job, run_worker, **run) if job.status != S.COMPLETE else job


def test_upload_with_three_phone_columns_scrubs_each_phone_once(
    live_sandbox, phone_batch, funded, run_worker
):
    batch = phone_batch(
        [
            ["Pat Doe", phone(1), phone(2), "", "a"],
            ["Sam Roe", phone(3), phone(1), "12", "b"],  # phone 1 again, one invalid
            ["Lee Poe", "", "", "", "c"],  # blank
            ["Kim Moe", phone(4), phone(5), phone(6), "d"],
        ]
    )
    draft = services.dnc_draft_from_import(batch=batch, user=funded)
    assert (draft.phones_unique, draft.phones_duplicate, draft.phones_invalid) == (6, 1, 1)
    assert draft.phones_blank == 1
    invalid = DncPhone.objects.get(job=draft, outcome=PhoneOutcome.INVALID)
    assert (invalid.phone, invalid.line, invalid.column) == ("12", 3, "phone_3")
    assert "12" in invalid.reason
    estimate = services.dnc_estimate(job=draft, user=funded)
    assert (estimate.to_send, estimate.total_credits, estimate.reused) == (6, 6, 0)
    assert not estimate.from_queue

    job = services.dnc_scrub_submit(job=draft, user=funded, seen_credits=6)
    done = run_until_done(job, run_worker)
    assert done.status == S.COMPLETE, done.error_message
    sent = DncPhone.objects.filter(job=done, origin=PhoneOrigin.SENT)
    assert sorted(sent.values_list("phone", flat=True)) == sorted(e164(n) for n in range(1, 7))
    assert not sent.filter(outcome__in=[PhoneOutcome.PENDING, PhoneOutcome.NO_RESULT]).exists()
    for p in sent:  # each phone carries the provider's answer for it
        flags = phone_flags(p.phone[2:])
        assert (p.national_dnc, p.litigator) == (flags["national_dnc"], flags["litigator"])
        assert (p.outcome == PhoneOutcome.CLEAN) == flags["is_clean"]
    assert done.charged_credits == 6
    assert done.hits == sent.filter(outcome=PhoneOutcome.CLEAN).count()
    assert PhoneStatus.objects.filter(team=batch.team).count() == 6
    # One CSV upload with the three phone columns; the webhook announced the end.
    paid = live_sandbox.control.paid_requests()
    assert [(p["path"], p["count"]) for p in paid] == [(SCRUB, 6)]
    assert any("Provider webhook: dnc_scrub" in e.detail for e in job_events(job=done))
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500 - 6
    assert_credits_balance(funded.wallet)


def test_pasted_list_counts_invalid_duplicate_and_blank_and_sends_the_rest(
    live_sandbox, funded, run_worker
):
    text = f"{phone(10)}\n{phone(11)}, 512.555.0110\n\nnot a phone;{phone(12)}\n123\n"
    draft = services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=text)
    assert (draft.phones_unique, draft.phones_duplicate, draft.phones_invalid) == (3, 1, 2)
    reasons = DncPhone.objects.filter(job=draft, outcome=PhoneOutcome.INVALID)
    assert sorted(reasons.values_list("phone", flat=True)) == ["123", "not a phone"]
    job = services.dnc_scrub_submit(job=draft, user=funded, seen_credits=3)
    done = run_until_done(job, run_worker)
    assert done.status == S.COMPLETE
    assert [(p["path"], p["count"]) for p in live_sandbox.control.paid_requests()] == [(SCRUB, 3)]
    assert done.charged_credits == 3
    assert_credits_balance(funded.wallet)


def test_a_list_without_a_valid_phone_is_refused_and_nothing_is_made(funded):
    with pytest.raises(services.DncRefused) as refused:
        services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text="abc, 123\n\n")
    assert str(refused.value) == (
        "The list holds no valid phone number. (2 invalid.) Nothing was charged."
    )
    assert not DncScrub.objects.exists() and not DncPhone.objects.exists()


def test_trace_phones_go_as_scrub_from_queue_then_as_a_list_once_some_are_fresh(
    live_sandbox, finished_trace, funded, run_worker
):
    trace = finished_trace(12)
    numbers = {p["number"] for r in TraceResult.objects.filter(job=trace) for p in r.phones}
    assert numbers, "the sandbox traced no phone"
    mobile = services.dnc_draft_from_trace(trace=trace, user=funded, phone_types="mobile")
    estimate = services.dnc_estimate(job=mobile, user=funded)
    assert estimate.from_queue
    mobiles = {
        p["number"]
        for r in TraceResult.objects.filter(job=trace)
        for p in r.phones
        if p["type"] == "Mobile"
    }
    assert estimate.to_send == len(mobiles)
    done = run_until_done(
        services.dnc_scrub_submit(job=mobile, user=funded, seen_credits=len(mobiles)), run_worker
    )
    assert done.status == S.COMPLETE, done.error_message
    assert done.from_queue
    assert live_sandbox.control.paid_requests()[-1]["path"] == FROM_QUEUE
    assert done.charged_credits == len(mobiles)

    # All phones now: the mobiles are fresh, so only the landlines are sent, as a list.
    every = services.dnc_draft_from_trace(trace=trace, user=funded, phone_types="all")
    estimate = services.dnc_estimate(job=every, user=funded)
    assert (estimate.reused, estimate.to_send) == (len(mobiles), len(numbers) - len(mobiles))
    assert not estimate.from_queue
    again = run_until_done(
        services.dnc_scrub_submit(job=every, user=funded, seen_credits=estimate.total_credits),
        run_worker,
    )
    assert again.status == S.COMPLETE
    last = live_sandbox.control.paid_requests()[-1]
    assert (last["path"], last["count"]) == (SCRUB, len(numbers) - len(mobiles))
    assert again.phones_reused == len(mobiles)
    reused = DncPhone.objects.filter(job=again, origin=PhoneOrigin.REUSED)
    assert reused.count() == len(mobiles)
    assert not reused.filter(outcome=PhoneOutcome.PENDING).exists()
    assert_credits_balance(funded.wallet)


def test_a_trace_still_running_cannot_be_scrubbed(funded, team_a):
    from traces.models import TraceJob

    batch_trace = TraceJob(pk=999, status=S.SUBMITTED)
    with pytest.raises(services.DncRefused, match="has not finished"):
        services.dnc_draft_from_trace(trace=batch_trace, user=funded)


def test_fresh_phones_cost_nothing_then_are_paid_again_after_the_window(
    live_sandbox, funded, run_worker, settings
):
    first = scrub_list(funded, [20, 21, 22], run_worker)
    assert first.charged_credits == 3
    second = scrub_list(funded, [20, 21, 22, 23], run_worker)
    assert (second.phones_reused, second.phones_sent, second.charged_credits) == (3, 1, 1)
    # Everything fresh: nothing to send, completes at once and charges nothing.
    third = scrub_list(funded, [21, 23], run_worker)
    assert third.status == S.COMPLETE
    assert (third.phones_reused, third.phones_sent, third.charged_credits) == (2, 0, 0)
    assert len(live_sandbox.control.paid_requests()) == 2

    # Past the window the store says stale (not clean), and a scrub pays again.
    old = timezone.now() - timedelta(days=settings.DNC_FRESH_DAYS, hours=1)
    PhoneStatus.objects.filter(phone=e164(20)).update(checked_at=old)
    status = phone_statuses(team=funded.wallet.team, phones={e164(20), e164(21)})
    assert status[e164(20)].stale and not status[e164(20)].dialable
    assert not status[e164(21)].stale
    fourth = scrub_list(funded, [20, 21], run_worker)
    assert (fourth.phones_reused, fourth.phones_sent, fourth.charged_credits) == (1, 1, 1)
    assert not phone_statuses(team=funded.wallet.team, phones={e164(20)})[e164(20)].stale
    assert_credits_balance(funded.wallet)


def test_the_internal_list_blocks_a_phone_whatever_the_provider_says(
    live_sandbox, funded, run_worker
):
    clean = first_clean(2, start=30)
    scrub_list(funded, clean, run_worker)  # the provider says both are clean
    InternalDnc.objects.create(team=funded.wallet.team, phone=e164(clean[0]), reason="Asked")
    assert phone_statuses(team=funded.wallet.team, phones={e164(clean[0])})[
        e164(clean[0])
    ].outcome == ("internal")
    fresh = first_clean(1, start=clean[1] + 1)
    InternalDnc.objects.create(team=funded.wallet.team, phone=e164(fresh[0]), reason="Lawyer")
    draft = services.dnc_draft_from_list(
        team=funded.wallet.team,
        user=funded,
        text="\n".join(phone(n) for n in [*clean, fresh[0], 60]),
    )
    estimate = services.dnc_estimate(job=draft, user=funded)
    assert (estimate.blocked, estimate.reused, estimate.to_send) == (2, 1, 1)
    done = run_until_done(
        services.dnc_scrub_submit(job=draft, user=funded, seen_credits=1), run_worker
    )
    blocked = DncPhone.objects.filter(job=done, outcome=PhoneOutcome.INTERNAL)
    assert set(blocked.values_list("phone", flat=True)) == {e164(clean[0]), e164(fresh[0])}
    assert live_sandbox.control.paid_requests()[-1]["count"] == 1
    assert done.phones_blocked == 2


def test_a_changed_estimate_is_shown_again_not_charged(live_sandbox, funded):
    draft = services.dnc_draft_from_list(
        team=funded.wallet.team, user=funded, text=f"{phone(70)}\n{phone(71)}"
    )
    seen = services.dnc_estimate(job=draft, user=funded).total_credits
    InternalDnc.objects.create(team=funded.wallet.team, phone=e164(70), reason="x")
    with pytest.raises(services.EstimateChanged):
        services.dnc_scrub_submit(job=draft, user=funded, seen_credits=seen)
    draft.refresh_from_db()
    assert draft.status == S.DRAFT and draft.hold_id is None
    assert not DncPhone.objects.filter(job=draft).exclude(origin="").exists()


def test_without_webhooks_the_scrub_completes_by_polling(live_sandbox, funded, run_worker):
    live_sandbox.control.faults(webhook_drop_rate=1.0)
    # The poll scheduled for when the scrub should be done; the sweep runs it once due.
    done = scrub_list(funded, [80, 81], run_worker, sweep=True)
    assert done.status == S.COMPLETE
    assert live_sandbox.control.fault_count("webhook_drop") >= 1
    assert not any("Provider webhook" in e.detail for e in job_events(job=done))
    assert DncPhone.objects.filter(job=done, origin=PhoneOrigin.SENT).count() == 2


def test_provider_out_of_credits_fails_the_scrub_and_releases_everything(
    live_sandbox, funded, run_worker
):
    live_sandbox.control.account(balance=0)
    done = scrub_list(funded, [90, 91], run_worker)
    assert done.status == S.FAILED
    assert done.error_message.startswith("Insufficient credits")
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500
    assert_credits_balance(funded.wallet)


def test_a_lost_answer_is_found_by_its_webhook_never_sent_twice(
    monkeypatch, live_sandbox, funded, run_worker
):
    first_post_times_out(monkeypatch, live_sandbox, client_factory="tracerfy_client", path=SCRUB)
    draft = services.dnc_draft_from_list(
        team=funded.wallet.team, user=funded, text=f"{phone(95)}\n{phone(96)}"
    )
    job = services.dnc_scrub_submit(job=draft, user=funded, seen_credits=2)
    done = run_until_done(job, run_worker, timeout=40, reconcile=True)
    assert done.status == S.COMPLETE, done.error_message
    assert len(live_sandbox.control.paid_requests()) == 1
    assert done.charged_credits == 2
    assert_credits_balance(funded.wallet)


def test_submit_twice_with_one_form_makes_one_scrub(live_sandbox, funded):
    from leadops.jobs.tokens import submit_token_issue

    draft = services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=phone(97))
    token = submit_token_issue(user=funded, scope=services.submit_scope(job=draft))
    services.dnc_scrub_submit(job=draft, user=funded, seen_credits=1, token=token)
    with pytest.raises(services.AlreadySubmitted) as again:
        services.dnc_scrub_submit(job=draft, user=funded, seen_credits=1, token=token)
    assert again.value.job.pk == draft.pk
    funded.wallet.refresh_from_db()
    assert funded.wallet.held == 1


def test_a_500_after_processing_is_found_by_its_webhook_and_charged_once(
    live_sandbox, funded, run_worker
):
    live_sandbox.control.faults(processed_error_rate=1.0, paths=[SCRUB], fault_budget=1)
    draft = services.dnc_draft_from_list(
        team=funded.wallet.team, user=funded, text=f"{phone(140)}\n{phone(141)}\n{phone(142)}"
    )
    job = services.dnc_scrub_submit(job=draft, user=funded, seen_credits=3)
    done = run_until_done(job, run_worker, timeout=40, reconcile=True)
    assert done.status == S.COMPLETE, done.error_message
    assert live_sandbox.control.fault_count("processed_error") == 1
    assert len(live_sandbox.control.paid_requests()) == 1
    assert done.charged_credits == 3
    assert_credits_balance(funded.wallet)


def test_a_503_before_processing_is_retried_and_sent_once(
    live_sandbox, funded, run_worker, settings
):
    settings.JOB_SUBMIT_BACKOFF = [0, 0, 0, 0, 0]
    live_sandbox.control.faults(error_rate=1.0, error_status=503, paths=[SCRUB], fault_budget=1)
    draft = services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=phone(143))
    job = services.dnc_scrub_submit(job=draft, user=funded, seen_credits=1)
    done = run_until_done(job, run_worker, timeout=40, resubmit=True)
    assert done.status == S.COMPLETE, done.error_message
    assert len(live_sandbox.control.paid_requests()) == 1
    assert any("Provider error" in e.detail for e in job_events(job=done))
    assert_credits_balance(funded.wallet)


def test_a_trace_with_rows_kept_aside_goes_as_a_list_not_as_its_queue(
    live_sandbox, finished_trace, funded
):
    from traces.models import TraceJob

    trace = finished_trace(6, start=500)
    draft = services.dnc_draft_from_trace(trace=trace, user=funded)
    assert services.dnc_estimate(job=draft, user=funded).from_queue
    # The queue holds phones of a row LeadOps could not attach: they would be checked and
    # charged without being in the estimate.
    TraceJob.objects.filter(pk=trace.pk).update(results_unmatched=1)
    draft.trace.refresh_from_db()
    assert not services.dnc_estimate(job=draft, user=funded).from_queue


def test_a_429_reschedules_the_submit_after_retry_after_without_using_an_attempt(
    live_sandbox, funded, run_worker
):
    live_sandbox.control.faults(
        rate_limit_rate=1.0, retry_after_seconds=1, paths=[SCRUB], fault_budget=1
    )
    draft = services.dnc_draft_from_list(team=funded.wallet.team, user=funded, text=phone(150))
    job = services.dnc_scrub_submit(job=draft, user=funded, seen_credits=1)
    done = run_until_done(job, run_worker, timeout=40, resubmit=True)
    assert done.status == S.COMPLETE, done.error_message
    assert done.submit_attempts == 1
    assert any("rate limit" in e.detail for e in job_events(job=done))
    assert len(live_sandbox.control.paid_requests()) == 1
