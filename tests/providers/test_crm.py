"""CRM batch client: documented shapes, local item checks, the 100 KB rule, errors."""

from __future__ import annotations

import logging

import pytest

from leadops.providers.crm import (
    BatchQueued,
    CrmClient,
    item_problem,
    request_bytes,
    split_batches,
)
from leadops.providers.errors import (
    AuthFailed,
    InvalidRequest,
    ProviderUnavailable,
    RateLimited,
)
from tests.support.payloads import FIXTURES, fixture
from tests.support.sandbox import CRM_KEY


def crm_url(sandbox) -> str:
    return f"{sandbox.base_url}/crm/v1/"


def contact(index: int, padding: int = 0) -> dict:
    return {
        "type": "create",
        "id": f"lead-{index}",
        "first_name": "Jane",
        "last_name": f"Doe {index}",
        "email": f"jane{index}@example.com",
        "meta": {"source": "leadops", "note": "n" * padding},
    }


def test_every_crm_fixture_is_covered():
    assert {p.stem for p in (FIXTURES / "crm").glob("*.json")} == {
        "batch_request",
        "batch_response",
    }


def test_the_documented_request_items_pass_the_local_checks():
    items = fixture("crm", "batch_request")["data"]
    assert [item_problem(item) for item in items] == [None, None, None]


def test_the_documented_response_parses():
    assert BatchQueued.from_json(fixture("crm", "batch_response")) == BatchQueued("queued")


def test_a_batch_is_queued_and_received_as_sent(crm, control):
    items = fixture("crm", "batch_request")["data"]
    assert crm.batch(items).status == "queued"
    received = control.crm_received()
    assert received["items"] == items
    assert received["batches"][0]["problems"] == []


def test_a_wrong_secret_is_auth_failed(sandbox):
    with (
        CrmClient(base_url=crm_url(sandbox), api_key=CRM_KEY, api_secret="wrong") as client,
        pytest.raises(AuthFailed) as caught,
    ):
        client.batch([contact(1)])
    assert caught.value.message == "Unauthorized"
    assert caught.value.permanent


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "A CRM batch needs at least one item."),
        ([{"type": "delete", "id": "u1"}], "CRM batch item 0: type must be one of create, "
         "update, event."),
        ([contact(1), {"type": "update", "meta": {}}], "CRM batch item 1: id is required."),
        ([{"type": "event", "id": "u1"}], "CRM batch item 0: an event item needs an event name."),
    ],
)  # fmt: skip
def test_items_the_crm_would_drop_silently_are_refused_before_sending(crm, caplog, items, message):
    caplog.set_level(logging.INFO, "leadops.providers")
    with pytest.raises(InvalidRequest) as caught:
        crm.batch(items)
    assert caught.value.message == message
    assert not [r for r in caplog.records if r.name == "leadops.providers"]


def test_a_batch_over_100_kb_is_refused_before_sending(crm, control):
    items = [contact(i, padding=900) for i in range(120)]
    size = request_bytes(items)
    assert size > 100 * 1024
    with pytest.raises(InvalidRequest) as caught:
        crm.batch(items)
    assert caught.value.message == (
        f"CRM batch is {size:,} bytes; keep each request below 100 KB (use split_batches)."
    )
    assert control.crm_received()["batches"] == []


def test_split_batches_keeps_every_request_under_the_limit_and_the_crm_accepts_them(crm, control):
    items = [contact(i, padding=900) for i in range(300)]
    batches = list(split_batches(items))
    assert len(batches) > 1
    assert all(request_bytes(batch) <= 100 * 1024 for batch in batches)
    assert [item for batch in batches for item in batch] == items
    for batch in batches:
        crm.batch(batch)
    received = control.crm_received()
    assert len(received["items"]) == 300
    assert max(b["bytes"] for b in received["batches"]) == max(map(request_bytes, batches))


def test_the_crms_own_size_refusal_is_permanent(sandbox):
    items = [contact(i, padding=900) for i in range(120)]
    with (
        CrmClient(
            base_url=crm_url(sandbox),
            api_key=CRM_KEY,
            api_secret="sandbox-secret",
            max_bytes=500_000,
        ) as client,
        pytest.raises(InvalidRequest) as caught,
    ):
        client.batch(items)
    assert caught.value.status == 413
    assert caught.value.message == "Request too large. Keep batch requests below 100KB."
    assert caught.value.permanent


def test_a_429_carries_the_retry_after(crm, control):
    control.faults(rate_limit_rate=1.0, retry_after_seconds=5, fault_budget=1)
    with pytest.raises(RateLimited) as caught:
        crm.batch([contact(1)])
    assert caught.value.message == "Too many requests"
    assert caught.value.retry_after == 5


def test_a_5xx_is_unavailable_and_never_retried(crm, control):
    control.faults(error_rate=1.0, fault_budget=3)
    with pytest.raises(ProviderUnavailable) as caught:
        crm.batch([contact(1)])
    assert caught.value.message == "Service unavailable"
    assert control.fault_state()["fault_budget_remaining"] == 2
    assert control.crm_received()["batches"] == []
