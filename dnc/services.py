"""DNC scrub operations: drafts from each source, the cost estimate, submit, and storing
results (the scrub's phones and the team's phone status store).

    source → draft (every phone, deduped; invalid ones kept with the reason)
           → estimate (what is reused, blocked, sent, what it costs)   ← the cost preview
           → submit: blocked and reused phones answered at once, the rest held and queued
           → steps (dnc.tracerfy_steps): provider scrub → results stored in bulk → charge captured

A phone is never sent twice in one scrub (E.164, across rows and columns), never sent when
the team scrubbed it within DNC_FRESH_DAYS (its result is copied), and never sent when it is
on the team's internal do-not-call list (always blocked, whatever a provider says).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.fields.json import KT
from django.utils import timezone

from dnc.models import (
    CREDITS_PER_PHONE,
    PROVIDER,
    DncPhone,
    DncScrub,
    DncSource,
    InternalDnc,
    PhoneOrigin,
    PhoneOutcome,
    PhoneStatus,
    PhoneTypes,
    fresh_since,
    outcome_for,
)
from leadops.accounts.models import Team
from leadops.accounts.permissions import control_refusal, may_control
from leadops.bulk import bulk_insert, bulk_upsert
from leadops.credits import services as credits
from leadops.credits.estimates import AgainstBalance
from leadops.imports.columns import phone_columns
from leadops.imports.models import ImportBatch, ImportRecord
from leadops.imports.normalize import normalize_phone
from leadops.jobs import services as job_services
from leadops.jobs import tokens
from leadops.jobs.models import FINISHED, JobStatus
from leadops.phones import us_e164
from traces.models import MatchStatus, TraceJob, TraceProvider, TraceResult

BULK = 2000
# Tracerfy's scrub-from-queue phone fields, per choice of phone types (None: all nine).
QUEUE_COLUMNS = {
    PhoneTypes.ALL: None,
    PhoneTypes.MOBILE: ["mobile_1", "mobile_2", "mobile_3", "mobile_4", "mobile_5"],
    PhoneTypes.LANDLINE: ["landline_1", "landline_2", "landline_3"],
}
RESULT_FIELDS = ("national_dnc", "state_dnc", "dma", "litigator", "phone_type", "checked_at")


class DncRefused(Exception):
    """The scrub cannot go ahead as asked; the message is safe to show to a user."""


class EstimateChanged(DncRefused):
    def __init__(self):
        super().__init__(
            "The cost changed since you looked (another scrub or the internal "
            "list changed what must be sent); check it again."
        )


class AlreadySubmitted(Exception):
    """This form (its one-time token) already submitted `job`."""

    def __init__(self, job: DncScrub):
        self.job = job
        super().__init__(f"You already submitted this; it is DNC scrub #{job.pk}.")


def submit_scope(*, job: DncScrub) -> str:
    """The one-time token scope of a draft's submit button."""
    return f"dnc-submit-{job.pk}"


# --- drafts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """One phone as a source gave it: ``phone`` is its E.164 form, or "" with ``reason``."""

    value: str
    phone: str
    reason: str = ""
    label: str = ""
    record_id: int | None = None
    line: int | None = None
    column: str = ""


@dataclass
class _Tally:
    unique: int = 0
    invalid: int = 0
    duplicate: int = 0
    blank: int = 0


def _draft_rows(job: DncScrub, candidates: Iterable[Candidate], tally: _Tally) -> Iterator[tuple]:
    seen: set[str] = set()
    job_id = job.pk
    for c in candidates:
        if not c.phone and not c.reason:
            tally.blank += 1
            continue
        if not c.phone:
            tally.invalid += 1
            outcome, phone = PhoneOutcome.INVALID, c.value[:40]
        elif c.phone in seen:
            tally.duplicate += 1
            continue
        else:
            seen.add(c.phone)
            tally.unique += 1
            outcome, phone = PhoneOutcome.PENDING, c.phone
        yield (
            job_id,
            phone,
            c.label[:200],
            c.record_id,
            c.line,
            c.column[:120],
            c.reason[:300],
            "",
            outcome,
        )


def _draft_create(
    *,
    team,
    user,
    source: str,
    name: str,
    candidates: Iterable[Candidate],
    empty: str,
    stream: bool = False,
    **fields,
) -> DncScrub:
    """Create a draft scrub holding `candidates` (deduped, invalid ones kept with the reason).
    Raises DncRefused(`empty` + the counts) when no valid phone is among them: nothing is
    created."""
    tally = _Tally()
    with transaction.atomic():
        job = DncScrub.objects.create(
            team=team, created_by=user, provider=PROVIDER, source=source, name=name[:255], **fields
        )
        rows = _draft_rows(job, candidates, tally)
        bulk_insert(
            DncPhone,
            ["job", "phone", "label", "record", "line", "column", "reason", "origin", "outcome"],
            # Read a source that queries this connection before COPY holds it.
            rows if stream else list(rows),
            stream=stream,
        )
        if not tally.unique:
            transaction.set_rollback(True)
            raise DncRefused(f"{empty} {_tally_words(tally)}Nothing was charged.")
        DncScrub.objects.filter(pk=job.pk).update(
            phones_unique=tally.unique,
            phones_invalid=tally.invalid,
            phones_duplicate=tally.duplicate,
            phones_blank=tally.blank,
        )
    job.refresh_from_db()
    return job


def _tally_words(tally: _Tally) -> str:
    parts = [
        f"{n:,} {what}"
        for n, what in [
            (tally.invalid, "invalid"),
            (tally.duplicate, "duplicate"),
            (tally.blank, "blank"),
        ]
        if n
    ]
    return f"({', '.join(parts)}.) " if parts else ""


def _existing_draft(**match) -> DncScrub | None:
    return DncScrub.objects.filter(status=JobStatus.DRAFT, **match).order_by("-pk").first()


_LABEL_KEYS = (
    "owner_first_name",
    "owner_last_name",
    "owner_full_name",
    "owner_company",
    "property_address",
)


def _record_label(first: str, last: str, full: str, company: str, address: str) -> str:
    return " ".join(v for v in (first, last) if v) or full or company or address


def import_candidates(*, batch: ImportBatch) -> Iterator[Candidate]:
    """Every phone cell of the import's mapped phone columns, row by row: valid ones from
    the cleaned values, invalid ones from the row's errors (with the importer's reason), a
    row without any phone counted blank.

    The records are read when this is called, not as it is iterated: the draft's COPY
    consumes the candidates while the connection is busy. The database takes out the few
    keys of each record's values the draft needs (decoding 50,000 JSON documents in Python
    was a third of the draft), and only the records with errors bring them."""
    columns = phone_columns(batch.mapping)
    by_header = {column.header: column for column in columns}
    records = ImportRecord.objects.filter(batch=batch)
    keys = [*(column.field for column in columns), *_LABEL_KEYS]
    rows = list(
        records.order_by("line").values_list("pk", "line", *(KT(f"values__{key}") for key in keys))
    )
    errors = dict(records.exclude(errors=[]).values_list("pk", "errors"))
    return _import_candidates(rows, columns, by_header, errors)


def _import_candidates(rows, columns, by_header, errors) -> Iterator[Candidate]:
    width = len(columns)
    for record_id, line, *found in rows:
        numbers, label = found[:width], _record_label(*(v or "" for v in found[width:]))
        any_phone = False
        for column, number in zip(columns, numbers, strict=True):
            if number:
                any_phone = True
                yield Candidate(number, number, "", label, record_id, line, column.field)
        for error in errors.get(record_id) or ():
            column = by_header.get(error.get("column", ""))
            if column is not None:
                any_phone = True
                yield Candidate(
                    str(error.get("value", "")),
                    "",
                    str(error.get("reason", "not a phone")),
                    label,
                    record_id,
                    line,
                    column.field,
                )
        if not any_phone:
            yield Candidate("", "")


def dnc_draft_from_import(*, batch: ImportBatch, user: AbstractBaseUser) -> DncScrub:
    """The draft scrub of a stored import's phones (the user's existing draft of it, if any:
    an import never changes)."""
    if not phone_columns(batch.mapping):
        raise DncRefused(
            f"No column of “{batch.filename}” is mapped to a phone number; map one and try again."
        )
    existing = _existing_draft(batch=batch, created_by=user, source=DncSource.UPLOAD)
    if existing is not None:
        return existing
    return _draft_create(
        team=batch.team,
        user=user,
        source=DncSource.UPLOAD,
        name=batch.filename,
        candidates=import_candidates(batch=batch),
        empty=f"“{batch.filename}” has no valid phone number to scrub.",
        stream=True,
        batch=batch,
    )


_SPLIT_RE = re.compile(r"[\n,;]+")


def list_candidates(text: str) -> Iterator[Candidate]:
    """One candidate per entry of a pasted list (one per line, or separated by commas or
    semicolons); invalid ones carry the importer's reason."""
    for line, chunk in enumerate(text.splitlines() or [""], start=1):
        for entry in _SPLIT_RE.split(chunk):
            value = entry.strip().strip("\"'")
            if not value:
                continue
            cleaned = normalize_phone(value)
            if cleaned.error:
                yield Candidate(value, "", cleaned.error, line=line)
            else:
                yield Candidate(value, cleaned.value, line=line)


def dnc_draft_from_list(*, team, user: AbstractBaseUser, text: str, name: str = "") -> DncScrub:
    """A draft scrub of a pasted list of phones. Raises DncRefused when the list holds no
    valid phone or more than DNC_LIST_MAX_PHONES entries."""
    entries = sum(1 for entry in _SPLIT_RE.split(text) if entry.strip())
    limit = settings.DNC_LIST_MAX_PHONES
    if entries > limit:
        raise DncRefused(
            f"The list holds {entries:,} entries; paste at most {limit:,}, or upload the "
            "phones as a spreadsheet."
        )
    if not entries:
        raise DncRefused("The list is empty: paste phone numbers, one per line or comma-separated.")
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return _draft_create(
        team=team,
        user=user,
        source=DncSource.LIST,
        name=name.strip() or f"Pasted list, {stamp}",
        candidates=list_candidates(text),
        empty="The list holds no valid phone number.",
        stream=True,
    )


def trace_phone_refusal(*, trace: TraceJob) -> str:
    """Why the phones of `trace` cannot be scrubbed ("" when they can)."""
    if trace.status not in FINISHED:
        return f"Trace #{trace.pk} has not finished; scrub its phones once it completes."
    return ""


def _matches_type(phone: dict, phone_types: str) -> bool:
    if phone_types == PhoneTypes.ALL:
        return True
    kind = str(phone.get("type", "")).lower()
    if phone_types == PhoneTypes.MOBILE:
        return kind in {"mobile", "wireless", "cell"}
    return kind in {"landline", "land line", "residential", "fixed"}


def trace_candidates(*, trace: TraceJob, phone_types: str) -> Iterator[Candidate]:
    results = TraceResult.objects.filter(job=trace, status=MatchStatus.HIT).order_by("id")
    rows = results.select_related("record").only(
        "phones", "first_name", "last_name", "record__line", "record_id"
    )
    for result in rows.iterator(chunk_size=BULK):
        label = f"{result.first_name} {result.last_name}".strip()
        line = result.record.line if result.record_id else None
        for index, phone in enumerate(result.phones or ()):
            if not _matches_type(phone, phone_types):
                continue
            number = str(phone.get("number", ""))
            e164 = us_e164(number)
            yield Candidate(
                number,
                e164,
                "" if e164 else f"“{number}” is not a US phone number",
                label,
                result.record_id,
                line,
                f"phone {index + 1}",
            )


def dnc_draft_from_trace(
    *, trace: TraceJob, user: AbstractBaseUser, phone_types: str = PhoneTypes.ALL
) -> DncScrub:
    """The draft scrub of a finished trace's phones of `phone_types` (the user's existing
    draft of the same, if any)."""
    refusal = trace_phone_refusal(trace=trace)
    if refusal:
        raise DncRefused(refusal)
    existing = _existing_draft(trace=trace, created_by=user, phone_types=phone_types)
    if existing is not None:
        return existing
    which = PhoneTypes(phone_types).label.lower()
    return _draft_create(
        team=trace.team,
        user=user,
        source=DncSource.TRACE,
        name=f"Trace #{trace.pk} ({trace.batch.filename}), {which}",
        candidates=trace_candidates(trace=trace, phone_types=phone_types),
        empty=f"Trace #{trace.pk} found no {which} to scrub.",
        trace=trace,
        phone_types=phone_types,
    )


def dnc_draft_discard(*, job: DncScrub, user: AbstractBaseUser) -> None:
    """Throw a draft away (its phones with it); nothing was charged."""
    if job.status != JobStatus.DRAFT:
        raise DncRefused("Only a scrub that was not submitted can be discarded.")
    if not may_control(user=user, work=job):
        raise DncRefused(control_refusal(work=job, action="discard"))
    job.delete()


# --- the estimate -----------------------------------------------------------------------------


def _pending(job: DncScrub) -> QuerySet[DncPhone]:
    return DncPhone.objects.filter(job=job, outcome=PhoneOutcome.PENDING)


def _blocked_q(job: DncScrub) -> Q:
    return Q(phone__in=InternalDnc.objects.filter(team_id=job.team_id).values("phone"))


def _fresh_status(job: DncScrub, since: datetime):
    return PhoneStatus.objects.filter(
        team_id=job.team_id, phone=OuterRef("phone"), checked_at__gte=since
    )


@dataclass(frozen=True)
class DncEstimate(AgainstBalance):
    unique: int
    invalid: int
    duplicate: int
    blank: int
    blocked: int
    reused: int
    to_send: int
    credits_per_phone: int
    total_credits: int
    available: int
    fresh_days: int
    from_queue: bool = False
    problem: str = ""


def _from_queue(job: DncScrub, *, excluded: int) -> bool:
    """Whether the trace's Tracerfy queue can be scrubbed as it is (scrub-from-queue): a
    Tracerfy address trace whose every result came from that queue and was attached to a
    record, nothing excluded and nothing invalid — so the queue holds exactly the phones
    the estimate counts (else they go as a list)."""
    trace = job.trace
    return (
        job.source == DncSource.TRACE
        and trace is not None
        and trace.provider == TraceProvider.TRACERFY
        and not trace.is_parcel
        and bool(trace.provider_ref)
        and excluded == 0
        and job.phones_invalid == 0
        and trace.results_unmatched == 0
        and not TraceResult.objects.filter(job=trace, reused_from__isnull=False).exists()
    )


def dnc_estimate(*, job: DncScrub, user: AbstractBaseUser) -> DncEstimate:
    """What submitting the draft would cost now: phones blocked by the internal list and
    phones with a fresh result are not sent; the rest cost CREDITS_PER_PHONE each."""
    pending = _pending(job)
    blocked = pending.filter(_blocked_q(job)).count()
    reused = (
        pending.exclude(_blocked_q(job)).filter(Exists(_fresh_status(job, fresh_since()))).count()
    )
    to_send = max(0, job.phones_unique - blocked - reused)
    wallet = credits.wallet_for(user=user, team=job.team)
    problem = "" if job.status == JobStatus.DRAFT else "This scrub was already submitted."
    return DncEstimate(
        unique=job.phones_unique,
        invalid=job.phones_invalid,
        duplicate=job.phones_duplicate,
        blank=job.phones_blank,
        blocked=blocked,
        reused=reused,
        to_send=to_send,
        credits_per_phone=CREDITS_PER_PHONE,
        total_credits=to_send * CREDITS_PER_PHONE,
        available=wallet.available,
        fresh_days=settings.DNC_FRESH_DAYS,
        from_queue=_from_queue(job, excluded=blocked + reused),
        problem=problem,
    )


# --- submit -----------------------------------------------------------------------------------


def _claim(*, token: str | None, user, job: DncScrub):
    return tokens.submit_token_take(
        key=token,
        user=user,
        scope=submit_scope(job=job),
        model=DncScrub,
        refused=DncRefused,
        already=AlreadySubmitted,
    )


def dnc_scrub_submit(
    *, job: DncScrub, user: AbstractBaseUser, seen_credits: int, token: str | None = None
) -> DncScrub:
    """The cost preview's submit: answer blocked and fresh phones at once, hold the credits
    for the rest and queue their scrub (draft → queued; draft → complete when nothing is left
    to send).

    Raises AlreadySubmitted (this form already did it), EstimateChanged (the cost is no
    longer `seen_credits`), DncRefused (not a draft, credits short, token invalid,
    not the user's to submit), leadops.credits.errors.InsufficientCredits; nothing changes in
    any of those cases.
    """
    if not may_control(user=user, work=job):
        raise DncRefused(control_refusal(work=job, action="submit"))
    with transaction.atomic():
        claimed = _claim(token=token, user=user, job=job)
        locked = (
            DncScrub.objects.select_for_update(of=("self",))
            .select_related("trace", "team")
            .get(pk=job.pk)
        )
        if locked.status != JobStatus.DRAFT:
            raise DncRefused(f"DNC scrub #{locked.pk} was already submitted.")
        estimate = dnc_estimate(job=locked, user=user)
        if estimate.total_credits != seen_credits:
            raise EstimateChanged()
        if not estimate.affordable:
            raise DncRefused(f"You need {estimate.short_by:,} more credits for this scrub.")
        now = timezone.now()
        pending = _pending(locked)
        blocked = pending.filter(_blocked_q(locked)).update(
            origin=PhoneOrigin.BLOCKED, outcome=PhoneOutcome.INTERNAL, checked_at=now
        )
        reused = _copy_fresh(job=locked)
        sent = pending.update(origin=PhoneOrigin.SENT)
        locked.phones_blocked, locked.phones_reused, locked.phones_sent = blocked, reused, sent
        locked.from_queue = estimate.from_queue
        locked.estimated_credits = sent * CREDITS_PER_PHONE
        locked.rows_total = sent
        locked.save(
            update_fields=[
                "phones_blocked",
                "phones_reused",
                "phones_sent",
                "from_queue",
                "estimated_credits",
                "rows_total",
            ]
        )
        if sent == 0:
            job_services.job_transition(
                job=locked,
                to=JobStatus.COMPLETE,
                actor=user,
                charged_credits=0,
                rows_done=0,
                hits=clean_count(job=locked),
                stage="Complete",
                detail=f"Nothing to send: {reused:,} phones were scrubbed within "
                f"{settings.DNC_FRESH_DAYS} days and {blocked:,} are on the internal list",
            )
        else:
            job_services.job_queue(job=locked, actor=user)
        if claimed is not None:
            tokens.submit_token_spent(token=claimed, job_id=locked.pk)
    return locked


def _copy_fresh(*, job: DncScrub) -> int:
    """Answer the pending phones that have a fresh result in the store with that result."""
    fresh = PhoneStatus.objects.filter(
        team_id=job.team_id, phone=OuterRef("phone"), checked_at__gte=fresh_since()
    )
    pending = _pending(job).filter(Exists(fresh))
    count = pending.update(
        origin=PhoneOrigin.REUSED,
        **{name: Subquery(fresh.values(name)[:1]) for name in RESULT_FIELDS},
    )
    # The outcome follows from the copied flags, worst first (as outcome_for ranks them).
    not_clean = PhoneStatus.objects.filter(
        team_id=job.team_id, phone=OuterRef("phone"), checked_at__gte=fresh_since(), is_clean=False
    )
    DncPhone.objects.filter(job=job, origin=PhoneOrigin.REUSED).update(
        outcome=Case(
            When(litigator=True, then=Value(PhoneOutcome.LITIGATOR)),
            When(national_dnc=True, then=Value(PhoneOutcome.FEDERAL)),
            When(state_dnc=True, then=Value(PhoneOutcome.STATE)),
            When(dma=True, then=Value(PhoneOutcome.DMA)),
            When(Exists(not_clean), then=Value(PhoneOutcome.FEDERAL)),
            default=Value(PhoneOutcome.CLEAN),
        )
    )
    return count


def clean_count(*, job: DncScrub) -> int:
    return DncPhone.objects.filter(job=job, outcome=PhoneOutcome.CLEAN).count()


# --- results ----------------------------------------------------------------------------------


def _flag(value: object) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes", "y", "t"}


@dataclass(frozen=True)
class Stored:
    rows: int
    clean: int
    no_result: int
    unknown: int


def dnc_results_store(
    *, job: DncScrub, rows: Iterable[dict], clean_phones: set[str] | None = None
) -> Stored:
    """Store a scrub's provider results (rows of its result CSV, streamed) on the phones it
    sent, and the latest result per phone in the team's store. Replaceable: a rerun rewrites
    the sent phones. A phone the provider does not return is NO_RESULT (not charged, never
    reused); a row for a phone that was not sent is counted in `unknown` and ignored.
    `clean_phones` (the clean list, E.164) must agree: a phone flagged clean that the clean
    list leaves out is not taken as clean.
    """
    now = timezone.now()
    with transaction.atomic():
        sent = DncScrub.objects.select_for_update().get(pk=job.pk)  # one ingest at a time
        by_phone = {
            phone: (label, record_id, line, column)
            for phone, label, record_id, line, column in DncPhone.objects.filter(
                job=sent, origin=PhoneOrigin.SENT
            ).values_list("phone", "label", "record_id", "line", "column")
        }
        results: dict[str, tuple] = {}
        unknown = 0
        for row in rows:
            phone = us_e164(row.get("phone", ""))
            if phone not in by_phone:
                unknown += 1
                continue
            flags = {
                k: _flag(row.get(k))
                for k in ("national_dnc", "state_dnc", "dma", "litigator", "is_clean")
            }
            if clean_phones is not None and phone not in clean_phones:
                flags["is_clean"] = False
            results[phone] = (flags, str(row.get("phone_type", ""))[:20])
        DncPhone.objects.filter(job=sent, origin=PhoneOrigin.SENT).delete()

        no_flags = {"national_dnc": False, "state_dnc": False, "dma": False, "litigator": False}

        def phone_rows():
            for phone, (label, record_id, line, column) in by_phone.items():
                flags, phone_type = results.get(phone, (None, ""))
                outcome = PhoneOutcome.NO_RESULT if flags is None else outcome_for(**flags)
                flags = flags or no_flags
                yield (
                    sent.pk,
                    phone,
                    label,
                    record_id,
                    line,
                    column,
                    PhoneOrigin.SENT,
                    outcome,
                    flags["national_dnc"],
                    flags["state_dnc"],
                    flags["dma"],
                    flags["litigator"],
                    phone_type,
                    now if outcome != PhoneOutcome.NO_RESULT else None,
                )

        bulk_insert(
            DncPhone,
            [
                "job",
                "phone",
                "label",
                "record",
                "line",
                "column",
                "origin",
                "outcome",
                "national_dnc",
                "state_dnc",
                "dma",
                "litigator",
                "phone_type",
                "checked_at",
            ],
            phone_rows(),
        )
        phone_status_store(
            team_id=sent.team_id,
            rows=(
                (phone, flags, phone_type, now, sent.credit_reference)
                for phone, (flags, phone_type) in results.items()
            ),
        )
    clean = sum(1 for flags, _ in results.values() if outcome_for(**flags) == PhoneOutcome.CLEAN)
    return Stored(
        rows=len(results), clean=clean, no_result=len(by_phone) - len(results), unknown=unknown
    )


STATUS_FIELDS = [
    "team",
    "phone",
    "national_dnc",
    "state_dnc",
    "dma",
    "litigator",
    "is_clean",
    "phone_type",
    "checked_at",
    "source",
]


def bump_dnc_version(*, team_id: int) -> None:
    """Mark the team's DNC statuses as changed (in the caller's transaction): counts cached
    under the previous `Team.dnc_version` (the lead rows page's DNC filter) are not read
    again. Callers bump as the last step of their transaction, after their own rows, so the
    team row is locked only until the commit and always in the same order."""
    Team.objects.filter(pk=team_id).update(dnc_version=F("dnc_version") + 1)


def phone_status_store(*, team_id: int, rows: Iterable[tuple]) -> int:
    """Make each `(phone, flags, phone_type, checked_at, source)` the team's latest result
    for that phone, in bulk (an older result never replaces a newer one)."""
    stored = _phone_status_upsert(team_id=team_id, rows=rows)
    if stored:
        bump_dnc_version(team_id=team_id)
    return stored


def _phone_status_upsert(*, team_id: int, rows: Iterable[tuple]) -> int:
    return bulk_upsert(
        PhoneStatus,
        STATUS_FIELDS,
        (
            (
                team_id,
                phone,
                flags["national_dnc"],
                flags["state_dnc"],
                flags["dma"],
                flags["litigator"],
                flags["is_clean"],
                phone_type,
                checked_at,
                source,
            )
            for phone, flags, phone_type, checked_at, source in rows
        ),
        unique=["team", "phone"],
        newer="checked_at",
    )
