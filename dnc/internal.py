"""The team's internal do-not-call list: phones nobody on the team dials, whatever any
provider says. Every write of the list happens here.

    report = internal_dnc_add(team=t, user=u, reason="Asked us to stop", text="512-555-0101")
    report.summary()  # "1 added, 0 already on the list, 0 invalid."
    internal_dnc_remove(entry=entry, user=u)  # Removed(phone, reason), for an undo

Anyone in the team sees the list; only its admins and managers change it (checked here, so
a view, a task or the shell cannot get round it). Phones come one at a time, as a pasted
list (one per line, or separated by commas or semicolons) or as an uploaded CSV/XLSX, read
with the importer's readers and limits: every cell of any column that looks like a phone
is taken. Each add is one transaction: all of its new phones are stored, or none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from dnc.models import InternalDnc
from dnc.services import Candidate, bump_dnc_version, list_candidates
from leadops.accounts.models import Membership, Role, Team
from leadops.imports.normalize import normalize_phone
from leadops.imports.readers import ImportRejected, RejectCode, open_table
from leadops.imports.services import read_limits, size_text
from leadops.phones import format_phone

CHUNK = 2000
# How many invalid entries an add's report names (the rest are counted).
INVALID_SHOWN = 5
REASON_MAX = 300

# A spreadsheet cell worth reading as a phone: phone characters only with 10 to 15 digits
# (a trailing ".0" from a spreadsheet aside), or a number Excel shortened to scientific
# notation. Names, addresses, ZIP codes and dates in the same file are left alone.
_PHONE_CHARS_RE = re.compile(r"\+?[\d\s().\-]+")
_SCIENTIFIC_RE = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)
_FLOAT_TAIL_RE = re.compile(r"\.0+$")


class InternalRefused(Exception):
    """The change cannot be made as asked; the message is safe to show to the user."""


def internal_may_change(*, user: AbstractBaseUser | None, team: Team | None) -> bool:
    """Whether `user` may add phones to or remove phones from `team`'s internal list."""
    if user is None or team is None or not user.is_authenticated:
        return False
    membership = Membership.objects.filter(user=user, team=team).first()
    return bool(membership and membership.can_manage)


def internal_change_refusal(*, team: Team | None) -> str:
    """The sentence shown to a member who may not change the list: who can."""
    if team is None:
        return "Your account is not in a team yet, so there is no list to change."
    names = list(
        Membership.objects.filter(team=team, role__in=[Role.ADMIN, Role.MANAGER])
        .order_by("user__username")
        .values_list("user__username", flat=True)[:5]
    )
    who = f" ({', '.join(names)})" if names else ""
    return f"Only your team's admins and managers{who} can add or remove phones on this list."


def _check_may_change(user: AbstractBaseUser, team: Team | None) -> None:
    if not internal_may_change(user=user, team=team):
        raise InternalRefused(internal_change_refusal(team=team))


# --- reading what the user gave ---------------------------------------------------------------


def _looks_like_phone(text: str) -> bool:
    if _SCIENTIFIC_RE.fullmatch(text):
        return True
    if not _PHONE_CHARS_RE.fullmatch(text):
        return False
    digits = sum(ch.isdigit() for ch in _FLOAT_TAIL_RE.sub("", text))
    return 10 <= digits <= 15


def upload_candidates(*, upload: UploadedFile) -> Iterator[Candidate]:
    """Every cell of every column of an uploaded CSV/XLSX that looks like a phone, with its
    line and column; invalid ones carry the importer's reason. Raises InternalRefused for a
    file the importer's reader refuses (too big, not a spreadsheet, damaged…)."""
    limits = read_limits()
    filename = upload.name or "the file"
    if upload.size is not None and upload.size > limits.max_bytes:
        raise InternalRefused(
            f"“{filename}” is {size_text(upload.size)}; the limit is "
            f"{size_text(limits.max_bytes)}. Split it and upload the parts separately."
        )
    try:
        # The size is checked again from the file itself before anything is read.
        table = open_table(upload, filename, limits=limits)
        headers = table.headers
        for line, cells in table.rows():
            for index, cell in enumerate(cells):
                value = cell.strip()
                if not value or not _looks_like_phone(value):
                    continue
                cleaned = normalize_phone(value)
                column = headers[index] if index < len(headers) else ""
                if cleaned.error:
                    yield Candidate(value, "", cleaned.error, line=line, column=column)
                else:
                    yield Candidate(value, cleaned.value, line=line, column=column)
    except ImportRejected as exc:
        if exc.code == RejectCode.NO_HEADER:
            raise InternalRefused(
                f"“{filename}” has no header row. Put a column name such as “Phone” in the "
                "first row and upload it again, or paste the numbers into the box instead."
            ) from exc
        raise InternalRefused(exc.message) from exc


def _text_candidates(text: str) -> Iterator[Candidate]:
    limit = settings.DNC_LIST_MAX_PHONES
    for count, candidate in enumerate(list_candidates(text), start=1):
        if count > limit:
            raise InternalRefused(
                f"The list holds more than {limit:,} entries; paste at most {limit:,}, or "
                "upload the phones as a spreadsheet."
            )
        yield candidate


# --- adding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejected:
    """One entry that is not a valid US phone, and where it was."""

    reason: str
    line: int | None = None
    column: str = ""

    @property
    def text(self) -> str:
        where = [f"line {self.line:,}"] if self.line else []
        if self.column:
            where.append(f"column “{self.column}”")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


@dataclass
class InternalAddReport:
    """What an add did: phones added, already listed, repeated in the input, invalid."""

    added: list[str] = field(default_factory=list)
    already: int = 0
    repeated: int = 0
    invalid: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def invalid_text(self) -> str:
        """The first few invalid entries with the reason ("" when there are none)."""
        if not self.invalid:
            return ""
        shown = "; ".join(r.text for r in self.rejected)
        more = self.invalid - len(self.rejected)
        return shown + (f"; and {more:,} more" if more > 0 else "")

    def summary(self) -> str:
        """What the user is told, e.g. "3 added, 1 already on the list, 2 invalid (line 2:
        “abc” is not a phone number; …)." """
        text = f"{len(self.added):,} added, {self.already:,} already on the list, "
        text += f"{self.invalid:,} invalid"
        text += f" ({self.invalid_text()})." if self.invalid else "."
        if self.repeated:
            were = "entry was" if self.repeated == 1 else "entries were"
            text += f" {self.repeated:,} repeated {were} counted once."
        return text


def _sort(candidates: Iterable[Candidate], report: InternalAddReport) -> dict[str, Candidate]:
    """The unique valid phones (first occurrence kept); invalid and repeated ones counted."""
    valid: dict[str, Candidate] = {}
    for c in candidates:
        if not c.phone:
            report.invalid += 1
            if len(report.rejected) < INVALID_SHOWN:
                report.rejected.append(Rejected(c.reason, c.line, c.column))
        elif c.phone in valid:
            report.repeated += 1
        else:
            valid[c.phone] = c
    return valid


def _given(text: str, upload: UploadedFile | None) -> str:
    name = f"“{upload.name}”" if upload is not None else ""
    if text.strip() and name:
        return f"the list or {name}"
    return name or "what you typed"


def internal_dnc_add(
    *,
    team: Team | None,
    user: AbstractBaseUser,
    reason: str,
    text: str = "",
    upload: UploadedFile | None = None,
) -> InternalAddReport:
    """Put the phones of `text` (one, or a list) and of `upload` (a CSV/XLSX) on the team's
    internal list with `reason`. Phones already on it are left as they are. Raises
    InternalRefused (nothing stored) when the user may not change the list, the reason is
    missing or too long, the file cannot be read, or no valid phone was given."""
    _check_may_change(user, team)
    reason = " ".join(reason.split())
    if not reason:
        raise InternalRefused("Say why these phones must never be called.")
    if len(reason) > REASON_MAX:
        raise InternalRefused(f"Keep the reason to {REASON_MAX} characters.")
    if not text.strip() and upload is None:
        raise InternalRefused("Type or paste a phone number, or choose a spreadsheet.")

    def candidates() -> Iterator[Candidate]:
        if text.strip():
            yield from _text_candidates(text)
        if upload is not None:
            yield from upload_candidates(upload=upload)

    report = InternalAddReport()
    valid = _sort(candidates(), report)
    if not valid:
        found = f" ({report.invalid_text()})" if report.invalid else ""
        raise InternalRefused(
            f"No valid US phone number was found in {_given(text, upload)}{found}. "
            "Nothing was added."
        )
    phones = list(valid)
    with transaction.atomic():
        listed: set[str] = set()
        for start in range(0, len(phones), CHUNK):
            part = phones[start : start + CHUNK]
            listed.update(
                InternalDnc.objects.filter(team=team, phone__in=part).values_list(
                    "phone", flat=True
                )
            )
        new = [phone for phone in phones if phone not in listed]
        # A phone someone else added a moment ago is skipped, not an error.
        InternalDnc.objects.bulk_create(
            [InternalDnc(team=team, phone=p, reason=reason, added_by=user) for p in new],
            batch_size=CHUNK,
            ignore_conflicts=True,
        )
        if new:
            bump_dnc_version(team_id=team.pk)
    report.added = new
    report.already = len(listed)
    return report


# --- removing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Removed:
    """A phone taken off the list, with what is needed to put it back."""

    phone: str
    reason: str

    @property
    def shown(self) -> str:
        return format_phone(self.phone)


def internal_dnc_remove(*, entry: InternalDnc, user: AbstractBaseUser) -> Removed:
    """Take `entry` off its team's list (the caller fetched it team-scoped). Raises
    InternalRefused when the user may not change the list."""
    _check_may_change(user, entry.team)
    removed = Removed(phone=entry.phone, reason=entry.reason)
    with transaction.atomic():
        InternalDnc.objects.filter(pk=entry.pk).delete()
        bump_dnc_version(team_id=entry.team_id)
    return removed
