"""Instant lookups: one address (find owner / find person) or one parcel, paid on a hit only.

5 credits are held before the call; what the provider says it deducted (5 on a hit, 0 on a
miss) is captured and the rest released, in the ledger like any other paid work.
"""

import dataclasses
import uuid

from django.db import transaction

from leadops import providers
from leadops.credits import services as credits
from leadops.providers.errors import ProviderError
from traces.models import LookupKind, TraceLookup

LOOKUP_CREDITS = 5


class LookupFailed(Exception):
    """The provider refused or failed; nothing was charged. The message is the user's to see."""


def lookup_run(*, team, user, kind: str, query: dict) -> TraceLookup:
    try:
        with credits.paid_call(
            wallet=credits.wallet_for(user=user, team=team),
            amount=LOOKUP_CREDITS,
            reference=f"lookup:{uuid.uuid4().hex}",
            actor=user,
            reason=f"Instant lookup ({LookupKind(kind).label})",
        ) as paid:
            with providers.tracerfy_client() as client:
                result = _ask(client, kind, query)
            charged = min(result.credits_deducted, LOOKUP_CREDITS)
            with transaction.atomic():
                paid.settle(
                    charged=charged, reason=f"Instant lookup: {'hit' if result.hit else 'miss'}"
                )
                return TraceLookup.objects.create(
                    team=team,
                    created_by=user,
                    kind=kind,
                    query=query,
                    hit=result.hit,
                    credits_charged=charged,
                    persons=[dataclasses.asdict(p) for p in result.persons],
                )
    except ProviderError as exc:
        # The hold is released; the failed lookup is kept with the provider's words.
        TraceLookup.objects.create(
            team=team, created_by=user, kind=kind, query=query, error=str(exc)
        )
        raise LookupFailed(str(exc)) from exc


def _ask(client, kind: str, query: dict):
    if kind == LookupKind.APN:
        return client.parcel_lookup(
            parcel_id=query["parcel_id"], county=query["county"], state=query["state"]
        )
    return client.trace_lookup(
        address=query["address"],
        city=query["city"],
        state=query["state"],
        zip=query.get("zip") or None,
        find_owner=kind == LookupKind.OWNER,
        first_name=query.get("first_name") or None,
        last_name=query.get("last_name") or None,
    )
