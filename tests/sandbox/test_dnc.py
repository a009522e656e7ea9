"""Tracerfy DNC scrub (CSV, multi-column, phone list), scrub-from-queue, queue, lookup."""

from __future__ import annotations

import httpx

from leadops.sandbox.testing import wait_until
from tests.support.payloads import assert_shape, fixture
from tests.support.rows import address_rows, csv_bytes, parse_csv
from tests.support.sandbox import submit_trace, wait_queue_done

DNC_COLUMNS = [
    "phone", "label", "national_dnc", "state_dnc", "dma", "litigator", "phone_type", "is_clean",
]  # fmt: skip
SCRUB_NULLABLE = frozenset({"download_url", "clean_download_url"})


def wait_scrub(api, queue_id):
    return wait_until(
        lambda: (q := api.get(f"dnc/queue/{queue_id}").json())["pending"] is False and q
    )


def test_single_column_csv_with_label(api):
    rows = [
        {"Name": "John Doe", "Phone": "(212) 555-0142"},
        {"Name": "Jane Roe", "Phone": "1-212-555-0143"},
        {"Name": "Dup", "Phone": "2125550142"},
        {"Name": "Bad", "Phone": "12345"},
    ]
    response = api.post(
        "dnc/scrub/",
        files={"csv_file": ("phones.csv", csv_bytes(rows))},
        data={"phone_column": "Phone", "label_column": "Name"},
    )
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, fixture("tracerfy", "dnc_scrub"))
    assert body["message"] == "DNC scrub started"
    assert body["phones_to_check"] == 2
    assert body["credits_per_phone"] == 1
    queue = wait_scrub(api, body["dnc_queue_id"])
    assert_shape(queue, fixture("tracerfy", "dnc_queue"))
    assert queue["phones_checked"] == 2
    assert queue["credits_deducted"] == 2
    assert queue["source_type"] == "upload"
    full = parse_csv(httpx.get(queue["download_url"]).text)
    clean = parse_csv(httpx.get(queue["clean_download_url"]).text)
    assert list(full[0]) == DNC_COLUMNS
    assert [(r["phone"], r["label"]) for r in full] == [
        ("2125550142", "John Doe"),
        ("2125550143", "Jane Roe"),
    ]
    assert clean == [r for r in full if r["is_clean"] == "true"]
    assert queue["phones_clean"] == len(clean)


def test_multiple_phone_columns_and_label_columns(api):
    rows = [
        {"Phone_1": "2125550101", "Phone_2": "2125550102", "Address": "1 Main", "City": "Austin"},
        {"Phone_1": "2125550102", "Phone_2": "", "Address": "2 Main", "City": "Austin"},
    ]
    response = api.post(
        "dnc/scrub/",
        files={"csv_file": ("phones.csv", csv_bytes(rows))},
        data={"phone_columns": '["Phone_1", "Phone_2"]', "label_columns": '["Address", "City"]'},
    )
    assert response.json()["phones_to_check"] == 2
    queue = wait_scrub(api, response.json()["dnc_queue_id"])
    full = parse_csv(httpx.get(queue["download_url"]).text)
    assert [r["label"] for r in full] == ["(Phone_1) 1 Main, Austin", "(Phone_2) 1 Main, Austin"]


def test_json_phone_list(api, sandbox, receiver, account_hook):
    response = api.post("dnc/scrub/", json={"phones": ["5125550100", "5125550101", "5125550100"]})
    assert response.status_code == 200
    queue_id = response.json()["dnc_queue_id"]
    assert response.json()["phones_to_check"] == 2
    queue = wait_scrub(api, queue_id)
    assert queue["source_type"] == "phone_list"
    wait_until(lambda: receiver.calls_to("/tracerfy"))
    hook = receiver.calls_to("/tracerfy")[0].json()
    assert_shape(hook, fixture("tracerfy", "webhook_dnc"))
    assert hook["type"] == "dnc_scrub"
    assert hook["id"] == queue_id
    assert hook["phones_checked"] == 2


def test_pending_queue_omits_result_fields(api, sandbox):
    sandbox.control.settings(speed=0.01)
    queue_id = api.post("dnc/scrub/", json={"phones": ["5125550100"]}).json()["dnc_queue_id"]
    pending = api.get(f"dnc/queue/{queue_id}").json()
    assert pending["pending"] is True
    for hidden in ("phones_checked", "phones_clean", "credits_deducted"):
        assert hidden not in pending
    assert pending["download_url"] is None


def test_scrub_errors(api, sandbox):
    csv_file = {"csv_file": ("p.csv", csv_bytes([{"Phone": "2125550101", "Name": "A"}]))}
    cases = [
        (
            {"files": csv_file, "data": {"phone_column": "Phone", "phone_columns": '["Phone"]'}},
            "phone_column and phone_columns are mutually exclusive.",
        ),
        (
            {"files": csv_file, "data": {}},
            "phone_column or phone_columns is required with csv_file.",
        ),
        (
            {"files": csv_file, "data": {"phone_column": "Mobile"}},
            "Column 'Mobile' not found in the uploaded CSV.",
        ),
        (
            {"json": {}},
            "Provide csv_file with phone_column or phone_columns, or a phones array.",
        ),
        ({"json": {"phones": ["12"]}}, "No valid phone numbers found."),
        ({"json": {"phones": "5125550100"}}, "phones must be an array of phone numbers."),
    ]
    for kwargs, message in cases:
        response = api.post("dnc/scrub/", **kwargs)
        assert response.status_code == 400, message
        assert response.json() == {"error": message}
    sandbox.control.account(balance=1)
    response = api.post("dnc/scrub/", json={"phones": ["5125550100", "5125550101"]})
    assert response.status_code == 402
    assert response.json() == {
        "error": "Insufficient credits. DNC scrub requires 2 credits (1 per phone). "
        "You have 1 credits."
    }


def test_scrub_from_queue(api, sandbox):
    sandbox.control.settings(miss_rate=0.0)
    trace_id = submit_trace(api, address_rows(5)).json()["queue_id"]
    wait_queue_done(api, trace_id)
    records = api.get(f"queue/{trace_id}").json()
    columns = ["primary_phone", "mobile_1", "mobile_2"]
    expected = {r[c] for r in records for c in columns if r[c]}
    response = api.post(
        "dnc/scrub-from-queue/", json={"queue_id": trace_id, "phone_columns": columns}
    )
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, fixture("tracerfy", "dnc_scrub_from_queue"))
    assert body["source_queue_id"] == trace_id
    assert body["phone_columns_used"] == columns
    assert body["phones_to_check"] == len(expected)  # deduplicated across columns
    queue = wait_scrub(api, body["dnc_queue_id"])
    assert queue["source_type"] == "trace_queue"
    default = api.post("dnc/scrub-from-queue/", json={"queue_id": trace_id}).json()
    assert len(default["phone_columns_used"]) == 9


def test_scrub_from_queue_errors(api, sandbox):
    response = api.post("dnc/scrub-from-queue/", json={})
    assert response.status_code == 400
    assert response.json() == {"error": "queue_id is required and must be an integer."}
    response = api.post("dnc/scrub-from-queue/", json={"queue_id": 424242})
    assert response.status_code == 404
    assert response.json() == {"error": "Queue not found."}
    response = api.post(
        "dnc/scrub-from-queue/", json={"queue_id": 1, "phone_columns": ["primary_phone", "fax"]}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid phone_columns: fax. Valid options: ")
    sandbox.control.settings(speed=0.01)
    trace_id = submit_trace(api, address_rows(2)).json()["queue_id"]
    response = api.post("dnc/scrub-from-queue/", json={"queue_id": trace_id})
    assert response.status_code == 409
    assert response.json()["status"] == "pending"


def test_dnc_queue_not_found(api):
    assert api.get("dnc/queue/777").status_code == 404


def test_dnc_lookup(api, sandbox):
    response = api.post("dnc/lookup/", json={"phone": "+1 (480) 555-1234"})
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, fixture("tracerfy", "dnc_lookup_flagged"))
    assert body["phone"] == "4805551234"
    assert body["credits_deducted"] == 5
    flags = (body["national_dnc"], body["state_dnc"], body["dma"], body["litigator"])
    assert body["is_clean"] is not any(flags)
    assert api.post("dnc/lookup/", json={"phone": "4805551234"}).json() == body
    assert sandbox.control.account()["balance"] == 100_000 - 10


def test_dnc_lookup_errors(api, sandbox):
    response = api.post("dnc/lookup/", json={"phone": "555-1234"})
    assert response.status_code == 400
    assert response.json() == fixture("tracerfy", "dnc_lookup_error_invalid")
    sandbox.control.account(balance=0)
    response = api.post("dnc/lookup/", json={"phone": "4805551234"})
    assert response.status_code == 402
    assert response.json() == fixture("tracerfy", "dnc_lookup_error_credits")
