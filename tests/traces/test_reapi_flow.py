"""RealEstateAPI skip tracing against the sandbox: per-item webhooks into the live app, a
real RQ worker, and results attached by exact key (ImportRecord pk)."""

import copy
import json
import uuid

import httpx
import pytest

from leadops.credits import services as credits
from leadops.jobs import services as job_services
from leadops.jobs.models import JobStatus as S
from leadops.webhooks.models import EventStatus, WebhookEvent
from leadops.webhooks.services import webhook_reprocess
from tests.support.jobs import assert_credits_balance, first_post_times_out, run_until_done
from tests.support.rows import owner_rows
from traces import services
from traces.models import MatchStatus, ReapiBatch, TraceJob, TraceResult

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = "tests/fixtures/reapi"


def reapi_job(batch, user):
    return services.trace_job_create(batch=batch, trace_type="normal", user=user, provider="reapi")


def assert_attached_by_key(job, expected: int) -> list[TraceResult]:
    """Every record sent has exactly one result, and it is the one RealEstateAPI keyed to it."""
    results = list(TraceResult.objects.filter(job=job, record__isnull=False))
    assert len(results) == expected
    assert len({r.record_id for r in results}) == expected
    for result in results:
        if "input" in result.raw:
            assert result.raw["input"]["key"] == str(result.record_id)
    return results


def test_25_records_complete_with_results_on_the_keyed_records(
    live_reapi, stored_batch, funded, run_worker
):
    batch = stored_batch(owner_rows(25))
    estimate = services.trace_estimate(
        batch=batch, trace_type="normal", user=funded, provider="reapi"
    )
    assert (estimate.to_send, estimate.total_credits, estimate.problem) == (25, 25, "")

    done = run_until_done(reapi_job(batch, funded), run_worker)
    assert done.status == S.COMPLETE, done.error_message
    results = assert_attached_by_key(done, 25)
    assert all("input" in r.raw for r in results)  # every one came from a webhook
    hits = [r for r in results if r.status == MatchStatus.HIT]
    assert 0 < len(hits) < 25
    assert done.hits == len(hits) and done.charged_credits == len(hits)
    assert done.rows_done == 25 and done.results_unmatched == 0
    for hit in hits:
        assert hit.primary_phone and "55501" in hit.primary_phone
        assert hit.match_key == services.record_match_key(hit.record.values)
    (chunk,) = ReapiBatch.objects.filter(job=done)
    assert (chunk.keys, chunk.received, chunk.completed_at is not None) == (25, 25, True)
    assert done.provider_ref == chunk.batch_id
    assert len(live_reapi.control.deliveries("reapi.item")) == 25
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500 - len(hits)
    assert_credits_balance(funded.wallet)


def test_over_1000_records_go_in_two_chunks_of_at_least_ten(
    live_reapi, stored_batch, funded, run_worker
):
    # 1,005 result webhooks at 250 a second (RealEstateAPI documents 50): faster is no
    # truer, and a live test server on SQLite cannot take thousands a second.
    live_reapi.control.settings(webhook_rate=250)
    credits.grant(wallet=funded.wallet, amount=1000, actor=None, reason="t", idempotency_key="big")
    batch = stored_batch(owner_rows(1005))
    done = run_until_done(reapi_job(batch, funded), run_worker, timeout=120)
    assert done.status == S.COMPLETE, done.error_message
    chunks = list(ReapiBatch.objects.filter(job=done).order_by("chunk"))
    assert [(c.chunk, c.keys, c.received) for c in chunks] == [(0, 995, 995), (1, 10, 10)]
    assert len({c.batch_id for c in chunks}) == 2
    results = assert_attached_by_key(done, 1005)
    by_batch = {}
    for result in results:
        by_batch.setdefault(result.raw["batchId"], 0)
        by_batch[result.raw["batchId"]] += 1
    assert sorted(by_batch.values()) == [10, 995]
    assert done.charged_credits == done.hits == sum(r.status == MatchStatus.HIT for r in results)
    assert_credits_balance(funded.wallet)
    # Each batch is on the timeline as it is accepted, then the whole once.
    timeline = [e.detail for e in job_services.job_events(job=done)]
    assert [d for d in timeline if "accepted" in d] == [
        f"RealEstateAPI accepted batch 1 of 2 (995 records) as {chunks[0].batch_id}",
        f"RealEstateAPI accepted batch 2 of 2 (10 records) as {chunks[1].batch_id}",
        f"RealEstateAPI accepted 1,005 records in 2 batches "
        f"({chunks[0].batch_id}, {chunks[1].batch_id})",
    ]


def test_duplicated_and_reordered_webhooks_change_nothing_twice(
    live_reapi, stored_batch, funded, run_worker
):
    live_reapi.control.faults(webhook_duplicate_rate=1.0, webhook_reorder=True)
    done = run_until_done(reapi_job(stored_batch(owner_rows(25)), funded), run_worker)
    assert done.status == S.COMPLETE, done.error_message
    assert len(live_reapi.control.deliveries("reapi.item")) == 50
    assert WebhookEvent.objects.filter(provider="reapi", kind="item", duplicates=1).count() == 25
    results = assert_attached_by_key(done, 25)
    hits = sum(r.status == MatchStatus.HIT for r in results)
    assert done.hits == done.charged_credits == hits

    # Processing every stored event again (as the admin action does) changes nothing.
    for event in WebhookEvent.objects.filter(provider="reapi"):
        webhook_reprocess(event=event)
    run_worker()
    again = TraceJob.objects.get(pk=done.pk)
    assert (again.hits, again.rows_done, again.charged_credits) == (hits, 25, hits)
    assert TraceResult.objects.filter(job=done).count() == 25
    assert ReapiBatch.objects.get(job=done).received == 25
    assert funded.wallet.entries.filter(kind="capture").count() == 1
    assert_credits_balance(funded.wallet)


def test_lost_webhooks_complete_by_deadline_through_the_sweep(
    live_reapi, stored_batch, funded, run_worker, settings
):
    live_reapi.control.faults(webhook_drop_rate=1.0)
    settings.REAPI_CHUNK_DEADLINE_SECONDS = 1
    job = reapi_job(stored_batch(owner_rows(25)), funded)
    run_worker()
    assert TraceJob.objects.get(pk=job.pk).status == S.SUBMITTED
    done = run_until_done(job, run_worker, sweep=True)
    # RealEstateAPI accepted the batch, so the job is not failed: complete with errors.
    assert done.status == S.PARTIAL, done.error_message
    assert not WebhookEvent.objects.exists()
    results = assert_attached_by_key(done, 25)
    assert {(r.status, r.raw.get("note")) for r in results} == {
        (
            MatchStatus.NO_RESULT,
            "no result received: whose result webhook from RealEstateAPI never arrived",
        )
    }
    assert (done.hits, done.charged_credits) == (0, 0)
    assert done.error_message == (
        "25 of 25 records got no result (25 whose result webhook from RealEstateAPI never "
        "arrived). They were not charged; re-trace them from this page."
    )
    timeline = " ".join(e.detail for e in job_services.job_events(job=done))
    assert "No completion call from RealEstateAPI by the deadline" in timeline
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500
    assert_credits_balance(funded.wallet)


def test_dropped_item_webhooks_are_no_result_and_only_hits_are_charged(
    live_reapi, stored_batch, funded, run_worker, settings
):
    live_reapi.control.faults(webhook_drop_rate=0.3)
    settings.REAPI_CHUNK_DEADLINE_SECONDS = 3
    settings.REAPI_RESULT_GRACE_SECONDS = 0.5
    done = run_until_done(reapi_job(stored_batch(owner_rows(25)), funded), run_worker, sweep=True)
    assert done.status == S.PARTIAL, done.error_message
    delivered = {
        d["payload"]["input"]["key"]
        for d in live_reapi.control.deliveries("reapi.item")
        if not d["dropped"]
    }
    assert 0 < len(delivered) < 25
    results = assert_attached_by_key(done, 25)
    from_webhooks = {str(r.record_id) for r in results if "input" in r.raw}
    assert from_webhooks == delivered
    lost = [r for r in results if r.status == MatchStatus.NO_RESULT]
    assert {str(r.record_id) for r in lost} == {str(r.record_id) for r in results} - delivered
    assert all(r.raw["note"].startswith("no result received") for r in lost)
    hits = sum(r.status == MatchStatus.HIT for r in results)
    misses = sum(r.status == MatchStatus.MISS for r in results)
    assert hits + misses + len(lost) == 25
    assert done.charged_credits == done.hits == hits
    assert done.error_message.startswith(f"{len(lost)} of 25 records got no result")
    hold = done.hold
    hold.refresh_from_db()
    assert (hold.amount, hold.captured, hold.released) == (25, hits, 25 - hits)
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500 - hits
    assert_credits_balance(funded.wallet)


def test_unknown_keys_are_kept_aside_never_attached(
    live_reapi, live_server, stored_batch, funded, run_worker, settings
):
    job = reapi_job(stored_batch(owner_rows(12)), funded)
    other = stored_batch(owner_rows(10, start=900), name="other.csv")
    stranger = other.records.order_by("line").first()
    with open(f"{FIXTURES}/webhook_item_match.json") as fixture:
        template = json.load(fixture)
    url = f"{live_server.url}/webhooks/reapi/{settings.WEBHOOK_TOKEN}/?job={job.pk}"
    for key in ["not-a-record", str(stranger.pk)]:
        item = copy.deepcopy(template)
        item["batchRequestId"] = str(uuid.uuid4())
        item["input"]["key"] = key
        for _ in range(2):  # a duplicate delivery is stored once
            response = httpx.post(url, json=item, headers={"x-api-key": "sandbox-key"}, timeout=10)
            assert response.status_code == 200
    done = run_until_done(job, run_worker)
    assert done.status == S.COMPLETE, done.error_message
    assert_attached_by_key(done, 12)
    kept = TraceResult.objects.filter(job=done, status=MatchStatus.UNMATCHED)
    assert kept.count() == 2 and not kept.filter(record__isnull=False).exists()
    assert {r.raw["input"]["key"] for r in kept} == {"not-a-record", str(stranger.pk)}
    assert not TraceResult.objects.filter(record=stranger).exists()
    assert done.results_unmatched == 2
    timeline = " ".join(e.detail for e in job_services.job_events(job=done))
    assert "which is no record of this trace; kept aside as unmatched" in timeline
    assert "2 results matched no record and were kept aside" in timeline
    events = WebhookEvent.objects.filter(provider="reapi", kind="item", query__job=str(job.pk))
    assert events.filter(status=EventStatus.PROCESSED).count() == 14
    assert_credits_balance(funded.wallet)


def test_fewer_than_ten_records_are_refused(live_reapi, stored_batch, funded):
    batch = stored_batch(owner_rows(9))
    estimate = services.trace_estimate(
        batch=batch, trace_type="normal", user=funded, provider="reapi"
    )
    message = (
        "RealEstateAPI traces at least 10 records in a batch; this trace would send 9. "
        "Choose Tracerfy, or trace a larger file."
    )
    assert estimate.problem == message
    with pytest.raises(services.TraceRefused) as refused:
        reapi_job(batch, funded)
    assert str(refused.value) == message
    assert not TraceJob.objects.exists()
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (500, 0)


@pytest.fixture
def post_times_out(live_reapi, monkeypatch):
    """The sandbox accepts the first SkipTraceBatch POST but answers after our read timeout."""
    first_post_times_out(
        monkeypatch, live_reapi, client_factory="reapi_client", path="/reapi/v1/SkipTraceBatch"
    )
    return live_reapi


def test_timed_out_post_is_confirmed_by_its_webhooks_not_resent(
    post_times_out, stored_batch, funded, run_worker
):
    job = reapi_job(stored_batch(owner_rows(25)), funded)
    run_worker()  # the POST times out: the chunk is unconfirmed, never resent
    done = run_until_done(job, run_worker, sweep=True)
    assert done.status == S.COMPLETE, done.error_message
    assert len(post_times_out.control.deliveries("reapi.item")) == 25  # sent once, not twice
    (chunk,) = ReapiBatch.objects.filter(job=done)
    assert chunk.completed_at is not None and chunk.received == 25
    timeline = " ".join(e.detail for e in job_services.job_events(job=done))
    assert "did not answer within 1 s" in timeline
    assert f"RealEstateAPI's result webhooks confirm batch 1 of 1 as {chunk.batch_id}" in timeline
    assert_attached_by_key(done, 25)
    assert done.charged_credits == done.hits
    assert_credits_balance(funded.wallet)


def test_unconfirmed_timed_out_post_fails_instead_of_resending(
    post_times_out, stored_batch, funded, run_worker, settings
):
    post_times_out.control.faults(webhook_drop_rate=1.0)
    settings.REAPI_CONFIRM_SECONDS = 0
    job = reapi_job(stored_batch(owner_rows(25)), funded)
    done = run_until_done(job, run_worker, sweep=True)
    assert done.status == S.FAILED
    assert done.error_message.startswith(
        "RealEstateAPI has no batch of this trace that LeadOps could confirm (25 records in "
        "batch 1 of 1, which RealEstateAPI did not confirm within 0 s)."
    )
    assert "check its dashboard before retrying" in done.error_message
    assert len(post_times_out.control.deliveries("reapi.item")) == 25  # one POST only
    (chunk,) = ReapiBatch.objects.filter(job=done)
    assert (chunk.state, chunk.batch_id) == ("given_up", "")
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500
    assert_credits_balance(funded.wallet)


def test_recently_traced_records_are_reused_and_not_sent(
    live_reapi, stored_batch, funded, run_worker
):
    first = run_until_done(reapi_job(stored_batch(owner_rows(12)), funded), run_worker)
    assert first.status == S.COMPLETE, first.error_message
    again = stored_batch(owner_rows(30), name="more.csv")
    second = run_until_done(reapi_job(again, funded), run_worker)
    assert second.status == S.COMPLETE, second.error_message
    assert second.records_reused == first.hits
    assert second.records_sent == 30 - first.hits
    sent = [
        d["payload"]["input"]["key"]
        for d in live_reapi.control.deliveries("reapi.item")
        if d["payload"]["batchId"] == second.provider_ref
    ]
    reused_ids = set(
        second.results.filter(reused_from__isnull=False).values_list("record_id", flat=True)
    )
    assert len(sent) == second.records_sent and not {int(k) for k in sent} & reused_ids
    assert second.results.filter(record__isnull=False).count() == 30
    assert second.charged_credits == second.hits
    assert_credits_balance(funded.wallet)


def test_a_failed_second_chunk_is_retried_alone(
    live_reapi, stored_batch, funded, run_worker, monkeypatch
):
    import functools

    from leadops import providers
    from leadops.providers.errors import ProviderUnavailable
    from traces import reapi_steps

    monkeypatch.setattr(
        reapi_steps, "plan_chunks", functools.partial(reapi_steps.plan_chunks, max_items=15)
    )
    real, sizes = providers.reapi_client, []

    def second_post_fails(**kwargs):
        client = real(**kwargs)
        send = client.skip_trace_batch

        def post(skips, **options):
            sizes.append(len(skips))
            if len(sizes) == 2:
                raise ProviderUnavailable(
                    "RealEstateAPI could not be reached (connection failed).",
                    request_sent=False,
                    provider="reapi",
                )
            return send(skips, **options)

        client.skip_trace_batch = post
        return client

    monkeypatch.setattr(providers, "reapi_client", second_post_fails)
    job = reapi_job(stored_batch(owner_rows(25)), funded)
    run_worker()
    assert TraceJob.objects.get(pk=job.pk).status == S.QUEUED
    done = run_until_done(job, run_worker, resubmit=True)
    assert done.status == S.COMPLETE, done.error_message
    assert sizes == [15, 10, 10]  # batch 1 once, batch 2 failed then sent
    chunks = list(ReapiBatch.objects.filter(job=done).order_by("chunk"))
    assert [(c.chunk, c.keys, c.received) for c in chunks] == [(0, 15, 15), (1, 10, 10)]
    assert len(live_reapi.control.deliveries("reapi.item")) == 25
    timeline = " ".join(e.detail for e in job_services.job_events(job=done))
    assert "RealEstateAPI did not accept batch 2 of 2" in timeline
    assert "the 1 batch(es) already accepted are not sent again" in timeline
    assert_attached_by_key(done, 25)
    assert done.charged_credits == done.hits
    assert_credits_balance(funded.wallet)


def test_the_timeline_says_once_that_realestateapi_accepted_the_batch(
    live_reapi, stored_batch, funded, run_worker
):
    done = run_until_done(reapi_job(stored_batch(owner_rows(25)), funded), run_worker)
    assert done.status == S.COMPLETE, done.error_message
    timeline = [e.detail for e in job_services.job_events(job=done)]
    accepted = [d for d in timeline if "accepted" in d]
    assert len(accepted) == 1, timeline
    assert accepted[0] == f"RealEstateAPI accepted 25 records in 1 batch ({done.provider_ref})"
