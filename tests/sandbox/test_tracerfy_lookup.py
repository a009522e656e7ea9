"""Tracerfy instant trace lookup: owner / person modes, hits, misses, credits, limits."""

from __future__ import annotations

import re

import pytest

from tests.support.payloads import assert_shape, fixture

OWNER = {"address": "123 Main St", "city": "Austin", "state": "TX", "zip": "78701"}


def test_owner_lookup_hit(api, sandbox):
    sandbox.control.settings(miss_rate=0.0)
    response = api.post("trace/lookup/", json={**OWNER, "find_owner": True})
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, fixture("tracerfy", "trace_lookup_owner"))
    assert body["hit"] is True
    assert body["find_owner"] is True
    assert body["credits_deducted"] == 5
    assert body["persons_count"] == len(body["persons"]) >= 1
    owner = body["persons"][0]
    assert owner["property_owner"] is True
    assert isinstance(owner["age"], str)  # the documented example gives age as a string
    assert owner["full_name"] == f"{owner['first_name']} {owner['last_name']}"
    for phone in owner["phones"]:
        assert re.fullmatch(r"\d{3}55501\d\d", phone["number"])
        assert phone["type"] in ("Mobile", "Landline")
    for email in owner["emails"]:
        assert email["email"].split("@")[1] in ("example.com", "example.net", "example.org")
    assert sandbox.control.account()["balance"] == 100_000 - 5


def test_find_owner_defaults_to_true_and_is_deterministic(api, sandbox):
    sandbox.control.settings(miss_rate=0.0)
    first = api.post("trace/lookup/", json=OWNER).json()
    second = api.post("trace/lookup/", json={**OWNER, "address": " 123 MAIN STREET "}).json()
    assert first["find_owner"] is True
    assert first["persons"] == second["persons"]


def test_person_lookup(api, sandbox):
    sandbox.control.settings(miss_rate=0.0)
    body = {**OWNER, "find_owner": False, "first_name": "Zed", "last_name": "Quorum"}
    # A named-person search may legitimately miss; find a name that hits.
    for attempt in range(20):
        response = api.post("trace/lookup/", json={**body, "last_name": f"Quorum{attempt}"})
        if response.json()["hit"]:
            break
    result = response.json()
    assert_shape(result, fixture("tracerfy", "trace_lookup_person"))
    assert result["find_owner"] is False
    assert result["persons"][0]["first_name"] == "Zed"
    assert result["persons"][0]["property_owner"] is False


def test_person_lookup_requires_names(api):
    response = api.post("trace/lookup/", json={**OWNER, "find_owner": False, "first_name": "A"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "first_name and last_name are required when find_owner is false."
    }


def test_miss_costs_nothing(api, sandbox):
    sandbox.control.settings(miss_rate=1.0)
    response = api.post(
        "trace/lookup/",
        json={"address": "999 Nowhere Blvd", "city": "Austin", "state": "TX", "zip": "78701"},
    )
    body = response.json()
    assert_shape(body, fixture("tracerfy", "trace_lookup_miss"))
    assert body == {**fixture("tracerfy", "trace_lookup_miss")}
    assert sandbox.control.account()["balance"] == 100_000


def test_missing_fields(api):
    response = api.post("trace/lookup/", json={"address": "1 Main St"})
    assert response.status_code == 400
    assert response.json() == {"error": "Missing required field(s): city, state."}


def test_bad_json(api):
    response = api.post(
        "trace/lookup/", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_insufficient_credits(api, sandbox):
    sandbox.control.account(balance=4)
    response = api.post("trace/lookup/", json=OWNER)
    assert response.status_code == 402
    assert response.json() == {
        "error": "Insufficient credits. Instant trace lookup requires 5 credits per hit. "
        "You have 4 credits."
    }


@pytest.mark.parametrize("path", ["trace/lookup/", "trace/lookup"])
def test_trailing_slash_optional(api, path):
    assert api.post(path, json=OWNER).status_code == 200


def test_rate_limit_500_per_minute(api, sandbox):
    sandbox.control.settings(miss_rate=1.0)
    statuses = [api.post("trace/lookup/", json=OWNER).status_code for _ in range(500)]
    assert set(statuses) == {200}
    response = api.post("trace/lookup/", json=OWNER)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) in range(1, 61)  # seconds, within the window
