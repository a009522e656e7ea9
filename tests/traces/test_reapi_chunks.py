"""Splitting a RealEstateAPI trace into batches the provider accepts (10-1,000 items, 256 KB)."""

import pytest

from leadops.providers.errors import InvalidRequest
from leadops.providers.reapi import ReapiClient, SkipRequest
from traces.reapi_steps import MAX_CHUNK_BYTES, plan_chunks
from traces.reapi_webhooks import result_fields
from traces.services import reapi_too_few

# As in the tests' live server; a production URL is longer (see the size test).
HOOK = "http://127.0.0.1:50000/webhooks/reapi/test-webhook-token/?job=42"
LONG_HOOK = "https://leadops.example.com/webhooks/reapi/" + "t" * 64 + "/?job=123456"


def skips(n: int, *, street: str = "Oak Ave") -> list[SkipRequest]:
    return [
        SkipRequest(
            key=str(1000 + i),
            address=f"{100 + i} {street}",
            city="Springfield",
            state="IL",
            zip="62701",
            first_name="Pat",
            last_name=f"Owner{i}",
        )
        for i in range(n)
    ]


def plan(items, hook=HOOK, **kwargs):
    return plan_chunks(items, webhook_url=hook, webcomplete_url=hook + "&event=complete", **kwargs)


def assert_client_accepts(chunks, hook=HOOK) -> None:
    """The client's own pre-send check (10-1,000, unique keys, 256 KB) passes every chunk."""
    client = ReapiClient(base_url="http://127.0.0.1:9/", api_key="k")
    try:
        for chunk in chunks:
            done = hook + "&event=complete"
            body = {"skips": [s.as_json(hook) for s in chunk], "webcomplete_url": done}
            client._check(chunk, body)
    finally:
        client.close()


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        (10, [10]),
        (25, [25]),
        (1000, [1000]),
        (1001, [991, 10]),
        (1005, [995, 10]),
        (1010, [1000, 10]),
        (2000, [1000, 1000]),
        (2003, [1000, 993, 10]),
    ],
)
def test_chunks_hold_10_to_1000_items_in_order(count, sizes):
    items = skips(count)
    chunks = plan(items)
    assert [len(c) for c in chunks] == sizes
    assert [s.key for c in chunks for s in c] == [s.key for s in items]
    assert_client_accepts(chunks)


def test_long_rows_are_cut_by_size_under_256kb():
    items = skips(1500, street="X" * 300)
    chunks = plan(items)
    assert len(chunks) > 2
    assert all(10 <= len(c) < 1000 for c in chunks)
    assert [s.key for c in chunks for s in c] == [s.key for s in items]
    assert_client_accepts(chunks)


def test_a_long_callback_url_makes_1000_rows_two_chunks():
    items = skips(1000)
    chunks = plan(items, hook=LONG_HOOK)
    assert len(chunks) == 2 and min(len(c) for c in chunks) >= 10
    assert [s.key for c in chunks for s in c] == [s.key for s in items]
    assert_client_accepts(chunks, hook=LONG_HOOK)


def test_short_last_chunk_borrows_from_the_one_before():
    chunks = plan(skips(25), max_items=20)
    assert [len(c) for c in chunks] == [15, 10]
    assert [len(c) for c in plan(skips(22), max_items=20, max_bytes=MAX_CHUNK_BYTES)] == [12, 10]
    with pytest.raises(InvalidRequest):
        plan(skips(17), max_items=15)  # no split of 17 into chunks of 10 to 15


def test_fewer_than_ten_records_are_refused_with_the_reason():
    with pytest.raises(InvalidRequest) as refused:
        plan(skips(9))
    assert str(refused.value) == reapi_too_few(9)
    assert "at least 10 records" in str(refused.value)


def test_result_fields_from_a_match_best_rank_first():
    from leadops.providers.reapi import SkipResult

    payload = {
        "batchId": "b",
        "batchRequestId": "r",
        "input": {"key": "7"},
        "match": True,
        "statusCode": 200,
        "output": {
            "identity": {
                "names": [{"firstName": "Jane", "lastName": "Doe"}],
                "phones": [
                    {"phone": "5125550143", "phoneType": "Landline", "rank": 2},
                    {"phone": "5125550142", "phoneType": "Mobile", "rank": 1},
                ],
                "emails": [{"email": "b@example.com", "rank": 2}, {"email": "a@example.com"}],
                "address": {"street": "PO Box 1", "city": "Austin", "state": "TX"},
            },
            "demographics": {"litigator": True},
        },
    }
    fields = result_fields(SkipResult.from_json(payload))
    assert fields["primary_phone"] == "5125550142"
    assert fields["primary_phone_type"] == "Mobile"
    assert [p["number"] for p in fields["phones"]] == ["5125550142", "5125550143"]
    assert fields["emails"] == ["b@example.com", "a@example.com"]
    assert (fields["has_mobile"], fields["has_email"], fields["litigator"]) == (True, True, True)
    assert (fields["first_name"], fields["mail_city"]) == ("Jane", "Austin")
