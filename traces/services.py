"""Skip-trace operations: estimate, create + queue, and storing results.

Records already traced by the team within TRACE_REUSE_DAYS (same normalized address, a hit)
are not sent or paid for again: their stored result is copied into the new job.

A trace that ended "Complete with errors" with records of status NO_RESULT offers a
re-trace of exactly those records (`trace_retry_estimate`, `trace_job_retry`): a new job on
the same import and provider with `retry_of` set, sending only those records.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models.fields.json import KT
from django.utils import timezone

from leadops.accounts.permissions import control_refusal, may_control
from leadops.bulk import bulk_insert
from leadops.credits import services as credits
from leadops.credits.estimates import AgainstBalance
from leadops.imports.models import ImportBatch
from leadops.imports.normalize import dedupe_key_for_address, normalize_county
from leadops.imports.selectors import alternative_records, usable_records
from leadops.jobs import services as job_services
from leadops.jobs import tokens
from leadops.jobs.models import TERMINAL, JobStatus
from leadops.jobs.registry import Ingested
from traces import import_kinds
from traces.models import (
    MatchStatus,
    RecordScope,
    TraceJob,
    TraceProvider,
    TraceResult,
    TraceType,
    credits_per_record,
)

log = logging.getLogger(__name__)

BULK = 2000
# RealEstateAPI refuses a batch of fewer skip requests (and so a job of fewer records).
REAPI_MIN_RECORDS = 10


class TraceRefused(Exception):
    """The trace cannot be submitted as asked; the message is safe to show to a user."""


class EstimateChanged(TraceRefused):
    """The cost changed since the user saw it: show the new one instead of charging."""

    def __init__(self):
        super().__init__("The estimate changed since you looked; check it again.")


class TraceRunning(TraceRefused):
    """A trace of this import is still running: a second one would trace (and charge) the
    same records again. `job` is the running one."""

    def __init__(self, job: "TraceJob"):
        self.job = job
        super().__init__(
            f"Trace #{job.pk} of this file is still running "
            f"({job.get_status_display().lower()}); open it, or wait until it finishes."
        )


class AlreadySubmitted(Exception):
    """This form (its one-time token) already created `job`: show that job, create nothing."""

    def __init__(self, job: "TraceJob"):
        self.job = job
        super().__init__(f"You already submitted this; it is trace #{job.pk}.")


def new_trace_scope(*, batch) -> str:
    """The one-time token scope of the cost preview's submit for `batch`."""
    return f"trace-new-{batch.pk}"


def retrace_scope(*, job) -> str:
    """The one-time token scope of the re-trace button of `job`."""
    return f"trace-retry-{job.pk}"


def active_trace(*, batch) -> "TraceJob | None":
    """The trace of `batch` that has not finished yet (at most one; see trace_job_create)."""
    return TraceJob.objects.filter(batch=batch).exclude(status__in=TERMINAL).order_by("pk").first()


def _claim(*, token: str | None, user, scope: str):
    """Consume the form's one-time token (inside the caller's transaction), or raise
    AlreadySubmitted with the job it made / TraceRefused when it is not a valid token."""
    return tokens.submit_token_take(
        key=token,
        user=user,
        scope=scope,
        model=TraceJob,
        refused=TraceRefused,
        already=AlreadySubmitted,
    )


def reapi_too_few(count: int) -> str:
    return (
        f"RealEstateAPI traces at least {REAPI_MIN_RECORDS} records in a batch; this trace "
        f"would send {count:,}. Choose Tracerfy, or trace a larger file."
    )


def reuse_window() -> timedelta:
    return timedelta(days=settings.TRACE_REUSE_DAYS)


def match_key(*, address: str, city: str, state: str) -> str:
    """The key that pairs an input record with a provider row: street, city, state.

    ZIP is left out because providers do not echo it back; two inputs that share this key
    are ambiguous and never get a guessed result (see ingest).
    """
    return dedupe_key_for_address(address, city, state, "")


_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def parcel_match_key(*, apn: str, county: str, state: str) -> str:
    """The key for an APN trace: the parcel number's letters and digits, county, state.

    Tracerfy formats parcel ids "to match the standard APN format for each county" and may
    echo one as "#00-42-41…"; ignoring '#', spaces and punctuation lets that echo find its
    record. Two parcels of one county that differ only in punctuation share a key, so
    neither gets a guessed result (the store keeps such rows aside).
    """
    compact = _NOT_ALNUM.sub("", apn.upper())
    if not compact:
        return ""
    return "|".join(["apn", compact, normalize_county(county).value, state.strip().upper()])


# The values a record's match key is made of (record_match_key).
MATCH_FIELDS = ("property_address", "property_city", "property_state", "apn", "property_county")


def record_match_key(values: dict, *, parcel: bool = False) -> str:
    if parcel:
        return parcel_match_key(
            apn=values.get("apn", ""),
            county=values.get("property_county", ""),
            state=values.get("property_state", ""),
        )
    return match_key(
        address=values.get("property_address", ""),
        city=values.get("property_city", ""),
        state=values.get("property_state", ""),
    )


@dataclass(frozen=True)
class TraceOptions:
    """What can trace an import: parcels go to Tracerfy's APN trace, addresses anywhere else."""

    providers: list[tuple[str, str]]
    trace_types: list[tuple[str, str]]
    default_type: str


def trace_options(*, batch) -> TraceOptions:
    if batch.job_type == import_kinds.APN:
        return TraceOptions(
            providers=[(TraceProvider.TRACERFY, TraceProvider.TRACERFY.label)],
            trace_types=[(TraceType.PARCEL, TraceType.PARCEL.label)],
            default_type=TraceType.PARCEL,
        )
    return TraceOptions(
        providers=list(TraceProvider.choices),
        trace_types=[c for c in TraceType.choices if c[0] != TraceType.PARCEL],
        default_type=(
            TraceType.ADVANCED
            if batch.job_type == import_kinds.TRACE_ADVANCED
            else TraceType.NORMAL
        ),
    )


def trace_refusal(*, batch, trace_type: str, provider: str) -> str:
    """Why this kind of trace cannot run on this import ("" when it can)."""
    options = trace_options(batch=batch)
    if trace_type not in dict(options.trace_types):
        if trace_type == TraceType.PARCEL:
            return "An APN trace needs an import of parcel numbers (job type APN / parcel trace)."
        return "This import holds parcel numbers, not addresses: choose the APN / parcel trace."
    if provider not in dict(options.providers):
        if trace_type == TraceType.PARCEL:
            return "APN / parcel traces run on Tracerfy only."
        return f"LeadOps has no skip-trace provider called {provider!r}."
    return ""


def scope_records(*, batch, scope: str = RecordScope.USABLE):
    """The import's usable records, or those only its alternative kind takes."""
    if scope == RecordScope.ALTERNATIVE:
        return alternative_records(batch=batch)
    return usable_records(batch=batch)


def job_records(*, job: TraceJob):
    """The records a job covers: the import's usable records (or, for a job of the
    ALTERNATIVE scope, the rows only an advanced trace takes) or, for a re-trace, exactly
    the records of the original job that got no result."""
    records = scope_records(batch=job.batch, scope=job.scope)
    if job.retry_of_id:
        records = records.filter(pk__in=no_result_records(job=job.retry_of))
    return records


def no_result_records(*, job: TraceJob):
    """pks of the job's records that got no result (status NO_RESULT)."""
    return TraceResult.objects.filter(
        job=job, status=MatchStatus.NO_RESULT, record__isnull=False
    ).values("record_id")


def _reusable(*, team, keys: set[str]) -> dict[str, TraceResult]:
    """The newest hit per key traced by `team` within the reuse window."""
    found: dict[str, TraceResult] = {}
    if not keys:
        return found
    since = timezone.now() - reuse_window()
    ordered = list(keys)
    for start in range(0, len(ordered), BULK):
        rows = TraceResult.objects.filter(
            team=team,
            status=MatchStatus.HIT,
            created_at__gte=since,
            match_key__in=ordered[start : start + BULK],
        ).order_by("match_key", "-created_at")
        for result in rows:
            found.setdefault(result.match_key, result)
    return found


@dataclass(frozen=True)
class TraceEstimate(AgainstBalance):
    unique_records: int
    reused: int
    to_send: int
    credits_per_record: int
    total_credits: int
    available: int
    provider: str = TraceProvider.TRACERFY
    # Why this trace cannot be submitted as it stands ("" when it can).
    problem: str = ""
    # A word on the provider it goes to (a re-trace sent elsewhere than its job says why).
    # The provider's balance is no part of an estimate: see traces.account.provider_account.
    provider_note: str = ""


def trace_estimate(
    *,
    batch,
    trace_type: str,
    user: AbstractBaseUser,
    provider: str = TraceProvider.TRACERFY,
    scope: str = RecordScope.USABLE,
) -> TraceEstimate:
    """What a trace of `batch` would cost, before anything is charged."""
    parcel = trace_type == TraceType.PARCEL
    keys = {
        record_match_key(values, parcel=parcel)
        for values in scope_records(batch=batch, scope=scope)
        .values_list("values", flat=True)
        .iterator(chunk_size=BULK)
    }
    keys.discard("")
    reused = len(_reusable(team=batch.team, keys=keys))
    unique = (
        batch.unique_records
        if scope == RecordScope.USABLE
        else scope_records(batch=batch, scope=scope).count()
    )
    to_send = max(0, unique - reused)
    per = credits_per_record(provider=provider, trace_type=trace_type)
    wallet = credits.wallet_for(user=user, team=batch.team)
    problem = trace_refusal(batch=batch, trace_type=trace_type, provider=provider)
    if provider == TraceProvider.REAPI and 0 < to_send < REAPI_MIN_RECORDS and not problem:
        problem = reapi_too_few(to_send)
    # The provider's own balance is no part of the estimate: the cost preview loads it into
    # a panel of its own (traces.account.provider_account), cached, off the page's path.
    return TraceEstimate(
        unique_records=unique,
        reused=reused,
        to_send=to_send,
        credits_per_record=per,
        total_credits=to_send * per,
        available=wallet.available,
        provider=provider,
        problem=problem,
    )


def alternative_offer(*, batch, trace_type: str, provider: str) -> bool:
    """Whether the cost preview offers the import's rows a normal trace cannot take (no
    owner name, no mailing address) as an advanced trace in the same submit: a normal
    Tracerfy trace of an import that has such rows."""
    return (
        provider == TraceProvider.TRACERFY
        and trace_type == TraceType.NORMAL
        and alternative_records(batch=batch).exists()
    )


def trace_alternative_estimate(*, batch, user: AbstractBaseUser, provider: str) -> TraceEstimate:
    """What the advanced trace of the rows a normal trace cannot take would cost."""
    return trace_estimate(
        batch=batch,
        trace_type=TraceType.ADVANCED,
        user=user,
        provider=provider,
        scope=RecordScope.ALTERNATIVE,
    )


def trace_job_submit(
    *,
    batch,
    trace_type: str,
    provider: str,
    user: AbstractBaseUser,
    seen_credits: int,
    include_alternative: bool = False,
    token: str | None = None,
) -> TraceJob:
    """The cost preview's submit: create and queue the trace the user saw the price of.

    With `include_alternative` (see `alternative_offer`) a second job, an advanced trace of
    the rows the normal trace cannot take, is created and queued in the same transaction;
    `seen_credits` is then the two estimates together and the wallet must cover both. Each
    job holds its own estimate, so the ledger stays per job. Returns the main job.

    `token` is the form's one-time token (tokens.submit_token_issue with new_trace_scope):
    a second request with it (a double click, a replayed POST) raises AlreadySubmitted with
    the job the first one made. Raises EstimateChanged when the cost is no longer
    `seen_credits` (the user sees the new one first), TraceRefused when the trace cannot run,
    the user's credits fall short or the token is not valid, TraceRunning when another trace
    of the import is still running, and whatever trace_job_create raises. Nothing is created,
    held or consumed in any of those cases.
    """
    with transaction.atomic():
        claimed = _claim(token=token, user=user, scope=new_trace_scope(batch=batch))
        running = active_trace(batch=batch)
        if running is not None:
            raise TraceRunning(running)
        estimate = trace_estimate(batch=batch, trace_type=trace_type, user=user, provider=provider)
        extra = None
        if include_alternative:
            if not alternative_offer(batch=batch, trace_type=trace_type, provider=provider):
                raise EstimateChanged()
            extra = trace_alternative_estimate(batch=batch, user=user, provider=provider)
        total = estimate.total_credits + (extra.total_credits if extra else 0)
        if seen_credits != total:
            raise EstimateChanged()
        for part in (estimate, extra):
            if part is not None and part.problem:
                raise TraceRefused(part.problem)
        if total > estimate.available:
            raise TraceRefused(
                f"You need {total - estimate.available:,} more credits for this trace."
            )
        job = trace_job_create(batch=batch, trace_type=trace_type, user=user, provider=provider)
        if extra is not None:
            trace_job_create(
                batch=batch,
                trace_type=TraceType.ADVANCED,
                user=user,
                provider=provider,
                scope=RecordScope.ALTERNATIVE,
                companion_of=job,
            )
        if claimed is not None:
            tokens.submit_token_spent(token=claimed, job_id=job.pk)
    return job


def trace_job_create(
    *,
    batch,
    trace_type: str,
    user: AbstractBaseUser,
    provider: str = TraceProvider.TRACERFY,
    retry_of: TraceJob | None = None,
    scope: str = RecordScope.USABLE,
    companion_of: TraceJob | None = None,
) -> TraceJob:
    """Create the job, copy reused results, hold credits and queue the submission.

    `scope` picks the import's rows it covers (RecordScope); `companion_of` is the job
    submitted together with it (its timeline says so).

    With `retry_of` the job traces again exactly that job's NO_RESULT records (nothing is
    reused: the user saw N x the rate).

    Raises InsufficientCredits (nothing is created) when the wallet cannot cover the estimate,
    TraceRunning when another trace of the import has not finished, and TraceRefused (nothing
    is created) when RealEstateAPI would get fewer than 10 records or the trace type does not
    fit the import (addresses vs parcel numbers).
    """
    refusal = trace_refusal(batch=batch, trace_type=trace_type, provider=provider)
    if refusal:
        raise TraceRefused(refusal)
    with transaction.atomic():
        # One running trace per import: the import's row lock serialises two creations, so
        # the second sees the first's job (two requests at once, two hosts) and is refused.
        ImportBatch.objects.select_for_update().filter(pk=batch.pk).first()
        running = active_trace(batch=batch)
        if running is not None and (companion_of is None or running.pk != companion_of.pk):
            raise TraceRunning(running)
        job = TraceJob.objects.create(
            team=batch.team,
            created_by=user,
            batch=batch,
            trace_type=trace_type,
            provider=provider,
            retry_of=retry_of,
            scope=scope,
        )
        if companion_of is not None:
            job_services.job_event(
                job=companion_of,
                actor=user,
                detail=f"The import's rows a normal trace cannot take go as advanced trace "
                f"#{job.pk}",
            )
            job_services.job_event(
                job=job,
                actor=user,
                detail=f"Traces the rows of the import that normal trace #{companion_of.pk} "
                "cannot take (no owner name or mailing address)",
            )
        reused = 0 if retry_of else _copy_reused(job=job)
        to_send = job_records(job=job).count() - reused
        if provider == TraceProvider.REAPI and 0 < to_send < REAPI_MIN_RECORDS:
            raise TraceRefused(reapi_too_few(to_send))
        job.records_reused = reused
        job.records_sent = to_send
        job.rows_total = to_send
        job.estimated_credits = to_send * job.credits_per_record
        job.save(
            update_fields=["records_reused", "records_sent", "rows_total", "estimated_credits"]
        )
        if to_send == 0:
            _complete_from_reuse(job=job, user=user)
        else:
            job_services.job_queue(job=job, actor=user)
    return job


def _copy_reused(*, job: TraceJob) -> int:
    keyed = {}
    for record in job_records(job=job).only("pk", "values").iterator(chunk_size=BULK):
        key = record_match_key(record.values, parcel=job.is_parcel)
        if key:
            keyed.setdefault(key, []).append(record.pk)
    earlier = _reusable(team=job.team, keys=set(keyed))
    copies = []
    for key, result in earlier.items():
        for record_id in keyed[key]:
            copies.append(
                TraceResult(
                    team=job.team,
                    job=job,
                    record_id=record_id,
                    match_key=key,
                    status=result.status,
                    reused_from=result,
                    **{f: getattr(result, f) for f in RESULT_FIELDS},
                )
            )
    TraceResult.objects.bulk_create(copies, batch_size=BULK)
    return len(copies)


# A TraceResult's result fields and their values when the provider found nothing.
EMPTY_RESULT = {
    "first_name": "",
    "last_name": "",
    "mail_address": "",
    "mail_city": "",
    "mail_state": "",
    "mail_zip": "",
    "primary_phone": "",
    "primary_phone_type": "",
    "phones": [],
    "emails": [],
    "has_mobile": False,
    "has_email": False,
    "litigator": False,
    "raw": {},
}
RESULT_FIELDS = list(EMPTY_RESULT)
# A sent record the provider returned no row for.
NOT_RETURNED = {**EMPTY_RESULT, "raw": {"note": "not returned by the provider"}}


def _complete_from_reuse(*, job: TraceJob, user) -> None:
    """Every record was traced recently: the job completes at once, charging nothing."""
    job_services.job_transition(
        job=job,
        to=JobStatus.COMPLETE,
        actor=user,
        charged_credits=0,
        hits=job.results.filter(status=MatchStatus.HIT).count(),
        rows_done=job.records_reused,
        stage="Complete",
        detail=f"Nothing to send: all {job.records_reused:,} records were traced recently; "
        "completed from earlier results",
    )


def records_to_send(*, job: TraceJob):
    """Records the job covers that have no result in this job yet (not reused)."""
    return job_records(job=job).exclude(trace_results__job=job)


def trace_results_store(*, job: TraceJob, rows: Iterable[dict]) -> tuple[int, int, int]:
    """Attach provider rows to the records they answer; replaceable (idempotent).

    `rows` (read once, so a stream of provider rows is fine) are dicts with the TraceResult
    fields plus address/city/state (or, for an APN trace, their `match_key` already made).
    They go into the COPY as they are made (PostgreSQL stores while the provider's rows are
    still read), so making them must not use the database.
    A row is attached only when exactly one sent record has its match key; anything else is
    kept aside as UNMATCHED with no record. Records the provider returned nothing for are
    stored as misses. Returns (rows stored, hits, unmatched).
    """
    with transaction.atomic():
        job.results.filter(reused_from__isnull=True).delete()
        by_key: dict[str, list[int]] = {}
        # The database takes out of each record's values the keys its match key needs: no
        # JSON document decoded in Python per record.
        sent = records_to_send(job=job).values_list(
            "pk", *(KT(f"values__{key}") for key in MATCH_FIELDS)
        )
        for record_id, *found in sent.iterator(chunk_size=BULK):
            values = {key: value or "" for key, value in zip(MATCH_FIELDS, found, strict=True)}
            by_key.setdefault(record_match_key(values, parcel=job.is_parcel), []).append(record_id)
        used: set[int] = set()
        counts = {"hits": 0, "unmatched": 0}

        def result_rows():
            for row in rows:
                key = row.get("match_key") or match_key(
                    address=row["address"], city=row["city"], state=row["state"]
                )
                candidates = by_key.get(key, [])
                record_id = candidates[0] if len(candidates) == 1 else None
                if record_id is None or record_id in used:
                    record_id, status = None, MatchStatus.UNMATCHED
                    counts["unmatched"] += 1
                else:
                    used.add(record_id)
                    status = MatchStatus.HIT if row["hit"] else MatchStatus.MISS
                    counts["hits"] += bool(row["hit"])
                yield (
                    job.team_id,
                    job.pk,
                    record_id,
                    key,
                    status,
                    *[row.get(f, EMPTY_RESULT[f]) for f in RESULT_FIELDS],
                )
            for key, ids in by_key.items():
                for record_id in ids:
                    if record_id not in used:
                        yield (
                            job.team_id,
                            job.pk,
                            record_id,
                            key,
                            MatchStatus.MISS,
                            *NOT_RETURNED.values(),
                        )

        stored = bulk_insert(
            TraceResult,
            ["team", "job", "record", "match_key", "status", *RESULT_FIELDS],
            result_rows(),
            stream=True,
        )
        hits, unmatched = counts["hits"], counts["unmatched"]
        TraceJob.objects.filter(pk=job.pk).update(results_unmatched=unmatched)
    return stored, hits, unmatched


# --- re-trace of the records without a result ----------------------------------------------


def trace_retry_refusal(*, job: TraceJob) -> str:
    """Why `job` offers no re-trace ("" when it does)."""
    if job.status != JobStatus.PARTIAL:
        return "Only a trace that completed with errors can re-trace its records."
    if not TraceResult.objects.filter(job=job, status=MatchStatus.NO_RESULT).exists():
        return "Every record of this trace got a result."
    return ""


def trace_retry_estimate(*, job: TraceJob, user: AbstractBaseUser) -> TraceEstimate:
    """What re-tracing the job's NO_RESULT records costs at most (N x the rate), against the
    user's balance; `problem` says why it cannot run."""
    count = TraceResult.objects.filter(
        job=job, status=MatchStatus.NO_RESULT, record__isnull=False
    ).count()
    provider, trace_type = retry_route(job=job, count=count)
    per = credits_per_record(provider=provider, trace_type=trace_type)
    wallet = credits.wallet_for(user=user, team=job.team)
    problem = trace_retry_refusal(job=job)
    note = ""
    if provider != job.provider:
        note = (
            f"RealEstateAPI takes at least {REAPI_MIN_RECORDS} records in a batch, so these "
            f"{count:,} go to Tracerfy ({TraceType(trace_type).label.split(' (')[0].lower()})."
        )
    return TraceEstimate(
        unique_records=count,
        reused=0,
        to_send=count,
        credits_per_record=per,
        total_credits=count * per,
        available=wallet.available,
        provider_note=note,
        provider=provider,
        problem=problem,
    )


def retry_route(*, job: TraceJob, count: int) -> tuple[str, str]:
    """(provider, trace type) of a re-trace of `count` records: the job's own, except that
    fewer records than RealEstateAPI's batch minimum go to Tracerfy, with the import's trace
    type."""
    if job.provider == TraceProvider.REAPI and 0 < count < REAPI_MIN_RECORDS:
        return TraceProvider.TRACERFY, trace_options(batch=job.batch).default_type
    return job.provider, job.trace_type


def trace_job_retry(
    *, job: TraceJob, user: AbstractBaseUser, seen_credits: int, token: str | None = None
) -> TraceJob:
    """Re-trace exactly the records of `job` that got no result, on the same import and
    provider, at the price the user saw. Returns the new job (queued, credits held).

    A second request while an earlier re-trace of `job` is live (not failed or cancelled)
    returns that job and creates nothing. Raises EstimateChanged when the cost is no longer
    `seen_credits`, TraceRefused when the job offers no re-trace, the credits fall short, or
    `user` is neither the job's creator nor an admin or manager of its team, TraceRunning
    when another trace of the import is running. With the form's one-time `token`
    (retrace_scope), a replayed request raises AlreadySubmitted with its job.
    """
    if not may_control(user=user, work=job):
        raise TraceRefused(control_refusal(work=job, action="re-trace"))
    with transaction.atomic():
        claimed = _claim(token=token, user=user, scope=retrace_scope(job=job))
        # The original's row lock serialises two clicks: the second sees the first's job.
        locked = TraceJob.objects.select_for_update().get(pk=job.pk)
        earlier = (
            locked.retries.exclude(status__in=[JobStatus.FAILED, JobStatus.CANCELLED])
            .order_by("pk")
            .first()
        )
        if earlier is not None:
            if claimed is not None:
                tokens.submit_token_spent(token=claimed, job_id=earlier.pk)
            return earlier
        estimate = trace_retry_estimate(job=locked, user=user)
        if seen_credits != estimate.total_credits:
            raise EstimateChanged()
        if estimate.problem:
            raise TraceRefused(estimate.problem)
        if not estimate.affordable:
            raise TraceRefused(f"You need {estimate.short_by:,} more credits for this re-trace.")
        provider, trace_type = retry_route(job=locked, count=estimate.to_send)
        retry = trace_job_create(
            batch=locked.batch,
            trace_type=trace_type,
            user=user,
            provider=provider,
            retry_of=locked,
        )
        job_services.job_event(
            job=locked,
            actor=user,
            detail=f"Re-tracing the {retry.records_sent:,} records without a result as "
            f"trace #{retry.pk}",
        )
        if claimed is not None:
            tokens.submit_token_spent(token=claimed, job_id=retry.pk)
    return retry


def no_result_summary(*, job: TraceJob, count: int, sent: int, reasons: dict[str, int]) -> str:
    """The sentence a partial trace shows: how many records got no result, and why."""
    why = "; ".join(f"{n:,} {reason}" for reason, n in reasons.items())
    return (
        f"{count:,} of {sent:,} records got no result ({why}). They were not charged; "
        "re-trace them from this page."
    )


def ingested_with_no_results(*, job: TraceJob, ingested: Ingested, reasons: dict[str, int]):
    """`ingested` with failed_rows / failure_reason set when some records got no result."""
    count = sum(reasons.values())
    if not count:
        return ingested
    return Ingested(
        charged_credits=ingested.charged_credits,
        rows=ingested.rows,
        hits=ingested.hits,
        detail=ingested.detail,
        extra=ingested.extra,
        failed_rows=count,
        failure_reason=no_result_summary(
            job=job, count=count, sent=job.records_sent, reasons=reasons
        ),
    )
