"""Instant DNC lookups: one phone, checked synchronously by Tracerfy (5 credits).

LOOKUP_CREDITS are held before the call; what the provider says it deducted is captured and
the rest released, in the ledger like any other paid work. A provider error releases the
hold: nothing is charged, and the failed lookup is kept with the provider's words. A
lookup's answer becomes the team's latest status of the phone (`PhoneStatus`), so every
page and export that lists the phone shows it fresh.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from dnc.models import LOOKUP_CREDITS, DncLookup
from dnc.services import phone_status_store
from leadops import providers
from leadops.accounts.models import Team
from leadops.credits import services as credits
from leadops.imports.normalize import normalize_phone
from leadops.phones import format_phone
from leadops.providers.errors import ProviderError

FLAGS = ("national_dnc", "state_dnc", "dma", "litigator", "is_clean")


class LookupRefused(Exception):
    """The lookup was not made (nothing was charged); the message is the user's to see."""


class LookupFailed(Exception):
    """The provider refused or failed; nothing was charged. The message is the provider's."""


def dnc_lookup_run(*, team: Team | None, user: AbstractBaseUser, phone: str) -> DncLookup:
    """Check one US phone (any spelling) and store the answer. Raises LookupRefused for an
    invalid phone or a user without a team, `InsufficientCredits` when the wallet cannot hold
    LOOKUP_CREDITS, and LookupFailed when the provider fails; none of them charges."""
    if team is None:
        raise LookupRefused("Your account is not in a team yet, so it has no credits to spend.")
    cleaned = normalize_phone(phone)
    if cleaned.error or not cleaned.value:
        raise LookupRefused(cleaned.error or "Type a phone number to look up.")
    e164 = cleaned.value
    try:
        with credits.paid_call(
            wallet=credits.wallet_for(user=user, team=team),
            amount=LOOKUP_CREDITS,
            reference=f"dnc-lookup:{uuid.uuid4().hex}",
            actor=user,
            reason=f"DNC lookup of {format_phone(e164)}",
        ) as paid:
            with providers.tracerfy_client() as client:
                result = client.dnc_lookup(e164.removeprefix("+1"))
            charged = min(result.credits_deducted, LOOKUP_CREDITS)
            flags = {name: bool(getattr(result, name)) for name in FLAGS}
            phone_type = (result.phone_type or "")[:20]
            with transaction.atomic():
                paid.settle(charged=charged)
                lookup = DncLookup.objects.create(
                    team=team,
                    created_by=user,
                    phone=e164,
                    phone_type=phone_type,
                    credits_charged=charged,
                    **flags,
                )
                phone_status_store(
                    team_id=team.pk,
                    rows=[(e164, flags, phone_type, lookup.created_at, f"lookup:{lookup.pk}")],
                )
    except ProviderError as exc:
        # The hold is released; the failed lookup is kept with the provider's words.
        DncLookup.objects.create(team=team, created_by=user, phone=e164, error=str(exc))
        raise LookupFailed(str(exc)) from exc
    return lookup
