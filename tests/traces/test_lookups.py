"""Instant address and APN lookups against the sandbox: 5 credits on a hit, nothing on a miss."""

import re

import pytest
from django.urls import reverse

from leadops.credits.models import CreditEntry
from tests.support.jobs import assert_credits_balance
from traces.models import TraceLookup

pytestmark = pytest.mark.django_db


@pytest.fixture
def lookup_client(sandbox, settings, client, staff, rq_redis):
    from leadops.credits import services as credits

    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    credits.grant(wallet=staff.wallet, amount=100, actor=None, reason="t", idempotency_key="lk")
    client.force_login(staff)
    return client


def post(client, **data):
    return client.post(reverse("traces:lookup"), {"mode": "address", "find": "owner", **data})


def find_hit_and_miss(client):
    """The sandbox decides hits deterministically per address: find one of each."""
    outcomes = {}
    for n in range(1, 40):
        post(client, address=f"{n} Elm St", city="Austin", state="tx")
        last = TraceLookup.objects.first()
        outcomes.setdefault(last.hit, last)
        if len(outcomes) == 2:
            return outcomes[True], outcomes[False]
    raise AssertionError("the sandbox gave no miss in 40 addresses")


def test_hit_charges_five_and_miss_is_free(lookup_client, staff):
    hit, miss = find_hit_and_miss(lookup_client)
    assert (hit.credits_charged, miss.credits_charged) == (5, 0)
    assert hit.persons and hit.persons[0]["full_name"]
    assert hit.query["state"] == "TX"
    staff.wallet.refresh_from_db()
    charged = sum(entry.held_delta for entry in CreditEntry.objects.filter(kind="capture"))
    assert staff.wallet.available == 100 + charged
    assert charged == -5 * TraceLookup.objects.filter(hit=True).count()
    assert_credits_balance(staff.wallet)


def test_result_card_and_history_render(lookup_client):
    response = post(lookup_client, address="7 Elm St", city="Austin", state="TX")
    html = response.content.decode()
    assert 'data-testid="lookup-result"' in html
    assert "7 Elm St, Austin, TX" in html
    assert "Recent lookups" in html


def test_apn_lookup(lookup_client):
    response = lookup_client.post(
        reverse("traces:lookup"),
        {"mode": "apn", "parcel_id": "123-45-678", "county": "Maricopa", "state": "az"},
    )
    assert response.status_code == 200
    lookup = TraceLookup.objects.get()
    assert (lookup.kind, lookup.query["state"]) == ("apn", "AZ")
    assert "APN 123-45-678, Maricopa County, AZ" in response.content.decode()


def test_invalid_input_is_explained_and_nothing_is_charged(lookup_client, staff):
    html = post(lookup_client, address="1 Elm St", city="Austin", state="Texas").content.decode()
    assert "Use the two-letter state code, e.g. TX." in html
    html = post(
        lookup_client, find="person", address="1 Elm St", city="Austin", state="TX"
    ).content.decode()
    assert "Finding a person needs their first and last name." in html
    assert not TraceLookup.objects.exists()
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 100


def test_provider_failure_charges_nothing(lookup_client, sandbox, staff):
    sandbox.control.faults(error_rate=1.0, error_status=503)
    html = post(lookup_client, address="1 Elm St", city="Austin", state="TX").content.decode()
    assert "The lookup failed and nothing was charged" in html
    staff.wallet.refresh_from_db()
    assert (staff.wallet.available, staff.wallet.held) == (100, 0)
    assert TraceLookup.objects.get().error


def test_other_teams_lookups_are_not_listed(lookup_client, outsider, team_b, client):
    TraceLookup.objects.create(
        team=team_b,
        created_by=outsider,
        kind="owner",
        query={"address": "9 Secret Rd", "city": "X", "state": "TX"},
    )
    html = lookup_client.get(reverse("traces:lookup")).content.decode()
    assert "9 Secret Rd" not in html


def test_first_view_is_unbound_with_the_default_mode(staff_client):
    """A plain GET shows a fresh form: no field red, no "required" error, "Find the owner"
    selected (the form was once bound to the empty POST data)."""
    for url in [reverse("traces:lookup"), reverse("traces:lookup") + "?mode=apn"]:
        html = staff_client.get(url).content.decode()
        assert "is-invalid" not in html
        assert "This field is required." not in html
        assert "alert-danger" not in html
    html = staff_client.get(reverse("traces:lookup")).content.decode()
    assert re.search(r'<input type="radio" name="find" value="owner"[^>]*checked', html)


def test_too_few_credits_is_a_clear_message_and_charges_nothing(client, staff):
    """The wallet cannot hold the 5 credits: the page says so (it was a 500)."""
    client.force_login(staff)
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 0
    response = post(client, address="7 Elm St", city="Austin", state="TX")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not enough credits: this needs 5 and 0 are available. Nothing was charged." in html
    assert 'data-testid="lookup-result"' not in html
    assert not TraceLookup.objects.exists()
    assert not CreditEntry.objects.exists()
    staff.wallet.refresh_from_db()
    assert (staff.wallet.available, staff.wallet.held) == (0, 0)


def test_lookup_phones_are_formatted_like_batch_results(lookup_client):
    from leadops.phones import format_phone

    hit, _ = find_hit_and_miss(lookup_client)
    numbers = [ph["number"] for p in hit.persons for ph in p["phones"]]
    assert numbers, "the sandbox's hit has phones"
    response = post(lookup_client, **{k: hit.query[k] for k in ("address", "city", "state")})
    html = response.content.decode()
    for number in numbers:
        shown = format_phone(number)
        assert shown != number and shown.startswith("(")  # the raw spelling is not shown
        assert f"{shown} <span" in html
        assert f"{number} <span" not in html
