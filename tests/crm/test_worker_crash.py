"""`kill -9` of the worker while a CRM batch is on its way.

Real processes, as `make run` has them (a forking `rqworker` and `reconcile_cron`) against
the test database, Redis and the sandbox's CRM. The batch in flight may or may not have
arrived, so it must be marked "answer lost" and never resent on its own; the sweep must
pick the push up again and send every other batch exactly once.
"""

from collections import Counter

import pytest

from leadops.crm.models import BatchState, CrmBatch, CrmPush
from leadops.jobs.models import JobStatus
from leadops.waiting import wait_until
from tests.crm.test_push_flow import push_trace
from tests.support.workers import kill_hard, manage_process, rq_worker

pytestmark = pytest.mark.django_db(transaction=True)

STUCK_AFTER = 3  # JOB_STUCK_AFTER_SECONDS for these processes
SWEEP_EVERY = 1  # JOB_RECONCILE_EVERY
HOLD_MS = 4000  # the CRM answers each batch this late: the kill lands inside one


def _log_tail(path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


def test_a_worker_killed_mid_batch_resends_nothing_blindly(
    crm_sandbox, hits_trace, staff, tmp_path
):
    push = push_trace(hits_trace(300), staff)
    crm_sandbox.control.faults(latency_ms=HOLD_MS, paths=["/crm/v1/batch"])
    env = {
        "JOB_STUCK_AFTER_SECONDS": STUCK_AFTER,
        "JOB_RECONCILE_EVERY": SWEEP_EVERY,
        "JOB_RECONCILE_DELAY": 1,
        "CRM_ENABLED": "true",
    }
    first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"

    with manage_process("reconcile_cron", log=tmp_path / "cron.log", **env):
        with rq_worker(log=first_log, name="first", **env) as first:
            wait_until(
                lambda: CrmBatch.objects.filter(push=push, state=BatchState.SENDING).exists(),
                timeout=60,
                what=f"a batch to be on its way\n{_log_tail(first_log)}",
            )
            kill_hard(first)  # the CRM holds every answer HOLD_MS: the batch is in flight
        in_flight = CrmBatch.objects.get(push=push, state=BatchState.SENDING)
        assert CrmPush.objects.get(pk=push.pk).status == JobStatus.SUBMITTING
        crm_sandbox.control.faults(latency_ms=0, paths=[])

        with rq_worker(log=second_log, name="second", **env):
            wait_until(
                lambda: CrmPush.objects.get(pk=push.pk).is_terminal,
                timeout=STUCK_AFTER + SWEEP_EVERY + 60,
                what=f"the push to finish\n{_log_tail(second_log)}",
            )

    push.refresh_from_db()
    assert push.status == JobStatus.PARTIAL, push.error_message
    states = dict(push.batches.values_list("number", "state"))
    assert states.pop(in_flight.number) == BatchState.UNKNOWN
    assert set(states.values()) == {BatchState.SENT}
    # Every other batch arrived exactly once; the one in flight at most once.
    arrived = Counter(
        item["id"]
        for batch in crm_sandbox.control.crm_received()["batches"]
        for item in batch["data"]
        if item["type"] != "event"
    )
    assert set(arrived.values()) == {1}
    others = {i for b in push.batches.exclude(pk=in_flight.pk) for i in b.crm_ids}
    assert others <= set(arrived)
    assert push.rows_done == sum(b.contacts for b in push.batches.filter(state=BatchState.SENT))
