"""A sandbox with a state file survives a restart: old queues and their results, downloads,
the balance and the paid log are still there, ids never repeat, and work that was in flight
(a pending queue, a batch with webhooks still to send) finishes after the restart."""

from __future__ import annotations

import httpx

from leadops.sandbox.config import SandboxConfig
from leadops.sandbox.testing import WebhookReceiver, run_sandbox, wait_until
from tests.support.rows import address_rows
from tests.support.sandbox import BEARER, SANDBOX_KEY, SandboxControl, submit_trace, wait_queue_done


def skips(count: int) -> list[dict]:
    return [
        {"key": i, "address": f"{i} Birch Ln", "city": "Austin", "state": "TX", "zip": "78701"}
        for i in range(count)
    ]


def test_state_survives_a_restart_and_in_flight_work_finishes(tmp_path):
    config = SandboxConfig(speed=200.0, webhook_rate=5000.0, state_file=str(tmp_path / "s.db"))
    with WebhookReceiver() as receiver:
        with run_sandbox(config) as first:
            control = SandboxControl(first.base_url)
            with httpx.Client(base_url=first.urls["tracerfy"], headers=BEARER) as api:
                done_id = submit_trace(api, address_rows(5)).json()["queue_id"]
                done = wait_queue_done(api, done_id)
                records = api.get(f"queue/{done_id}").json()
                csv = httpx.get(done["download_url"]).content
                # Slow work down so that it is still in flight at the stop.
                control.settings(speed=0.05)
                pending_id = submit_trace(api, address_rows(3, city="Dallas")).json()["queue_id"]
                control.settings(speed=200.0, webhook_rate=4)
            httpx.post(
                first.urls["reapi"],
                json={
                    "skips": skips(10),
                    "webhook_url": receiver.url("/items"),
                    "webcomplete_url": receiver.url("/done"),
                },
                headers={"x-api-key": SANDBOX_KEY},
            ).raise_for_status()
            wait_until(lambda: len(receiver.calls_to("/items")) >= 2, timeout=10)
            balance = control.balance()
            paid_before = control.paid()["requests"]
            with httpx.Client(base_url=first.urls["tracerfy"], headers=BEARER) as api:
                newest = api.get("queues/").json()[0]
            assert (newest["id"], newest["pending"]) == (pending_id, True)
        assert len(receiver.calls_to("/items")) < 10  # stopped mid-batch

        with run_sandbox(config) as second:
            control = SandboxControl(second.base_url)
            with httpx.Client(base_url=second.urls["tracerfy"], headers=BEARER) as api:
                listed = {q["id"]: q for q in api.get("queues/").json()}
                assert listed[done_id] == done
                assert api.get(f"queue/{done_id}").json() == records
                # Download links (absolute, on the same host and port here) still work.
                moved = done["download_url"].replace(first.base_url, second.base_url)
                assert httpx.get(moved).content == csv
                # The queue that was pending at the stop finishes now, and bills.
                finished = wait_queue_done(api, pending_id)
                assert finished["credits_deducted"] > 0
                assert control.balance() == balance - finished["credits_deducted"]
                new_id = submit_trace(api, address_rows(1, city="Waco")).json()["queue_id"]
                assert new_id > max(done_id, pending_id)
            # The batch's remaining per-item calls, then its completion call, once.
            wait_until(lambda: receiver.calls_to("/done"), timeout=10)
            keys = [call.json()["input"]["key"] for call in receiver.calls_to("/items")]
            assert sorted(set(keys)) == list(range(10))
            assert len(receiver.calls_to("/done")) == 1
            paid_after = control.paid()["requests"]
            assert [p["seq"] for p in paid_after[: len(paid_before)]] == [
                p["seq"] for p in paid_before
            ]
            assert paid_after[-1]["created_id"] == new_id
            assert paid_after[-1]["seq"] > paid_before[-1]["seq"]


def test_reset_empties_the_state_file(tmp_path):
    config = SandboxConfig(speed=200.0, state_file=str(tmp_path / "s.db"))
    with run_sandbox(config) as first:
        with httpx.Client(base_url=first.urls["tracerfy"], headers=BEARER) as api:
            wait_queue_done(api, submit_trace(api, address_rows(2)).json()["queue_id"])
        first.reset()
    with run_sandbox(config) as second:
        with httpx.Client(base_url=second.urls["tracerfy"], headers=BEARER) as api:
            assert api.get("queues/").json() == []
        assert SandboxControl(second.base_url).paid()["count"] == 0


def test_account_webhook_held_at_the_stop_is_sent_after_the_restart(tmp_path):
    config = SandboxConfig(speed=200.0, webhook_rate=5000.0, state_file=str(tmp_path / "s.db"))
    with WebhookReceiver() as receiver:
        with run_sandbox(config) as first:
            control = SandboxControl(first.base_url)
            control.webhook_url(receiver.url("/tracerfy"))
            control.faults(webhook_delay_max_seconds=600)
            with httpx.Client(base_url=first.urls["tracerfy"], headers=BEARER) as api:
                queue_id = submit_trace(api, address_rows(2)).json()["queue_id"]
                wait_queue_done(api, queue_id)
            wait_until(lambda: control.fault_count("webhook_delay") == 1)
            assert control.webhooks()["deliveries"] == []  # held, not sent
        assert receiver.calls == []
        with run_sandbox(config) as second:
            # Fault knobs are not persisted: the webhook goes out at once, to the persisted URL.
            call = wait_until(lambda: receiver.calls_to("/tracerfy"))[0]
            assert call.json()["id"] == queue_id
            assert SandboxControl(second.base_url).account()["webhook_url"] == receiver.url(
                "/tracerfy"
            )
        assert len(receiver.calls) == 1
