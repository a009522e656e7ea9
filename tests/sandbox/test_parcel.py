"""Tracerfy APN / parcel batch, parcel queue, parcel lookup and the parcel webhook."""

from __future__ import annotations

import httpx

from leadops.sandbox.testing import wait_until
from tests.support.payloads import assert_shape, fixture
from tests.support.rows import csv_bytes, parse_csv

PARCELS = [
    {"parcel_id": f"#0042410900000{i:04d}", "county": "Palm Beach", "state": "FL"} for i in range(8)
]
COLUMNS = {"parcel_id_column": "parcel_id", "county_column": "county", "state_column": "state"}


def submit(api, rows=PARCELS, **data):
    return api.post(
        "trace/parcel/",
        files={"csv_file": ("parcels.csv", csv_bytes(rows))},
        data={**COLUMNS, **data},
    )


def test_parcel_batch_lifecycle_and_webhook(api, sandbox, receiver, account_hook):
    sandbox.control.settings(miss_rate=0.25)
    response = submit(api)
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, fixture("tracerfy", "parcel_batch"))
    assert body["message"] == "Parcel trace started"
    assert body["rows_uploaded"] == 8
    assert body["credits_per_parcel"] == 5
    queue_id = body["parcel_queue_id"]
    queue = wait_until(
        lambda: (
            (q := api.get(f"trace/parcel/queue/{queue_id}").json())["status"] == "completed" and q
        )
    )
    assert queue["pending"] is False
    assert queue["credits_deducted"] == 5 * queue["rows_hit"]
    rows = parse_csv(httpx.get(queue["download_url"]).text)
    assert len(rows) == 8
    assert [r["parcel_id"] for r in rows] == [p["parcel_id"] for p in PARCELS]
    misses = [r for r in rows if r["hit"] == "false"]
    assert len(misses) == 8 - queue["rows_hit"]
    assert all(r["phone_1"] == "" and r["first_name"] == "" for r in misses)
    wait_until(lambda: receiver.calls_to("/tracerfy"))
    hook = receiver.calls_to("/tracerfy")[0].json()
    assert_shape(hook, fixture("tracerfy", "webhook_parcel"))
    assert hook["type"] == "parcel_trace"
    assert hook["event"] == "parcel_trace.completed"
    assert "trace_type" not in hook
    assert hook["parcel_queue_id"] == queue_id
    assert hook["rows_hit"] == queue["rows_hit"]


def test_parcel_queue_pending_and_unknown(api, sandbox):
    sandbox.control.settings(speed=0.01)
    queue_id = submit(api).json()["parcel_queue_id"]
    pending = api.get(f"trace/parcel/queue/{queue_id}").json()
    assert pending["status"] == "pending"
    assert "credits_deducted" not in pending
    missing = api.get("trace/parcel/queue/99999")
    assert missing.status_code == 404


def test_parcel_batch_column_error(api):
    response = submit(api, parcel_id_column="apn")
    assert response.status_code == 400
    assert response.json() == fixture("tracerfy", "parcel_batch_error_columns") | {
        "error": "Column 'apn' not found in the uploaded CSV."
    }


def test_parcel_batch_missing_parameter(api):
    response = api.post(
        "trace/parcel/",
        files={"csv_file": ("p.csv", csv_bytes(PARCELS))},
        data={"county_column": "county", "state_column": "state"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Missing required parameter(s): parcel_id_column."}


def test_parcel_batch_insufficient_credits(api, sandbox):
    sandbox.control.account(balance=39)
    response = submit(api)
    assert response.status_code == 402
    assert response.json() == fixture("tracerfy", "parcel_batch_error_credits")


def test_parcel_batch_rate_limit(api):
    for _ in range(10):
        assert submit(api, PARCELS[:1]).status_code == 200
    assert submit(api, PARCELS[:1]).status_code == 429


def test_parcel_lookup_hit_and_miss(api, sandbox):
    sandbox.control.settings(miss_rate=0.0)
    body = {"parcel_id": "#00424109000007550", "county": "Palm Beach", "state": "FL"}
    hit = api.post("trace/parcel/lookup/", json=body).json()
    assert_shape(hit, fixture("tracerfy", "parcel_lookup_hit"))
    assert hit["parcel_id"] == "#00424109000007550"
    assert isinstance(hit["persons"][0]["age"], int)
    assert hit["credits_deducted"] == 5
    # the '#' prefix is optional: same parcel, same owner
    plain = api.post("trace/parcel/lookup/", json={**body, "parcel_id": "00424109000007550"})
    assert plain.json()["persons"] == hit["persons"]
    sandbox.control.settings(miss_rate=1.0)
    miss = api.post("trace/parcel/lookup/", json=body).json()
    assert miss == fixture("tracerfy", "parcel_lookup_miss") | {"parcel_id": body["parcel_id"]}
    assert sandbox.control.account()["balance"] == 100_000 - 10


def test_parcel_lookup_errors(api, sandbox):
    response = api.post("trace/parcel/lookup/", json={"parcel_id": "1"})
    assert response.status_code == 400
    assert response.json() == {"error": "Missing required field(s): county, state."}
    sandbox.control.account(balance=0)
    body = {"parcel_id": "1", "county": "Palm Beach", "state": "FL"}
    response = api.post("trace/parcel/lookup/", json=body)
    assert response.status_code == 402
    assert response.json() == fixture("tracerfy", "parcel_lookup_error_credits")


def test_parcel_lookup_unavailable_message(api, sandbox):
    sandbox.control.faults(error_rate=1.0, paths=["/tracerfy/v1/api/trace/"])
    body = {"parcel_id": "1", "county": "Palm Beach", "state": "FL"}
    response = api.post("trace/parcel/lookup/", json=body)
    assert response.status_code == 503
    assert response.json() == fixture("tracerfy", "parcel_lookup_error_unavailable")
