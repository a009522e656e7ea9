"""The job machinery end to end: real sandbox, real webhooks into the live app, real RQ worker.

ProbeJob traces a handful of addresses with Tracerfy's json_data; what is asserted is the
machinery's behaviour: completion by webhook, by reconciliation when the webhook is lost,
once-only processing of duplicates, reconciliation (not resubmission) of a timed-out POST,
and credits that balance exactly through all of it.
"""

import pytest
from django.conf import settings

from leadops.jobs import services
from leadops.jobs.models import JobStatus as S
from leadops.providers.base import RetryPolicy, Timeouts
from leadops.providers.tracerfy import TracerfyClient
from leadops.waiting import wait_until
from leadops.webhooks.models import EventStatus, WebhookEvent
from tests.jobsapp.models import ProbeJob
from tests.jobsapp.sandbox_steps import TracerfySteps
from tests.support.jobs import assert_credits_balance

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESSES = [
    {
        "address": f"{100 + n} Main St",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
        "first_name": "Pat",
        "last_name": f"Owner{n}",
    }
    for n in range(8)
]


@pytest.fixture
def tracerfy(sandbox, steps, live_server, rq_redis):
    client = TracerfyClient(
        base_url=sandbox.urls["tracerfy"],
        api_key="sandbox-key",
        timeouts=Timeouts(connect=2, read=2, write=2, pool=2),
        retry=RetryPolicy(attempts=2, backoff=0.01, max_backoff=0.02),
    )
    # The safety-net poll is due in a minute: within a test, completion must come from the
    # webhook or from the reconciliation sweep, whichever the test is about.
    steps.impl = TracerfySteps(client, expected_seconds=60)
    url = f"{live_server.url}/webhooks/tracerfy/{settings.WEBHOOK_TOKEN}/"
    sandbox.control.webhook_url(url)
    return steps.impl


@pytest.fixture
def job(make_job, staff):
    probe = make_job(
        addresses=ADDRESSES, estimated_credits=len(ADDRESSES) * 2, rows_total=len(ADDRESSES)
    )
    services.job_queue(job=probe, actor=staff)
    return probe


def refreshed(job):
    return ProbeJob.objects.get(pk=job.pk)


def test_completes_by_webhook_and_captures_provider_charge(tracerfy, job, staff, run_worker):
    run_worker()  # submit (the webhook may already arrive and be handled in this burst)
    wait_until(
        lambda: WebhookEvent.objects.filter(kind="trace").exists(),
        timeout=15,
        what="the sandbox's trace webhook",
    )
    run_worker()  # process webhook → poll → ingest
    done = refreshed(job)
    assert done.status == S.COMPLETE
    timeline = [e.detail for e in services.job_events(job=done)]
    assert f"Provider webhook: trace {done.provider_ref} finished" in timeline
    assert done.rows_done == len(ADDRESSES)
    queue = tracerfy.client.list_queues().queues[0]
    assert done.charged_credits == queue.credits_deducted
    assert WebhookEvent.objects.get().status == EventStatus.PROCESSED
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 1000 - queue.credits_deducted
    assert_credits_balance(staff.wallet)


def test_dropped_webhook_completes_through_reconciliation(
    sandbox, tracerfy, job, staff, run_worker
):
    sandbox.control.faults(webhook_drop_rate=1.0)
    tracerfy.expected_seconds = 0.3
    run_worker()
    assert refreshed(job).status == S.SUBMITTED

    def swept_to_completion():
        services.job_reconcile_all()
        run_worker()
        return refreshed(job).status == S.COMPLETE

    wait_until(swept_to_completion, timeout=20, interval=0.2, what="reconciliation")
    assert not WebhookEvent.objects.exists()
    assert_credits_balance(staff.wallet)


def test_duplicated_webhook_is_processed_once(sandbox, tracerfy, job, staff, run_worker):
    sandbox.control.faults(webhook_duplicate_rate=1.0)
    run_worker()
    wait_until(
        lambda: WebhookEvent.objects.filter(duplicates__gte=1).exists(),
        timeout=15,
        what="the duplicated webhook",
    )
    run_worker()
    assert refreshed(job).status == S.COMPLETE
    event = WebhookEvent.objects.get()
    assert (event.duplicates, event.attempts) == (1, 1)
    captures = staff.wallet.entries.filter(kind="capture")
    assert captures.count() == 1
    assert_credits_balance(staff.wallet)


def test_post_timeout_that_the_provider_accepted_is_reconciled_not_resubmitted(
    sandbox, tracerfy, job, staff, run_worker
):
    sandbox.control.faults(
        read_timeout_rate=1.0,
        read_timeout_seconds=4,
        paths=["/tracerfy/v1/api/trace/"],
        fault_budget=1,
    )
    run_worker()  # submit times out; reconcile step is scheduled, not run in burst
    assert refreshed(job).status == S.SUBMITTING
    assert tracerfy.submits == 1
    services.job_reconcile_submission_step(label="probe", job_id=job.pk)
    found = refreshed(job)
    assert found.status == S.SUBMITTED
    queues = tracerfy.client.list_queues()
    assert queues.total_count == 1
    assert found.provider_ref == str(queues.queues[0].id)
    # A stray redelivery of the submit step must not POST again either.
    services.job_submit_step(label="probe", job_id=job.pk)
    assert tracerfy.submits == 1
    assert tracerfy.client.list_queues().total_count == 1


def test_provider_out_of_credits_fails_job_and_returns_credits(
    sandbox, tracerfy, job, staff, run_worker
):
    sandbox.control.account(balance=0)
    run_worker()
    failed = refreshed(job)
    assert failed.status == S.FAILED
    assert failed.error_message.startswith("Insufficient credits")
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 1000
    assert_credits_balance(staff.wallet)
