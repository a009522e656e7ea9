import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from leadops.credits import services as credits
from leadops.credits.errors import CaptureExceedsHold, HoldClosed, InsufficientCredits
from leadops.credits.models import CreditEntry, EntryKind, HoldStatus, Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def wallet(staff):
    w = staff.wallet
    credits.grant(wallet=w, amount=1000, actor=None, reason="start", idempotency_key="g1")
    w.refresh_from_db()
    return w


def assert_ledger_matches(wallet: Wallet) -> None:
    wallet.refresh_from_db()
    sums = CreditEntry.objects.filter(wallet=wallet).aggregate(a=Sum("amount"), h=Sum("held_delta"))
    assert sums["a"] == wallet.available
    assert (sums["h"] or 0) == wallet.held


def test_grant_writes_entry_with_balance_after(wallet, staff):
    entry = credits.grant(
        wallet=wallet, amount=250, actor=staff, reason="top-up", idempotency_key="g2"
    )
    assert (entry.kind, entry.amount, entry.balance_after, entry.actor) == (
        EntryKind.GRANT,
        250,
        1250,
        staff,
    )
    wallet.refresh_from_db()
    assert wallet.available == 1250
    assert_ledger_matches(wallet)


def test_replaying_an_idempotency_key_changes_nothing(wallet):
    first = credits.grant(wallet=wallet, amount=5, actor=None, reason="x", idempotency_key="same")
    again = credits.grant(wallet=wallet, amount=5, actor=None, reason="x", idempotency_key="same")
    assert first.pk == again.pk
    wallet.refresh_from_db()
    assert wallet.available == 1005
    assert CreditEntry.objects.filter(idempotency_key="same").count() == 1


def test_hold_capture_release_balances(wallet):
    hold = credits.hold(wallet=wallet, amount=300, reference="job:1", actor=None, reason="trace")
    wallet.refresh_from_db()
    assert (wallet.available, wallet.held) == (700, 300)

    credits.capture(hold=hold, amount=120, actor=None, reason="provider charged 120")
    credits.release(hold=hold, actor=None, reason="rest")
    wallet.refresh_from_db()
    hold.refresh_from_db()
    assert (wallet.available, wallet.held) == (880, 0)
    assert (hold.captured, hold.released, hold.status) == (120, 180, HoldStatus.SETTLED)
    assert_ledger_matches(wallet)


def test_hold_replay_returns_same_hold_and_charges_once(wallet):
    h1 = credits.hold(wallet=wallet, amount=100, reference="job:2", actor=None, reason="r")
    h2 = credits.hold(wallet=wallet, amount=100, reference="job:2", actor=None, reason="r")
    assert h1.pk == h2.pk
    wallet.refresh_from_db()
    assert wallet.available == 900


def test_capture_and_release_replays_are_noops(wallet):
    hold = credits.hold(wallet=wallet, amount=100, reference="job:3", actor=None, reason="r")
    credits.capture(hold=hold, amount=40, actor=None, reason="c")
    credits.capture(hold=hold, amount=40, actor=None, reason="c")
    credits.release(hold=hold, actor=None, reason="r")
    credits.release(hold=hold, actor=None, reason="r")
    wallet.refresh_from_db()
    assert (wallet.available, wallet.held) == (960, 0)
    assert_ledger_matches(wallet)


def test_insufficient_credits_says_needed_and_available(wallet):
    with pytest.raises(InsufficientCredits) as info:
        credits.hold(wallet=wallet, amount=1001, reference="job:4", actor=None, reason="r")
    assert (info.value.needed, info.value.available) == (1001, 1000)
    assert str(info.value) == "Not enough credits: this needs 1,001 and 1,000 are available."
    wallet.refresh_from_db()
    assert (wallet.available, wallet.held) == (1000, 0)
    assert not wallet.holds.exists()


def test_revoke_below_zero_is_refused(wallet):
    with pytest.raises(InsufficientCredits):
        credits.adjust(wallet=wallet, amount=-1001, actor=None, reason="oops", idempotency_key="a1")
    credits.adjust(wallet=wallet, amount=-1000, actor=None, reason="all", idempotency_key="a2")
    wallet.refresh_from_db()
    assert wallet.available == 0


def test_capture_more_than_held_is_refused(wallet):
    hold = credits.hold(wallet=wallet, amount=50, reference="job:5", actor=None, reason="r")
    with pytest.raises(CaptureExceedsHold):
        credits.capture(hold=hold, amount=51, actor=None, reason="c")


def test_capture_after_settlement_is_refused(wallet):
    hold = credits.hold(wallet=wallet, amount=50, reference="job:6", actor=None, reason="r")
    credits.release(hold=hold, actor=None, reason="cancelled")
    with pytest.raises(HoldClosed):
        credits.capture(hold=hold, amount=1, actor=None, reason="late", idempotency_key="late")


def test_settle_captures_charged_and_releases_rest(wallet):
    hold = credits.hold(wallet=wallet, amount=80, reference="job:7", actor=None, reason="r")
    credits.settle(hold=hold, charged=30, actor=None, reason="done")
    wallet.refresh_from_db()
    assert (wallet.available, wallet.held) == (970, 0)
    assert_ledger_matches(wallet)


def test_database_refuses_negative_balance(wallet):
    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(pk=wallet.pk).update(available=-1)


def test_entries_are_append_only(wallet):
    entry = wallet.entries.first()
    entry.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()


@pytest.mark.parametrize("amount", [0, -5, 1.5])
def test_grant_rejects_non_positive_amounts(wallet, amount):
    with pytest.raises(ValueError, match="positive whole numbers"):
        credits.grant(wallet=wallet, amount=amount, actor=None, reason="x", idempotency_key="bad")


def test_the_ledger_says_what_each_line_did(wallet, staff_client):
    from django.urls import reverse

    hold = credits.hold(wallet=wallet, amount=980, reference="job:8", actor=None, reason="r")
    credits.settle(hold=hold, charged=705, actor=None, reason="done")
    texts = [
        (e.kind, e.change_text) for e in CreditEntry.objects.filter(wallet=wallet).order_by("id")
    ]
    assert texts == [
        (EntryKind.GRANT, "+1,000"),
        (EntryKind.HOLD, "980 held"),
        (EntryKind.CAPTURE, "705 charged"),
        (EntryKind.RELEASE, "275 returned"),
    ]
    page = staff_client.get(reverse("dashboard")).content.decode()
    ledger = page.split("<table", 1)[1].split("</table>", 1)[0]
    assert "705 charged" in ledger and "275 returned" in ledger and ">+0<" not in ledger
