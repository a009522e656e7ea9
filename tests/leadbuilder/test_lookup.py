"""Single-address property lookups and address autocomplete against the sandbox.

A hit charges 10 credits through a hold (capture + release = hold), a miss charges nothing,
the whole answer is kept and shown on one card; nothing is charged when the wallet is short,
the provider refuses (402, suspended) or fails (5xx). Autocomplete is free: fewer than three
characters never reach Tracerfy, and a refusal by the shared limiter or by Tracerfy (429) is
a quiet line in the fragment, not an error page.
"""

from html import unescape

import pytest
from django.urls import reverse

from leadbuilder.lookups import LookupFailed, LookupRefused, property_lookup_run
from leadbuilder.models import PropertyLookup
from leadops import providers
from leadops.credits.models import CreditHold
from leadops.sandbox.leadbuilder import SUSPENDED
from tests.support.jobs import assert_credits_balance

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/leads/lookup/"
AUTOCOMPLETE = "/leads/autocomplete/"
LOOKUP_PATH = "/tracerfy/v1/api/lead-builder/lookup/"
AUTOCOMPLETE_PATH = "/tracerfy/v1/api/lead-builder/autocomplete/"
ADDRESS = {"address": "4521 E Monte Cristo Ave", "city": "Phoenix", "state": "AZ"}
VERTICAL_LABELS = ("Sell", "Refinance", "Roof", "HVAC", "Solar")


@pytest.fixture
def sandbox_settings():
    # Every property and every skip trace found, every search resolved; a test wanting a
    # miss sets miss_rate=1.0.
    return {"miss_rate": 0.0}


@pytest.fixture
def tracerfy(sandbox, settings, rq_redis):
    """Tracerfy pointed at the sandbox; Redis (the shared limiter's windows) empty."""
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    return sandbox.control


@pytest.fixture
def funded_client(client, funded, tracerfy):
    client.force_login(funded)
    return client


def look_up(client, **fields):
    return client.post(URL, {**ADDRESS, "zip_code": "85032", **fields}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def card_of(html: str) -> str:
    return unescape(html.split('data-testid="lookup-result"', 1)[1].split("lookup-history")[0])


def lookup_requests(control) -> list[dict]:
    return [p for p in control.paid_requests() if p["path"] == LOOKUP_PATH]


# --- the lookup -------------------------------------------------------------------------------


def test_a_hit_charges_ten_credits_and_shows_everything_on_one_card(
    funded_client, funded, team_a, tracerfy
):
    response = look_up(funded_client)
    lookup = PropertyLookup.objects.get()
    assert response.redirect_chain == [(f"{URL}?result={lookup.pk}", 302)]
    assert (lookup.hit, lookup.credits_charged, lookup.error, lookup.team) == (
        True,
        10,
        "",
        team_a,
    )
    assert (lookup.address, lookup.city, lookup.state, lookup.zip_code) == (
        "4521 E Monte Cristo Ave",
        "Phoenix",
        "AZ",
        "85032",
    )
    # Charged 10 through a hold that was captured in full; the ledger balances.
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (90, 0)
    hold = CreditHold.objects.get()
    assert hold.reference.startswith("property-lookup:")
    assert (hold.amount, hold.captured, hold.released) == (10, 10, 0)
    assert_credits_balance(funded.wallet)
    assert [(p["path"], p["count"]) for p in tracerfy.paid_requests()] == [(LOOKUP_PATH, 1)]
    # The whole answer is kept.
    result = lookup.result
    assert result["property"]["address"] == "4521 E Monte Cristo Ave"
    assert result["property"]["estimated_value"] > 0
    assert result["owners"] and result["owners"][0]["last_name"]
    assert result["mailing_address"]["street"]
    assert result["contacts"]["phones"] and "dnc" in result["contacts"]["phones"][0]
    assert [s["vertical"] for s in result["propensity"]] == [
        "sell",
        "refi",
        "roof_renovate",
        "hvac_renovate",
        "solar_renovate",
    ]
    assert all(s["factors"] and s["category"] for s in result["propensity"])
    # One card: property, owner and mailing address, contacts, the five scores with factors.
    card = card_of(response.content.decode())
    prop = result["property"]
    assert "Found · 10 credits" in card
    assert f"{prop['beds']} / {prop['baths']}" in card
    assert f"{prop['building_size_sqft']:,} sqft" in card
    assert str(prop["year_built"]) in card
    assert f"${prop['estimated_value']:,}" in card
    assert f"${prop['estimated_equity']:,}" in card
    assert f"${prop['last_sale_price']:,}" in card and prop["last_sale_date"] in card
    owner = result["owners"][0]
    assert f"{owner['first_name']} {owner['last_name']}" in card
    assert f"Mailing address: {result['mailing_address']['street']}" in card
    first = result["contacts"]["phones"][0]
    digits = first["number"]
    assert f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" in card and first["type"] in card
    for label in VERTICAL_LABELS:
        assert f'<strong class="me-auto">{label}</strong>' in card
    factor = result["propensity"][0]["factors"][0]
    assert f"+{factor['points']}</span> {factor['reason']}" in card
    # The history links the stored card.
    history = response.content.decode().split('data-testid="lookup-history"', 1)[1]
    assert reverse("leadbuilder:lookup_detail", args=[lookup.pk]) in history
    assert "Found" in history


def test_a_miss_charges_nothing(funded_client, funded, tracerfy):
    tracerfy.settings(miss_rate=1.0)
    response = look_up(funded_client, zip_code="")
    lookup = PropertyLookup.objects.get()
    assert (lookup.hit, lookup.credits_charged, lookup.error) == (False, 0, "")
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (100, 0)
    hold = CreditHold.objects.get()
    assert (hold.amount, hold.captured, hold.released) == (10, 0, 10)
    assert_credits_balance(funded.wallet)
    assert [p["count"] for p in lookup_requests(tracerfy)] == [1]
    card = card_of(response.content.decode())
    assert "No property found at 4521 E Monte Cristo Ave, Phoenix, AZ — nothing charged." in card
    assert "Not found · no charge" in card


def test_a_short_wallet_is_refused_before_any_call(client, staff, tracerfy):
    client.force_login(staff)
    response = look_up(client)
    assert messages_of(response) == [
        "Not enough credits: this needs 10 and 0 are available. Nothing was charged. A lookup "
        "holds 10 credits while it runs; ask an admin of your team to grant credits."
    ]
    assert not PropertyLookup.objects.exists() and not CreditHold.objects.exists()
    assert tracerfy.paid_requests() == []


def test_the_provider_out_of_credits_is_a_clear_error_and_nothing_is_charged(
    funded_client, funded, tracerfy
):
    tracerfy.account(balance=2)
    response = look_up(funded_client)
    assert messages_of(response) == [
        "The lookup failed and nothing was charged: Insufficient credits. Lead Builder lookup "
        "requires 10 credits per hit. You have 2 credits."
    ]
    failed = PropertyLookup.objects.get()
    assert failed.error.startswith("Insufficient credits.") and failed.credits_charged == 0
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (100, 0)
    assert CreditHold.objects.get().released == 10
    assert_credits_balance(funded.wallet)
    history = response.content.decode().split('data-testid="lookup-history"', 1)[1]
    assert "failed, not charged" in history


def test_a_suspended_provider_account_is_a_clear_error(funded_client, funded, tracerfy):
    tracerfy.account(suspended=True)
    response = look_up(funded_client)
    assert messages_of(response) == [f"The lookup failed and nothing was charged: {SUSPENDED}"]
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 100
    assert_credits_balance(funded.wallet)


def test_a_provider_outage_releases_the_hold(funded, team_a, tracerfy):
    tracerfy.fault_rules({"path": LOOKUP_PATH, "error_rate": 1.0})
    with pytest.raises(LookupFailed, match=r"^Lookup service temporarily unavailable"):
        property_lookup_run(team=team_a, user=funded, **ADDRESS)
    failed = PropertyLookup.objects.get()
    assert failed.error == "Lookup service temporarily unavailable. Please try again."
    hold = CreditHold.objects.get()
    assert (hold.captured, hold.released) == (0, 10)
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 100
    assert_credits_balance(funded.wallet)


def test_an_unusable_address_is_a_field_error_and_nothing_is_charged(
    funded_client, funded, tracerfy
):
    html = unescape(look_up(funded_client, state="Atlantis").content.decode())
    assert "“Atlantis” is not a US state or territory" in html
    assert 'data-testid="state-error"' in html
    html = unescape(look_up(funded_client, address="", zip_code="123456").content.decode())
    assert "Type the street address to look up." in html
    assert not PropertyLookup.objects.exists() and not CreditHold.objects.exists()
    assert tracerfy.paid_requests() == []


def test_the_service_refuses_without_a_team_or_address(funded, team_a, tracerfy):
    with pytest.raises(LookupRefused, match="not in a team"):
        property_lookup_run(team=None, user=funded, **ADDRESS)
    with pytest.raises(LookupRefused) as refused:
        property_lookup_run(team=team_a, user=funded, **ADDRESS, zip_code="9")
    assert refused.value.field == "zip_code"
    assert tracerfy.paid_requests() == []


def test_the_page_shows_the_cost_before_sending(funded_client, funded):
    html = unescape(funded_client.get(URL).content.decode())
    cost = html.split('data-testid="lookup-cost"', 1)[1].split("</div>")[0]
    assert "10 credits if found, nothing on a miss." in cost
    assert "You have 100 credits available." in cost
    assert 'hx-trigger="keyup changed delay:400ms, search"' in html
    assert "js/address-autocomplete.js" in html
    assert "is-invalid" not in html and "No property lookups yet." in html


# --- history and team scoping -----------------------------------------------------------------


def test_history_and_cards_are_the_teams_own(funded_client, funded, team_a, outsider, team_b):
    mine = PropertyLookup.objects.create(
        team=team_a, created_by=funded, address="1 Mine St", city="Austin", state="TX"
    )
    theirs = PropertyLookup.objects.create(
        team=team_b, created_by=outsider, address="9 Their Rd", city="Dallas", state="TX"
    )
    html = funded_client.get(URL, {"result": theirs.pk}).content.decode()
    assert 'data-testid="lookup-result"' not in html
    assert "9 Their Rd" not in html and "1 Mine St" in html
    detail = funded_client.get(reverse("leadbuilder:lookup_detail", args=[mine.pk]))
    assert detail.status_code == 200 and "No property found at 1 Mine St, Austin, TX" in (
        unescape(detail.content.decode())
    )
    assert (
        funded_client.get(reverse("leadbuilder:lookup_detail", args=[theirs.pk])).status_code == 404
    )


def test_history_is_paged_newest_first(
    funded_client, funded, team_a, django_assert_max_num_queries
):
    PropertyLookup.objects.bulk_create(
        PropertyLookup(
            team=team_a, created_by=funded, address=f"{n} Elm St", city="Austin", state="TX"
        )
        for n in range(30)
    )
    with django_assert_max_num_queries(8):
        html = funded_client.get(URL).content.decode()
    history = html.split('data-testid="lookup-history"', 1)[1]
    assert history.count("Not found</span>") == 25
    assert history.index("29 Elm St") < history.index("28 Elm St")
    assert funded_client.get(URL, {"page": "2", "result": "x"}).status_code == 200


# --- autocomplete -----------------------------------------------------------------------------


def suggest(client, q: str) -> str:
    response = client.get(AUTOCOMPLETE, {"q": q})
    assert response.status_code == 200
    return unescape(response.content.decode())


def limiter_calls() -> int:
    key = f"{providers.RATE_LIMIT_PREFIX}:tracerfy.autocomplete:w0"
    return providers.limiter()._redis.zcard(key)


def test_autocomplete_lists_matches_with_every_part_a_page_fills_in(funded_client, tracerfy):
    html = suggest(funded_client, "742 Evergreen Terr Williamsburg NY")
    assert 'class="list-group-item list-group-item-action"' in html
    first = html.split("<button", 2)[1]
    assert 'data-street="742 Evergreen Terrace"' in first
    assert 'data-city="Brooklyn"' in first and 'data-state="NY"' in first
    assert 'data-zip="112' in first
    assert 'data-lat="40.' in first and 'data-lon="-73.' in first
    assert 'data-label="742 Evergreen Terrace, Brooklyn, NY, 112' in first
    # Free: no paid request, no credits.
    assert tracerfy.paid_requests() == []
    assert limiter_calls() == 1


def test_fewer_than_three_characters_make_no_call(funded_client, tracerfy):
    # Tracerfy would fail every call: an answer without "unavailable" was never sent.
    tracerfy.fault_rules({"path": AUTOCOMPLETE_PATH, "error_rate": 1.0})
    for q in ("", "7", " 74 ", "  a  "):
        assert suggest(funded_client, q).strip() == ""
    assert limiter_calls() == 0
    assert "Suggestions unavailable" in suggest(funded_client, "742 Evergreen")
    assert limiter_calls() == 1


def test_no_match_says_so_quietly(funded_client, tracerfy):
    html = suggest(funded_client, "Evergreen Terrace")
    assert "<button" not in html
    assert "No matching address — check the spelling or enter it by hand." in html


def test_a_full_limiter_pauses_suggestions_quietly(funded_client, tracerfy):
    limiter = providers.limiter()
    while limiter.acquire("tracerfy.autocomplete") == 0:
        pass
    html = suggest(funded_client, "742 Evergreen Terr")
    assert "<button" not in html
    assert "Address suggestions paused for " in html
    seconds = int(html.split("paused for ", 1)[1].split(" s", 1)[0])
    assert 0 < seconds <= 61
    assert "s — keep typing or enter the address by hand." in html
    assert "Autocomplete rate limit exceeded" not in html


def test_tracerfys_429_is_shown_quietly_and_pauses_everyone(funded_client, tracerfy):
    tracerfy.fault_rules(
        {"path": AUTOCOMPLETE_PATH, "rate_limit_rate": 1.0, "retry_after_seconds": 20}
    )
    html = suggest(funded_client, "742 Evergreen Terr")
    assert (
        "Autocomplete rate limit exceeded. Max 30 requests per minute. Address suggestions "
        "paused for 20 s — keep typing or enter the address by hand." in html
    )
    # The 429 paused the family in the shared limiter: the next search is not even sent.
    tracerfy.fault_rules()
    html = suggest(funded_client, "742 Evergreen Terrace")
    assert "Address suggestions paused for " in html and "rate limit exceeded" not in html
    assert tracerfy.fault_count("rate_limit") == 1


def test_a_provider_error_is_a_quiet_line(funded_client, tracerfy):
    tracerfy.fault_rules({"path": AUTOCOMPLETE_PATH, "error_rate": 1.0})
    html = suggest(funded_client, "742 Evergreen Terr")
    assert "Suggestions unavailable — enter the address by hand." in html
    assert "Address resolution service" not in html
