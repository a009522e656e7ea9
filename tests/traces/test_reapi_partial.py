"""RealEstateAPI chunks decided one by one (issue 12): a chunk answered "not processed" is
sent again later, one whose answer is unknown is confirmed by its own webhooks or given up
alone, and a job with part of its work done ends "Complete with errors" with exactly the
done part charged and the rest offered for a re-trace. Real sandbox, real RQ, real webhooks."""

import functools

import pytest

from leadops import providers
from leadops.jobs import services as job_services
from leadops.jobs.models import JobStatus as S
from leadops.providers.base import Timeouts
from tests.support.jobs import assert_credits_balance, run_until_done
from tests.support.rows import owner_rows
from traces import reapi_steps, services
from traces.models import ChunkState, MatchStatus, ReapiBatch, TraceJob, TraceResult

pytestmark = pytest.mark.django_db(transaction=True)

POST_PATH = "/reapi/v1/SkipTraceBatch"


@pytest.fixture
def two_chunks(monkeypatch):
    """25 records go as chunks of 15 and 10."""
    monkeypatch.setattr(
        reapi_steps, "plan_chunks", functools.partial(reapi_steps.plan_chunks, max_items=15)
    )


def fault_on_second_post(monkeypatch, sandbox, *, read_timeout: float | None = None, **faults):
    """Arm a sandbox fault (budget 1) for the second SkipTraceBatch POST of the test; returns
    the keys of every POST, in order."""
    real = providers.reapi_client
    posts: list[list[str]] = []

    def factory(**kwargs):
        if read_timeout is not None:
            kwargs["timeouts"] = Timeouts(read=read_timeout, connect=2.0)
        client = real(**kwargs)
        send = client.skip_trace_batch

        def post(skips, **options):
            posts.append([s.key for s in skips])
            if len(posts) == 2:
                sandbox.control.faults(paths=[POST_PATH], fault_budget=1, **faults)
            return send(skips, **options)

        client.skip_trace_batch = post
        return client

    monkeypatch.setattr(providers, "reapi_client", factory)
    return posts


def reapi_job(batch, user):
    return services.trace_job_create(batch=batch, trace_type="normal", user=user, provider="reapi")


def delivered_keys(sandbox, batch_id: str | None = None) -> list[str]:
    return [
        d["payload"]["input"]["key"]
        for d in sandbox.control.deliveries("reapi.item")
        if batch_id is None or d["payload"]["batchId"] == batch_id
    ]


def timeline(job) -> str:
    return " ".join(e.detail for e in job_services.job_events(job=job))


def assert_hold_settled(job, captured: int) -> None:
    """For this job: hold = captured + released, exactly, and it captured `captured`."""
    hold = job.hold
    hold.refresh_from_db()
    assert hold.captured == captured
    assert hold.amount == hold.captured + hold.released


def test_a_second_chunk_answered_503_is_sent_again_later_and_none_twice(
    live_reapi, two_chunks, stored_batch, funded, run_worker, monkeypatch
):
    posts = fault_on_second_post(monkeypatch, live_reapi, error_rate=1.0, error_status=503)
    job = reapi_job(stored_batch(owner_rows(25)), funded)
    run_worker()
    assert TraceJob.objects.get(pk=job.pk).status == S.QUEUED  # back in the queue, not failed
    (first,) = ReapiBatch.objects.filter(job=job)
    assert (first.chunk, first.state) == (0, ChunkState.ACCEPTED)

    done = run_until_done(job, run_worker, resubmit=True)
    assert done.status == S.COMPLETE, done.error_message
    assert [len(p) for p in posts] == [15, 10, 10]  # batch 1 once; batch 2 refused, then sent
    assert posts[1] == posts[2]
    chunks = list(ReapiBatch.objects.filter(job=done).order_by("chunk"))
    assert [(c.chunk, c.state, c.keys, c.received) for c in chunks] == [
        (0, ChunkState.ACCEPTED, 15, 15),
        (1, ChunkState.ACCEPTED, 10, 10),
    ]
    keys = delivered_keys(live_reapi)
    assert len(keys) == len(set(keys)) == 25  # every record traced exactly once
    assert "RealEstateAPI did not accept batch 2 of 2 (Service unavailable.)" in timeline(done)
    assert done.charged_credits == done.hits
    assert_hold_settled(done, done.hits)
    assert_credits_balance(funded.wallet)


def test_a_second_chunk_whose_answer_is_lost_is_confirmed_by_its_webhooks(
    live_reapi, two_chunks, stored_batch, funded, run_worker, monkeypatch
):
    # The sandbox does the work, then answers after our 1 s read timeout.
    posts = fault_on_second_post(
        monkeypatch, live_reapi, read_timeout=1.0, read_timeout_rate=1.0, read_timeout_seconds=3
    )
    job = reapi_job(stored_batch(owner_rows(25)), funded)
    done = run_until_done(job, run_worker, sweep=True)
    assert done.status == S.COMPLETE, done.error_message
    assert [len(p) for p in posts] == [15, 10]  # never resent
    chunks = list(ReapiBatch.objects.filter(job=done).order_by("chunk"))
    assert [(c.state, c.received) for c in chunks] == [
        (ChunkState.ACCEPTED, 15),
        (ChunkState.ACCEPTED, 10),
    ]
    assert chunks[1].batch_id and chunks[1].batch_id != chunks[0].batch_id
    assert chunks[1].completed_at is not None  # its completion call was heard again
    assert "RealEstateAPI did not answer within 1 s" in timeline(done)
    assert f"confirm batch 2 of 2 as {chunks[1].batch_id}" in timeline(done)
    assert sorted(delivered_keys(live_reapi, chunks[1].batch_id)) == sorted(posts[1])
    assert not TraceResult.objects.filter(job=done, status=MatchStatus.NO_RESULT).exists()
    assert done.charged_credits == done.hits
    assert_hold_settled(done, done.hits)
    assert_credits_balance(funded.wallet)


def test_a_never_confirmed_chunk_ends_partial_and_its_records_are_retraced_for_their_cost(
    live_reapi, two_chunks, stored_batch, funded, run_worker, monkeypatch, settings
):
    settings.REAPI_CONFIRM_SECONDS = 1
    # HTTP 500: may have been processed, so never resent; the sandbox did not do it, so no
    # webhook ever confirms it.
    posts = fault_on_second_post(monkeypatch, live_reapi, error_rate=1.0, error_status=500)
    job = reapi_job(stored_batch(owner_rows(25)), funded)
    done = run_until_done(job, run_worker, sweep=True)

    assert (done.status, done.get_status_display()) == (S.PARTIAL, "Complete with errors")
    assert [len(p) for p in posts] == [15, 10]
    first, second = ReapiBatch.objects.filter(job=done).order_by("chunk")
    assert (first.state, second.state, second.batch_id) == (
        ChunkState.ACCEPTED,
        ChunkState.GIVEN_UP,
        "",
    )
    lost = TraceResult.objects.filter(job=done, status=MatchStatus.NO_RESULT)
    assert sorted(str(pk) for pk in lost.values_list("record_id", flat=True)) == sorted(posts[1])
    assert {r.raw["note"] for r in lost} == {
        "no result received: in batch 2 of 2, which RealEstateAPI did not confirm within 1 s"
    }
    chunk1 = TraceResult.objects.filter(job=done, record_id__in=[int(k) for k in posts[0]])
    hits = chunk1.filter(status=MatchStatus.HIT).count()
    assert chunk1.exclude(status=MatchStatus.NO_RESULT).count() == 15
    assert (done.hits, done.charged_credits) == (hits, hits)
    assert done.error_message == (
        "10 of 25 records got no result (10 in batch 2 of 2, which RealEstateAPI did not "
        "confirm within 1 s). They were not charged; re-trace them from this page."
    )
    assert_hold_settled(done, hits)  # 25 held: chunk 1's hits captured, everything else back
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500 - hits
    assert_credits_balance(funded.wallet)

    # The re-trace: exactly those 10 records, for 10 x 1 credit at most.
    estimate = services.trace_retry_estimate(job=done, user=funded)
    assert (estimate.to_send, estimate.total_credits, estimate.problem) == (10, 10, "")
    retry = services.trace_job_retry(job=done, user=funded, seen_credits=10)
    assert services.trace_job_retry(job=done, user=funded, seen_credits=10) == retry  # once
    assert (retry.retry_of_id, retry.batch_id, retry.provider) == (done.pk, done.batch_id, "reapi")
    assert (retry.records_sent, retry.estimated_credits, retry.records_reused) == (10, 10, 0)
    again = run_until_done(retry, run_worker, sweep=True)
    assert again.status == S.COMPLETE, again.error_message
    assert sorted(delivered_keys(live_reapi, again.provider_ref)) == sorted(posts[1])
    assert len(posts) == 3 and sorted(posts[2]) == sorted(posts[1])
    assert_hold_settled(again, again.hits)
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500 - hits - again.hits
    assert_credits_balance(funded.wallet)


def test_every_chunk_refused_fails_the_job_with_everything_released(
    live_reapi, stored_batch, funded, run_worker, monkeypatch
):
    from leadops.providers.errors import InvalidRequest

    monkeypatch.setattr(
        reapi_steps, "plan_chunks", functools.partial(reapi_steps.plan_chunks, max_items=15)
    )
    real = providers.reapi_client

    def refusing(**kwargs):
        client = real(**kwargs)

        def post(skips, **options):
            raise InvalidRequest("skips: invalid state", status=400, provider="reapi")

        client.skip_trace_batch = post
        return client

    monkeypatch.setattr(providers, "reapi_client", refusing)
    done = run_until_done(reapi_job(stored_batch(owner_rows(25)), funded), run_worker)
    assert done.status == S.FAILED
    assert "which RealEstateAPI refused (skips: invalid state)" in done.error_message
    states = list(ReapiBatch.objects.filter(job=done).values_list("state", flat=True))
    assert states == [ChunkState.REFUSED, ChunkState.REFUSED]  # batch 2 was still tried
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500
    assert_credits_balance(funded.wallet)


def test_an_item_with_an_error_status_is_no_result_not_a_miss(
    live_reapi, live_server, stored_batch, funded, run_worker, settings
):
    import copy
    import json

    import httpx

    live_reapi.control.faults(webhook_drop_rate=1.0)  # only the item we post arrives
    settings.REAPI_CHUNK_DEADLINE_SECONDS = 1
    job = reapi_job(stored_batch(owner_rows(12)), funded)
    run_worker()
    (chunk,) = ReapiBatch.objects.filter(job=job)
    with open("tests/fixtures/reapi/webhook_item_no_match.json") as fixture:
        item = copy.deepcopy(json.load(fixture))
    item.update(batchId=chunk.batch_id, statusCode=400, statusMessage="Bad Request")
    item["input"]["key"] = str(chunk.record_ids[0])
    url = f"{live_server.url}/webhooks/reapi/{settings.WEBHOOK_TOKEN}/?job={job.pk}"
    response = httpx.post(url, json=item, headers={"x-api-key": "sandbox-key"}, timeout=10)
    assert response.status_code == 200
    run_worker()  # the item is handled while the job still receives (before its deadline)
    done = run_until_done(job, run_worker, sweep=True)
    assert done.status == S.PARTIAL, done.error_message
    bad = TraceResult.objects.get(job=done, record_id=chunk.record_ids[0])
    assert bad.status == MatchStatus.NO_RESULT
    assert bad.raw["statusCode"] == 400
    assert bad.raw["note"] == "no result received: RealEstateAPI answered 400 (Bad Request)"
    assert done.error_message == (
        "12 of 12 records got no result (11 whose result webhook from RealEstateAPI never "
        "arrived; 1 that RealEstateAPI answered with an error). They were not charged; "
        "re-trace them from this page."
    )
    assert (done.hits, done.charged_credits) == (0, 0)
    assert_credits_balance(funded.wallet)
