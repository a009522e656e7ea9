"""Reads of the DNC app worth naming: what the team knows of its phones, a scrub's phones
and counts."""

from collections import Counter

from django.db.models import Count, QuerySet

from dnc.models import (
    DncPhone,
    DncScrub,
    InternalDnc,
    PhoneOrigin,
    PhoneOutcome,
    PhoneStatus,
    fresh_since,
)
from leadops.phones import DncStatus

CHUNK = 2000


def phone_statuses(*, team, phones: set[str]) -> dict[str, DncStatus]:
    """The team's DNC status of each E.164 phone it knows: the internal list first (it wins
    over any provider answer), else the latest result, stale past DNC_FRESH_DAYS. Phones it
    knows nothing of are left out. Two queries per 2,000 phones."""
    found: dict[str, DncStatus] = {}
    ordered = sorted(phones)
    since = fresh_since()
    for start in range(0, len(ordered), CHUNK):
        part = ordered[start : start + CHUNK]
        blocked = set(
            InternalDnc.objects.filter(team=team, phone__in=part).values_list("phone", flat=True)
        )
        for status in PhoneStatus.objects.filter(team=team, phone__in=part):
            if status.phone not in blocked:
                outcome = status.outcome
                found[status.phone] = DncStatus(
                    outcome,
                    PhoneOutcome(outcome).label,
                    status.checked_at,
                    stale=status.checked_at < since,
                )
        for phone in blocked:
            found[phone] = DncStatus(PhoneOutcome.INTERNAL, PhoneOutcome.INTERNAL.label)
    return found


def scrub_phones(*, job: DncScrub) -> QuerySet[DncPhone]:
    """The scrub's phones (invalid entries included), in the order they were found."""
    return DncPhone.objects.filter(job=job).order_by("id")


def outcome_counts(*, job: DncScrub) -> dict[str, int]:
    """Phones per outcome, every outcome present (0 where none), plus "stale": phones whose
    result is older than the freshness window now."""
    counts = Counter(
        dict(DncPhone.objects.filter(job=job).values_list("outcome").annotate(n=Count("id")))
    )
    result = {value: counts.get(value, 0) for value in PhoneOutcome.values}
    result["stale"] = DncPhone.objects.filter(
        job=job, checked_at__lt=fresh_since(), origin__in=[PhoneOrigin.SENT, PhoneOrigin.REUSED]
    ).count()
    return result
