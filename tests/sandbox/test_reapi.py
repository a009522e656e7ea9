"""RealEstateAPI SkipTraceBatch: validation, auth, acknowledgement, webhooks, completion."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from leadops.sandbox.testing import wait_until
from tests.support.payloads import assert_shape, fixture
from tests.support.sandbox import SANDBOX_KEY as KEY


def skips(count: int, **extra) -> list[dict]:
    return [
        {
            "key": i,
            "first_name": "Jane",
            "last_name": f"Doe{i}",
            "address": f"{100 + i} Main St",
            "city": "Austin",
            "state": "TX",
            "zip": "78701",
            **extra,
        }
        for i in range(count)
    ]


@pytest.fixture
def post(sandbox):
    url = sandbox.urls["reapi"]

    def send(body, key=KEY, **kwargs):
        headers = {"x-api-key": key} if key is not None else {}
        return httpx.post(url, json=body, headers=headers, timeout=10, **kwargs)

    return send


def test_batch_acknowledgement_and_webhooks(post, sandbox, receiver):
    sandbox.control.settings(miss_rate=0.3)
    items = skips(12)
    items[0]["key"] = "crm-0001"
    items[0]["webhook_url"] = receiver.url("/item-special") + "?record=crm-0001"
    body = {
        "skips": items,
        "webhook_url": receiver.url("/items"),
        "webcomplete_url": receiver.url("/complete"),
    }
    response = post(body)
    assert response.status_code == 200
    ack = response.json()
    assert_shape(ack, fixture("reapi", "ack_flat"))
    assert ack["receiveCount"] == 12
    assert [entry["key"] for entry in ack["batchRequestIds"]] == [item["key"] for item in items]
    assert len({entry["batchRequestId"] for entry in ack["batchRequestIds"]}) == 12

    wait_until(lambda: receiver.calls_to("/complete"), timeout=10)
    per_item = receiver.calls_to("/items") + receiver.calls_to("/item-special")
    assert len(per_item) == 12
    special = receiver.calls_to("/item-special")
    assert len(special) == 1 and special[0].query == "record=crm-0001"
    request_ids = {e["key"]: e["batchRequestId"] for e in ack["batchRequestIds"]}
    matches = 0
    for call in per_item:
        assert call.headers["x-api-key"] == KEY
        payload = call.json()
        expected = fixture(
            "reapi", "webhook_item_match" if payload["match"] else "webhook_item_no_match"
        )
        assert_shape(payload, expected, nullable=frozenset({"output"}))
        assert payload["batchId"] == ack["batchId"]
        assert payload["batchRequestId"] == request_ids[payload["input"]["key"]]
        if payload["match"]:
            matches += 1
            for phone in payload["output"]["identity"]["phones"]:
                assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", phone["phoneDisplay"])
    complete = receiver.calls_to("/complete")
    assert len(complete) == 1
    assert complete[0].headers["x-api-key"] == KEY
    summary = complete[0].json()
    assert_shape(summary, fixture("reapi", "webcomplete"))
    assert summary["batchId"] == ack["batchId"]
    assert summary["processedCount"] == 12
    assert summary["matchCount"] == matches
    assert summary["errorCount"] == 0
    # The completion call comes after every per-item call.
    calls = receiver.calls
    assert calls[-1].path == "/complete"


def test_nested_acknowledgement_shape(post, sandbox, receiver):
    sandbox.control.settings(reapi_ack_shape="nested")
    response = post({"skips": skips(10), "webhook_url": receiver.url("/items")})
    assert response.status_code == 200
    ack = response.json()
    assert_shape(ack, fixture("reapi", "ack_nested"))
    assert ack["data"]["receiveCount"] == 10
    wait_until(lambda: len(receiver.calls_to("/items")) == 10)
    assert receiver.calls_to("/complete") == []  # no webcomplete_url, no completion call


def test_invalid_state_counts_as_error(post, receiver):
    items = skips(10)
    items[3]["state"] = "Texas"
    post(
        {
            "skips": items,
            "webhook_url": receiver.url("/items"),
            "webcomplete_url": receiver.url("/complete"),
        }
    )
    wait_until(lambda: receiver.calls_to("/complete"))
    assert receiver.calls_to("/complete")[0].json()["errorCount"] == 1


def test_webhook_pacing_at_most_rate_per_second(post, sandbox, receiver):
    sandbox.control.settings(webhook_rate=50)
    post({"skips": skips(20), "webhook_url": receiver.url("/items")})
    wait_until(lambda: len(receiver.calls_to("/items")) == 20, timeout=5)
    log = sandbox.control.webhooks()["deliveries"]
    assert len(log) == 20
    # 20 calls at 50/s take at least 19 / 50 s between the first and the last send (the
    # start of each POST: when they finish depends on the receiver).
    from datetime import datetime

    times = sorted(datetime.fromisoformat(entry["sent_at"]) for entry in log)
    assert (times[-1] - times[0]).total_seconds() >= 19 / 50 - 0.02


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"skips": skips(9)},
            "A batch must contain between 10 and 1,000 skip requests; received 9.",
        ),
        (
            {"skips": skips(1001)},
            "A batch must contain between 10 and 1,000 skip requests; received 1001.",
        ),
        (
            {"items": skips(10)},
            "Request body must be an object with a 'skips' array of skip requests.",
        ),
        (
            {"skips": [*skips(9), {**skips(1)[0]}], "webhook_url": "https://example.com/h"},
            "skips[9]: key '0' is not unique within the batch.",
        ),
        (
            {
                "skips": [*skips(9), {**skips(1)[0], "key": 99, "zip": ""}],
                "webhook_url": "https://example.com/h",
            },
            "skips[9]: zip is required.",
        ),
        (
            {
                "skips": [*skips(9), {k: v for k, v in skips(1)[0].items() if k != "key"}],
                "webhook_url": "https://example.com/h",
            },
            "skips[9]: key is required (an integer or a string).",
        ),
        ({"skips": skips(10)}, "skips[0]: webhook_url is required (per item or for the batch)."),
        (
            {"skips": skips(10), "webhook_url": "http://example.com/hook"},
            "webhook_url must be a valid https POST endpoint.",
        ),
        (
            {
                "skips": skips(10),
                "webhook_url": "https://example.com/h",
                "webcomplete_url": "ftp://x",
            },
            "webcomplete_url must be a valid https POST endpoint.",
        ),
    ],
)
def test_validation_errors(post, body, message):
    response = post(body)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "statusMessage": "Bad Request",
        "message": message,
    }
    assert_shape(response.json(), fixture("reapi", "error_400"))


def test_payload_over_256kb_rejected(sandbox):
    items = skips(1000, first_name="J" * 200)
    raw = json.dumps({"skips": items, "webhook_url": "https://example.com/h"}).encode()
    assert len(raw) > 256 * 1024
    response = httpx.post(
        sandbox.urls["reapi"],
        content=raw,
        headers={"x-api-key": KEY, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Payload too large. The maximum payload size is 256KB."


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_auth(post, key):
    response = post({"skips": skips(10)}, key=key)
    assert response.status_code == 401
    assert response.json() == fixture("reapi", "error_401")


def test_string_and_integer_keys_are_echoed(post, receiver):
    items = skips(10)
    items[0]["key"] = "abc"
    ack = post({"skips": items, "webhook_url": receiver.url("/items")}).json()
    assert ack["batchRequestIds"][0]["key"] == "abc"
    assert ack["batchRequestIds"][1]["key"] == 1
    wait_until(lambda: len(receiver.calls_to("/items")) == 10)
    keys = {call.json()["input"]["key"] for call in receiver.calls_to("/items")}
    assert keys == {"abc", *range(1, 10)}
