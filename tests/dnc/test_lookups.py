"""Single-phone DNC lookups against the sandbox: 5 credits charged through a hold, the answer
stored and made the team's latest status of the phone; nothing charged when the phone is
invalid, the wallet is short or the provider refuses; the internal list shown first."""

from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from dnc.lookups import LookupFailed, dnc_lookup_run
from dnc.models import DncLookup, InternalDnc, PhoneStatus
from leadops.credits.models import CreditHold
from leadops.phones import dnc_statuses
from leadops.sandbox.data import phone_flags
from tests.dnc.conftest import e164, phone
from tests.support.jobs import assert_credits_balance

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/dnc/lookup/"
FLAGS = ("national_dnc", "state_dnc", "dma", "litigator")


def find(predicate) -> int:
    """The first test phone n whose sandbox flags satisfy `predicate` (the sandbox's answer
    is a pure function of the number)."""
    for n in range(100):
        if predicate(phone_flags(e164(n)[2:])):
            return n
    raise AssertionError("no such phone among the first 100")


CLEAN = find(lambda f: f["is_clean"])
FEDERAL_ONLY = find(lambda f: f["national_dnc"] and not any(f[k] for k in FLAGS[1:]))


def look_up(client, number: str):
    return client.post(URL, {"phone": number}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def funded_client(client, funded, live_sandbox):
    client.force_login(funded)
    return client


def test_a_clean_phone_costs_five_credits_and_refreshes_the_store(
    funded_client, funded, team_a, live_sandbox
):
    # The team's last answer for it is two months old and flagged: stale.
    old = timezone.now() - timedelta(days=60)
    PhoneStatus.objects.create(
        team=team_a, phone=e164(CLEAN), national_dnc=True, checked_at=old, source="dnc:1"
    )
    assert dnc_statuses(team=team_a, numbers=[phone(CLEAN)])[phone(CLEAN)].stale

    response = look_up(funded_client, f"1-{e164(CLEAN)[2:5]}-555-01{CLEAN:02d}")
    lookup = DncLookup.objects.get()
    assert response.redirect_chain == [(f"{URL}?result={lookup.pk}", 302)]
    assert (lookup.phone, lookup.is_clean, lookup.credits_charged, lookup.error) == (
        e164(CLEAN),
        True,
        5,
        "",
    )
    assert lookup.phone_type == phone_flags(e164(CLEAN)[2:])["phone_type"]
    # Charged 5 through a settled hold; the ledger balances.
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (495, 0)
    hold = CreditHold.objects.get()
    assert hold.reference.startswith("dnc-lookup:") and hold.captured == 5
    assert_credits_balance(funded.wallet)
    assert [(p["path"], p["count"]) for p in live_sandbox.control.paid_requests()] == [
        ("/tracerfy/v1/api/dnc/lookup/", 1)
    ]
    # The store holds the answer now, fresh, from this lookup.
    status = PhoneStatus.objects.get(team=team_a, phone=e164(CLEAN))
    assert (status.is_clean, status.national_dnc, status.source) == (
        True,
        False,
        f"lookup:{lookup.pk}",
    )
    shown = dnc_statuses(team=team_a, numbers=[phone(CLEAN)])[phone(CLEAN)]
    assert (shown.outcome, shown.stale, shown.dialable) == ("clean", False, True)
    # The page shows the answer and the history.
    html = response.content.decode()
    result = html.split('data-testid="lookup-result"', 1)[1].split('data-testid="lookup-history"')[
        0
    ]
    assert phone(CLEAN) in result
    assert "5 credits charged" in result
    assert 'data-testid="flag-clean"><i class="bi bi-check-circle"></i> Clean' in result
    assert "lookup-internal" not in result
    history = html.split('data-testid="lookup-history"', 1)[1]
    assert phone(CLEAN) in history and ">Clean</span>" in history


def test_a_flagged_phone_is_stored_with_its_flags(funded_client, funded, team_a):
    html = look_up(funded_client, phone(FEDERAL_ONLY)).content.decode()
    lookup = DncLookup.objects.get()
    assert (lookup.national_dnc, lookup.state_dnc, lookup.is_clean) == (True, False, False)
    assert lookup.outcome == "federal"
    status = PhoneStatus.objects.get(team=team_a, phone=e164(FEDERAL_ONLY))
    assert (status.national_dnc, status.is_clean) == (True, False)
    shown = dnc_statuses(team=team_a, numbers=[phone(FEDERAL_ONLY)])[phone(FEDERAL_ONLY)]
    assert (shown.label, shown.stale, shown.dialable) == ("Federal DNC", False, False)
    assert 'text-bg-danger" data-testid="flag-federal"' in html
    assert 'data-testid="flag-clean">Not clean' in html
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 495
    assert_credits_balance(funded.wallet)


def test_an_invalid_phone_is_a_form_error_and_nothing_is_charged(
    funded_client, funded, live_sandbox
):
    response = funded_client.post(URL, {"phone": "555-0101"})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "“555-0101” is not a valid US phone number" in html
    assert 'class="form-control is-invalid"' in html
    response = funded_client.post(URL, {"phone": ""})
    assert "Type the phone number to check." in response.content.decode()
    assert not DncLookup.objects.exists() and not CreditHold.objects.exists()
    assert live_sandbox.control.paid_requests() == []
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500


def test_the_provider_out_of_credits_is_a_clear_error_and_nothing_is_charged(
    funded_client, funded, live_sandbox
):
    live_sandbox.control.account(balance=0)
    response = look_up(funded_client, phone(CLEAN))
    assert messages_of(response) == [
        "The lookup failed and nothing was charged: Insufficient credits. DNC lookup requires "
        "5 credits. You have 0 credits."
    ]
    failed = DncLookup.objects.get()
    assert failed.error.startswith("Insufficient credits.") and failed.credits_charged == 0
    assert not PhoneStatus.objects.exists()
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (500, 0)
    assert CreditHold.objects.get().released == 5
    assert_credits_balance(funded.wallet)
    history = response.content.decode().split('data-testid="lookup-history"', 1)[1]
    assert "failed, not charged" in history


def test_a_wallet_without_five_credits_is_refused_before_any_call(client, staff, live_sandbox):
    client.force_login(staff)
    response = look_up(client, phone(CLEAN))
    assert messages_of(response) == [
        "Not enough credits: this needs 5 and 0 are available. Nothing was charged. A lookup "
        "holds 5 credits while it runs; ask an admin of your team to grant credits."
    ]
    assert not DncLookup.objects.exists() and not CreditHold.objects.exists()
    assert live_sandbox.control.paid_requests() == []
    staff.wallet.refresh_from_db()
    assert (staff.wallet.available, staff.wallet.held) == (0, 0)


def test_an_internal_phone_is_shown_as_internal_beside_the_providers_answer(
    funded_client, funded, owner, team_a
):
    InternalDnc.objects.create(team=team_a, phone=e164(CLEAN), reason="Asked", added_by=owner)
    html = unescape(look_up(funded_client, phone(CLEAN)).content.decode())
    assert "Internal DNC — never call, whatever the provider says." in html
    # The provider's own answer is still there, and was paid for.
    assert 'data-testid="flag-clean"><i class="bi bi-check-circle"></i> Clean' in html
    assert DncLookup.objects.get().credits_charged == 5
    history = html.split('data-testid="lookup-history"', 1)[1]
    assert ">Internal DNC</span>" in history
    # Everywhere else the phone is internal, whatever the fresh clean answer says.
    shown = dnc_statuses(team=team_a, numbers=[phone(CLEAN)])[phone(CLEAN)]
    assert (shown.outcome, shown.dialable) == ("internal", False)


def test_the_service_raises_the_providers_words(funded, team_a, live_sandbox):
    live_sandbox.control.account(balance=0)
    with pytest.raises(LookupFailed, match=r"^Insufficient credits\. DNC lookup requires 5"):
        dnc_lookup_run(team=team_a, user=funded, phone=phone(CLEAN))
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500


def test_another_teams_lookups_are_not_shown(funded_client, outsider, team_b):
    other = DncLookup.objects.create(
        team=team_b, created_by=outsider, phone=e164(77), is_clean=True, credits_charged=5
    )
    html = funded_client.get(URL, {"result": other.pk}).content.decode()
    assert 'data-testid="lookup-result"' not in html
    assert phone(77) not in html
    assert "No DNC lookups yet." in html


def test_the_page_opens_with_a_fresh_form_and_a_paged_history(
    funded_client, funded, team_a, django_assert_max_num_queries
):
    html = funded_client.get(URL).content.decode()
    assert "is-invalid" not in html and "alert-danger" not in html
    assert "This field is required." not in html
    DncLookup.objects.bulk_create(
        DncLookup(team=team_a, created_by=funded, phone=e164(n), is_clean=True) for n in range(30)
    )
    with django_assert_max_num_queries(7):
        html = funded_client.get(URL).content.decode()
    history = html.split('data-testid="lookup-history"', 1)[1]
    assert history.count(">Clean</span>") == 25
    assert funded_client.get(URL, {"page": "2", "result": "x"}).status_code == 200
