from django.db.models import QuerySet

from leadops.credits.models import CreditEntry, Wallet


def wallet_entries(*, wallet: Wallet | None) -> QuerySet[CreditEntry]:
    if wallet is None:
        return CreditEntry.objects.none()
    return CreditEntry.objects.filter(wallet=wallet).select_related("actor")


def balance_series(*, wallet: Wallet | None, limit: int = 200) -> list[dict]:
    """The available balance after each of the last `limit` entries, oldest first (for a chart)."""
    if wallet is None:
        return []
    rows = (
        CreditEntry.objects.filter(wallet=wallet)
        .order_by("-created_at", "-id")
        .values("created_at", "balance_after", "held_after")[:limit]
    )
    return [
        {"t": r["created_at"].isoformat(), "available": r["balance_after"], "held": r["held_after"]}
        for r in reversed(rows)
    ]
