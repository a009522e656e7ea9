import pytest
from django.urls import reverse

from leadops.credits.models import CreditEntry, EntryKind

pytestmark = pytest.mark.django_db


def change_url(wallet):
    return reverse("admin:credits_wallet_credit_change", args=[wallet.pk])


def test_admin_grants_credits_through_the_ledger(owner_client, owner, staff):
    wallet = staff.wallet
    response = owner_client.post(
        change_url(wallet),
        {"direction": "grant", "amount": "500", "reason": "monthly allowance", "nonce": "n1"},
    )
    assert response.status_code == 302
    entry = CreditEntry.objects.get(wallet=wallet)
    assert (entry.kind, entry.amount, entry.actor, entry.reason) == (
        EntryKind.GRANT,
        500,
        owner,
        "monthly allowance",
    )
    wallet.refresh_from_db()
    assert wallet.available == 500


def test_double_submitted_form_grants_once(owner_client, staff):
    data = {"direction": "grant", "amount": "100", "reason": "x", "nonce": "same-nonce"}
    owner_client.post(change_url(staff.wallet), data)
    owner_client.post(change_url(staff.wallet), data)
    staff.wallet.refresh_from_db()
    assert staff.wallet.available == 100


def test_revoke_more_than_available_shows_error_and_changes_nothing(owner_client, staff):
    response = owner_client.post(
        change_url(staff.wallet),
        {"direction": "revoke", "amount": "5", "reason": "x", "nonce": "n2"},
    )
    assert response.status_code == 200
    assert "Not enough credits: this needs 5 and 0 are available." in response.content.decode()
    assert not CreditEntry.objects.exists()


def test_staff_user_sees_granted_balance_in_header(client, owner_client, staff):
    owner_client.post(
        change_url(staff.wallet),
        {"direction": "grant", "amount": "1234", "reason": "x", "nonce": "n3"},
    )
    client.force_login(staff)
    html = client.get(reverse("dashboard")).content.decode()
    assert "<strong>1,234</strong> credits" in html


def test_ledger_is_read_only_in_admin(owner_client, staff):
    owner_client.post(
        change_url(staff.wallet),
        {"direction": "grant", "amount": "1", "reason": "x", "nonce": "n4"},
    )
    entry = CreditEntry.objects.get()
    assert owner_client.get(reverse("admin:credits_creditentry_changelist")).status_code == 200
    assert owner_client.get(reverse("admin:credits_creditentry_add")).status_code == 403
    page = owner_client.get(reverse("admin:credits_creditentry_change", args=[entry.pk]))
    assert 'name="amount"' not in page.content.decode()
    delete = owner_client.post(reverse("admin:credits_creditentry_delete", args=[entry.pk]))
    assert delete.status_code == 403
    assert CreditEntry.objects.count() == 1


def test_ledger_search_and_filter(owner_client, staff):
    owner_client.post(
        change_url(staff.wallet),
        {"direction": "grant", "amount": "7", "reason": "findme", "nonce": "n5"},
    )
    url = reverse("admin:credits_creditentry_changelist")
    assert "findme" in owner_client.get(url, {"q": "findme"}).content.decode()
    assert "findme" not in owner_client.get(url, {"kind__exact": "hold"}).content.decode()


def test_user_admin_link_opens_wallet(owner_client, staff):
    response = owner_client.get(reverse("admin:credits_wallet_for_user", args=[staff.pk]))
    assert response.status_code == 302
    assert response["Location"] == change_url(staff.wallet)


def test_non_admin_cannot_reach_credit_form(staff_client, staff):
    response = staff_client.get(change_url(staff.wallet))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
