"""RealEstateAPI webhook handlers on their own: exact-key matching, idempotency, ordering."""

import json

import pytest
from django.urls import reverse

from leadops.jobs import services as job_services
from leadops.jobs.models import JobStatus as S
from leadops.webhooks.models import EventStatus, WebhookEvent
from tests.support.forms import submit_token
from tests.support.rows import owner_rows
from traces import services
from traces.models import MatchStatus, ReapiBatch, TraceJob, TraceResult
from traces.reapi_webhooks import reapi_batch_completed, reapi_item_received

pytestmark = pytest.mark.django_db

with open("tests/fixtures/reapi/webhook_item_match.json") as _f:
    MATCH = json.load(_f)
with open("tests/fixtures/reapi/webhook_item_no_match.json") as _f:
    NO_MATCH = json.load(_f)


@pytest.fixture
def job(stored_batch, funded):
    job = services.trace_job_create(
        batch=stored_batch(owner_rows(12)), trace_type="normal", user=funded, provider="reapi"
    )
    job_services.job_transition(job=job, to=S.SUBMITTING)
    job_services.job_transition(job=job, to=S.SUBMITTED, provider_ref="b-1")
    ReapiBatch.objects.create(job=job, chunk=0, batch_id="b-1", keys=12)
    return job


def item_event(job, record, *, match=True, key=None) -> tuple[WebhookEvent, dict]:
    payload = json.loads(json.dumps(MATCH if match else NO_MATCH))
    payload.update(batchId="b-1", batchRequestId=f"r-{record.pk}")
    payload["input"]["key"] = key or str(record.pk)
    event = WebhookEvent(
        provider="reapi", kind="item", body=json.dumps(payload), query={"job": str(job.pk)}
    )
    return event, payload


def complete_event(batch_id="b-1") -> tuple[WebhookEvent, dict]:
    payload = {"batchId": batch_id, "receiveCount": 12, "processedCount": 12, "matchCount": 9}
    return WebhookEvent(provider="reapi", kind="complete", body=json.dumps(payload)), payload


def records(job):
    return list(job.batch.records.order_by("line"))


def test_the_same_item_twice_is_stored_and_counted_once(job):
    record = records(job)[0]
    event, payload = item_event(job, record)
    assert reapi_item_received(event=event, payload=payload) == EventStatus.PROCESSED
    assert reapi_item_received(event=event, payload=payload) == EventStatus.PROCESSED
    result = TraceResult.objects.get(job=job)
    assert (result.record_id, result.status, result.primary_phone) == (
        record.pk,
        MatchStatus.HIT,
        "5125550142",
    )
    job.refresh_from_db()
    assert (job.rows_done, job.hits) == (1, 1)
    assert ReapiBatch.objects.get(job=job).received == 1


def test_completion_before_the_items_waits_for_the_last_item(job):
    event, payload = complete_event()
    assert reapi_batch_completed(event=event, payload=payload) == EventStatus.PROCESSED
    assert reapi_batch_completed(event=event, payload=payload) == EventStatus.PROCESSED
    rows = records(job)
    for n, record in enumerate(reversed(rows)):
        assert TraceJob.objects.get(pk=job.pk).status == S.SUBMITTED
        event, payload = item_event(job, record, match=n % 3 != 0)
        reapi_item_received(event=event, payload=payload)
    job.refresh_from_db()
    assert job.status == S.INGESTING
    assert (job.rows_done, job.hits) == (12, 8)
    finished = [e.detail for e in job_services.job_events(job=job) if "finished batch" in e.detail]
    assert finished == ["RealEstateAPI finished batch 1 (b-1): 12 processed, 9 matched"]


def test_an_item_after_ingest_started_changes_nothing(job):
    rows = records(job)
    job_services.job_start_ingest(job=job, detail="test")
    event, payload = item_event(job, rows[0])
    assert reapi_item_received(event=event, payload=payload) == EventStatus.IGNORED
    assert not TraceResult.objects.filter(job=job).exists()


def test_completion_for_an_unknown_batch_is_unmatched(job):
    event, payload = complete_event("someone-elses")
    assert reapi_batch_completed(event=event, payload=payload) == EventStatus.UNMATCHED


def test_a_record_of_another_job_is_not_attached(job, stored_batch):
    other = stored_batch(owner_rows(10, start=500), name="b.csv").records.first()
    event, payload = item_event(job, records(job)[0], key=str(other.pk))
    assert reapi_item_received(event=event, payload=payload) == EventStatus.PROCESSED
    kept = TraceResult.objects.get(job=job)
    assert (kept.record_id, kept.status) == (None, MatchStatus.UNMATCHED)
    reapi_item_received(event=event, payload=payload)
    assert TraceResult.objects.filter(job=job).count() == 1
    job.refresh_from_db()
    assert (job.results_unmatched, job.rows_done) == (1, 0)


def test_cost_preview_offers_reapi_and_refuses_fewer_than_ten(stored_batch, funded, client):
    client.force_login(funded)
    small = stored_batch(owner_rows(9), name="small.csv")
    url = reverse("traces:new", args=[small.pk])
    page = client.get(url, {"provider": "reapi"}).content.decode()
    assert 'name="provider" value="reapi"' in page
    assert "RealEstateAPI traces at least 10 records in a batch; this trace would send 9." in page
    assert "Submit trace" not in page
    assert "Tracerfy balance" not in page
    posted = client.post(
        url,
        {
            "provider": "reapi",
            "trace_type": "normal",
            "expected_credits": 9,
            "submit_token": submit_token(page),
        },
    )
    assert posted.status_code == 200
    assert not TraceJob.objects.exists()

    big = stored_batch(owner_rows(12), name="big.csv")
    page = client.get(reverse("traces:new", args=[big.pk]), {"provider": "reapi"}).content
    assert "Submit trace (12 credits held)" in page.decode()
    response = client.post(
        reverse("traces:new", args=[big.pk]),
        {
            "provider": "reapi",
            "trace_type": "normal",
            "expected_credits": 12,
            "submit_token": submit_token(page.decode()),
        },
    )
    job = TraceJob.objects.get()
    assert response.status_code == 302
    assert (job.provider, job.estimated_credits, job.status) == ("reapi", 12, S.QUEUED)


def finish(job, to):
    job_services.job_transition(job=job, to=S.INGESTING)
    if to != S.INGESTING:
        job_services.job_transition(job=job, to=to)


@pytest.mark.parametrize("to", [S.INGESTING, S.COMPLETE, S.PARTIAL, S.FAILED])
@pytest.mark.parametrize("known_key", [False, True], ids=["unknown-key", "known-key"])
def test_a_late_item_is_kept_on_the_event_only(job, stored_batch, to, known_key):
    """After the job stopped receiving, an item for a key it never sent was added to its
    results as unmatched (counts and timeline changed). Now the event alone records it."""
    from leadops.webhooks.services import webhook_process

    other = stored_batch(owner_rows(10, start=500), name="b.csv").records.first()
    finish(job, to)
    before = (job_services.job_events(job=job).count(), TraceJob.objects.get(pk=job.pk))
    key = None if known_key else str(other.pk)
    event, payload = item_event(job, records(job)[0], key=key)
    event.dedupe_key = f"reapi:item:{payload['batchRequestId']}"
    event.save()

    webhook_process(event_id=event.pk)

    event.refresh_from_db()
    assert event.status == EventStatus.IGNORED
    assert event.error == (
        f"Arrived after trace #{job.pk} stopped receiving results "
        f"({TraceJob(status=to).get_status_display().lower()}); recorded on this event only, "
        "the trace's results and counts are unchanged."
    )
    assert not TraceResult.objects.filter(job=job).exists()
    job.refresh_from_db()
    assert (job.results_unmatched, job.rows_done, job.hits) == (0, 0, 0)
    assert job_services.job_events(job=job).count() == before[0]
    assert job.status == to


def test_an_unknown_key_while_receiving_is_still_kept_aside(job, stored_batch):
    other = stored_batch(owner_rows(10, start=500), name="b.csv").records.first()
    event, payload = item_event(job, records(job)[0], key=str(other.pk))
    assert reapi_item_received(event=event, payload=payload) == EventStatus.PROCESSED
    assert TraceResult.objects.get(job=job).status == MatchStatus.UNMATCHED
