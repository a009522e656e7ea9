"""Tracerfy Lead Builder: filters, preview, execute, status, rows, lookup, autocomplete, AI."""

from __future__ import annotations

import httpx
import pytest

from leadops.sandbox.testing import wait_until
from tests.support.payloads import assert_shape, fixture
from tests.support.rows import parse_csv

PHOENIX = {"mode": "city", "cities": ["Phoenix"], "states": ["AZ"]}
SPEC = {
    "strategy": "high_equity_absentee",
    "geography": PHOENIX,
    "filter_overrides": {"year_built_max": 2015},
    "requested_count": 50,
}
ROW_NULLABLE = frozenset({"prior_sale_date", "prior_sale_price"})


def wait_list(api, list_id):
    return wait_until(
        lambda: (s := api.get(f"lead-builder/{list_id}/").json())["status"] == "complete" and s,
        timeout=20,
    )


def test_filters_list_every_strategy(api):
    body = api.get("lead-builder/filters/").json()
    assert body == fixture("tracerfy", "leadbuilder_filters")
    assert api.get("lead-builder/strategies/").json() == body


def test_preview(api, sandbox):
    response = api.post("lead-builder/preview/", json={**SPEC, "requested_count": 500})
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, fixture("tracerfy", "leadbuilder_preview"))
    assert body["capped_count"] == min(body["count"], 500)
    assert body["max_credit_cost"] == 5 * body["capped_count"]
    assert body["max_credit_cost_usd"] == body["max_credit_cost"] * 0.02
    assert body["strategy_label"] == "High Equity Absentee"
    assert body["filters_applied"] == {
        "absentee_owner": True,
        "high_equity": True,
        "year_built_max": 2015,
        "state": "AZ",
        "city": "Phoenix",
    }
    assert api.post("lead-builder/preview/", json={**SPEC, "requested_count": 500}).json() == body
    assert sandbox.control.account()["balance"] == 100_000  # previews are free


@pytest.mark.parametrize(
    "geography",
    [
        {"mode": "zips", "zip_codes": ["85001", "85004"]},
        PHOENIX,
        {"mode": "counties", "counties": ["Maricopa"], "states": ["AZ"]},
        {"mode": "states", "states": ["AZ", "TX"]},
        {"mode": "radius", "latitude": 33.45, "longitude": -112.07, "radius": 5},
    ],
)
def test_every_geography_mode_counts(api, geography):
    body = api.post(
        "lead-builder/preview/", json={**SPEC, "geography": geography, "include_pins": True}
    ).json()
    assert body["count"] > 0
    assert 0 < len(body["pins"]) <= 500
    assert set(body["pins"][0]) == {"latitude", "longitude"}


def test_narrower_filters_give_fewer_matches(api):
    wide = api.post("lead-builder/preview/", json={**SPEC, "filter_overrides": {}}).json()
    narrow = api.post(
        "lead-builder/preview/", json={**SPEC, "filter_overrides": {"vacant": True}}
    ).json()
    multi = api.post(
        "lead-builder/preview/", json={**SPEC, "strategy": "high_equity_absentee,vacant"}
    ).json()
    assert narrow["count"] < wide["count"]
    assert multi["count"] > wide["count"]
    assert multi["strategy_label"] == "High Equity Absentee, Vacant Homes"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"strategy": "not_a_real_strategy"},
            fixture("tracerfy", "leadbuilder_preview_error_strategy"),
        ),
        (
            {"filter_overrides": {"beds_min": 2, "favourite_colour": "red"}},
            {
                "filter_overrides": [
                    "Unknown filter key(s): favourite_colour. "
                    "See the Filter Reference for accepted keys."
                ]
            },
        ),
        (
            {"filter_overrides": {"vacant": "yes"}},
            {"filter_overrides": ["'vacant' must be true or false."]},
        ),
        (
            {"requested_count": 25001},
            {"requested_count": ["Ensure this value is less than or equal to 25000."]},
        ),
        (
            {"requested_count": 0},
            {"requested_count": ["Ensure this value is greater than or equal to 1."]},
        ),
        ({"requested_count": None}, {"requested_count": ["This field is required."]}),
        ({"geography": None}, {"geography": ["This field is required."]}),
        (
            {"geography": {"mode": "planet"}},
            {
                "geography": [
                    "Invalid geography mode 'planet'. One of: zips, city, counties, states, radius."
                ]
            },
        ),
        (
            {"geography": {"mode": "zips", "zip_codes": ["8500"]}},
            {"geography": ["Invalid ZIP code(s): 8500."]},
        ),
    ],
)
def test_preview_and_execute_validation(api, change, error):
    for path in ("lead-builder/preview/", "lead-builder/execute/"):
        response = api.post(path, json={**SPEC, **change})
        assert response.status_code == 400, path
        assert response.json() == error


def test_every_filter_reference_key_is_accepted(api):
    from leadops.sandbox.strategies import BOOLEAN_KEYS, DATE_KEYS, FILTER_KEYS

    overrides = {}
    for key in sorted(FILTER_KEYS):
        if key in BOOLEAN_KEYS:
            overrides[key] = True
        elif key in DATE_KEYS:
            overrides[key] = "2020-01-01"
        elif key.endswith(("_min", "_max")):
            overrides[key] = 1
        else:
            overrides[key] = "x"
    for spot_check in ("portfolio_purchased_last12_max", "mail_county", "flood_zone_type"):
        assert spot_check in overrides
    response = api.post("lead-builder/preview/", json={**SPEC, "filter_overrides": overrides})
    assert response.status_code == 200, response.text


def test_preview_rate_limit(api):
    for _ in range(120):
        assert api.post("lead-builder/preview/", json=SPEC).status_code == 200
    response = api.post("lead-builder/preview/", json=SPEC)
    assert response.status_code == 429
    assert response.json() == fixture("tracerfy", "leadbuilder_preview_error_rate_limit")
    assert "Retry-After" in response.headers


def test_execute_status_rows_download_and_webhook(api, sandbox, receiver, account_hook):
    # Slow enough that the "still processing" request below always lands while the build
    # runs (at speed 20 a loaded machine could finish it first), fast enough to finish soon.
    sandbox.control.settings(speed=5)
    response = api.post("lead-builder/execute/", json={**SPEC, "name": "Phoenix Q2"})
    assert response.status_code == 202
    body = response.json()
    assert_shape(body, fixture("tracerfy", "leadbuilder_execute"))
    assert body["status"] == "pending"
    assert body["max_credit_cost"] == 250
    list_id = body["id"]
    assert body["poll_url"] == f"/tracerfy/v1/api/lead-builder/{list_id}/"
    stages = set()

    def complete():
        status = api.get(f"lead-builder/{list_id}/").json()
        stages.add(status["progress_stage"])
        return status if status["status"] == "complete" else None

    early = api.get(f"lead-builder/{list_id}/rows/")
    assert early.status_code == 409
    assert early.json() == fixture("tracerfy", "leadbuilder_rows_error_processing")
    status = wait_until(complete, timeout=20, interval=0.01)
    assert {"fetching_properties", "skip_tracing", "generating_csv"} & stages
    assert_shape(status, fixture("tracerfy", "leadbuilder_status_complete"))
    assert status["progress_percent"] == 100
    assert status["progress_stage"] == ""
    assert status["name"] == "Phoenix Q2"
    assert status["credits_deducted"] == 5 * status["actual_count"]
    assert 0 < status["actual_count"] <= 50
    page = api.get(f"lead-builder/{list_id}/rows/", params={"page": 1, "per_page": 20}).json()
    assert page["total_rows"] == status["actual_count"]
    assert page["total_pages"] == -(-status["actual_count"] // 20)
    assert len(page["rows"]) == 20
    example = fixture("tracerfy", "leadbuilder_rows")
    assert set(page) == set(example)
    for row in page["rows"]:
        assert_shape(row, example["rows"][0], nullable=ROW_NULLABLE)
        assert row["absentee_owner"] is True and row["high_equity"] is True
        assert row["year_built"] <= 2015
        for vertical in ("sell", "refi", "roof_renovate", "hvac_renovate", "solar_renovate"):
            score = row[f"{vertical}_propensity_score"]
            category = row[f"{vertical}_propensity_category"]
            assert 0 <= score <= 100
            assert category == ("High" if score >= 70 else "Medium" if score >= 40 else "Low")
    csv_rows = parse_csv(httpx.get(status["download_url"]).text)
    assert len(csv_rows) == status["actual_count"]
    assert csv_rows[0]["address"] == page["rows"][0]["address"]
    wait_until(lambda: receiver.calls_to("/tracerfy"))
    hook = receiver.calls_to("/tracerfy")[0].json()
    assert_shape(hook, fixture("tracerfy", "webhook_leadbuilder"))
    assert hook["type"] == "lead_list"
    assert hook["actual_count"] == status["actual_count"]


def test_pending_status_shape(api, sandbox):
    sandbox.control.settings(speed=0.01)
    list_id = api.post("lead-builder/execute/", json=SPEC).json()["id"]
    status = api.get(f"lead-builder/{list_id}/").json()
    assert_shape(status, fixture("tracerfy", "leadbuilder_status_pending"))
    assert status["status"] == "pending"
    assert status["actual_count"] is None
    assert status["download_url"] == ""
    assert status["progress_stage"] == "fetching_properties"


def test_rows_pagination_errors_and_not_found(api):
    response = api.get("lead-builder/9999/rows/")
    assert response.status_code == 404
    assert response.json() == fixture("tracerfy", "leadbuilder_rows_error_not_found")
    assert api.get("lead-builder/9999/").status_code == 404
    list_id = api.post("lead-builder/execute/", json=SPEC).json()["id"]
    for params in ({"per_page": 501}, {"per_page": 0}, {"per_page": "x"}):
        response = api.get(f"lead-builder/{list_id}/rows/", params=params)
        assert response.status_code == 400
        assert response.json() == {"error": "per_page must be an integer between 1 and 500."}


def test_same_request_same_rows(api):
    first = api.post("lead-builder/execute/", json=SPEC).json()["id"]
    second = api.post("lead-builder/execute/", json=SPEC).json()["id"]
    wait_list(api, first)
    wait_list(api, second)
    rows = [api.get(f"lead-builder/{i}/rows/").json()["rows"] for i in (first, second)]
    assert rows[0] == rows[1]


def test_execute_errors(api, sandbox):
    impossible = {**SPEC, "filter_overrides": {"year_built_min": 2030}}
    response = api.post("lead-builder/execute/", json=impossible)
    assert response.status_code == 400
    assert response.json() == fixture("tracerfy", "leadbuilder_execute_error_no_matches")
    sandbox.control.account(balance=100)
    response = api.post("lead-builder/execute/", json={**SPEC, "requested_count": 500})
    assert response.status_code == 402
    assert response.json() == fixture("tracerfy", "leadbuilder_execute_error_credits")
    sandbox.control.account(balance=100_000, suspended=True)
    response = api.post("lead-builder/execute/", json=SPEC)
    assert response.status_code == 403
    assert response.json() == fixture("tracerfy", "leadbuilder_execute_error_suspended")


def test_execute_rate_limits(api):
    for _ in range(10):
        assert api.post("lead-builder/execute/", json=SPEC).status_code == 202
    response = api.post("lead-builder/execute/", json=SPEC)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 3000


def test_lookup_hit_and_miss(api, sandbox):
    sandbox.control.settings(miss_rate=0.0)
    body = {
        "address": "4521 E Monte Cristo Ave",
        "city": "Phoenix",
        "state": "AZ",
        "zip_code": "85032",
    }
    response = api.post("lead-builder/lookup/", json=body)
    assert response.status_code == 200
    hit = response.json()
    assert_shape(hit, fixture("tracerfy", "leadbuilder_lookup_hit"), nullable=ROW_NULLABLE)
    assert hit["credits_deducted"] == 10
    assert hit["property"]["address"] == body["address"]
    assert hit["property"]["zip_code"] == "85032"
    assert api.post("lead-builder/lookup/", json=body).json() == hit
    sandbox.control.settings(miss_rate=1.0)
    miss = api.post(
        "lead-builder/lookup/",
        json={"address": "999 Nowhere Blvd", "city": "Austin", "state": "TX", "zip_code": "78701"},
    ).json()
    assert miss == fixture("tracerfy", "leadbuilder_lookup_miss")
    assert sandbox.control.account()["balance"] == 100_000 - 20


def test_lookup_errors(api, sandbox):
    response = api.post("lead-builder/lookup/", json={"address": "1 Main St", "city": "Phoenix"})
    assert response.status_code == 400
    assert response.json() == {"error": "Missing required field(s): state."}
    body = {"address": "1 Main St", "city": "Phoenix", "state": "AZ"}
    sandbox.control.account(balance=2)
    response = api.post("lead-builder/lookup/", json=body)
    assert response.status_code == 402
    assert response.json() == fixture("tracerfy", "leadbuilder_lookup_error_credits")
    sandbox.control.account(balance=50, suspended=True)
    response = api.post("lead-builder/lookup/", json=body)
    assert response.status_code == 403
    assert response.json() == fixture("tracerfy", "leadbuilder_lookup_error_suspended")
    sandbox.control.account(suspended=False)
    sandbox.control.faults(error_rate=1.0)
    response = api.post("lead-builder/lookup/", json=body)
    assert response.status_code == 503
    assert response.json() == fixture("tracerfy", "leadbuilder_lookup_error_unavailable")


def test_autocomplete(api, sandbox):
    sandbox.control.settings(miss_rate=0.0)
    response = api.post(
        "lead-builder/autocomplete/", json={"search": "742 Evergreen Terr Williamsburg NY"}
    )
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, fixture("tracerfy", "leadbuilder_autocomplete"))
    assert body["credits_deducted"] == 0
    best = body["results"][0]
    assert best["street_address"] == "742 Evergreen Terrace"
    assert best["city"] == "Brooklyn"
    assert best["fips"] == best["state_fips"] + best["county_fips"]
    assert best["location"] == f"POINT ({best['longitude']} {best['latitude']})"
    assert len(body["results"]) in range(1, 11)  # at least one, at most the documented 10
    nothing = api.post("lead-builder/autocomplete/", json={"search": "no number here"}).json()
    assert nothing["results"] == []
    assert sandbox.control.account()["balance"] == 100_000


def test_autocomplete_errors_and_limit(api, sandbox):
    response = api.post("lead-builder/autocomplete/", json={})
    assert response.status_code == 400
    assert response.json() == fixture("tracerfy", "leadbuilder_autocomplete_error_missing_search")
    for _ in range(29):
        api.post("lead-builder/autocomplete/", json={"search": "12 Main St"})
    response = api.post("lead-builder/autocomplete/", json={"search": "12 Main St"})
    assert response.status_code == 429
    assert response.json() == fixture("tracerfy", "leadbuilder_autocomplete_error_rate_limit")


def test_ai_assist_success(api, sandbox):
    response = api.post(
        "lead-builder/ai-assist/", json={"prompt": "plumbing leads in South Side Chicago"}
    )
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, fixture("tracerfy", "leadbuilder_ai_assist"))
    assert body["needs_clarification"] is False
    assert body["clarifying_question"] is None
    assert body["geography"]["mode"] == "zips"
    assert body["credits_deducted"] == 1
    preview = api.post(
        "lead-builder/preview/",
        json={
            "strategy": body["strategy"],
            "geography": body["geography"],
            "filter_overrides": body["filter_overrides"],
            "requested_count": 100,
        },
    )
    assert preview.status_code == 200


def test_ai_assist_clarification_turns(api, sandbox):
    first = api.post("lead-builder/ai-assist/", json={"prompt": "find me leads in Austin"}).json()
    assert_shape(first, fixture("tracerfy", "leadbuilder_ai_assist_clarification"))
    assert first["needs_clarification"] is True
    assert first["clarifying_question"]
    conversation = first["conversation_id"]
    second = api.post(
        "lead-builder/ai-assist/",
        json={"prompt": "probate and inherited homes", "conversation_id": conversation},
    ).json()
    assert second["needs_clarification"] is False
    assert second["conversation_id"] == conversation
    assert second["strategy"] == "probate_inherited"
    assert second["geography"] == {"mode": "city", "cities": ["Austin"], "states": ["TX"]}
    concept = api.post("lead-builder/ai-assist/", json={"prompt": "what is a tired landlord"})
    assert concept.json()["needs_clarification"] is True
    assert "Tired Landlord" in concept.json()["rationale"]["summary"]
    ambiguous = api.post("lead-builder/ai-assist/", json={"prompt": "vacant homes in Springfield"})
    assert "Springfield" in ambiguous.json()["clarifying_question"]
    assert sandbox.control.account()["balance"] == 100_000 - 4


def test_ai_assist_errors(api, sandbox):
    for prompt, error in (
        (None, ["This field is required."]),
        ("hey", ["Ensure this field has at least 5 characters."]),
        ("x" * 2001, ["Ensure this field has no more than 2000 characters."]),
    ):
        response = api.post("lead-builder/ai-assist/", json={"prompt": prompt})
        assert response.status_code == 400
        assert response.json() == {"prompt": error}
    response = api.post(
        "lead-builder/ai-assist/",
        json={"prompt": "vacant homes", "conversation_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert response.status_code == 400
    sandbox.control.account(balance=0)
    response = api.post("lead-builder/ai-assist/", json={"prompt": "vacant homes in Tampa"})
    assert response.status_code == 402
    assert response.json() == fixture("tracerfy", "leadbuilder_ai_assist_error_credits")
    sandbox.control.faults(error_rate=1.0)
    response = api.post("lead-builder/ai-assist/", json={"prompt": "vacant homes in Tampa"})
    assert response.status_code == 503
    assert response.json() == fixture("tracerfy", "leadbuilder_ai_assist_error_unavailable")


def test_unavailable_messages_for_preview_and_autocomplete(api, sandbox):
    sandbox.control.faults(error_rate=1.0)
    response = api.post("lead-builder/preview/", json=SPEC)
    assert response.json() == fixture("tracerfy", "leadbuilder_preview_error_unavailable")
    response = api.post("lead-builder/autocomplete/", json={"search": "1 Main"})
    assert response.json() == fixture("tracerfy", "leadbuilder_autocomplete_error_unavailable")
