"""Reads of the DNC app worth naming: what the team knows of its phones, a scrub's phones
and counts."""

from collections import Counter
from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from dnc.models import (
    DncLookup,
    DncPhone,
    DncScrub,
    InternalDnc,
    PhoneOrigin,
    PhoneOutcome,
    PhoneStatus,
    fresh_since,
    outcome_for,
)
from leadops.imports.columns import phone_columns
from leadops.imports.models import ImportRecord
from leadops.phones import DncStatus

CHUNK = 2000
LABELS = dict(PhoneOutcome.choices)


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
        rows = PhoneStatus.objects.filter(team=team, phone__in=part).values_list(
            "phone", "national_dnc", "state_dnc", "dma", "litigator", "is_clean", "checked_at"
        )
        for phone, national, state, dma, litigator, clean, checked_at in rows:
            if phone not in blocked:
                outcome = outcome_for(
                    national_dnc=national,
                    state_dnc=state,
                    dma=dma,
                    litigator=litigator,
                    is_clean=clean,
                )
                found[phone] = DncStatus(
                    outcome, LABELS[outcome], checked_at, stale=checked_at < since
                )
        for phone in blocked:
            found[phone] = DncStatus(PhoneOutcome.INTERNAL, PhoneOutcome.INTERNAL.label)
    return found


def phone_condition(*, team, kind: str, field: str) -> Q:
    """The rows whose E.164 phone in `field` is of `kind` (leadops.phones.DNC_KINDS) for
    `team`, sorted as `phone_statuses` + `dnc_kind` sort them: the internal list first, then
    the latest result (stale past DNC_FRESH_DAYS; clean when fresh, clean and unflagged).
    Registered with `leadops.phones.register_dnc_condition`."""
    internal = Exists(InternalDnc.objects.filter(team=team, phone=OuterRef(field)))
    latest = PhoneStatus.objects.filter(team=team, phone=OuterRef(field))
    since = fresh_since()
    fresh = latest.filter(checked_at__gte=since)
    unflagged = Q(is_clean=True, national_dnc=False, state_dnc=False, dma=False, litigator=False)
    if kind == "clean":
        return ~internal & Exists(fresh.filter(unflagged))
    if kind == "blocked":
        return internal | Exists(fresh.exclude(unflagged))
    if kind == "stale":
        return ~internal & Exists(latest.filter(checked_at__lt=since))
    return ~internal & ~Exists(latest)


def scrub_phones(*, job: DncScrub) -> QuerySet[DncPhone]:
    """The scrub's phones (invalid entries included), in the order of the source's lines."""
    return DncPhone.objects.filter(job=job).order_by(F("line").asc(nulls_last=True), "id")


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


CHART = [
    (PhoneOutcome.CLEAN, "#198754"),
    (PhoneOutcome.DMA, "#ffc107"),
    (PhoneOutcome.STATE, "#fd7e14"),
    (PhoneOutcome.FEDERAL, "#dc3545"),
    (PhoneOutcome.LITIGATOR, "#212529"),
    (PhoneOutcome.INTERNAL, "#6f42c1"),
    (PhoneOutcome.NO_RESULT, "#adb5bd"),
]


def outcome_mix(*, counts: dict[str, int]) -> list[dict]:
    """The chart of a finished scrub: each phone once, under its worst flag."""
    return [
        {"label": PhoneOutcome(value).label, "value": counts.get(value, 0), "colour": colour}
        for value, colour in CHART
        if counts.get(value, 0)
    ]


def _status_text(outcome: str, checked_at, since) -> str:
    label = PhoneOutcome(outcome).label
    if outcome in (PhoneOutcome.INTERNAL, PhoneOutcome.NO_RESULT, PhoneOutcome.PENDING):
        return label
    when = f" ({checked_at:%Y-%m-%d})" if checked_at else ""
    return f"Stale: {label}{when}" if checked_at and checked_at < since else f"{label}{when}"


PHONE_HEADERS = [
    "Phone",
    "Label",
    "Line",
    "Column",
    "Status",
    "Federal DNC",
    "State DNC",
    "DMA",
    "TCPA litigator",
    "Phone type",
    "Checked",
    "Answer",
    "Note",
]
CLEAN_HEADERS = ["Phone", "Label", "Line", "Phone type", "Checked"]


def export_phone(phone: str) -> str:
    """A US phone as its ten digits in downloads (what dialers and CRMs take; a leading "+"
    would be neutralised as a formula), anything else as stored."""
    return phone[2:] if phone.startswith("+1") and len(phone) == 12 else phone


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def export_phone_rows(*, phones: QuerySet[DncPhone]):
    """Headers and rows of a scrub's phones (streamed in id order)."""
    since = fresh_since()

    def rows():
        for p in phones.iterator(chunk_size=CHUNK):
            scrubbed = p.outcome not in (PhoneOutcome.INVALID, PhoneOutcome.PENDING)
            yield [
                export_phone(p.phone),
                p.label,
                p.line or "",
                p.column,
                _status_text(p.outcome, p.checked_at, since),
                *(
                    [_yes(p.national_dnc), _yes(p.state_dnc), _yes(p.dma), _yes(p.litigator)]
                    if scrubbed and p.outcome != PhoneOutcome.NO_RESULT
                    else [""] * 4
                ),
                p.phone_type,
                f"{p.checked_at:%Y-%m-%d %H:%M}" if p.checked_at else "",
                p.get_origin_display() if p.origin else "",
                p.reason,
            ]

    return PHONE_HEADERS, rows()


def export_clean_rows(*, job: DncScrub):
    """Headers and rows of the clean list: clean phones checked within the window."""
    clean = DncPhone.objects.filter(
        job=job, outcome=PhoneOutcome.CLEAN, checked_at__gte=fresh_since()
    ).order_by("id")
    rows = (
        [export_phone(p.phone), p.label, p.line or "", p.phone_type, f"{p.checked_at:%Y-%m-%d}"]
        for p in clean.iterator(chunk_size=CHUNK)
    )
    return CLEAN_HEADERS, rows


def export_upload_rows(*, job: DncScrub):
    """Every row of the uploaded file as uploaded, with a DNC status column after the row
    for each phone column ("<header> DNC") and the row's line."""
    batch = job.batch
    columns = phone_columns(batch.mapping)
    since = fresh_since()
    answers = {
        phone: _status_text(outcome, checked_at, since)
        for phone, outcome, checked_at in DncPhone.objects.filter(job=job)
        .exclude(outcome=PhoneOutcome.INVALID)
        .values_list("phone", "outcome", "checked_at")
        .iterator(chunk_size=CHUNK)
    }
    width = len(batch.headers)
    headers = [*batch.headers, *[f"{c.header} DNC" for c in columns], "LeadOps line"]

    def rows():
        records = ImportRecord.objects.filter(batch=batch).order_by("line")
        for record in records.only("line", "values", "errors", "cells").iterator(CHUNK):
            bad = {e.get("column"): e.get("reason", "") for e in record.errors or ()}
            cells = [str(c) for c in (record.cells or [])[:width]]
            cells += [""] * (width - len(cells))
            statuses = []
            for c in columns:
                number = record.values.get(c.field)
                if number:
                    statuses.append(answers.get(number, "Not scrubbed"))
                elif c.header in bad:
                    statuses.append(f"Invalid: {bad[c.header]}")
                else:
                    statuses.append("")
            yield [*cells, *statuses, record.line]

    return headers, rows()


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


def team_outcome_mix(*, team, days: int = 90) -> list[dict]:
    """The team's scrubbed phones of the last `days` under their worst flag (each scrub's
    phones counted, invalid ones left out), for the dashboard: one grouped query."""
    since = timezone.now() - timedelta(days=days)
    counts = dict(
        DncPhone.objects.filter(job__team=team, checked_at__gte=since)
        .exclude(outcome__in=[PhoneOutcome.INVALID, ""])
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    return outcome_mix(counts=counts)
