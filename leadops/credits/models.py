"""Credits: one wallet per user and an append-only ledger.

`available` is what the user can spend now; `held` is reserved by running jobs. Every change
to either is a `CreditEntry` written in the same transaction (see services.py), so the ledger
always sums to the wallet: sum(amount) == available and sum(held_delta) == held.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from leadops.accounts.models import TeamScopedModel


class Wallet(TeamScopedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet"
    )
    available = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(available__gte=0), name="wallet_available_gte_0"),
            models.CheckConstraint(condition=Q(held__gte=0), name="wallet_held_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.available:,} available"


class EntryKind(models.TextChoices):
    GRANT = "grant", "Grant"
    HOLD = "hold", "Hold"
    CAPTURE = "capture", "Capture"
    RELEASE = "release", "Release"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"


class CreditEntry(models.Model):
    """One immutable ledger line. `amount` changes `available`, `held_delta` changes `held`."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    amount = models.BigIntegerField(help_text="Change to the available balance")
    held_delta = models.BigIntegerField(default=0, help_text="Change to the held balance")
    balance_after = models.BigIntegerField(help_text="Available balance after this entry")
    held_after = models.BigIntegerField(default=0)
    idempotency_key = models.CharField(max_length=200, unique=True)
    hold = models.ForeignKey(
        "CreditHold", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    reference = models.CharField(max_length=120, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "credit entries"
        # The ledger's keyset pages: newest first (the default) and by change (the one sort
        # a wallet's owner uses to find the big grants and charges).
        indexes = [
            models.Index(fields=["wallet", "-created_at", "-id"]),
            models.Index(fields=["wallet", "amount", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.change_text} ({self.reason})"

    def save(self, *args, **kwargs):
        # The ledger is append-only: an entry, once written, is never changed.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Credit entries are append-only")
        super().save(*args, **kwargs)

    @property
    def change_text(self) -> str:
        """What the line did, as a reader of the ledger expects it: a hold the credits set
        aside, a capture the credits charged (they leave the held balance, so `amount` is 0),
        a release the credits returned; anything else the change to the available balance."""
        if self.kind == EntryKind.CAPTURE:
            return f"{-self.held_delta:,} charged"
        if self.kind == EntryKind.HOLD:
            return f"{-self.amount:,} held"
        if self.kind == EntryKind.RELEASE:
            return f"{self.amount:,} returned"
        return f"{self.amount:+,}"


class HoldStatus(models.TextChoices):
    OPEN = "open", "Open"
    SETTLED = "settled", "Settled"


class CreditHold(models.Model):
    """Credits reserved for one piece of paid work, later captured and/or released."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="holds")
    reference = models.CharField(max_length=120, unique=True)
    amount = models.BigIntegerField()
    captured = models.BigIntegerField(default=0)
    released = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(captured__gte=0) & Q(released__gte=0) & Q(amount__gte=0),
                name="hold_amounts_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(captured__lte=models.F("amount") - models.F("released")),
                name="hold_not_overspent",
            ),
        ]

    def __str__(self) -> str:
        return f"Hold {self.reference}: {self.amount:,}"

    @property
    def remaining(self) -> int:
        return self.amount - self.captured - self.released
