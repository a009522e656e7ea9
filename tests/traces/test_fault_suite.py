"""The fault suite: 30 mixed trace jobs on both providers while the sandbox misbehaves.

Real processes as production runs them (two forking `manage.py rqworker`, one
`manage.py reconcile_cron`), the web app as a live server receiving the sandbox's webhooks,
PostgreSQL and Redis. The sandbox answers with every fault of its fault lab at once:
503s and connection resets before the work; 500s, resets, unreadable and truncated answers
and late answers after the work; 429s; webhooks dropped, duplicated, reordered and delayed;
RealEstateAPI per-item errors; result downloads that fail. Then, for every job and wallet:

- every job ends complete, complete with errors, or failed with a reason, within BOUND s;
- no row was ever in two paid requests the sandbox processed (its paid-request log);
- the ledger balances exactly, per job (hold = captured + released) and per wallet;
- what a job captured is exactly what the provider billed for what it delivered: Tracerfy's
  `credits_deducted` for the job's queue; for RealEstateAPI, 1 credit per matched result
  its webhooks actually delivered (a result lost on the way is "no result received" and not
  charged, though RealEstateAPI bills its match; the timeline says so).

PostgreSQL only (deselected on SQLite, where three processes and a live server would
serialise on one file); CI runs it.
"""

import time
from collections import defaultdict

import pytest
from django.db.models import Sum

from leadops.credits import services as credits
from leadops.credits.models import CreditHold
from leadops.jobs.models import JobStatus
from leadops.sandbox.testing import run_sandbox_process
from leadops.waiting import wait_until
from tests.factories import MembershipFactory, UserFactory
from tests.support.jobs import assert_credits_balance
from tests.support.rows import owner_rows
from tests.support.sandbox import SandboxControl
from tests.support.workers import manage_process, rq_worker
from traces import services
from traces.models import ReapiBatch, TraceJob

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BOUND = 420  # seconds for all 30 jobs to end
# Provider rate-limit windows, ours and the sandbox's, shrunk alike: Tracerfy's 10 batch
# traces per 5 minutes become 10 per 6 s, so retries are paced as in production, faster.
WINDOW_SCALE = 0.02
PAID_POSTS = ["/tracerfy/v1/api/trace/", "/reapi/v1/SkipTraceBatch"]
# What the processes run with: short waits, so that every recovery path runs in minutes.
PROCESS_SETTINGS = {
    "PROVIDER_READ_TIMEOUT": 2,
    "JOB_SUBMIT_BACKOFF": "1,2,3,4,5",
    "JOB_RECONCILE_EVERY": 2,
    "JOB_RECONCILE_DELAY": 1,
    "JOB_STUCK_AFTER_SECONDS": 15,
    "JOB_MISSING_QUEUE_SECONDS": 60,
    "WEBHOOK_STALE_SECONDS": 3,
    "REAPI_CONFIRM_SECONDS": 60,
    "REAPI_RESULT_GRACE_SECONDS": 5,
    "REAPI_CHUNK_DEADLINE_SECONDS": 90,
    "PROVIDER_RATE_WINDOW_SCALE": WINDOW_SCALE,
}


def _jobs_plan() -> list[tuple[str, str, int]]:
    """(provider, trace type, records): 15 Tracerfy jobs of distinct sizes, 15 RealEstateAPI
    jobs, one of them two chunks (1,010 records)."""
    plan = [("tracerfy", "normal" if n % 2 else "advanced", 21 + 3 * n) for n in range(15)]
    plan += [("reapi", "normal", 12 + 2 * n) for n in range(14)]
    plan.append(("reapi", "normal", 1010))
    return plan


@pytest.fixture
def lab():
    """A sandbox process of its own (its own GIL, not the live server's), in memory."""
    env = {
        "SANDBOX_RATE_WINDOW_SCALE": str(WINDOW_SCALE),
        "SANDBOX_SPEED": "50",
        "SANDBOX_WEBHOOK_RATE": "50",
        "SANDBOX_MISS_RATE": "0.2",
    }
    with run_sandbox_process(env) as base_url:
        yield base_url


def _arm_faults(control) -> None:
    control.faults(
        # Reads (queue lists, results, downloads): failures before any work, 429s, late.
        error_rate=0.2,
        rate_limit_rate=0.1,
        retry_after_seconds=1,
        read_timeout_rate=0.05,
        read_timeout_seconds=4,
        # Webhooks and provider-side work.
        webhook_drop_rate=0.25,
        webhook_duplicate_rate=0.25,
        webhook_reorder=True,
        webhook_delay_max_seconds=3,
        reapi_item_error_rate=0.05,
        download_error_rate=0.1,
        # Paid submissions: every way an answer can be lost or unreadable after the work.
        rules=[
            {
                "paths": PAID_POSTS,
                "methods": ["POST"],
                "error_rate": 0.2,
                "rate_limit_rate": 0.1,
                "retry_after_seconds": 1,
                "reset_before_rate": 0.05,
                "processed_error_rate": 0.08,
                "reset_after_rate": 0.05,
                "malformed_body_rate": 0.03,
                "truncated_body_rate": 0.03,
                "read_timeout_rate": 0.1,
                "read_timeout_seconds": 4,
            }
        ],
    )


def _delivered_hits(control) -> dict[str, set[str]]:
    """batchId -> the batchRequestIds of matched results the app answered 200 to."""
    hits: dict[str, set[str]] = defaultdict(set)
    for d in control.deliveries("reapi.item"):
        payload = d["payload"]
        if not d["dropped"] and d["status_code"] == 200 and payload.get("match"):
            hits[payload["batchId"]].add(payload["batchRequestId"])
    return hits


def test_thirty_jobs_under_every_fault_end_cleanly_and_balance(
    stored_batch, team_a, lab, live_server, settings, rq_redis, tmp_path
):
    settings.TRACERFY_BASE_URL = f"{lab}/tracerfy/v1/api/"
    settings.REAPI_BASE_URL = f"{lab}/reapi/v1/"
    settings.PUBLIC_BASE_URL = live_server.url
    control = SandboxControl(lab)
    control.webhook_url(f"{live_server.url}/webhooks/tracerfy/{settings.WEBHOOK_TOKEN}/")
    users = []
    for name in ("ana", "ben"):
        user = UserFactory(username=name)
        MembershipFactory(user=user, team=team_a)
        wallet = credits.wallet_for(user=user, team=team_a)
        credits.grant(wallet=wallet, amount=50_000, actor=None, reason="t", idempotency_key=name)
        users.append(user)
    plan = _jobs_plan()
    batches = []
    start = 1000
    for _provider, _kind, records in plan:
        batches.append(stored_batch(owner_rows(records, start=start)))
        start += records + 10
    _arm_faults(control)

    env = PROCESS_SETTINGS
    with (
        manage_process("reconcile_cron", log=tmp_path / "cron.log", **env),
        rq_worker(log=tmp_path / "worker-1.log", name="w1", **env),
        rq_worker(log=tmp_path / "worker-2.log", name="w2", **env),
    ):
        began = time.monotonic()
        jobs = [
            services.trace_job_create(
                batch=batch, trace_type=kind, user=users[n % 2], provider=provider
            )
            for n, ((provider, kind, _records), batch) in enumerate(zip(plan, batches, strict=True))
        ]
        ids = [job.pk for job in jobs]

        def all_ended():
            return (
                not TraceJob.objects.filter(pk__in=ids)
                .exclude(status__in=[JobStatus.COMPLETE, JobStatus.PARTIAL, JobStatus.FAILED])
                .exists()
            )

        def unfinished():
            rows = TraceJob.objects.filter(pk__in=ids).exclude(
                status__in=[JobStatus.COMPLETE, JobStatus.PARTIAL, JobStatus.FAILED]
            )
            return ", ".join(f"#{j.pk} {j.provider} {j.status} ({j.stage})" for j in rows)

        try:
            wait_until(all_ended, timeout=BOUND, interval=1, what="all 30 jobs to end")
        except Exception as exc:
            raise AssertionError(f"still running after {BOUND}s: {unfinished()}") from exc
        took = time.monotonic() - began
        control.faults(webhook_delay_max_seconds=0)

    jobs = list(TraceJob.objects.filter(pk__in=ids).select_related("hold"))
    counts = defaultdict(int)
    for job in jobs:
        counts[job.status] += 1
        if job.status == JobStatus.FAILED:
            assert job.error_message, f"#{job.pk} failed without a reason"
    print(f"fault suite: {dict(counts)} in {took:.0f}s; faults {control.stats()['kinds']}")
    for job in jobs:
        if job.status != JobStatus.COMPLETE:
            print(f"  #{job.pk} {job.provider} {job.status}: {job.error_message}")
    assert took <= BOUND

    # No row was ever in two paid requests that the sandbox processed.
    for kind in ("trace", "reapi_batch"):
        paid = control.paid(kind)
        assert paid["duplicates"]["rows"] == 0, (kind, paid["duplicates"])

    # The ledger: per job, hold = captured + released; per wallet, the entries.
    for job in jobs:
        hold = CreditHold.objects.get(pk=job.hold_id)
        assert hold.amount == hold.captured + hold.released, f"#{job.pk}"
        assert hold.captured == (job.charged_credits or 0), f"#{job.pk}"
    for user in users:
        assert_credits_balance(user.wallet)

    # Captured = billed for what the provider delivered.
    trace_requests = {str(r["created_id"]): r for r in control.paid_requests("trace")}
    reapi_requests = {str(r["created_id"]): r for r in control.paid_requests("reapi_batch")}
    delivered = _delivered_hits(control)
    claimed = set()
    for job in jobs:
        captured = job.charged_credits or 0
        if job.provider == "tracerfy":
            request = trace_requests.get(job.provider_ref)
            if request is None:
                assert captured == 0, f"#{job.pk} captured {captured} for no paid request"
                continue
            claimed.add(job.provider_ref)
            assert request["billing_final"], f"#{job.pk}: queue {job.provider_ref} not final"
            assert captured == request["billed"], (job.pk, captured, request)
        else:
            batch_ids = list(
                ReapiBatch.objects.filter(job=job)
                .exclude(batch_id="")
                .values_list("batch_id", flat=True)
            )
            billed = sum(reapi_requests[b]["billed"] or 0 for b in batch_ids)
            got = sum(len(delivered[b]) for b in batch_ids)
            assert captured == got <= billed, (job.pk, captured, got, billed)
            claimed.update(batch_ids)
    # Nothing the providers billed belongs to no job.
    unclaimed = [r for ref, r in {**trace_requests, **reapi_requests}.items() if ref not in claimed]
    assert not [r for r in unclaimed if r["billed"]], unclaimed
    total_billed_tracerfy = sum(r["billed"] or 0 for r in trace_requests.values())
    captured_tracerfy = (
        TraceJob.objects.filter(pk__in=ids, provider="tracerfy").aggregate(
            s=Sum("charged_credits")
        )["s"]
        or 0
    )
    assert captured_tracerfy == total_billed_tracerfy
