"""Tracerfy batch trace, queues, queue records, analytics, trace webhooks and downloads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from leadops.sandbox.config import SandboxConfig
from leadops.sandbox.testing import RunningSandbox, run_sandbox, wait_until
from tests.support.payloads import assert_shape, fixture
from tests.support.rows import address_rows, csv_bytes, parse_csv
from tests.support.sandbox import BEARER, NORMAL_COLUMNS, submit_trace, wait_queue_done

QUEUE_NULLABLE = frozenset({"download_url"})


def test_normal_csv_trace_matches_documented_response(api):
    response = submit_trace(api, address_rows(12))
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, fixture("tracerfy", "trace_batch"))
    assert body["message"] == "Queue created"
    assert body["status"] == "pending"
    assert body["rows_uploaded"] == 12
    assert body["trace_type"] == "normal"
    assert body["credits_per_lead"] == 1
    assert body["estimated_wait_seconds"] >= 1


def test_advanced_trace_needs_only_address_city_state(api, sandbox):
    sandbox.control.settings(miss_rate=0.0)
    rows = [{"street": f"{i} Oak Ave", "town": "Dallas", "st": "tx"} for i in range(1, 6)]
    response = api.post(
        "trace/",
        files={"csv_file": ("r.csv", csv_bytes(rows))},
        data={
            "address_column": "street",
            "city_column": "town",
            "state_column": "st",
            "trace_type": "advanced",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credits_per_lead"] == 2
    queue = wait_queue_done(api, body["queue_id"])
    assert queue["credits_deducted"] == 10
    records = api.get(f"queue/{body['queue_id']}").json()
    assert len(records) == 5
    assert all(r["first_name"] and r["last_name"] and r["mail_address"] for r in records)
    assert all(r["state"] == "TX" for r in records)


def test_json_data_trace_as_string_and_as_array(api):
    records = address_rows(3)
    for json_data in (json.dumps(records), records):
        response = api.post("trace/", json={**NORMAL_COLUMNS, "json_data": json_data})
        assert response.status_code == 200, response.text
        assert response.json()["rows_uploaded"] == 3


def test_json_data_in_multipart_form(api):
    response = api.post("trace/", data={**NORMAL_COLUMNS, "json_data": json.dumps(address_rows(2))})
    assert response.status_code == 200, response.text
    assert response.json()["rows_uploaded"] == 2


def test_clean_and_dedupe(api):
    rows = address_rows(3)
    rows.append(dict(rows[0], address=" 100  main st. ", city="AUSTIN"))  # duplicate of row 0
    rows.append(dict(rows[1], address=""))  # no address: dropped
    response = submit_trace(api, rows)
    assert response.json()["rows_uploaded"] == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"trace_type": "premium"}, "Invalid trace_type. Must be 'normal' or 'advanced'."),
        (
            {"first_name_column": ""},
            "Missing required parameter(s): first_name_column.",
        ),
        ({"city_column": "town"}, "Column 'town' not found in the uploaded CSV."),
    ],
)
def test_trace_parameter_errors(api, data, message):
    response = submit_trace(api, address_rows(2), **data)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_trace_without_file_or_json(api):
    response = api.post("trace/", data=NORMAL_COLUMNS)
    assert response.status_code == 400
    assert response.json() == {"error": "Either csv_file or json_data is required."}


def test_trace_with_both_file_and_json(api):
    response = api.post(
        "trace/",
        files={"csv_file": ("r.csv", csv_bytes(address_rows(1)))},
        data={**NORMAL_COLUMNS, "json_data": "[]"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Send either csv_file or json_data, not both."}


def test_trace_bad_json_data(api):
    response = api.post("trace/", json={**NORMAL_COLUMNS, "json_data": "{not json"})
    assert response.status_code == 400
    assert response.json() == {"error": "json_data must be a JSON array of records."}


def test_trace_insufficient_credits(api, sandbox):
    sandbox.control.account(balance=5)
    response = submit_trace(api, address_rows(3), trace_type="advanced")
    assert response.status_code == 402
    assert response.json() == {
        "error": "Insufficient credits. This trace requires up to 6 credits "
        "(2 per lead \u00d7 3 rows). You have 5 credits."
    }
    assert api.get("queues/").json() == []


def test_trace_rate_limit_ten_per_five_minutes(api):
    for _ in range(10):
        assert submit_trace(api, address_rows(1)).status_code == 200
    response = submit_trace(api, address_rows(1))
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 290 <= retry_after <= 300
    assert response.json() == {
        "detail": f"Request was throttled. Expected available in {retry_after} seconds."
    }


def test_queue_lifecycle_and_credits(api, sandbox):
    sandbox.control.settings(miss_rate=0.0, speed=0.01)
    slow_id = submit_trace(api, address_rows(4)).json()["queue_id"]
    pending = api.get("queues/").json()[0]
    assert pending["id"] == slow_id
    assert pending["pending"] is True
    assert pending["download_url"] is None
    assert "rows_uploaded" not in pending
    assert "credits_deducted" not in pending
    assert api.get(f"queue/{slow_id}").json() == []
    sandbox.control.settings(speed=200)
    queue_id = submit_trace(api, address_rows(4)).json()["queue_id"]
    done = wait_queue_done(api, queue_id)
    assert_shape(done, fixture("tracerfy", "queues")[1], nullable=QUEUE_NULLABLE)
    assert done["rows_uploaded"] == 4
    assert done["credits_deducted"] == 4
    assert sandbox.control.account()["balance"] == 100_000 - 4


def test_misses_are_not_charged(api, sandbox):
    sandbox.control.settings(miss_rate=1.0)
    queue_id = submit_trace(api, address_rows(5)).json()["queue_id"]
    done = wait_queue_done(api, queue_id)
    assert done["credits_deducted"] == 0
    records = api.get(f"queue/{queue_id}").json()
    assert all(r["primary_phone"] == "" and r["email_1"] == "" for r in records)


def test_queue_records_match_documented_shape_and_download(api, sandbox):
    sandbox.control.settings(miss_rate=0.0)
    queue_id = submit_trace(api, address_rows(6)).json()["queue_id"]
    done = wait_queue_done(api, queue_id)
    records = api.get(f"queue/{queue_id}").json()
    example = fixture("tracerfy", "queue_normal")[0]
    for record in records:
        assert_shape(record, example)
        assert record["first_name"] == "Jane"  # normal traces keep the input name
        for key in ("primary_phone", "mobile_1", "landline_1"):
            if record[key]:
                assert re.fullmatch(r"\d{3}55501\d\d", record[key])
        if record["email_1"]:
            assert record["email_1"].endswith(("@example.com", "@example.net", "@example.org"))
    download = httpx.get(done["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert parse_csv(download.text) == records
    assert done["download_url"].startswith(sandbox.base_url + "/files/")


def test_same_input_same_answer(api, sandbox):
    sandbox.control.settings(miss_rate=0.3)
    first = submit_trace(api, address_rows(20), trace_type="advanced").json()["queue_id"]
    wait_queue_done(api, first)
    second = submit_trace(api, address_rows(20), trace_type="advanced").json()["queue_id"]
    wait_queue_done(api, second)
    assert api.get(f"queue/{first}").json() == api.get(f"queue/{second}").json()


def test_queue_not_found(api):
    response = api.get("queue/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_analytics(api, sandbox):
    first = submit_trace(api, address_rows(3)).json()["queue_id"]
    wait_queue_done(api, first)
    sandbox.control.settings(speed=0.01)
    submit_trace(api, address_rows(2))
    body = api.get("analytics/").json()
    assert_shape(body, fixture("tracerfy", "analytics"))
    assert body["total_queues"] == 2
    assert body["properties_traced"] == 5
    assert body["queues_pending"] == 1
    assert body["queues_completed"] == 1
    assert body["balance"] == sandbox.control.account()["balance"]


def test_trace_webhooks_normal_and_advanced(api, sandbox, receiver, account_hook):
    sandbox.control.settings(miss_rate=0.0)
    normal = submit_trace(api, address_rows(3)).json()["queue_id"]
    advanced = submit_trace(api, address_rows(3), trace_type="advanced").json()["queue_id"]
    wait_until(lambda: len(receiver.calls_to("/tracerfy")) == 2)
    payloads = {call.json()["id"]: call.json() for call in receiver.calls_to("/tracerfy")}
    assert_shape(payloads[normal], fixture("tracerfy", "webhook_trace_normal"))
    assert_shape(payloads[advanced], fixture("tracerfy", "webhook_trace_advanced"))
    assert payloads[normal]["trace_type"] == "normal"
    assert payloads[normal]["credits_per_lead"] == 1
    assert payloads[advanced]["trace_type"] == "advanced"
    assert payloads[advanced]["credits_deducted"] == 6
    call = receiver.calls_to("/tracerfy")[0]
    assert call.headers["content-type"] == "application/json"
    assert "authorization" not in call.headers


def test_no_webhook_without_account_url(api, receiver):
    queue_id = submit_trace(api, address_rows(2)).json()["queue_id"]
    wait_queue_done(api, queue_id)
    assert receiver.calls == []


def test_unknown_download_is_404(sandbox):
    assert httpx.get(f"{sandbox.base_url}/files/nope.csv").status_code == 404


@pytest.fixture(scope="module")
def unlimited() -> Iterator[RunningSandbox]:
    """A sandbox whose rate-limit windows are microseconds long (for many POSTs)."""
    with run_sandbox(SandboxConfig(speed=500.0, rate_window_scale=1e-7)) as running:
        yield running


def test_queues_pagination_headers(unlimited):
    with httpx.Client(base_url=unlimited.urls["tracerfy"], headers=BEARER) as api:
        for _ in range(101):
            assert submit_trace(api, address_rows(1)).status_code == 200
        first = api.get("queues/")
        assert first.status_code == 200
        assert first.headers["X-Total-Count"] == "101"
        assert len(first.json()) == 100
        ids = [q["id"] for q in first.json()]
        assert ids == sorted(ids, reverse=True)
        base = f"{unlimited.urls['tracerfy']}queues/"
        link = first.headers["Link"]
        assert f'<{base}?page=2>; rel="next"' in link
        assert f'<{base}?page=2>; rel="last"' in link
        second = api.get("queues/", params={"page": 2})
        assert len(second.json()) == 1
        assert second.headers["X-Total-Count"] == "101"
        assert f'<{base}?page=1>; rel="prev"' in second.headers["Link"]
        assert 'rel="next"' not in second.headers["Link"]
        for page in ("3", "0", "abc"):
            bad = api.get("queues/", params={"page": page})
            assert bad.status_code == 404
            assert bad.json() == {"detail": "Invalid page."}
