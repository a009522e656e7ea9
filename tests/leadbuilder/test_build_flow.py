"""Lead builds from submit to stored rows, against the sandbox with real webhooks and RQ."""

import time

import pytest

from leadbuilder import selectors, services
from leadbuilder.models import LeadBuild, LeadRow, OwnerType
from leadbuilder.spec import CREDITS_PER_ROW, BuildSpec
from leadbuilder.tracerfy_steps import provider_name
from leadops import providers
from leadops.credits import services as credits
from leadops.jobs.models import JobStatus as S
from leadops.jobs.services import (
    job_events,
    job_ingest_step,
    job_start_ingest,
    job_submit_step,
)
from leadops.sandbox.testing import wait_until
from tests.support.jobs import assert_credits_balance, first_post_times_out, run_until_done

pytestmark = pytest.mark.django_db(transaction=True)

EXECUTE = "/tracerfy/v1/api/lead-builder/execute/"
AUSTIN = {"mode": "city", "cities": ["Austin"], "states": ["TX"]}


@pytest.fixture
def builder(staff):
    credits.grant(wallet=staff.wallet, amount=5000, actor=None, reason="t", idempotency_key="lb")
    staff.wallet.refresh_from_db()
    return staff


def previewed(spec: BuildSpec) -> int:
    with providers.tracerfy_client() as client:
        return client.lead_preview(**spec.provider_body()).max_credit_cost


def submit(user, spec: BuildSpec, **kwargs) -> LeadBuild:
    return services.lead_build_submit(
        team=user.wallet.team, user=user, spec=spec, seen_credits=previewed(spec), **kwargs
    )


def test_a_build_runs_to_stored_rows_and_captures_what_tracerfy_charged(
    live_sandbox, builder, run_worker
):
    spec = BuildSpec(strategies=("vacant", "high_equity_absentee"), geography=AUSTIN)
    spec = spec.replace(requested_count=120, overrides={"year_built_max": 2010})
    build = submit(builder, spec, name="Austin vacant")
    assert build.status == S.QUEUED and build.estimated_credits == previewed(spec)
    assert [key for key, _ in build.filters_sent] == ["vacant", "high_equity_absentee"]
    assert build.filters_sent[1][1] == {
        "absentee_owner": True,
        "high_equity": True,
        "year_built_max": 2010,
    }
    done = run_until_done(build, run_worker, timeout=40)
    assert done.status == S.COMPLETE, done.error_message
    rows = LeadRow.objects.filter(build=done)
    assert rows.count() == done.rows_done > 0
    assert done.charged_credits == done.rows_done * CREDITS_PER_ROW
    paid = live_sandbox.control.paid_requests()
    assert len(paid) == 1
    with providers.tracerfy_client() as client:
        assert client.lead_status(int(done.provider_ref)).name == provider_name(done)
    first = rows.order_by("position").first()
    assert first.position == 1 and first.address and first.state == "TX"
    assert first.sell_score is not None and first.sell_category in ("High", "Medium", "Low")
    assert first.data["sell_propensity_factors"]
    assert first.owner_type in (OwnerType.INDIVIDUAL, OwnerType.COMPANY)
    assert rows.filter(has_phone=True).count() == done.hits
    # The rows page's unfiltered chart and count: counted once, at ingest.
    assert done.score_counts == selectors.score_counts(rows=rows)
    assert done.score_counts["total"] == done.rows_done
    assert all(p.startswith("+1") for p in rows.exclude(primary_phone="").values_list(
        "primary_phone", flat=True))  # fmt: skip
    builder.wallet.refresh_from_db()
    assert builder.wallet.available == 5000 - done.charged_credits
    assert_credits_balance(builder.wallet)
    assert any("Fetching properties" in e.detail or "Tracerfy finished" in e.detail
               for e in job_events(job=done))  # fmt: skip


def test_rows_answering_409_reschedule_the_fetch_without_sleeping(
    live_sandbox, builder, run_worker
):
    live_sandbox.control.settings(speed=0.25)  # the list stays pending for seconds
    build = submit(builder, BuildSpec(geography=AUSTIN, requested_count=30))
    job_submit_step(label=build.JOB_LABEL, job_id=build.pk)
    build.refresh_from_db()
    # Something claims it is ready too early (a stray webhook, a reordered poll).
    assert job_start_ingest(job=build, detail="Premature signal")
    started = time.monotonic()
    job_ingest_step(label=build.JOB_LABEL, job_id=build.pk)
    assert time.monotonic() - started < 2  # rescheduled, not waited out
    build.refresh_from_db()
    assert build.status == S.SUBMITTED and build.next_poll_at is not None
    assert any("Results not downloadable yet" in e.detail for e in job_events(job=build))
    assert not LeadRow.objects.filter(build=build).exists()
    live_sandbox.control.settings(speed=1.0)
    done = run_until_done(build, run_worker, timeout=90, sweep=True)
    assert done.status == S.COMPLETE, done.error_message
    assert LeadRow.objects.filter(build=done).count() == done.rows_done > 0
    assert_credits_balance(builder.wallet)


def test_without_webhooks_the_build_completes_by_polling(live_sandbox, builder, run_worker):
    live_sandbox.control.faults(webhook_drop_rate=1.0)
    build = submit(builder, BuildSpec(geography={"mode": "zips", "zip_codes": ["78701"]}))
    done = run_until_done(build, run_worker, timeout=60, sweep=True)
    assert done.status == S.COMPLETE, done.error_message
    assert live_sandbox.control.fault_count("webhook_drop") >= 1


def test_the_execute_limit_refuses_before_anything_is_held(live_sandbox, builder):
    limiter = providers.limiter()
    hourly = limiter.limits[services.EXECUTE_FAMILY][0].count
    for _ in range(hourly):
        assert limiter.acquire(services.EXECUTE_FAMILY) == 0
    allowance = services.execute_allowance()
    assert allowance.blocked is not None and allowance.near is not None
    with pytest.raises(services.BuildRefused, match=r"10 builds an hour and 50 a day.*next build"):
        submit(builder, BuildSpec(geography=AUSTIN, requested_count=10))
    assert not LeadBuild.objects.exists()
    builder.wallet.refresh_from_db()
    assert builder.wallet.held == 0
    assert len(live_sandbox.control.paid_requests()) == 0


def test_a_429_from_execute_waits_and_executes_once(live_sandbox, builder, run_worker):
    live_sandbox.control.faults(
        rate_limit_rate=1.0, retry_after_seconds=1, paths=[EXECUTE], fault_budget=1
    )
    build = submit(builder, BuildSpec(geography=AUSTIN, requested_count=10))
    done = run_until_done(build, run_worker, timeout=40, resubmit=True)
    assert done.status == S.COMPLETE, done.error_message
    assert done.submit_attempts == 1
    assert any("rate limit" in e.detail for e in job_events(job=done))
    assert len(live_sandbox.control.paid_requests()) == 1


def test_a_lost_execute_answer_is_found_by_its_webhook_never_executed_twice(
    monkeypatch, live_sandbox, builder, run_worker
):
    build_spec = BuildSpec(geography=AUSTIN, requested_count=15)
    cost = previewed(build_spec)
    first_post_times_out(monkeypatch, live_sandbox, client_factory="tracerfy_client", path=EXECUTE)
    build = services.lead_build_submit(
        team=builder.wallet.team, user=builder, spec=build_spec, seen_credits=cost
    )
    done = run_until_done(build, run_worker, timeout=40, reconcile=True)
    assert done.status == S.COMPLETE, done.error_message
    assert len(live_sandbox.control.paid_requests()) == 1
    assert any("Found our build" in e.detail for e in job_events(job=done))
    assert_credits_balance(builder.wallet)


def test_a_failed_build_releases_every_credit(live_sandbox, builder, run_worker):
    live_sandbox.control.faults(queue_failed_rate=1.0, queue_kinds=["lead_list"])
    build = submit(builder, BuildSpec(geography=AUSTIN, requested_count=10))
    done = run_until_done(build, run_worker, timeout=40)
    assert done.status == S.FAILED
    assert "Tracerfy could not build the list" in done.error_message
    builder.wallet.refresh_from_db()
    assert builder.wallet.available == 5000
    assert_credits_balance(builder.wallet)


def test_one_form_makes_one_build(live_sandbox, builder):
    from leadops.jobs.tokens import submit_token_issue

    token = submit_token_issue(user=builder, scope=services.SUBMIT_SCOPE)
    spec = BuildSpec(geography=AUSTIN, requested_count=10)
    first = submit(builder, spec, token=token)
    with pytest.raises(services.AlreadySubmitted) as again:
        submit(builder, spec, token=token)
    assert again.value.build.pk == first.pk
    assert LeadBuild.objects.count() == 1


def test_a_cost_that_does_not_fit_the_request_is_refused(live_sandbox, builder):
    spec = BuildSpec(geography=AUSTIN, requested_count=10)
    with pytest.raises(services.BuildRefused, match="Preview the list first"):
        services.lead_build_submit(
            team=builder.wallet.team, user=builder, spec=spec, seen_credits=51
        )
    with pytest.raises(services.BuildRefused, match="geography"):
        services.lead_build_submit(
            team=builder.wallet.team, user=builder, spec=BuildSpec(), seen_credits=5
        )


def test_an_ingest_that_dies_half_way_is_redone_without_duplicates(
    live_sandbox, builder, run_worker, settings, monkeypatch
):
    """The worker dies after storing the first rows (the step runs here and is cut off, as a
    killed worker would be): the sweep runs the ingest again, which replaces those rows; the
    build is charged once, for the rows delivered."""
    from leadbuilder import services as lead_services
    from leadbuilder import tracerfy_steps

    chunk_rows = 1000
    monkeypatch.setattr(lead_services, "CHUNK_ROWS", chunk_rows)
    credits.grant(wallet=builder.wallet, amount=20_000, actor=None, reason="t", idempotency_key="b")
    build = submit(builder, BuildSpec(geography=AUSTIN, requested_count=3000))
    job_submit_step(label=build.JOB_LABEL, job_id=build.pk)
    build.refresh_from_db()
    with providers.tracerfy_client() as client:
        wait_until(lambda: client.lead_status(int(build.provider_ref)).is_complete, timeout=30)
    real = tracerfy_steps.row_pages

    def dies_after_a_chunk(client, ref, **kwargs):
        stored = 0
        for page in real(client, ref, **kwargs):
            yield page
            stored += len(page.rows)
            if stored > chunk_rows:
                raise SystemExit("worker killed")

    monkeypatch.setattr(tracerfy_steps, "row_pages", dies_after_a_chunk)
    assert job_start_ingest(job=build, detail="Tracerfy finished")
    with pytest.raises(SystemExit):
        job_ingest_step(label=build.JOB_LABEL, job_id=build.pk)
    assert chunk_rows <= LeadRow.objects.filter(build=build).count() < 3000
    monkeypatch.setattr(tracerfy_steps, "row_pages", real)
    settings.JOB_STUCK_AFTER_SECONDS = 0
    done = run_until_done(build, run_worker, timeout=60, sweep=True)
    assert done.status == S.COMPLETE, done.error_message
    rows = LeadRow.objects.filter(build=done)
    assert rows.count() == done.rows_done > chunk_rows
    assert rows.values("position").distinct().count() == rows.count()
    assert done.charged_credits == done.rows_done * CREDITS_PER_ROW
    assert len(live_sandbox.control.paid_requests()) == 1
    assert_credits_balance(builder.wallet)
