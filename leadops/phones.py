"""Phones wherever they appear (batch results, lookups, scrubs): how one is shown, its E.164
key, and what the team knows of its Do-Not-Call status.

The DNC status of a phone is kept by the DNC app, which plugs itself in from its
``AppConfig.ready()`` with ``register_dnc_source``; any page or export that lists phones (a
trace's results, a lead list) asks ``dnc_statuses`` for the phones it shows, in one query,
without importing that app. A list filtered by DNC status asks ``dnc_condition`` instead: a
condition on its phone column that the database answers in the same query, however many
phones the list holds. With no source registered every phone is "not scrubbed".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q


def format_phone(number: str) -> str:
    """(773) 555-0137 for US numbers in any common spelling; anything else as given."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return number
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def us_e164(number: object) -> str:
    """+15125550100 for a 10-digit US number in any common spelling (a leading 1, dashes,
    brackets, spaces, a trailing ".0" from a spreadsheet); "" for anything else. The key
    phones are stored and matched under; full validation lives in the importer."""
    text = str(number or "").strip().removesuffix(".0")
    # Most phones a provider sends are ten bare digits: no need to pick them out one by one.
    digits = text if text.isdigit() else "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01":
        return ""
    return "+1" + digits


@dataclass(frozen=True)
class DncStatus:
    """What the team knows of one phone: ``outcome`` is "" (never scrubbed), "clean",
    "dma", "state", "federal", "litigator" or "internal" (the team's own list, which wins
    over any provider answer); ``stale`` when the last check is older than the freshness
    window (then it is not clean any more: scrub it again)."""

    outcome: str
    label: str
    checked_at: datetime | None = None
    stale: bool = False

    @property
    def dialable(self) -> bool:
        """Clean and fresh: the only phones a clean-only list keeps."""
        return self.outcome == "clean" and not self.stale

    @property
    def badge(self) -> str:
        """The Bootstrap colour of its badge."""
        if self.outcome == "internal" or (self.outcome and self.outcome != "clean"):
            return "danger"
        if self.stale or not self.outcome:
            return "secondary"
        return "success"

    @property
    def text(self) -> str:
        """One cell of an export: "Clean (2026-11-30)", "Stale: Clean (2026-09-01)"."""
        if not self.outcome:
            return self.label
        when = f" ({self.checked_at:%Y-%m-%d})" if self.checked_at else ""
        return f"Stale: {self.label}{when}" if self.stale else f"{self.label}{when}"


NOT_SCRUBBED = DncStatus("", "Not scrubbed")

StatusSource = Callable[..., dict[str, DncStatus]]
_SOURCE: list[StatusSource] = []


def register_dnc_source(source: StatusSource) -> None:
    """``source(*, team, phones: set[str]) -> {e164: DncStatus}`` answers for every phone
    it knows (idempotent: the last registration wins)."""
    _SOURCE[:] = [source]


def dnc_statuses(*, team, numbers: Iterable[str]) -> dict[str, DncStatus]:
    """The DNC status of each number (keyed by the number as given; NOT_SCRUBBED when
    unknown), looked up in one go."""
    keys = {number: us_e164(number) for number in numbers}
    known = _SOURCE[0](team=team, phones={k for k in keys.values() if k}) if _SOURCE else {}
    return {number: known.get(key, NOT_SCRUBBED) for number, key in keys.items()}


# What a DNC filter can ask for (the kinds `dnc_kind` sorts a status into).
DNC_KINDS = ("clean", "blocked", "stale", "not_scrubbed")

ConditionSource = Callable[..., Q]
_CONDITION: list[ConditionSource] = []


def dnc_kind(status: DncStatus) -> str:
    """Which of DNC_KINDS a status falls under: never scrubbed, stale (checked too long
    ago, whatever it said), clean (fresh), or blocked (fresh and flagged, or internal)."""
    if not status.outcome:
        return "not_scrubbed"
    if status.stale:
        return "stale"
    return "clean" if status.outcome == "clean" else "blocked"


def register_dnc_condition(source: ConditionSource) -> None:
    """``source(*, team, kind, field) -> Q``: the rows whose E.164 phone in ``field`` is of
    ``kind`` (one of DNC_KINDS) for ``team``, as subqueries on the DNC app's tables."""
    _CONDITION[:] = [source]


def dnc_condition(*, team, kind: str, field: str) -> Q:
    """A condition on the phone column ``field`` keeping the phones of ``kind`` (DNC_KINDS),
    exactly as ``dnc_kind(dnc_statuses(...))`` would sort them."""
    if kind not in DNC_KINDS:
        raise ValueError(f"unknown DNC kind {kind!r}")
    if _CONDITION:
        return _CONDITION[0](team=team, kind=kind, field=field)
    return Q() if kind == "not_scrubbed" else Q(pk__in=[])
