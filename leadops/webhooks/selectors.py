"""Reads over the stored webhook events."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from leadops.webhooks.models import WebhookEvent


def last_events(*, providers: Iterable[str]) -> dict[str, WebhookEvent]:
    """The latest event received from each of ``providers`` (one query; a provider that never
    called is absent). Only the columns a page shows are loaded, never the body."""
    names = list(providers)
    latest = (
        WebhookEvent.objects.filter(provider=OuterRef("provider"))
        .order_by("-received_at", "-pk")
        .values("pk")[:1]
    )
    events = WebhookEvent.objects.filter(provider__in=names, pk=Subquery(latest)).only(
        "provider", "kind", "status", "received_at"
    )
    return {event.provider: event for event in events}
