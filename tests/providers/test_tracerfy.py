"""Tracerfy client: every documented payload parses, every endpoint works against the
sandbox, and every error reaches the caller typed and in the provider's words."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import httpx
import pytest
import respx

from leadops.providers.errors import (
    AuthFailed,
    InsufficientCredits,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    NotReady,
    ProviderUnavailable,
    RateLimited,
)
from leadops.providers.tracerfy import (
    AiAssistResult,
    Analytics,
    AutocompleteResult,
    DncAccepted,
    DncLookupResult,
    DncQueue,
    LeadBuildAccepted,
    LeadListStatus,
    LeadLookupResult,
    LeadPreview,
    LeadRowsPage,
    ParcelAccepted,
    ParcelLookupResult,
    ParcelQueue,
    QueuePage,
    Strategy,
    TraceAccepted,
    TraceColumns,
    TraceLookupResult,
    TraceQueue,
    TraceRecord,
    TracerfyClient,
)
from tests.support.payloads import FIXTURES, fixture
from tests.support.rows import NORMAL, OWNERS, csv_bytes
from tests.support.sandbox import TEST_TIMEOUTS, eventually, tracerfy_url

ADVANCED = TraceColumns(address="address", city="city", state="state", zip="zip")
PHOENIX = {"mode": "city", "cities": ["Phoenix"], "states": ["AZ"]}
SUSPENDED = (
    "Your account has been temporarily suspended due to unpaid invoices. "
    "Please contact [email protected] to resolve outstanding payments."
)

# -- documented payloads ---------------------------------------------------------------------

PARSERS = {
    "queues": lambda body: QueuePage.from_json(body),
    "queue_normal": TraceRecord.list_from_json,
    "analytics": Analytics.from_json,
    "trace_batch": TraceAccepted.from_json,
    "trace_lookup_owner": TraceLookupResult.from_json,
    "trace_lookup_person": TraceLookupResult.from_json,
    "trace_lookup_miss": TraceLookupResult.from_json,
    "parcel_batch": ParcelAccepted.from_json,
    "parcel_lookup_hit": ParcelLookupResult.from_json,
    "parcel_lookup_miss": ParcelLookupResult.from_json,
    "webhook_trace_normal": TraceQueue.from_json,
    "webhook_trace_advanced": TraceQueue.from_json,
    "webhook_parcel": ParcelQueue.from_json,
    "dnc_scrub": DncAccepted.from_json,
    "dnc_scrub_from_queue": DncAccepted.from_json,
    "dnc_queue": DncQueue.from_json,
    "webhook_dnc": DncQueue.from_json,
    "dnc_lookup_flagged": DncLookupResult.from_json,
    "dnc_lookup_clean": DncLookupResult.from_json,
    "leadbuilder_filters": Strategy.list_from_json,
    "leadbuilder_preview": LeadPreview.from_json,
    "leadbuilder_execute": LeadBuildAccepted.from_json,
    "leadbuilder_status_complete": LeadListStatus.from_json,
    "leadbuilder_status_pending": LeadListStatus.from_json,
    "webhook_leadbuilder": LeadListStatus.from_json,
    "leadbuilder_rows": LeadRowsPage.from_json,
    "leadbuilder_lookup_hit": LeadLookupResult.from_json,
    "leadbuilder_lookup_miss": LeadLookupResult.from_json,
    "leadbuilder_autocomplete": AutocompleteResult.from_json,
    "leadbuilder_ai_assist": AiAssistResult.from_json,
    "leadbuilder_ai_assist_clarification": AiAssistResult.from_json,
}

# Documented error bodies -> (status they come with, the error class callers see).
ERRORS = {
    "dnc_lookup_error_credits": (402, InsufficientCredits),
    "dnc_lookup_error_invalid": (400, InvalidRequest),
    "leadbuilder_ai_assist_error_credits": (402, InsufficientCredits),
    "leadbuilder_ai_assist_error_unavailable": (503, ProviderUnavailable),
    "leadbuilder_autocomplete_error_missing_search": (400, InvalidRequest),
    "leadbuilder_autocomplete_error_rate_limit": (429, RateLimited),
    "leadbuilder_autocomplete_error_unavailable": (503, ProviderUnavailable),
    "leadbuilder_execute_error_credits": (402, InsufficientCredits),
    "leadbuilder_execute_error_no_matches": (400, InvalidRequest),
    "leadbuilder_execute_error_suspended": (403, AuthFailed),
    "leadbuilder_lookup_error_credits": (402, InsufficientCredits),
    "leadbuilder_lookup_error_suspended": (403, AuthFailed),
    "leadbuilder_lookup_error_unavailable": (503, ProviderUnavailable),
    "leadbuilder_preview_error_rate_limit": (429, RateLimited),
    "leadbuilder_preview_error_strategy": (400, InvalidRequest),
    "leadbuilder_preview_error_unavailable": (503, ProviderUnavailable),
    "leadbuilder_rows_error_not_found": (404, NotFound),
    "leadbuilder_rows_error_processing": (409, NotReady),
    "parcel_batch_error_columns": (400, InvalidRequest),
    "parcel_batch_error_credits": (402, InsufficientCredits),
    "parcel_lookup_error_credits": (402, InsufficientCredits),
    "parcel_lookup_error_unavailable": (503, ProviderUnavailable),
}


def test_every_tracerfy_fixture_is_covered():
    names = {path.stem for path in (FIXTURES / "tracerfy").glob("*.json")}
    assert names == set(PARSERS) | set(ERRORS)


def mirrored_fields(parsed: Any, raw: Any) -> int:
    """Assert every parsed field that has a same-named, same-typed value in the raw payload
    carries that value (recursing into nested results); return how many were compared."""
    if isinstance(parsed, tuple) and isinstance(raw, list):
        pairs = [(p, r) for p, r in zip(parsed, raw, strict=False) if dataclasses.is_dataclass(p)]
        return sum(mirrored_fields(p, r) for p, r in pairs)
    if not dataclasses.is_dataclass(parsed) or not isinstance(raw, dict):
        return 0
    compared = 0
    for spec in dataclasses.fields(parsed):
        value, source = getattr(parsed, spec.name), raw.get(spec.name)
        if isinstance(source, str | int | float | bool) and type(value) is type(source):
            assert value == source, f"{type(parsed).__name__}.{spec.name}"
            compared += 1
        else:
            compared += mirrored_fields(value, source)
    return compared


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_documented_payload_parses_and_keeps_its_values(name):
    raw = fixture("tracerfy", name)
    parsed = PARSERS[name](raw)
    if isinstance(parsed, QueuePage):
        parsed = parsed.queues
    if name == "leadbuilder_filters":
        raw = raw["strategies"]
    assert mirrored_fields(parsed, raw) >= 2


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_documented_error_maps_to_its_class_with_the_providers_words(name):
    status, error_class = ERRORS[name]
    body = fixture("tracerfy", name)
    with TracerfyClient(base_url="https://tracerfy.test/v1/api/", api_key="k") as client:
        error = client.error_for(httpx.Response(status, json=body))
    assert type(error) is error_class
    words = body.get("error") or body.get("detail")
    if words is None:  # field errors: {"strategy": ["Unknown strategy ..."]}
        words = " ".join(f"{field}: {' '.join(msgs)}" for field, msgs in body.items())
    assert error.message == words


@pytest.mark.parametrize(
    "name",
    [
        "dnc_lookup_error_credits",
        "leadbuilder_execute_error_credits",
        "parcel_batch_error_credits",
    ],
)
def test_insufficient_credits_is_recognised_by_its_words_whatever_the_status(name):
    with TracerfyClient(base_url="https://tracerfy.test/v1/api/", api_key="k") as client:
        error = client.error_for(httpx.Response(400, json=fixture("tracerfy", name)))
    assert type(error) is InsufficientCredits
    assert error.permanent


def test_queue_list_fixture_details():
    page = QueuePage.from_json(
        fixture("tracerfy", "queues"),
        headers=httpx.Headers({"X-Total-Count": "250", "Link": '<https://x/?page=2>; rel="next"'}),
    )
    pending, done = page.queues
    assert pending.pending and pending.download_url is None
    assert done.download_url.endswith(".csv")
    assert done.credits_deducted == 2500
    assert done.created_at == dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert page.total_count == 250 and page.next_page == 2


def test_a_pending_queue_without_counts_parses():
    queue = TraceQueue.from_json(
        {"id": 7, "created_at": "2025-01-02T09:30:00Z", "pending": True, "download_url": None}
    )
    assert queue.rows_uploaded is None and queue.credits_deducted is None


def test_a_queue_without_its_id_is_rejected():
    with pytest.raises(ValueError, match="missing required field 'id'"):
        TraceQueue.from_json({"created_at": "2025-01-02T09:30:00Z", "pending": True})


def test_lookup_ages_arrive_as_strings_or_numbers():
    owner = TraceLookupResult.from_json(fixture("tracerfy", "trace_lookup_owner"))
    parcel = ParcelLookupResult.from_json(fixture("tracerfy", "parcel_lookup_hit"))
    assert owner.persons[0].age == 41
    assert parcel.persons[0].age == 51
    assert owner.persons[0].phones[1].dnc is True
    assert owner.persons[0].mailing_address.zip == "78702"


def test_lead_rows_and_lookup_carry_five_propensity_scores():
    page = LeadRowsPage.from_json(fixture("tracerfy", "leadbuilder_rows"))
    row = page.rows[0]
    assert [p.vertical for p in row.propensity] == [
        "sell",
        "refi",
        "roof_renovate",
        "hvac_renovate",
        "solar_renovate",
    ]
    assert row.propensity[4].score == 71 and row.propensity[4].category == "High"
    assert row.data["lender_name"] == "Wells Fargo"
    lookup = LeadLookupResult.from_json(fixture("tracerfy", "leadbuilder_lookup_hit"))
    assert len(lookup.propensity) == 5
    assert lookup.owners == (("JANET", "MORRIS"), ("ROBERT", "MORRIS"))
    assert lookup.mailing_address.street == "4521 E Monte Cristo Ave"
    assert lookup.phones[1].dnc is True and lookup.phones[1].tcpa is False
    miss = LeadLookupResult.from_json(fixture("tracerfy", "leadbuilder_lookup_miss"))
    assert not miss.hit and miss.address == "999 Nowhere Blvd"


def test_webhook_payloads_read_like_their_queues():
    parcel = ParcelQueue.from_json(fixture("tracerfy", "webhook_parcel"))
    assert (parcel.id, parcel.pending, parcel.rows_hit) == (42, False, 423)
    lead_list = LeadListStatus.from_json(fixture("tracerfy", "webhook_leadbuilder"))
    assert lead_list.is_complete and lead_list.actual_count == 487
    dnc = DncQueue.from_json(fixture("tracerfy", "webhook_dnc"))
    assert dnc.clean_download_url.endswith("clean-results.csv")


def test_ai_assist_clarification_keeps_the_question():
    answer = AiAssistResult.from_json(fixture("tracerfy", "leadbuilder_ai_assist_clarification"))
    assert answer.needs_clarification
    assert answer.clarifying_question.startswith("What kind of leads")
    ready = AiAssistResult.from_json(fixture("tracerfy", "leadbuilder_ai_assist"))
    assert ready.clarifying_question is None
    assert ready.geography["zip_codes"][0] == "60609"


# -- auth -------------------------------------------------------------------------------------


def test_a_wrong_key_is_auth_failed(sandbox):
    with (
        TracerfyClient(
            base_url=tracerfy_url(sandbox), api_key="wrong", timeouts=TEST_TIMEOUTS
        ) as client,
        pytest.raises(AuthFailed) as caught,
    ):
        client.analytics()
    assert caught.value.message == "Invalid token."
    assert caught.value.status == 401
    assert caught.value.permanent


# -- skip trace: batch, queues, analytics -------------------------------------------------------


def test_csv_trace_completes_and_its_records_parse(tracerfy):
    accepted = tracerfy.trace_csv(csv_file=csv_bytes(OWNERS[:5]), columns=NORMAL)
    assert accepted.message == "Queue created"
    assert accepted.status == "pending"
    assert (accepted.rows_uploaded, accepted.trace_type, accepted.credits_per_lead) == (
        5,
        "normal",
        1,
    )
    page = eventually(tracerfy.list_queues, lambda p: not p.queues[0].pending)
    (queue,) = page.queues
    assert queue.id == accepted.queue_id
    assert queue.rows_uploaded == 5
    assert queue.download_url
    records = tracerfy.get_queue(accepted.queue_id)
    assert [r.address for r in records] == [o["address"] for o in OWNERS[:5]]
    assert any(r.hit for r in records)
    analytics = tracerfy.analytics()
    assert (analytics.total_queues, analytics.queues_completed) == (1, 1)
    assert analytics.balance == 100_000 - queue.credits_deducted


def test_json_trace_advanced_needs_only_the_address_columns(tracerfy):
    records = [{k: o[k] for k in ("address", "city", "state", "zip")} for o in OWNERS[:3]]
    accepted = tracerfy.trace_records(records=records, columns=ADVANCED, trace_type="advanced")
    assert (accepted.rows_uploaded, accepted.credits_per_lead) == (3, 2)
    assert accepted.estimated_wait_seconds >= 1


def test_queue_list_reports_pagination_headers(tracerfy):
    for owner in OWNERS[:2]:
        tracerfy.trace_records(records=[owner], columns=NORMAL)
    page = tracerfy.list_queues()
    assert page.total_count == 2
    assert [q.id for q in page.queues] == sorted((q.id for q in page.queues), reverse=True)
    assert (page.page, page.last_page, page.next_page) == (1, 1, None)


def test_a_page_past_the_end_is_not_found(tracerfy):
    with pytest.raises(NotFound) as caught:
        tracerfy.list_queues(page=2)
    assert caught.value.message == "Invalid page."


@respx.mock
def test_queue_list_follows_link_headers_across_pages():
    base = "https://tracerfy.test/v1/api/"
    body = fixture("tracerfy", "queues")
    respx.get(f"{base}queues/", params={"page": 2}).respond(
        200,
        json=body,
        headers={
            "X-Total-Count": "302",
            "Link": (
                f'<{base}queues/?page=3>; rel="next", <{base}queues/?page=1>; rel="prev", '
                f'<{base}queues/?page=1>; rel="first", <{base}queues/?page=4>; rel="last"'
            ),
        },
    )
    with TracerfyClient(base_url=base, api_key="k") as client:
        page = client.list_queues(page=2)
    assert (page.page, page.prev_page, page.next_page, page.last_page) == (2, 1, 3, 4)
    assert page.total_count == 302


@respx.mock
def test_a_queue_list_that_is_not_a_list_is_malformed():
    respx.get("https://tracerfy.test/v1/api/queues/").respond(200, json={"results": []})
    with (
        TracerfyClient(base_url="https://tracerfy.test/v1/api/", api_key="k") as client,
        pytest.raises(MalformedResponse) as caught,
    ):
        client.list_queues()
    assert caught.value.message == (
        "Tracerfy answered with an unexpected shape: queues: expected a JSON array, got dict."
    )


def test_an_unknown_queue_is_not_found(tracerfy):
    with pytest.raises(NotFound) as caught:
        tracerfy.get_queue(999_999)
    assert caught.value.message == "Not found."


def test_a_normal_trace_without_name_and_mail_columns_is_refused(tracerfy):
    with pytest.raises(InvalidRequest) as caught:
        tracerfy.trace_records(records=OWNERS[:1], columns=ADVANCED, trace_type="normal")
    assert caught.value.message == (
        "Missing required parameter(s): first_name_column, last_name_column, "
        "mail_address_column, mail_city_column, mail_state_column."
    )
    assert caught.value.permanent


def test_a_missing_column_is_refused_in_the_providers_words(tracerfy):
    columns = TraceColumns(address="street", city="city", state="state")
    with pytest.raises(InvalidRequest) as caught:
        tracerfy.trace_csv(csv_file=csv_bytes(OWNERS[:2]), columns=columns, trace_type="advanced")
    assert caught.value.message == "Column 'street' not found in the uploaded CSV."
    assert caught.value.detail == {"error": "Column 'street' not found in the uploaded CSV."}


def test_a_trace_beyond_the_balance_is_insufficient_credits(tracerfy, control):
    control.account(balance=3)
    with pytest.raises(InsufficientCredits) as caught:
        tracerfy.trace_records(records=OWNERS[:2], columns=ADVANCED, trace_type="advanced")
    assert caught.value.message == (
        "Insufficient credits. This trace requires up to 4 credits "
        "(2 per lead \u00d7 2 rows). You have 3 credits."
    )
    assert caught.value.status == 402
    assert caught.value.permanent


def test_the_eleventh_trace_in_five_minutes_is_rate_limited(tracerfy):
    for _ in range(10):
        tracerfy.trace_records(records=OWNERS[:1], columns=NORMAL)
    with pytest.raises(RateLimited) as caught:
        tracerfy.trace_records(records=OWNERS[:1], columns=NORMAL)
    error = caught.value
    assert not error.local
    assert 290 < error.retry_after <= 300
    assert error.message == (
        f"Request was throttled. Expected available in {int(error.retry_after)} seconds."
    )
    assert error.transient


# -- instant trace lookup ------------------------------------------------------------------------


def test_owner_lookup_hit_charges_five_credits(tracerfy, control):
    control.settings(miss_rate=0.0)
    result = tracerfy.trace_lookup(address="123 Main St", city="Austin", state="TX", zip="78701")
    assert result.hit and result.credits_deducted == 5
    assert result.persons_count == len(result.persons) >= 1
    owner = result.persons[0]
    assert owner.property_owner
    assert owner.full_name == f"{owner.first_name} {owner.last_name}"
    assert all(p.number.startswith(tuple("23456789")) for p in owner.phones)
    assert tracerfy.analytics().balance == 100_000 - 5


def test_person_lookup_sends_the_name(tracerfy, control):
    control.settings(miss_rate=0.0)
    result = tracerfy.trace_lookup(
        address="123 Main St",
        city="Austin",
        state="TX",
        find_owner=False,
        first_name="Jane",
        last_name="Doe",
    )
    assert result.find_owner is False
    assert all(p.first_name == "Jane" for p in result.persons)


def test_a_lookup_miss_costs_nothing(tracerfy, control):
    control.settings(miss_rate=1.0)
    result = tracerfy.trace_lookup(address="999 Nowhere Blvd", city="Austin", state="TX")
    assert (result.hit, result.credits_deducted, result.persons) == (False, 0, ())


def test_a_person_lookup_without_names_is_refused(tracerfy):
    with pytest.raises(InvalidRequest) as caught:
        tracerfy.trace_lookup(address="1 Main St", city="Austin", state="TX", find_owner=False)
    assert caught.value.message == (
        "first_name and last_name are required when find_owner is false."
    )


def test_a_lookup_without_an_address_is_refused(tracerfy):
    with pytest.raises(InvalidRequest) as caught:
        tracerfy.trace_lookup(address="", city="Austin", state="TX")
    assert caught.value.message == "Missing required field(s): address."


def test_a_lookup_beyond_the_balance_is_insufficient_credits(tracerfy, control):
    control.account(balance=4)
    with pytest.raises(InsufficientCredits) as caught:
        tracerfy.trace_lookup(address="1 Main St", city="Austin", state="TX")
    assert caught.value.message == (
        "Insufficient credits. Instant trace lookup requires 5 credits per hit. You have 4 credits."
    )


def test_a_lookup_is_not_retried_when_the_service_is_down(tracerfy, control):
    control.faults(error_rate=1.0, fault_budget=3, paths=["/tracerfy/v1/api/trace/lookup"])
    with pytest.raises(ProviderUnavailable) as caught:
        tracerfy.trace_lookup(address="1 Main St", city="Austin", state="TX")
    assert caught.value.message == "Skip trace service temporarily unavailable. Please try again."
    assert control.fault_state()["fault_budget_remaining"] == 2


def test_a_forced_429_on_a_lookup_carries_retry_after(tracerfy, control):
    control.faults(rate_limit_rate=1.0, retry_after_seconds=12, fault_budget=1)
    with pytest.raises(RateLimited) as caught:
        tracerfy.trace_lookup(address="1 Main St", city="Austin", state="TX")
    assert caught.value.retry_after == 12
    assert caught.value.message == "Request was throttled. Expected available in 12 seconds."


# -- APN / parcel ---------------------------------------------------------------------------------

PARCELS = [
    {"parcel_id": f"#0042410900000{7550 + i}", "county": "Palm Beach", "state": "FL"}
    for i in range(4)
]


def test_parcel_batch_completes(tracerfy):
    accepted = tracerfy.parcel_trace(
        csv_file=csv_bytes(PARCELS),
        parcel_id_column="parcel_id",
        county_column="county",
        state_column="state",
    )
    assert accepted.message == "Parcel trace started"
    assert (accepted.rows_uploaded, accepted.credits_per_parcel) == (4, 5)
    queue = eventually(
        lambda: tracerfy.parcel_queue(accepted.parcel_queue_id), lambda q: not q.pending
    )
    assert queue.status == "completed"
    assert queue.rows_uploaded == 4
    assert queue.credits_deducted == 5 * queue.rows_hit
    assert queue.download_url


def test_a_parcel_batch_with_a_missing_column_is_refused(tracerfy):
    rows = [{"apn": p["parcel_id"], "county": p["county"], "state": p["state"]} for p in PARCELS]
    with pytest.raises(InvalidRequest) as caught:
        tracerfy.parcel_trace(
            csv_file=csv_bytes(rows),
            parcel_id_column="parcel_id",
            county_column="county",
            state_column="state",
        )
    assert caught.value.message == "Column 'parcel_id' not found in the uploaded CSV."


def test_a_parcel_batch_beyond_the_balance_is_insufficient_credits(tracerfy, control):
    control.account(balance=10)
    with pytest.raises(InsufficientCredits) as caught:
        tracerfy.parcel_trace(
            csv_file=csv_bytes(PARCELS),
            parcel_id_column="parcel_id",
            county_column="county",
            state_column="state",
        )
    assert caught.value.message == "Insufficient credits for parcel trace."


def test_an_unknown_parcel_queue_is_not_found(tracerfy):
    with pytest.raises(NotFound) as caught:
        tracerfy.parcel_queue(12345)
    assert caught.value.message == "Not found."


def test_parcel_lookup_hit_and_miss(tracerfy, control):
    control.settings(miss_rate=0.0)
    hit = tracerfy.parcel_lookup(parcel_id="#00424109000007550", county="Palm Beach", state="FL")
    assert hit.hit and hit.credits_deducted == 5 and hit.persons[0].property_owner
    assert isinstance(hit.persons[0].age, int)
    control.settings(miss_rate=1.0)
    miss = tracerfy.parcel_lookup(parcel_id="00404033000001190", county="Palm Beach", state="FL")
    assert (miss.hit, miss.credits_deducted, miss.persons_count) == (False, 0, 0)


def test_parcel_lookup_beyond_the_balance_is_insufficient_credits(tracerfy, control):
    control.account(balance=0)
    with pytest.raises(InsufficientCredits) as caught:
        tracerfy.parcel_lookup(parcel_id="#1", county="Palm Beach", state="FL")
    assert caught.value.message == (
        "Insufficient credits. Parcel trace requires 5 credits per lookup."
    )


def test_parcel_lookup_unavailable(tracerfy, control):
    control.faults(error_rate=1.0, fault_budget=1, paths=["/tracerfy/v1/api/trace/parcel/lookup"])
    with pytest.raises(ProviderUnavailable) as caught:
        tracerfy.parcel_lookup(parcel_id="#1", county="Palm Beach", state="FL")
    assert caught.value.message == "Skip trace service temporarily unavailable. Please try again."


# -- DNC -------------------------------------------------------------------------------------------

PHONE_ROWS = [
    {"Name": "Jane Doe", "Phone_1": "5125550100", "Phone_2": "512-555-0101", "City": "Austin"},
    {"Name": "John Roe", "Phone_1": "(512) 555-0102", "Phone_2": "", "City": "Austin"},
]


def test_scrub_a_phone_list_and_read_the_queue(tracerfy):
    accepted = tracerfy.dnc_scrub_phones(["5125550100", "5125550101", "5125550102"])
    assert accepted.message == "DNC scrub started"
    assert (accepted.phones_to_check, accepted.credits_per_phone) == (3, 1)
    queue = eventually(lambda: tracerfy.dnc_queue(accepted.dnc_queue_id), lambda q: not q.pending)
    assert queue.phones_checked == 3
    assert queue.credits_deducted == 3
    assert 0 <= queue.phones_clean <= 3
    assert queue.download_url and queue.clean_download_url
    assert queue.source_type == "phone_list"


def test_scrub_a_csv_with_one_phone_column(tracerfy):
    accepted = tracerfy.dnc_scrub_csv(
        csv_file=csv_bytes(PHONE_ROWS), phone_columns=["Phone_1"], label_columns=["Name"]
    )
    assert accepted.phones_to_check == 2
    queue = eventually(lambda: tracerfy.dnc_queue(accepted.dnc_queue_id), lambda q: not q.pending)
    assert queue.source_type == "upload"


def test_scrub_a_csv_with_several_phone_and_label_columns(tracerfy):
    accepted = tracerfy.dnc_scrub_csv(
        csv_file=csv_bytes(PHONE_ROWS),
        phone_columns=["Phone_1", "Phone_2"],
        label_columns=["Name", "City"],
    )
    assert accepted.phones_to_check == 3


def test_scrub_csv_needs_a_phone_column(tracerfy):
    with pytest.raises(ValueError, match="at least one phone column"):
        tracerfy.dnc_scrub_csv(csv_file=csv_bytes(PHONE_ROWS), phone_columns=[])


def test_scrub_beyond_the_balance_is_insufficient_credits(tracerfy, control):
    control.account(balance=2)
    with pytest.raises(InsufficientCredits) as caught:
        tracerfy.dnc_scrub_phones(["5125550100", "5125550101", "5125550102"])
    assert caught.value.message == (
        "Insufficient credits. DNC scrub requires 3 credits (1 per phone). You have 2 credits."
    )


def test_scrub_from_a_finished_trace_queue(tracerfy, control):
    control.settings(miss_rate=0.0)
    queue_id = tracerfy.trace_records(records=OWNERS[:4], columns=NORMAL).queue_id
    eventually(tracerfy.list_queues, lambda p: not p.queues[0].pending)
    accepted = tracerfy.dnc_scrub_from_queue(
        queue_id=queue_id, phone_columns=["primary_phone", "mobile_1"]
    )
    assert accepted.source_queue_id == queue_id
    assert accepted.phone_columns_used == ("primary_phone", "mobile_1")
    assert accepted.phones_to_check >= 1
    everything = tracerfy.dnc_scrub_from_queue(queue_id=queue_id)
    assert len(everything.phone_columns_used) == 9


def test_scrub_from_a_queue_still_tracing_is_not_ready(tracerfy, control):
    control.settings(speed=0.001)
    queue_id = tracerfy.trace_records(records=OWNERS[:1], columns=NORMAL).queue_id
    with pytest.raises(NotReady) as caught:
        tracerfy.dnc_scrub_from_queue(queue_id=queue_id)
    assert caught.value.message == "Queue is still processing. Wait until it completes."
    assert caught.value.transient


def test_scrub_from_an_unknown_queue_is_not_found(tracerfy):
    with pytest.raises(NotFound) as caught:
        tracerfy.dnc_scrub_from_queue(queue_id=424242)
    assert caught.value.message == "Queue not found."


def test_scrub_from_a_queue_with_a_bad_column_is_refused(tracerfy):
    with pytest.raises(InvalidRequest) as caught:
        tracerfy.dnc_scrub_from_queue(queue_id=1, phone_columns=["fax"])
    assert caught.value.message.startswith("Invalid phone_columns: fax. Valid options: ")


def test_an_unknown_dnc_queue_is_not_found(tracerfy):
    with pytest.raises(NotFound) as caught:
        tracerfy.dnc_queue(5)
    assert caught.value.message == "Not found."


def test_dnc_lookup(tracerfy):
    result = tracerfy.dnc_lookup("(480) 555-1234")
    assert result.phone == "4805551234"
    assert result.credits_deducted == 5
    assert result.is_clean == (not (result.national_dnc or result.state_dnc or result.dma))


def test_dnc_lookup_of_an_invalid_phone_is_refused(tracerfy):
    with pytest.raises(InvalidRequest) as caught:
        tracerfy.dnc_lookup("12345")
    assert caught.value.message == "Invalid phone number. Must be a 10-digit US number."


def test_dnc_lookup_beyond_the_balance_is_insufficient_credits(tracerfy, control):
    control.account(balance=0)
    with pytest.raises(InsufficientCredits) as caught:
        tracerfy.dnc_lookup("4805551234")
    assert caught.value.message == (
        "Insufficient credits. DNC lookup requires 5 credits. You have 0 credits."
    )


# -- lead builder ----------------------------------------------------------------------------------


def test_lead_filters_list_the_strategies(tracerfy):
    strategies = {s.key: s for s in tracerfy.lead_filters()}
    assert strategies["tired_landlord"].default_filters == {
        "absentee_owner": True,
        "years_owned_min": 7,
        "properties_owned_min": 2,
    }
    assert strategies["custom"].default_filters == {}


def test_preview_counts_and_costs_for_free(tracerfy):
    preview = tracerfy.lead_preview(
        strategy="high_equity_absentee",
        geography=PHOENIX,
        filter_overrides={"year_built_max": 2015},
        requested_count=50,
        include_pins=True,
    )
    assert preview.capped_count == min(preview.count, 50)
    assert preview.max_credit_cost == 5 * preview.capped_count
    assert preview.strategy_label == "High Equity Absentee"
    assert preview.filters_applied["year_built_max"] == 2015
    assert preview.pins
    assert tracerfy.analytics().balance == 100_000


def test_preview_of_an_unknown_strategy_is_refused(tracerfy):
    with pytest.raises(InvalidRequest) as caught:
        tracerfy.lead_preview(strategy="not_a_real_strategy", geography=PHOENIX, requested_count=5)
    assert caught.value.detail == fixture("tracerfy", "leadbuilder_preview_error_strategy")
    assert caught.value.message == (
        "strategy: Unknown strategy 'not_a_real_strategy'. "
        "Valid options: call GET /v1/api/lead-builder/strategies/"
    )


def test_preview_rate_limit_in_its_own_words(tracerfy, control):
    control.faults(rate_limit_rate=1.0, retry_after_seconds=40, fault_budget=1)
    with pytest.raises(RateLimited) as caught:
        tracerfy.lead_preview(geography=PHOENIX, requested_count=5)
    assert caught.value.message == "Preview rate limit exceeded."
    assert caught.value.retry_after == 40


def test_preview_is_retried_like_a_read(tracerfy, control):
    path = "/tracerfy/v1/api/lead-builder/preview"
    control.faults(error_rate=1.0, fault_budget=1, paths=[path])
    assert tracerfy.lead_preview(geography=PHOENIX, requested_count=5).requested_count == 5
    control.faults(error_rate=1.0, fault_budget=10, paths=[path])
    with pytest.raises(ProviderUnavailable) as caught:
        tracerfy.lead_preview(geography=PHOENIX, requested_count=5)
    assert caught.value.message == (
        "Lead preview service temporarily unavailable. Please try again."
    )


def test_execute_builds_a_list_with_rows(tracerfy):
    accepted = tracerfy.lead_execute(
        strategy="high_equity_absentee",
        geography=PHOENIX,
        requested_count=20,
        name="Phoenix Q2 Prospects",
    )
    assert accepted.status == "pending"
    assert accepted.poll_url.endswith(f"/v1/api/lead-builder/{accepted.id}/")
    status = eventually(lambda: tracerfy.lead_status(accepted.id), lambda s: s.is_complete)
    assert status.name == "Phoenix Q2 Prospects"
    assert status.actual_count and status.credits_deducted == 5 * status.actual_count
    page = tracerfy.lead_rows(accepted.id, page=1, per_page=5)
    assert page.total_rows == status.actual_count
    assert len(page.rows) == min(5, status.actual_count)
    assert len(page.rows[0].propensity) == 5


def test_rows_of_a_list_still_building_are_not_ready(tracerfy, control):
    control.settings(speed=0.001)
    accepted = tracerfy.lead_execute(geography=PHOENIX, requested_count=5, strategy="vacant")
    with pytest.raises(NotReady) as caught:
        tracerfy.lead_rows(accepted.id)
    assert caught.value.message == (
        "Lead list is still processing. Poll the status endpoint until complete."
    )
    assert tracerfy.lead_status(accepted.id).status == "pending"


def test_execute_beyond_the_balance_is_insufficient_credits(tracerfy, control):
    control.account(balance=100)
    with pytest.raises(InsufficientCredits) as caught:
        tracerfy.lead_execute(geography=PHOENIX, requested_count=500, strategy="custom")
    assert caught.value.message == (
        "Insufficient credits. This lead list requires up to 2500 credits "
        "(5 per row \u00d7 500 rows). You have 100 credits."
    )


def test_execute_on_a_suspended_account_is_refused(tracerfy, control):
    control.account(suspended=True)
    with pytest.raises(AuthFailed) as caught:
        tracerfy.lead_execute(geography=PHOENIX, requested_count=5)
    assert caught.value.message == SUSPENDED
    assert caught.value.permanent


def test_an_unknown_lead_list_is_not_found(tracerfy):
    with pytest.raises(NotFound) as caught:
        tracerfy.lead_status(987654)
    assert caught.value.message == "Lead list not found."
    with pytest.raises(NotFound):
        tracerfy.lead_rows(987654)


def test_lead_lookup_hit_and_miss(tracerfy, control):
    control.settings(miss_rate=0.0)
    hit = tracerfy.lead_lookup(
        address="4521 E Monte Cristo Ave", city="Phoenix", state="AZ", zip_code="85032"
    )
    assert hit.hit and hit.credits_deducted == 10
    assert hit.property["city"] == "Phoenix"
    assert len(hit.propensity) == 5
    control.settings(miss_rate=1.0)
    miss = tracerfy.lead_lookup(address="999 Nowhere Blvd", city="Austin", state="TX")
    assert (miss.hit, miss.credits_deducted, miss.address) == (False, 0, "999 Nowhere Blvd")


def test_lead_lookup_beyond_the_balance_is_insufficient_credits(tracerfy, control):
    control.account(balance=2)
    with pytest.raises(InsufficientCredits) as caught:
        tracerfy.lead_lookup(address="1 Main St", city="Phoenix", state="AZ")
    assert caught.value.message == (
        "Insufficient credits. Lead Builder lookup requires 10 credits per hit. You have 2 credits."
    )


def test_lead_lookup_unavailable(tracerfy, control):
    control.faults(error_rate=1.0, fault_budget=1, paths=["/tracerfy/v1/api/lead-builder/lookup"])
    with pytest.raises(ProviderUnavailable) as caught:
        tracerfy.lead_lookup(address="1 Main St", city="Phoenix", state="AZ")
    assert caught.value.message == "Lookup service temporarily unavailable. Please try again."


def test_autocomplete_resolves_addresses_for_free(tracerfy, control):
    control.settings(miss_rate=0.0)
    result = tracerfy.lead_autocomplete("742 Evergreen Terr Williamsburg NY")
    assert result.credits_deducted == 0
    assert result.query
    for match in result.results:
        assert match.street_address and match.city and match.state


def test_autocomplete_without_a_search_is_refused(tracerfy):
    with pytest.raises(InvalidRequest) as caught:
        tracerfy.lead_autocomplete("")
    assert caught.value.message == (
        'Missing \'search\' field. Pass {"search": "<address text>"} in the request body.'
    )


def test_autocomplete_rate_limit_in_its_own_words(tracerfy, control):
    control.faults(rate_limit_rate=1.0, fault_budget=1)
    with pytest.raises(RateLimited) as caught:
        tracerfy.lead_autocomplete("742 Evergreen")
    assert caught.value.message == "Autocomplete rate limit exceeded. Max 30 requests per minute."


def test_ai_assist_asks_and_then_answers_in_one_conversation(tracerfy):
    question = tracerfy.lead_ai_assist("leads in Austin")
    assert question.needs_clarification
    assert question.clarifying_question
    assert question.credits_deducted == 1
    answer = tracerfy.lead_ai_assist(
        "absentee owners with high equity", conversation_id=question.conversation_id
    )
    assert not answer.needs_clarification
    assert answer.conversation_id == question.conversation_id
    assert answer.geography["mode"]
    preview = tracerfy.lead_preview(
        strategy=answer.strategy,
        geography=answer.geography,
        filter_overrides=answer.filter_overrides,
        requested_count=10,
    )
    assert preview.requested_count == 10


def test_ai_assist_place_question_answered_in_the_same_conversation(tracerfy, control):
    """The sandbox's clarifying question about a place parses into ``AiAssistResult``, and
    the answer naming the state parses into a ready spec for that city (issue 15)."""
    question = tracerfy.lead_ai_assist("Vacant homes in Springfield")
    assert question.needs_clarification is True
    assert question.clarifying_question == (
        "Which Springfield do you mean — Illinois, Missouri or Massachusetts?"
    )
    assert question.geography == {"mode": "city", "cities": ["(pending)"]}
    assert question.confidence == 0.3
    assert question.credits_deducted == 1
    again = tracerfy.lead_ai_assist(
        "the one with the lake", conversation_id=question.conversation_id
    )
    assert again.needs_clarification is True
    assert again.clarifying_question.endswith(
        "Please answer with one of: Illinois (IL), Missouri (MO) or Massachusetts (MA)."
    )
    assert "Valid answers" in again.rationale.summary
    answer = tracerfy.lead_ai_assist(
        "Vacant homes in Springfield, Illinois", conversation_id=question.conversation_id
    )
    assert answer.needs_clarification is False
    assert answer.clarifying_question is None
    assert answer.conversation_id == question.conversation_id
    assert answer.strategy == "vacant"
    assert answer.strategy_label == "Vacant Homes"
    assert answer.geography == {"mode": "city", "cities": ["Springfield"], "states": ["IL"]}
    assert answer.rationale.assumptions == ("Springfield taken as Springfield, IL.",)
    assert answer.confidence == 0.88
    assert answer.credits_deducted == 1
    assert control.account()["balance"] == 100_000 - 3
    preview = tracerfy.lead_preview(
        strategy=answer.strategy,
        geography=answer.geography,
        filter_overrides=answer.filter_overrides,
        requested_count=10,
    )
    assert preview.requested_count == 10


def test_ai_assist_louisiana_resolves_to_a_states_geography(tracerfy):
    question = tracerfy.lead_ai_assist("probate leads in LA")
    assert question.clarifying_question == (
        "Do you mean Los Angeles, California, or the state of Louisiana?"
    )
    answer = tracerfy.lead_ai_assist("Louisiana", conversation_id=question.conversation_id)
    assert not answer.needs_clarification
    assert answer.strategy == "probate_inherited"
    assert answer.geography == {"mode": "states", "states": ["LA"]}


def test_ai_assist_with_no_credits(tracerfy, control):
    control.account(balance=0)
    with pytest.raises(InsufficientCredits) as caught:
        tracerfy.lead_ai_assist("probate leads in Nashville")
    assert caught.value.message == (
        "Insufficient credits. You need at least 1 credit to use AI assist. "
        "Your balance is 0 credits."
    )


def test_ai_assist_unavailable_is_not_retried(tracerfy, control):
    control.faults(error_rate=1.0, fault_budget=3, paths=["/tracerfy/v1/api/lead-builder/ai-"])
    with pytest.raises(ProviderUnavailable) as caught:
        tracerfy.lead_ai_assist("probate leads in Nashville")
    assert caught.value.message == (
        "AI assist temporarily unavailable. Please try again or build filters manually "
        "via /preview/."
    )
    assert control.fault_state()["fault_budget_remaining"] == 2
