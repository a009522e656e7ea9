"""Webhook events are processed in batches by a drain on the `webhooks` queue, behind paid work."""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from rq import Worker
from rq.job import Job, JobStatus

from leadops.jobs.queueing import _enqueue_now, get_queue, signal_taken
from leadops.webhooks.models import EventStatus, WebhookEvent
from leadops.webhooks.services import webhook_sweep

pytestmark = pytest.mark.django_db

TOKEN = "test-webhook-token"
PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"


def trace_done(queue_id: int) -> dict:
    """Tracerfy's account-level call for a finished trace queue."""
    return {
        "id": queue_id,
        "created_at": "2025-07-13T18:55:02.962332Z",
        "pending": False,
        "download_url": "https://example.com/x.csv",
        "rows_uploaded": 12,
        "credits_deducted": 12,
        "queue_type": "api",
        "trace_type": "normal",
        "credits_per_lead": 1,
    }


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    def send(queue_id: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("webhooks:receive", args=["tracerfy", TOKEN]),
                data=json.dumps(trace_done(queue_id)),
                content_type="application/json",
            )
        assert response.status_code == 200

    return send


def test_a_burst_of_events_costs_one_drain_not_one_job_each(deliver, handled, run_worker):
    for n in range(60):
        deliver(1000 + n)
    assert get_queue("webhooks").get_job_ids() == ["webhook-drain"]
    assert run_worker() == 1
    assert handled == [1000 + n for n in range(60)]  # oldest first
    assert not WebhookEvent.objects.filter(status=EventStatus.PENDING).exists()


def test_an_event_during_a_running_drain_gets_one_follow_up(deliver, handled, rq_redis):
    deliver(1)
    # A worker took the drain and is inside it, perhaps past its last look for events (it
    # cleared the "drain wanted" signal before its first look, as webhook_drain does).
    drain = Job.fetch("webhook-drain", connection=rq_redis)
    get_queue("webhooks").remove(drain)
    drain.set_status(JobStatus.STARTED)
    signal_taken("webhook-drain")
    deliver(2)
    deliver(3)
    assert get_queue("webhooks").get_job_ids() == ["webhook-drain-next"]


def test_the_sweep_queues_a_drain_only_for_events_that_waited(
    handled, rq_redis, run_worker, django_capture_on_commit_callbacks
):
    fresh = WebhookEvent.objects.create(
        provider="tracerfy", kind="trace", dedupe_key="a", body="{}"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_sweep(older_than=15) == 0
    assert get_queue("webhooks").get_job_ids() == []
    # Its drain was lost (Redis restarted empty): it has waited 20 s.
    WebhookEvent.objects.filter(pk=fresh.pk).update(
        received_at=timezone.now() - timedelta(seconds=20),
        body=json.dumps(trace_done(77)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_sweep(older_than=15) == 1
    run_worker()
    assert handled == [77]
    assert WebhookEvent.objects.get(pk=fresh.pk).status == EventStatus.PROCESSED


def test_an_event_already_handled_is_not_handled_again(deliver, handled, run_worker):
    deliver(5)
    run_worker()
    event = WebhookEvent.objects.get()
    # A second drain (another worker, an admin's reprocess racing it) finds nothing to do.
    from leadops.webhooks.services import webhook_process

    assert webhook_process(event_id=event.pk).status == EventStatus.PROCESSED
    assert handled == [5]


def test_paid_work_is_taken_before_a_webhook_backlog(deliver, handled, rq_redis):
    """The worker's queue order (the Procfile's) puts the webhook drain after submissions."""
    worker_line = next(
        line for line in PROCFILE.read_text().splitlines() if line.startswith("worker:")
    )
    order = re.search(r"rqworker ((?:\w+ )+)", worker_line).group(1).split()
    assert order.index("webhooks") > order.index("default")
    for n in range(30):
        deliver(n)
    _enqueue_now("time.sleep", (0,), job_id="trace-submit-1-0", queue="default", delay=None)
    worker = Worker([get_queue(name) for name in order], connection=rq_redis)
    worker.work(burst=True, max_jobs=1)
    assert Job.fetch("trace-submit-1-0", connection=rq_redis).get_status() == JobStatus.FINISHED
    assert handled == []  # the drain still waits its turn


def test_with_redis_down_intake_still_keeps_the_event_and_the_sweep_drains_it(
    deliver, handled, monkeypatch, run_worker, django_capture_on_commit_callbacks
):
    import redis

    from leadops.jobs import queueing

    dead = redis.Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.2)
    with monkeypatch.context() as patch:
        patch.setattr(queueing, "redis_connection", lambda: dead)
        deliver(42)  # answered 200, though no drain could be queued
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.PENDING
    assert get_queue("webhooks").get_job_ids() == []
    # Redis is back; the cron's sweep finds the event waiting and queues a drain.
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(seconds=60)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_sweep(older_than=15) == 1
    run_worker()
    assert handled == [42]
