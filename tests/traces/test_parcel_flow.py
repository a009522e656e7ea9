"""APN / parcel batch traces against the sandbox: upload parcels, Tracerfy's parcel queue,
the `parcel_trace` webhook into the live app, a real RQ worker, and results matched to the
parcels by APN + county + state from the download CSV."""

import csv
import io

import pytest
from django.urls import reverse

from leadops import providers
from leadops.jobs import services as job_services
from leadops.jobs.models import JobStatus as S
from leadops.jobs.webhooks import job_completed
from leadops.providers.errors import NotFound
from leadops.webhooks import registry
from leadops.webhooks.models import EventStatus, WebhookEvent
from tests.support.forms import submit_token
from tests.support.jobs import assert_credits_balance, first_post_times_out, run_until_done
from tests.support.rows import parcel_rows
from traces import services
from traces.models import MatchStatus, TraceJob, TraceResult

pytestmark = pytest.mark.django_db(transaction=True)


def parcel_job(batch, user):
    return services.trace_job_create(batch=batch, trace_type="parcel", user=user)


def parcel_queue_exists(queue_id: int) -> bool:
    with providers.tracerfy_client() as client:
        try:
            client.parcel_queue(queue_id)
        except NotFound:
            return False
    return True


def test_parcels_from_upload_to_matched_results(live_sandbox, stored_parcels, funded, run_worker):
    batch = stored_parcels(parcel_rows(12))
    assert batch.mapping["Parcel Number"] == "apn"
    estimate = services.trace_estimate(batch=batch, trace_type="parcel", user=funded)
    assert (estimate.unique_records, estimate.to_send, estimate.credits_per_record) == (12, 12, 5)
    assert estimate.total_credits == 60 and estimate.problem == ""
    before = live_sandbox.control.balance()

    job = parcel_job(batch, funded)
    done = run_until_done(job, run_worker)

    assert done.status == S.COMPLETE, done.error_message
    assert done.provider_ref and int(done.provider_ref) >= 201  # a parcel queue id
    results = TraceResult.objects.filter(job=done).select_related("record")
    assert results.count() == 12
    assert not results.filter(record__isnull=True).exists()
    hits = [r for r in results if r.status == MatchStatus.HIT]
    assert done.hits == len(hits) > 0
    # Tracerfy's own figure is what is captured: 5 per hit, the same as it took.
    assert done.charged_credits == 5 * len(hits) == before - live_sandbox.control.balance()
    for result in results:
        # Each result is the row Tracerfy echoed for exactly this parcel.
        assert result.raw["parcel_id"].lstrip("#") == result.record.values["apn"]
        assert result.match_key == services.record_match_key(result.record.values, parcel=True)
    hit = hits[0]
    assert hit.last_name and hit.raw["property_address"]
    assert {"number", "type", "dnc", "carrier"} <= set(hit.phones[0])
    assert hit.primary_phone == hit.phones[0]["number"]
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (500 - 5 * len(hits), 0)
    assert_credits_balance(funded.wallet)
    # The completion came by the parcel_trace webhook and was processed against this job.
    event = WebhookEvent.objects.get(kind="parcel_trace")
    assert event.status == EventStatus.PROCESSED
    assert event.payload()["parcel_queue_id"] == int(done.provider_ref)


def test_parcel_job_completes_by_polling_when_the_webhook_is_lost(
    live_sandbox, stored_parcels, funded, run_worker
):
    live_sandbox.control.faults(webhook_drop_rate=1.0)
    job = parcel_job(stored_parcels(parcel_rows(6)), funded)
    done = run_until_done(job, run_worker, sweep=True)
    assert done.status == S.COMPLETE, done.error_message
    assert not WebhookEvent.objects.exists()
    assert done.results.filter(record__isnull=False).count() == 6
    assert_credits_balance(funded.wallet)


@pytest.fixture
def parcel_post_times_out(live_sandbox, monkeypatch):
    """Tracerfy takes the first parcel POST but answers after our read timeout."""
    first_post_times_out(
        monkeypatch,
        live_sandbox,
        client_factory="tracerfy_client",
        path="/tracerfy/v1/api/trace/parcel/",
    )
    return live_sandbox


def test_timed_out_parcel_post_is_found_by_its_webhook_not_resent(
    parcel_post_times_out, stored_parcels, funded, run_worker
):
    job = parcel_job(stored_parcels(parcel_rows(8)), funded)
    run_worker()  # the POST times out; the reconcile step is scheduled
    assert TraceJob.objects.get(pk=job.pk).status == S.SUBMITTING
    done = run_until_done(job, run_worker, reconcile=True)
    assert done.status == S.COMPLETE, done.error_message
    assert done.provider_ref == "201"
    assert not parcel_queue_exists(202)  # sent once, not twice
    timeline = " ".join(e.detail for e in job_services.job_events(job=done))
    assert "Found our submission as Tracerfy parcel queue 201" in timeline
    assert done.results.filter(record__isnull=False).count() == 8
    assert_credits_balance(funded.wallet)


def test_unconfirmed_parcel_post_fails_after_the_wait_and_is_never_resent(
    parcel_post_times_out, stored_parcels, funded, run_worker, settings
):
    parcel_post_times_out.control.faults(webhook_drop_rate=1.0)
    settings.PARCEL_LOST_AFTER_SECONDS = 4
    job = parcel_job(stored_parcels(parcel_rows(5)), funded)
    done = run_until_done(job, run_worker, reconcile=True)
    assert done.status == S.FAILED
    assert "LeadOps did not send the parcels again; credits are returned" in done.error_message
    assert parcel_queue_exists(201)
    assert not parcel_queue_exists(202)
    waits = [
        e.detail
        for e in job_services.job_events(job=done)
        if e.detail.startswith("Could not confirm the submission yet")
    ]
    assert len(waits) == 1  # the repeated wait is said once, not every 0.6 s
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (500, 0)
    assert_credits_balance(funded.wallet)


def test_provider_out_of_credits_fails_the_parcel_job_and_charges_nothing(
    live_sandbox, stored_parcels, funded, run_worker
):
    live_sandbox.control.account(balance=4)
    done = run_until_done(parcel_job(stored_parcels(parcel_rows(3)), funded), run_worker)
    assert done.status == S.FAILED
    assert done.error_message == "Insufficient credits for parcel trace."
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500
    assert_credits_balance(funded.wallet)


def test_recently_traced_parcels_are_reused_not_paid_again(
    live_sandbox, stored_parcels, funded, run_worker
):
    first = run_until_done(parcel_job(stored_parcels(parcel_rows(8)), funded), run_worker)
    assert first.status == S.COMPLETE
    # The same parcels spelled another way: no '#', no dashes, county without "County".
    again_rows = [
        [r[0].replace("#", "").replace("-", ""), "Palm Beach", "fl", r[3]] for r in parcel_rows(8)
    ]
    again = stored_parcels(again_rows, name="again.csv")
    estimate = services.trace_estimate(batch=again, trace_type="parcel", user=funded)
    assert estimate.reused == first.hits
    assert estimate.total_credits == 5 * (8 - first.hits)
    second = run_until_done(parcel_job(again, funded), run_worker)
    assert second.status == S.COMPLETE
    assert second.records_reused == first.hits
    assert second.results.filter(reused_from__isnull=False).count() == first.hits
    assert second.results.filter(record__isnull=False).count() == 8
    assert_credits_balance(funded.wallet)


def test_parcel_results_page_and_export(live_sandbox, stored_parcels, funded, run_worker, client):
    job = run_until_done(parcel_job(stored_parcels(parcel_rows(4)), funded), run_worker)
    client.force_login(funded)
    page = client.get(reverse("traces:detail", args=[job.pk])).content.decode()
    assert "APN 00-4241-09-00000" in page and "Palm Beach County" in page
    response = client.get(reverse("traces:export", args=[job.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["Parcel Number", "County", "State"]
    for column in [
        "Result: Property address (found)",
        "Result: Phone 1",
        "Result: Phone 1 DNC",
        "Result: Email 1",
    ]:
        assert column in header
    notes = header.index("Notes")
    assert {r[notes] for r in rows[1:]} == {f"'=lot {i}" for i in range(4)}  # injection-safe
    found = header.index("Result: Property address (found)")
    dnc = header.index("Result: Phone 1 DNC")
    hit_rows = [r for r in rows[1:] if r[header.index("LeadOps status")] == "Hit"]
    assert len(hit_rows) == job.hits
    # The DNC column says what the team's scrubs know (nothing yet), not the provider's flag.
    assert all(r[found] and r[dnc] == "Not scrubbed" for r in hit_rows)


def test_parcel_and_trace_webhooks_poll_only_their_own_kind_of_job(
    stored_batch, stored_parcels, funded, rq_redis
):
    """Tracerfy numbers trace queues and parcel queues separately: 42 can be both."""
    from tests.support.rows import owner_rows

    trace = services.trace_job_create(
        batch=stored_batch(owner_rows(2)), trace_type="normal", user=funded
    )
    parcel = parcel_job(stored_parcels(parcel_rows(2)), funded)
    for job in (trace, parcel):
        TraceJob.objects.filter(pk=job.pk).update(status=S.SUBMITTED, provider_ref="42")

    def deliver(kind, payload):
        described = registry.provider("tracerfy").describe(payload, {})
        assert described.kind == kind
        event = WebhookEvent.objects.create(
            provider="tracerfy",
            kind=kind,
            ref=described.ref,
            dedupe_key=described.dedupe_key,
            body="{}",
        )
        return job_completed(event=event, payload=payload)

    assert deliver("parcel_trace", {"type": "parcel_trace", "parcel_queue_id": 42}) == "processed"
    timeline = lambda job: [e.detail for e in job_services.job_events(job=job)]  # noqa: E731
    assert "Provider webhook: parcel_trace 42 finished" in timeline(parcel)
    assert not any("webhook" in d for d in timeline(trace))
    assert deliver("trace", {"id": 42, "trace_type": "normal"}) == "processed"
    assert "Provider webhook: trace 42 finished" in timeline(trace)
    assert "Provider webhook: trace 42 finished" not in timeline(parcel)


def test_trace_type_must_fit_the_import(stored_batch, stored_parcels, funded):
    from tests.support.rows import owner_rows

    parcels = stored_parcels(parcel_rows(3))
    addresses = stored_batch(owner_rows(3))
    cases = [
        (parcels, "normal", "tracerfy", "choose the APN / parcel trace"),
        (addresses, "parcel", "tracerfy", "An APN trace needs an import of parcel numbers"),
        (parcels, "parcel", "reapi", "APN / parcel traces run on Tracerfy only."),
    ]
    for batch, trace_type, provider, words in cases:
        estimate = services.trace_estimate(
            batch=batch, trace_type=trace_type, user=funded, provider=provider
        )
        assert words in estimate.problem
        with pytest.raises(services.TraceRefused, match=words.replace(".", r"\.")):
            services.trace_job_create(
                batch=batch, trace_type=trace_type, user=funded, provider=provider
            )
    assert not TraceJob.objects.exists()
    funded.wallet.refresh_from_db()
    assert funded.wallet.held == 0


def test_cost_preview_for_parcels_offers_only_the_parcel_trace(
    live_sandbox, stored_parcels, funded, client
):
    batch = stored_parcels(parcel_rows(3))
    client.force_login(funded)
    preview = client.get(reverse("imports:preview", args=[batch.pk])).content.decode()
    assert reverse("traces:new", args=[batch.pk]) in preview
    page = client.get(reverse("traces:new", args=[batch.pk]) + "?type=normal&provider=reapi")
    html = page.content.decode()
    assert 'value="parcel"' in html and 'value="normal"' not in html
    assert 'value="reapi"' not in html
    assert "5 credits per hit" in html
    assert page.context["estimate"].total_credits == 15
    response = client.post(
        reverse("traces:new", args=[batch.pk]),
        {
            "provider": "tracerfy",
            "trace_type": "parcel",
            "expected_credits": 15,
            "submit_token": submit_token(html),
        },
    )
    job = TraceJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("traces:detail", args=[job.pk])
    assert (job.trace_type, job.estimated_credits) == ("parcel", 15)
    assert (
        len(live_sandbox.control.deliveries("tracerfy.parcel")) == 0
    )  # nothing sent before the worker
