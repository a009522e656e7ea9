"""RealEstateAPI SkipTraceBatch client: both acknowledgement shapes, per-item and completion
webhooks, the documented batch rules, and error mapping against the sandbox."""

from __future__ import annotations

import logging

import httpx
import pytest

from leadops.providers.base import Timeouts
from leadops.providers.errors import (
    AuthFailed,
    InvalidRequest,
    ProviderUnavailable,
    RateLimited,
)
from leadops.providers.reapi import (
    BatchAccepted,
    BatchComplete,
    ReapiClient,
    SkipRequest,
    SkipResult,
)
from tests.support.payloads import FIXTURES, fixture
from tests.support.sandbox import TEST_TIMEOUTS, eventually, reapi_url

BATCH = [
    SkipRequest(
        key=f"rec-{i}" if i % 2 else i,
        address=f"{200 + i} Oak Ave",
        city="Dallas",
        state="TX",
        zip="75201",
        first_name="John",
        last_name=f"Smith{i}",
    )
    for i in range(10)
]


# -- documented payloads -----------------------------------------------------------------------


def test_every_reapi_fixture_is_covered():
    names = {path.stem for path in (FIXTURES / "reapi").glob("*.json")}
    assert names == {
        "ack_flat",
        "ack_nested",
        "error_400",
        "error_401",
        "skiptrace_batch_request",
        "webcomplete",
        "webhook_item_match",
        "webhook_item_no_match",
    }


def test_flat_and_nested_acknowledgements_parse_alike():
    flat = BatchAccepted.from_json(fixture("reapi", "ack_flat"))
    nested = BatchAccepted.from_json(fixture("reapi", "ack_nested"))
    assert flat == nested
    assert flat.batch_id == "0c8f9a7e-3b2d-4e1f-a6c5-d4b3a2918f7e"
    assert flat.receive_count == 10
    assert flat.request_id_for("crm-0001") == "5f0c4f7e-8d55-4f3c-9f38-0d1e0b7f2a11"
    assert flat.request_id_for(2) == "9b1d2c3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
    assert flat.status_message == "Success"


def test_an_acknowledgement_without_a_batch_id_is_rejected():
    with pytest.raises(ValueError, match="missing required field 'batchId'"):
        BatchAccepted.from_json({"data": {"receiveCount": 10}})


@pytest.mark.parametrize("name", ["webhook_item_match", "webhook_item_no_match"])
def test_per_item_webhooks_parse(name):
    result = SkipResult.from_json(fixture("reapi", name))
    assert result.batch_id == "0c8f9a7e-3b2d-4e1f-a6c5-d4b3a2918f7e"
    assert result.key in ("crm-0001", 2)
    assert result.match == (name == "webhook_item_match")
    assert bool(result.output) == result.match


def test_completion_webhook_parses():
    done = BatchComplete.from_json(fixture("reapi", "webcomplete"))
    assert (done.processed_count, done.match_count, done.error_count) == (10, 8, 0)


@pytest.mark.parametrize(
    ("name", "status", "error_class"),
    [("error_400", 400, InvalidRequest), ("error_401", 401, AuthFailed)],
)
def test_documented_errors_map_with_the_providers_message(name, status, error_class):
    body = fixture("reapi", name)
    with ReapiClient(base_url="https://reapi.test/v1/", api_key="k") as client:
        error = client.error_for(httpx.Response(status, json=body))
    assert type(error) is error_class
    assert error.message == body["message"]


def test_requests_are_built_in_the_documented_shape():
    request = fixture("reapi", "skiptrace_batch_request")
    default_hook = request["webhook_url"]
    for item in request["skips"]:
        skip = SkipRequest(
            key=item["key"],
            address=item["address"],
            city=item["city"],
            state=item["state"],
            zip=item["zip"],
            first_name=item.get("first_name"),
            last_name=item.get("last_name"),
            webhook_url=item.get("webhook_url"),
        )
        assert skip.as_json(default_hook) == {"webhook_url": default_hook, **item}


# -- against the sandbox -----------------------------------------------------------------------


def test_a_batch_is_acknowledged_and_delivers_every_item(sandbox, receiver):
    receiver.clear()
    with ReapiClient(base_url=reapi_url(sandbox), api_key="sandbox-key") as client:
        accepted = client.skip_trace_batch(
            BATCH,
            webhook_url=receiver.url("/reapi/item"),
            webcomplete_url=receiver.url("/reapi/done"),
        )
    assert accepted.receive_count == 10
    assert sorted(str(k) for k, _ in accepted.request_ids) == sorted(str(s.key) for s in BATCH)
    done_calls = eventually(lambda: receiver.calls_to("/reapi/done"), bool)
    done = BatchComplete.from_json(done_calls[0].json())
    assert done.batch_id == accepted.batch_id
    assert done.processed_count == 10
    items = [SkipResult.from_json(call.json()) for call in receiver.calls_to("/reapi/item")]
    assert len(items) == 10
    for item in items:
        assert item.batch_id == accepted.batch_id
        assert item.batch_request_id == accepted.request_id_for(item.key)
    assert {call.headers["x-api-key"] for call in receiver.calls} == {"sandbox-key"}


def test_the_nested_acknowledgement_parses_from_the_sandbox(sandbox, control, receiver):
    control.settings(reapi_ack_shape="nested")
    with ReapiClient(base_url=reapi_url(sandbox), api_key="sandbox-key") as client:
        accepted = client.skip_trace_batch(BATCH, webhook_url=receiver.url("/reapi/item"))
    assert accepted.receive_count == 10
    assert len(accepted.request_ids) == 10


def test_a_wrong_key_is_auth_failed(sandbox, receiver):
    with (
        ReapiClient(base_url=reapi_url(sandbox), api_key="nope") as client,
        pytest.raises(AuthFailed) as caught,
    ):
        client.skip_trace_batch(BATCH, webhook_url=receiver.url())
    assert caught.value.message == "Missing or invalid x-api-key header."
    assert caught.value.permanent


def test_an_item_the_provider_refuses_is_invalid_in_its_words(reapi, receiver):
    broken = [*BATCH[:9], SkipRequest(key="z", address="1 A St", city="X", state="TX", zip="")]
    with pytest.raises(InvalidRequest) as caught:
        reapi.skip_trace_batch(broken, webhook_url=receiver.url())
    assert caught.value.message == "skips[9]: zip is required."
    assert caught.value.detail["statusCode"] == 400


@pytest.mark.parametrize(
    ("skips", "hook", "message"),
    [
        (BATCH[:3], "https://hooks.test/x", "A batch must contain between 10 and 1,000 skip "
         "requests; this one has 3."),
        ([*BATCH[:9], BATCH[0]], "https://hooks.test/x", "Every skip request needs a unique "
         "key within the batch."),
        (BATCH, None, "Every skip request needs a webhook_url (per item or for the batch)."),
        (
            [
                SkipRequest(key=i, address="x" * 300, city="C", state="TX", zip="75201")
                for i in range(1000)
            ],
            "https://hooks.test/x",
            "The batch is larger than 256KB; split it into smaller batches.",
        ),
    ],
)  # fmt: skip
def test_documented_batch_rules_are_checked_before_any_call(reapi, caplog, skips, hook, message):
    caplog.set_level(logging.INFO, "leadops.providers")
    with pytest.raises(InvalidRequest) as caught:
        reapi.skip_trace_batch(skips, webhook_url=hook)
    assert caught.value.message == message
    assert not [r for r in caplog.records if r.name == "leadops.providers"]


def test_a_429_carries_the_retry_after(reapi, control, receiver):
    control.faults(rate_limit_rate=1.0, retry_after_seconds=9, fault_budget=1)
    with pytest.raises(RateLimited) as caught:
        reapi.skip_trace_batch(BATCH, webhook_url=receiver.url())
    assert caught.value.message == "Rate limit exceeded."
    assert caught.value.retry_after == 9


def test_a_5xx_is_unavailable_and_never_retried(reapi, control, receiver):
    control.faults(error_rate=1.0, fault_budget=3, error_status=502)
    with pytest.raises(ProviderUnavailable) as caught:
        reapi.skip_trace_batch(BATCH, webhook_url=receiver.url())
    assert caught.value.message == "Service unavailable."
    assert caught.value.status == 502
    assert caught.value.request_sent is False  # a gateway refusal: not processed
    assert control.fault_state()["fault_budget_remaining"] == 2


def test_a_read_timeout_may_have_been_accepted(sandbox, control, receiver):
    control.faults(read_timeout_rate=1.0, read_timeout_seconds=1.0, fault_budget=1)
    timeouts = Timeouts(connect=2.0, read=0.3, write=2.0, pool=2.0)
    with (
        ReapiClient(base_url=reapi_url(sandbox), api_key="sandbox-key", timeouts=timeouts) as c,
        pytest.raises(ProviderUnavailable) as caught,
    ):
        c.skip_trace_batch(BATCH, webhook_url=receiver.url("/late"))
    assert caught.value.timed_out and caught.value.request_sent
    assert caught.value.message == (
        "RealEstateAPI did not answer within 0.3 s; the request may have been accepted."
    )


def test_timeouts_reach_the_client():
    with ReapiClient(base_url="https://reapi.test/v1/", api_key="k", timeouts=TEST_TIMEOUTS) as c:
        assert c._http.timeout.read == TEST_TIMEOUTS.read
