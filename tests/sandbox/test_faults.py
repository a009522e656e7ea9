"""The fault lab: answers lost after processing, resets, unreadable bodies, per-rule faults,
long webhook delays, queues that stall, fail or vanish, item errors, download faults, the
fault counters and the paid-request log."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from leadops.sandbox.testing import wait_until
from tests.support.rows import address_rows, csv_bytes
from tests.support.sandbox import SANDBOX_KEY, submit_trace, wait_queue_done

TRACE = "/tracerfy/v1/api/trace/"
REAPI = "/reapi/v1/SkipTraceBatch"


def skips(count: int, start: int = 0) -> list[dict]:
    return [
        {"key": i, "address": f"{i} Oak St", "city": "Austin", "state": "TX", "zip": "78701"}
        for i in range(start, start + count)
    ]


def post_batch(sandbox, body: dict, **kwargs) -> httpx.Response:
    return httpx.post(
        sandbox.urls["reapi"], json=body, headers={"x-api-key": SANDBOX_KEY}, timeout=10, **kwargs
    )


def listed_ids(api) -> list[int]:
    return [queue["id"] for queue in api.get("queues/").json()]


# 1. Processed, then answered 5xx -----------------------------------------------------------


def test_processed_error_creates_the_queue_then_answers_500(api, sandbox):
    control = sandbox.control
    control.faults(processed_error_rate=1.0, paths=[TRACE], methods=["POST"])
    response = submit_trace(api, address_rows(3))
    assert response.status_code == 500
    assert response.json() == {"detail": "A server error occurred."}
    # The work was done: a queue exists, finishes and bills.
    (queue_id,) = listed_ids(api)
    queue = wait_queue_done(api, queue_id)
    (paid,) = control.paid_requests("trace")
    assert paid["created_id"] == queue_id
    assert paid["answered"] == "processed_error"
    assert paid["faulted"] is True
    assert paid["status_code"] == 500
    assert paid["count"] == 3
    assert paid["billed"] == queue["credits_deducted"]
    assert control.fault_count("processed_error", f"POST {TRACE}") == 1
    assert control.stats()["total"] == 1


def test_error_rate_still_means_not_processed(api, sandbox):
    sandbox.control.faults(error_rate=1.0, error_status=502, paths=[TRACE])
    assert submit_trace(api, address_rows(3)).status_code == 502
    sandbox.control.faults(error_rate=0.0)
    assert listed_ids(api) == []
    assert sandbox.control.paid()["count"] == 0
    assert sandbox.control.fault_count("error", f"POST {TRACE}") == 1


def test_processed_error_status_is_configurable_for_reapi(sandbox):
    sandbox.control.faults(processed_error_rate=1.0, processed_error_status=504)
    response = post_batch(sandbox, {"skips": skips(10), "webhook_url": "http://127.0.0.1:9/x"})
    assert response.status_code == 504
    assert response.json()["statusCode"] == 504
    (paid,) = sandbox.control.paid_requests("reapi_batch")
    assert paid["answered"] == "processed_error"
    assert paid["count"] == 10


# 2. Connection resets ----------------------------------------------------------------------


def test_reset_before_processing_is_a_transport_error_and_nothing_is_created(api, sandbox):
    sandbox.control.faults(reset_before_rate=1.0, paths=[TRACE])
    with pytest.raises(httpx.TransportError):
        submit_trace(api, address_rows(2))
    sandbox.control.faults(reset_before_rate=0.0)
    assert listed_ids(api) == []
    assert sandbox.control.paid()["count"] == 0
    assert sandbox.control.fault_count("reset_before", f"POST {TRACE}") == 1


def test_reset_after_processing_loses_the_answer_of_a_created_queue(api, sandbox):
    sandbox.control.faults(reset_after_rate=1.0, paths=[TRACE])
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        submit_trace(api, address_rows(2))
    (queue_id,) = listed_ids(api)  # the same client, on a fresh connection
    wait_queue_done(api, queue_id)
    (paid,) = sandbox.control.paid_requests("trace")
    assert (paid["created_id"], paid["answered"], paid["status_code"]) == (
        queue_id,
        "reset_after",
        None,
    )
    assert sandbox.control.fault_count("reset_after", f"POST {TRACE}") == 1


# 3. Unreadable answers ---------------------------------------------------------------------


def test_malformed_body_after_processing(sandbox, receiver):
    sandbox.control.faults(malformed_body_rate=1.0)
    response = post_batch(sandbox, {"skips": skips(10), "webhook_url": receiver.url("/items")})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    wait_until(lambda: len(receiver.calls_to("/items")) == 10)  # the batch ran
    assert sandbox.control.fault_count("malformed_body", f"POST {REAPI}") == 1
    assert sandbox.control.paid_requests("reapi_batch")[0]["answered"] == "malformed_body"


def test_truncated_body_is_the_first_half_of_the_real_answer(api, sandbox):
    sandbox.control.faults(truncated_body_rate=1.0, paths=[TRACE])
    response = submit_trace(api, address_rows(2))
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    (queue_id,) = listed_ids(api)
    assert response.text.startswith('{"message":"Queue created","queue_id":' + str(queue_id))
    assert sandbox.control.fault_count("truncated_body", f"POST {TRACE}") == 1


def test_failed_requests_are_not_faulted_after_processing(api, sandbox):
    sandbox.control.faults(processed_error_rate=1.0, paths=[TRACE])
    assert submit_trace(api, address_rows(2), trace_type="bogus").status_code == 400
    assert sandbox.control.stats()["total"] == 0


# 4. Scoping by method and by rule ----------------------------------------------------------


def test_flat_knobs_scoped_by_method(api, sandbox):
    sandbox.control.faults(error_rate=1.0, methods=["POST"], paths=["/tracerfy/"])
    assert api.get("queues/").status_code == 200
    assert submit_trace(api, address_rows(1)).status_code == 503
    assert sandbox.control.stats()["paths"] == {"error": {f"POST {TRACE}": 1}}


def test_rules_give_each_path_and_method_its_own_faults(api, sandbox):
    sandbox.control.fault_rules(
        {"path": REAPI, "methods": ["POST"], "processed_error_rate": 1.0},
        {"paths": ["/tracerfy/v1/api/queues"], "methods": ["GET"], "error_rate": 1.0},
    )
    assert api.get("queues/").status_code == 503
    assert api.get("analytics/").status_code == 200
    assert submit_trace(api, address_rows(1)).status_code == 200  # no rule: the flat knobs
    response = post_batch(sandbox, {"skips": skips(10), "webhook_url": "http://127.0.0.1:9/x"})
    assert response.status_code == 500
    stats = sandbox.control.stats()
    assert stats["paths"] == {
        "error": {"GET /tracerfy/v1/api/queues/": 1},
        "processed_error": {f"POST {REAPI}": 1},
    }
    rules = sandbox.control.fault_state()["rules"]
    assert rules[0]["paths"] == [REAPI] and rules[0]["processed_error_rate"] == 1.0


def test_first_matching_rule_wins_over_the_flat_knobs(api, sandbox):
    sandbox.control.faults(
        error_rate=1.0, rules=[{"path": "/tracerfy/v1/api/analytics", "latency_ms": 1}]
    )
    assert api.get("analytics/").status_code == 200  # the rule has no error rate
    assert api.get("queues/").status_code == 503  # no rule matches: the flat knobs


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"rules": {"path": "/x"}}, "rules must be a list of rule objects"),
        ({"rules": [{"path": "/x", "colour": 1}]}, "rules[0]: unknown knob(s): colour"),
        (
            {"rules": [{"path": "/x", "processed_error_rate": 3}]},
            "rules[0]: processed_error_rate must be a number between 0 and 1",
        ),
        ({"rules": [{"methods": ["FETCH"]}]}, "rules[0]: methods: unknown HTTP method(s): FETCH"),
        ({"methods": "POST"}, "methods must be a list of HTTP methods"),
        (
            {"processed_error_status": 404},
            "processed_error_status must be an integer between 500 and 599",
        ),
        ({"reset_after_rate": -1}, "reset_after_rate must be a number between 0 and 1"),
        (
            {"webhook_delay_max_seconds": "1"},
            "webhook_delay_max_seconds must be a non-negative number",
        ),
        (
            {"queue_kinds": ["trace", "mail"]},
            "queue_kinds: unknown kind(s) mail; one of trace, parcel, dnc, lead_list",
        ),
        ({"download_expire_seconds": -5}, "download_expire_seconds must be a non-negative number"),
    ],
)
def test_new_knobs_are_validated(sandbox, payload, message):
    response = httpx.post(f"{sandbox.base_url}/_sandbox/faults", json=payload)
    assert response.status_code == 400
    assert response.json() == {"error": message}


# 5. Long webhook delays --------------------------------------------------------------------


def test_webhook_delays_do_not_block_each_other(sandbox, receiver):
    sandbox.control.faults(webhook_delay_max_seconds=1.0)
    started = time.monotonic()
    post_batch(sandbox, {"skips": skips(20), "webhook_url": receiver.url("/items")})
    wait_until(lambda: len(receiver.calls_to("/items")) == 20, timeout=10)
    elapsed = time.monotonic() - started
    log = sandbox.control.deliveries("reapi.item")
    delays = [entry["delayed_seconds"] for entry in log]
    assert all(0 <= d <= 1.0 for d in delays)
    assert sum(delays) > 3  # ~10 s if they were sent one after the other
    assert elapsed < sum(delays) / 2
    keys = [call.json()["input"]["key"] for call in receiver.calls_to("/items")]
    assert keys != sorted(keys)
    assert sandbox.control.fault_count("webhook_delay", "webhook reapi.item") == 20


# 6. Queues that stall, fail or vanish ------------------------------------------------------


def test_stuck_trace_queue_stays_pending(api, sandbox):
    sandbox.control.faults(queue_stuck_rate=1.0)
    stuck = submit_trace(api, address_rows(2)).json()["queue_id"]
    sandbox.control.faults(queue_stuck_rate=0.0)
    later = submit_trace(api, address_rows(2)).json()["queue_id"]
    wait_queue_done(api, later)
    (queue,) = [q for q in api.get("queues/").json() if q["id"] == stuck]
    assert queue["pending"] is True
    assert api.get(f"queue/{stuck}").json() == []
    paid = {p["created_id"]: p for p in sandbox.control.paid_requests("trace")}
    assert paid[stuck]["billed"] is None and paid[stuck]["billing_final"] is False
    assert sandbox.control.fault_count("queue_stuck", f"POST {TRACE}") == 1


def test_vanishing_trace_queue_leaves_the_list_unbilled(api, sandbox):
    sandbox.control.faults(queue_vanish_rate=1.0, queue_kinds=["trace"])
    queue_id = submit_trace(api, address_rows(3)).json()["queue_id"]
    wait_until(lambda: queue_id not in listed_ids(api))
    assert api.get(f"queue/{queue_id}").status_code == 404
    assert api.get("analytics/").json()["total_queues"] == 0
    assert sandbox.control.balance() == 100_000
    (paid,) = sandbox.control.paid_requests("trace")
    assert (paid["billed"], paid["billing_final"]) == (0, True)
    assert sandbox.control.fault_count("queue_vanish") == 1


def test_queue_kinds_limit_the_queue_faults(api, sandbox):
    sandbox.control.faults(queue_vanish_rate=1.0, queue_kinds=["dnc"])
    trace_id = submit_trace(api, address_rows(2)).json()["queue_id"]
    wait_queue_done(api, trace_id)
    dnc = api.post("dnc/scrub/", json={"phones": ["5125550100", "5125550101"]}).json()
    wait_until(lambda: api.get(f"dnc/queue/{dnc['dnc_queue_id']}").status_code == 404)
    assert sandbox.control.stats()["paths"]["queue_vanish"] == {
        "POST /tracerfy/v1/api/dnc/scrub/": 1
    }


def test_failed_lead_list(api, sandbox, receiver, account_hook):
    sandbox.control.faults(queue_failed_rate=1.0)
    spec = {
        "strategy": "high_equity_absentee",
        "geography": {"mode": "city", "cities": ["Phoenix"], "states": ["AZ"]},
        "requested_count": 20,
    }
    list_id = api.post("lead-builder/execute/", json=spec).json()["id"]
    status = wait_until(
        lambda: (s := api.get(f"lead-builder/{list_id}/").json())["status"] == "failed" and s
    )
    assert status["error_message"]
    assert status["credits_deducted"] == 0
    assert api.get(f"lead-builder/{list_id}/rows/").status_code == 409
    hook = wait_until(lambda: receiver.calls_to("/tracerfy"))[0].json()
    assert (hook["id"], hook["status"], hook["credits_deducted"]) == (list_id, "failed", 0)
    assert sandbox.control.balance() == 100_000
    assert sandbox.control.fault_count("queue_failed") == 1
    (paid,) = sandbox.control.paid_requests("lead_list")
    assert (paid["created_id"], paid["count"], paid["billed"]) == (list_id, 20, 0)


def test_failed_parcel_queue(api, sandbox):
    sandbox.control.faults(queue_failed_rate=1.0)
    rows = [{"parcel_id": f"#12-{i}", "county": "Palm Beach", "state": "FL"} for i in range(4)]
    response = api.post(
        "trace/parcel/",
        files={"csv_file": ("p.csv", csv_bytes(rows))},
        data={"parcel_id_column": "parcel_id", "county_column": "county", "state_column": "state"},
    )
    queue_id = response.json()["parcel_queue_id"]
    queue = wait_until(
        lambda: (q := api.get(f"trace/parcel/queue/{queue_id}").json())["status"] == "failed" and q
    )
    assert queue["pending"] is False
    assert queue["download_url"] is None
    assert queue["credits_deducted"] == 0
    assert sandbox.control.fault_count("queue_failed", "POST /tracerfy/v1/api/trace/parcel/") == 1


# 7. RealEstateAPI per-item errors ----------------------------------------------------------


def test_reapi_item_errors_are_counted_in_the_completion(sandbox, receiver):
    sandbox.control.faults(reapi_item_error_rate=1.0)
    post_batch(
        sandbox,
        {
            "skips": skips(12),
            "webhook_url": receiver.url("/items"),
            "webcomplete_url": receiver.url("/done"),
        },
    )
    done = wait_until(lambda: receiver.calls_to("/done"))[0].json()
    assert (done["errorCount"], done["matchCount"], done["processedCount"]) == (12, 0, 12)
    items = [call.json() for call in receiver.calls_to("/items")]
    assert {(i["statusCode"], i["match"], i["output"]) for i in items} == {(500, False, None)}
    assert sandbox.control.fault_count("reapi_item_error") == 12
    (paid,) = sandbox.control.paid_requests("reapi_batch")
    assert (paid["billed"], paid["billing_final"]) == (0, True)


# 8. Download faults ------------------------------------------------------------------------


def test_download_errors(api, sandbox):
    queue = wait_queue_done(api, submit_trace(api, address_rows(2)).json()["queue_id"])
    sandbox.control.faults(download_error_rate=1.0, download_error_status=502)
    assert httpx.get(queue["download_url"]).status_code == 502
    sandbox.control.faults(download_error_rate=0.0)
    assert httpx.get(queue["download_url"]).status_code == 200
    assert sandbox.control.fault_count("download_error", "GET /files/") == 1


def test_download_links_expire_by_age(api, sandbox):
    queue = wait_queue_done(api, submit_trace(api, address_rows(2)).json()["queue_id"])
    assert httpx.get(queue["download_url"]).status_code == 200
    sandbox.control.faults(download_expire_seconds=0.2)
    expired = wait_until(lambda: (r := httpx.get(queue["download_url"])).status_code == 403 and r)
    assert b"Request has expired" in expired.content
    assert sandbox.control.fault_count("download_expired") >= 1


def test_download_link_expired_at_a_rate_stays_expired(api, sandbox):
    queue = wait_queue_done(api, submit_trace(api, address_rows(2)).json()["queue_id"])
    sandbox.control.faults(download_expire_rate=1.0)
    assert httpx.get(queue["download_url"]).status_code == 403
    sandbox.control.faults(download_expire_rate=0.0)
    assert httpx.get(queue["download_url"]).status_code == 403
    assert sandbox.control.fault_count("download_expired") == 2


# 9. Counters -------------------------------------------------------------------------------


def test_counters_and_their_reset(api, sandbox, receiver, account_hook):
    sandbox.control.faults(error_rate=1.0, fault_budget=2, webhook_drop_rate=1.0)
    assert api.get("queues/").status_code == 503
    assert api.get("analytics/").status_code == 503
    wait_queue_done(api, submit_trace(api, address_rows(1)).json()["queue_id"])
    wait_until(lambda: sandbox.control.fault_count("webhook_drop") == 1)
    stats = sandbox.control.stats(events=True)
    assert stats["kinds"]["error"] == 2
    assert stats["total"] == 3
    assert [e["kind"] for e in stats["events"]] == ["error", "error", "webhook_drop"]
    assert sandbox.control.fault_state()["counters"]["total"] == 3
    sandbox.reset()
    assert sandbox.control.stats()["total"] == 0


# 10. The paid-request log ------------------------------------------------------------------


def test_paid_log_fingerprints_find_repeated_submissions(api, sandbox):
    rows = address_rows(4)
    first = submit_trace(api, rows).json()["queue_id"]
    again = submit_trace(api, list(reversed(rows))).json()["queue_id"]  # same content
    other = submit_trace(api, address_rows(2, city="Dallas")).json()["queue_id"]
    for queue_id in (first, again, other):
        wait_queue_done(api, queue_id)
    log = sandbox.control.paid(rows=True)
    by_id = {entry["created_id"]: entry for entry in log["requests"]}
    assert by_id[first]["fingerprint"] == by_id[again]["fingerprint"]
    assert by_id[first]["fingerprint"] != by_id[other]["fingerprint"]
    assert log["duplicates"]["requests"] == [[by_id[first]["seq"], by_id[again]["seq"]]]
    assert log["duplicates"]["rows"] == 4
    assert len(by_id[first]["row_fingerprints"]) == 4
    assert sum(e["billed"] for e in log["requests"]) == 100_000 - sandbox.control.balance()
    entry = by_id[other]
    assert (entry["method"], entry["path"], entry["provider"], entry["count"]) == (
        "POST",
        TRACE,
        "tracerfy",
        2,
    )
    assert entry["faulted"] is False and entry["answered"] == "ok"


def test_paid_log_covers_lookups_and_reapi_billing(api, sandbox, receiver):
    lookup = {"address": "12 Pine Rd", "city": "Tampa", "state": "FL"}
    api.post("trace/lookup/", json=lookup)
    api.post("trace/lookup/", json=lookup)
    api.post("dnc/lookup/", json={"phone": "5125550100"})
    response = post_batch(
        sandbox,
        {
            "skips": skips(10),
            "webhook_url": receiver.url("/items"),
            "webcomplete_url": receiver.url("/done"),
        },
    )
    batch_id = response.json()["batchId"]
    done = wait_until(lambda: receiver.calls_to("/done"))[0].json()
    log = sandbox.control.paid()
    kinds = [entry["kind"] for entry in log["requests"]]
    assert kinds == ["trace_lookup", "trace_lookup", "dnc_lookup", "reapi_batch"]
    assert log["requests"][2]["billed"] == 5
    batch = log["requests"][3]
    assert (batch["created_id"], batch["count"], batch["billed"]) == (
        batch_id,
        10,
        done["matchCount"],
    )
    assert log["duplicates"]["requests"] == [[1, 2]]  # the same lookup twice
    assert sandbox.control.paid("dnc_lookup")["count"] == 1


# 12. Knobs from the environment ------------------------------------------------------------


def test_environment_reads_the_new_knobs():
    from leadops.sandbox.config import FaultRule, SandboxConfig

    config = SandboxConfig.from_env(
        {
            "SANDBOX_FAULT_PROCESSED_ERROR_RATE": "0.3",
            "SANDBOX_FAULT_PROCESSED_ERROR_STATUS": "502",
            "SANDBOX_FAULT_RESET_BEFORE_RATE": "0.1",
            "SANDBOX_FAULT_RESET_AFTER_RATE": "0.2",
            "SANDBOX_FAULT_MALFORMED_BODY_RATE": "0.05",
            "SANDBOX_FAULT_TRUNCATED_BODY_RATE": "0.06",
            "SANDBOX_FAULT_METHODS": "post",
            "SANDBOX_FAULT_RULES": json.dumps(
                [{"path": REAPI, "methods": ["POST"], "processed_error_rate": 0.3}]
            ),
            "SANDBOX_FAULT_WEBHOOK_DELAY_MAX_SECONDS": "120",
            "SANDBOX_FAULT_QUEUE_STUCK_RATE": "0.01",
            "SANDBOX_FAULT_QUEUE_FAILED_RATE": "0.02",
            "SANDBOX_FAULT_QUEUE_VANISH_RATE": "0.03",
            "SANDBOX_FAULT_QUEUE_KINDS": "trace,lead_list",
            "SANDBOX_FAULT_REAPI_ITEM_ERROR_RATE": "0.04",
            "SANDBOX_FAULT_DOWNLOAD_ERROR_RATE": "0.07",
            "SANDBOX_FAULT_DOWNLOAD_ERROR_STATUS": "500",
            "SANDBOX_FAULT_DOWNLOAD_EXPIRE_SECONDS": "3600",
            "SANDBOX_FAULT_DOWNLOAD_EXPIRE_RATE": "0.08",
            "SANDBOX_STATE_FILE": "/tmp/x.sqlite3",
        }
    )
    faults = config.faults
    assert (faults.processed_error_rate, faults.processed_error_status) == (0.3, 502)
    assert (faults.reset_before_rate, faults.reset_after_rate) == (0.1, 0.2)
    assert (faults.malformed_body_rate, faults.truncated_body_rate) == (0.05, 0.06)
    assert faults.methods == ("POST",)
    assert faults.rules == (FaultRule(paths=(REAPI,), methods=("POST",), processed_error_rate=0.3),)
    assert faults.webhook_delay_max_seconds == 120.0
    assert (faults.queue_stuck_rate, faults.queue_failed_rate, faults.queue_vanish_rate) == (
        0.01,
        0.02,
        0.03,
    )
    assert faults.queue_kinds == ("trace", "lead_list")
    assert faults.reapi_item_error_rate == 0.04
    assert (faults.download_error_rate, faults.download_error_status) == (0.07, 500)
    assert (faults.download_expire_seconds, faults.download_expire_rate) == (3600.0, 0.08)
    assert config.state_file == "/tmp/x.sqlite3"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SANDBOX_FAULT_PROCESSED_ERROR_STATUS", "404"),
        ("SANDBOX_FAULT_RESET_AFTER_RATE", "2"),
        ("SANDBOX_FAULT_RULES", "not json"),
        ("SANDBOX_FAULT_RULES", '[{"path": "/x", "error_rate": 9}]'),
        ("SANDBOX_FAULT_QUEUE_KINDS", "trace,mail"),
        ("SANDBOX_FAULT_WEBHOOK_DELAY_MAX_SECONDS", "-1"),
    ],
)
def test_environment_refuses_bad_new_knobs(name, value):
    from leadops.sandbox.config import ConfigError, SandboxConfig

    with pytest.raises(ConfigError, match=name):
        SandboxConfig.from_env({name: value})


def test_state_file_defaults(tmp_path):
    from leadops.sandbox.config import DEFAULT_STATE_FILE, SandboxConfig

    assert SandboxConfig.from_env({}).state_file is None
    cli = SandboxConfig.from_env({}, default_state_file=DEFAULT_STATE_FILE)
    assert cli.state_file == "var/sandbox.sqlite3"
    memory = {"SANDBOX_STATE_FILE": ":memory:"}
    assert SandboxConfig.from_env(memory, default_state_file=DEFAULT_STATE_FILE).state_file is None
