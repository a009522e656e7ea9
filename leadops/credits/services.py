"""The only place credits move.

Every operation is one transaction: lock the wallet row, return the existing entry if the
idempotency key was used before (a replay changes nothing), check, write the append-only
entry, update the wallet. The database's CHECK constraints are the last line against a
negative balance; InsufficientCredits is the first.

    from leadops.credits import services as credits
    hold = credits.hold(wallet=w, amount=120, reference="trace_job:42", actor=user, reason="…")
    credits.capture(hold=hold, amount=97, actor=None, reason="provider charged 97")
    credits.release(hold=hold, actor=None, reason="unused estimate")

A synchronous paid call (an instant lookup) holds, calls and settles in one block:

    with credits.paid_call(wallet=w, amount=10, reference="lookup:…", actor=user,
                           reason="Property lookup of …") as paid:
        answer = client.lead_lookup(...)
        paid.settle(charged=answer.credits_deducted)
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from leadops.accounts.models import Team
from leadops.credits.errors import CaptureExceedsHold, HoldClosed, InsufficientCredits
from leadops.credits.models import CreditEntry, CreditHold, EntryKind, HoldStatus, Wallet


@dataclass(frozen=True)
class _Change:
    kind: str
    amount: int  # change to available
    held_delta: int
    reason: str
    idempotency_key: str
    actor: AbstractBaseUser | None
    reference: str = ""


def wallet_for(*, user: AbstractBaseUser, team: Team) -> Wallet:
    """The user's wallet, created empty on first use."""
    wallet, _ = Wallet.objects.get_or_create(user=user, defaults={"team": team})
    return wallet


def _positive(amount: int) -> int:
    if not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"credit amounts are positive whole numbers, not {amount!r}")
    return amount


def _apply(wallet_id: int, change: _Change, hold: CreditHold | None = None) -> CreditEntry:
    """Write one entry and update the wallet; must run inside transaction.atomic()."""
    wallet = Wallet.objects.select_for_update().get(pk=wallet_id)
    existing = CreditEntry.objects.filter(idempotency_key=change.idempotency_key).first()
    if existing is not None:
        return existing
    if wallet.available + change.amount < 0:
        raise InsufficientCredits(needed=-change.amount, available=wallet.available)
    wallet.available += change.amount
    wallet.held += change.held_delta
    wallet.save(update_fields=["available", "held", "updated_at"])
    return CreditEntry.objects.create(
        wallet=wallet,
        kind=change.kind,
        amount=change.amount,
        held_delta=change.held_delta,
        balance_after=wallet.available,
        held_after=wallet.held,
        idempotency_key=change.idempotency_key,
        hold=hold,
        reference=change.reference,
        actor=change.actor,
        reason=change.reason,
    )


def grant(
    *,
    wallet: Wallet,
    amount: int,
    actor: AbstractBaseUser | None,
    reason: str,
    idempotency_key: str,
) -> CreditEntry:
    """Add credits to a wallet (admins, the demo seed)."""
    change = _Change(EntryKind.GRANT, _positive(amount), 0, reason, idempotency_key, actor)
    with transaction.atomic():
        return _apply(wallet.pk, change)


def adjust(
    *,
    wallet: Wallet,
    amount: int,
    actor: AbstractBaseUser | None,
    reason: str,
    idempotency_key: str,
) -> CreditEntry:
    """A signed correction by an admin; a negative amount revokes credits (never below 0)."""
    if not isinstance(amount, int) or amount == 0:
        raise ValueError(f"an adjustment is a non-zero whole number, not {amount!r}")
    change = _Change(EntryKind.ADJUSTMENT, amount, 0, reason, idempotency_key, actor)
    with transaction.atomic():
        return _apply(wallet.pk, change)


def refund(
    *,
    wallet: Wallet,
    amount: int,
    reference: str,
    actor: AbstractBaseUser | None,
    reason: str,
    idempotency_key: str,
) -> CreditEntry:
    """Give back credits that were captured (e.g. the provider refunded a failed batch)."""
    change = _Change(
        EntryKind.REFUND, _positive(amount), 0, reason, idempotency_key, actor, reference
    )
    with transaction.atomic():
        return _apply(wallet.pk, change)


def hold(
    *,
    wallet: Wallet,
    amount: int,
    reference: str,
    actor: AbstractBaseUser | None,
    reason: str,
) -> CreditHold:
    """Reserve `amount` for the work named by `reference` (unique; a replay returns the hold)."""
    _positive(amount)
    with transaction.atomic():
        existing = CreditHold.objects.filter(reference=reference).first()
        if existing is not None:
            return existing
        locked = Wallet.objects.select_for_update().get(pk=wallet.pk)
        if locked.available < amount:
            raise InsufficientCredits(needed=amount, available=locked.available)
        new_hold = CreditHold.objects.create(wallet=locked, reference=reference, amount=amount)
        change = _Change(
            EntryKind.HOLD, -amount, amount, reason, f"{reference}:hold", actor, reference
        )
        _apply(locked.pk, change, new_hold)
        return new_hold


def _locked_open_hold(hold_obj: CreditHold) -> CreditHold:
    # Lock order is always wallet, then hold, so two settlements cannot deadlock.
    Wallet.objects.select_for_update().get(pk=hold_obj.wallet_id)
    return CreditHold.objects.select_for_update().get(pk=hold_obj.pk)


def capture(
    *,
    hold: CreditHold,
    amount: int,
    actor: AbstractBaseUser | None,
    reason: str,
    idempotency_key: str | None = None,
) -> CreditEntry | None:
    """Charge `amount` of the hold: it leaves `held` for good. Zero captures nothing."""
    if not isinstance(amount, int) or amount < 0:
        raise ValueError(f"a capture is a whole number ≥ 0, not {amount!r}")
    key = idempotency_key or f"{hold.reference}:capture"
    with transaction.atomic():
        locked = _locked_open_hold(hold)
        existing = CreditEntry.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        if locked.status != HoldStatus.OPEN:
            raise HoldClosed(locked.reference)
        if amount > locked.remaining:
            raise CaptureExceedsHold(amount=amount, remaining=locked.remaining)
        if amount == 0:
            return None
        locked.captured += amount
        locked.save(update_fields=["captured"])
        change = _Change(EntryKind.CAPTURE, 0, -amount, reason, key, actor, locked.reference)
        entry = _apply(locked.wallet_id, change, locked)
        hold.captured = locked.captured
        return entry


def release(
    *,
    hold: CreditHold,
    actor: AbstractBaseUser | None,
    reason: str,
    idempotency_key: str | None = None,
) -> CreditEntry | None:
    """Give back whatever remains on the hold and settle it. Releasing a settled hold is a no-op."""
    key = idempotency_key or f"{hold.reference}:release"
    with transaction.atomic():
        locked = _locked_open_hold(hold)
        existing = CreditEntry.objects.filter(idempotency_key=key).first()
        if existing is not None or locked.status != HoldStatus.OPEN:
            return existing
        remaining = locked.remaining
        locked.released += remaining
        locked.status = HoldStatus.SETTLED
        locked.settled_at = timezone.now()
        locked.save(update_fields=["released", "status", "settled_at"])
        hold.status, hold.released = locked.status, locked.released
        if remaining == 0:
            return None
        change = _Change(
            EntryKind.RELEASE, remaining, -remaining, reason, key, actor, locked.reference
        )
        return _apply(locked.wallet_id, change, locked)


def settle(*, hold: CreditHold, charged: int, actor: AbstractBaseUser | None, reason: str) -> None:
    """Capture what the provider actually charged (capped at the hold) and release the rest."""
    with transaction.atomic():
        hold.refresh_from_db()
        capture(hold=hold, amount=min(charged, hold.remaining), actor=actor, reason=reason)
        release(hold=hold, actor=actor, reason=f"{reason}: unused hold returned")


@dataclass
class PaidCall:
    """The hold of one synchronous paid call (see `paid_call`)."""

    hold: CreditHold
    actor: AbstractBaseUser | None
    reason: str
    settled: bool = False

    def settle(self, *, charged: int, reason: str | None = None) -> None:
        """Capture what the provider says it charged (capped at the hold), release the rest."""
        settle(hold=self.hold, charged=charged, actor=self.actor, reason=reason or self.reason)
        self.settled = True


@contextmanager
def paid_call(
    *,
    wallet: Wallet,
    amount: int,
    reference: str,
    actor: AbstractBaseUser | None,
    reason: str,
) -> Iterator[PaidCall]:
    """Hold `amount` (raises InsufficientCredits before anything is called), then run the
    block, which makes the call and `settle`s what it cost. Leaving the block by an
    exception (the provider refused or failed, a bug, an interrupted worker), or without
    settling, releases the whole hold: nothing is charged and no hold stays open."""
    call = PaidCall(
        hold=hold(wallet=wallet, amount=amount, reference=reference, actor=actor, reason=reason),
        actor=actor,
        reason=reason,
    )
    try:
        yield call
    except BaseException:
        release(hold=call.hold, actor=actor, reason=f"{reason}: failed, nothing charged")
        raise
    if not call.settled:
        release(hold=call.hold, actor=actor, reason=f"{reason}: not settled, nothing charged")
