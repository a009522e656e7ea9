"""Reads of the DNC app worth naming: what the team knows of its phones, a scrub's phones
and counts."""

from collections import Counter

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dnc.models import (
    DncLookup,
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


# --- internal do-not-call list and lookups ---


def internal_search_q(text: str) -> Q:
    """Entries whose phone holds the digits of `text` (any spelling: "(512) 555-01",
    "1-512-555-0101"), or whose reason or adder's name holds `text`."""
    q = Q(reason__icontains=text) | Q(added_by__username__icontains=text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) >= 3:
        q |= Q(phone__contains=digits)
    return q


def internal_entries(*, team) -> QuerySet[InternalDnc]:
    """The team's internal do-not-call list, newest first, with who added each phone."""
    return (
        InternalDnc.objects.for_team(team).select_related("added_by").order_by("-created_at", "-id")
    )


def internal_listed(*, team, phone: str) -> InternalDnc | None:
    """The team's internal-list entry of an E.164 phone, if it has one."""
    return InternalDnc.objects.for_team(team).filter(phone=phone).first()


def recent_lookups(*, team) -> QuerySet[DncLookup]:
    """The team's DNC lookups, newest first, each marked `internal` when the phone is on
    the team's internal list now."""
    listed = InternalDnc.objects.filter(team=OuterRef("team"), phone=OuterRef("phone"))
    return (
        DncLookup.objects.for_team(team)
        .select_related("created_by")
        .annotate(internal=Exists(listed))
        .order_by("-created_at", "-id")
    )
