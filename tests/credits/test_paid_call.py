"""credits.paid_call: the hold → call → settle (or release) of a synchronous paid call."""

import pytest

from leadops.credits import services as credits
from leadops.credits.errors import InsufficientCredits
from leadops.credits.models import CreditEntry, CreditHold, EntryKind, HoldStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def wallet(staff):
    w = staff.wallet
    credits.grant(wallet=w, amount=100, actor=None, reason="start", idempotency_key="g1")
    w.refresh_from_db()
    return w


def call(wallet, staff, reference="call:1"):
    return credits.paid_call(
        wallet=wallet, amount=10, reference=reference, actor=staff, reason="Lookup of 1 Main St"
    )


def kinds(reference: str) -> list[str]:
    return list(
        CreditEntry.objects.filter(reference=reference)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def test_settling_captures_what_was_charged_and_releases_the_rest(wallet, staff):
    with call(wallet, staff) as paid:
        wallet.refresh_from_db()
        assert (wallet.available, wallet.held) == (90, 10)
        paid.settle(charged=4)
    wallet.refresh_from_db()
    assert (wallet.available, wallet.held) == (96, 0)
    hold = CreditHold.objects.get(reference="call:1")
    assert (hold.captured, hold.released, hold.status) == (4, 6, HoldStatus.SETTLED)
    assert kinds("call:1") == [EntryKind.HOLD, EntryKind.CAPTURE, EntryKind.RELEASE]


def test_an_exception_in_the_block_releases_the_whole_hold(wallet, staff):
    with pytest.raises(RuntimeError), call(wallet, staff):
        raise RuntimeError("the provider went away")
    wallet.refresh_from_db()
    assert (wallet.available, wallet.held) == (100, 0)
    hold = CreditHold.objects.get(reference="call:1")
    assert (hold.captured, hold.released, hold.status) == (0, 10, HoldStatus.SETTLED)
    release = CreditEntry.objects.get(reference="call:1", kind=EntryKind.RELEASE)
    assert release.reason == "Lookup of 1 Main St: failed, nothing charged"


def test_a_block_that_never_settles_charges_nothing(wallet, staff):
    with call(wallet, staff):
        pass
    wallet.refresh_from_db()
    assert (wallet.available, wallet.held) == (100, 0)
    assert CreditHold.objects.get(reference="call:1").released == 10


def test_a_short_wallet_is_refused_before_the_block_runs(wallet, staff):
    credits.adjust(wallet=wallet, amount=-95, actor=None, reason="spent", idempotency_key="a1")
    ran = []
    with pytest.raises(InsufficientCredits), call(wallet, staff):
        ran.append(True)
    assert ran == [] and not CreditHold.objects.exists()
