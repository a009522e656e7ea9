"""RealEstateAPI's per-item and completion webhooks for trace jobs (steps: traces.reapi_steps).

Each per-item result carries `key` = the ImportRecord pk the job sent, so it is attached by
exact key, once, and never to a guessed address. Each chunk's completion call is recorded on
its ReapiBatch; when every chunk has finished and every result is stored the job ingests at
once rather than at its next poll. A result for a key this job never sent is kept aside as
unmatched while the job receives results; any result that arrives after the job stopped
receiving (ingesting, finished, failed or cancelled), known key or not, changes nothing: the
webhook event is marked ignored with a note saying so.

A result for a record of a chunk whose POST answer was lost (no batch id recorded) confirms
that chunk: its batchId becomes the chunk's. A per-item result whose statusCode is an error
is stored as NO_RESULT ("no result received"), not as a miss.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leadops.jobs import services as job_services
from leadops.jobs.models import JobStatus
from leadops.providers.reapi import BatchComplete, SkipResult
from leadops.webhooks.models import EventStatus
from leadops.webhooks.registry import Handled
from traces.models import MatchStatus, ReapiBatch, TraceJob, TraceProvider, TraceResult
from traces.reapi_steps import chunk_confirm, chunk_progress, sendable_records
from traces.services import match_key, record_match_key

# A chunk's items are still accepted while the job may be between submit attempts.
RECEIVING = (JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED)


def _job_for(event, batch_id: str) -> TraceJob | None:
    """Our record of the batch wins; before it exists, the job id in the callback URL."""
    batch = ReapiBatch.objects.filter(batch_id=batch_id).select_related("job").first()
    if batch is not None:
        return batch.job
    job_id = str((event.query or {}).get("job", ""))
    if job_id.isdigit():
        return TraceJob.objects.filter(pk=int(job_id), provider=TraceProvider.REAPI).first()
    return None


def _sent_record(job: TraceJob, key) -> tuple[int, dict] | None:
    key = str(key).strip()
    if not key.isdigit():
        return None
    return sendable_records(job=job).filter(pk=int(key)).values_list("pk", "values").first()


def result_fields(result: SkipResult) -> dict:
    """TraceResult fields from one per-item payload (best-ranked phones and emails first)."""
    output = result.output or {}
    identity = output.get("identity") or {}
    names = identity.get("names") or [{}]
    address = identity.get("address") or {}
    phones = sorted(identity.get("phones") or [], key=lambda p: p.get("rank") or 99)
    emails = sorted(identity.get("emails") or [], key=lambda e: e.get("rank") or 99)
    phone_rows = [
        {"number": str(p.get("phone", "")), "type": str(p.get("phoneType") or "")}
        for p in phones
        if p.get("phone")
    ]
    email_list = [str(e["email"]) for e in emails if e.get("email")]
    first = phone_rows[0] if phone_rows else {"number": "", "type": ""}
    return {
        "first_name": str(names[0].get("firstName") or "")[:120],
        "last_name": str(names[0].get("lastName") or "")[:120],
        "mail_address": str(address.get("street") or "")[:255],
        "mail_city": str(address.get("city") or "")[:120],
        "mail_state": str(address.get("state") or "")[:20],
        "mail_zip": str(address.get("zip") or "")[:10],
        "primary_phone": first["number"][:32],
        "primary_phone_type": first["type"][:32],
        "phones": phone_rows,
        "emails": email_list,
        "has_mobile": any(p["type"].lower() in {"mobile", "wireless"} for p in phone_rows),
        "has_email": bool(email_list),
        "litigator": bool((output.get("demographics") or {}).get("litigator")),
    }


def _is_hit(result: SkipResult) -> bool:
    return bool(result.match and result.output and result.status_code in (None, 200))


def _is_error(result: SkipResult) -> bool:
    return result.status_code not in (None, 200)


def _status(result: SkipResult) -> str:
    if _is_error(result):
        return MatchStatus.NO_RESULT
    return MatchStatus.HIT if _is_hit(result) else MatchStatus.MISS


def _raw(result: SkipResult, payload: dict) -> dict:
    if not _is_error(result):
        return payload
    said = payload.get("message") or payload.get("statusMessage") or ""
    return {
        **payload,
        "note": f"no result received: RealEstateAPI answered {result.status_code}"
        + (f" ({said})" if said else ""),
    }


def _confirm_chunk(job: TraceJob, record_id: int, batch_id: str) -> None:
    """The record's chunk had no batch id (its POST answer was lost): this result confirms it."""
    if not batch_id or ReapiBatch.objects.filter(job=job, batch_id=batch_id).exists():
        return
    chunks = list(job.reapi_batches.all())
    for batch in chunks:
        if not batch.batch_id and record_id in batch.record_ids:
            chunk_confirm(job=job, batch=batch, batch_id=batch_id, of=len(chunks))
            return


def reapi_item_received(*, event, payload: dict) -> str:
    """One per-item result: attach it to the record whose pk is its key, exactly once."""
    result = SkipResult.from_json(payload)
    job = _job_for(event, result.batch_id)
    if job is None:
        return EventStatus.UNMATCHED
    found = _sent_record(job, result.key)
    with transaction.atomic():
        locked = TraceJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in RECEIVING:
            # Ingested (or failed) already: the job's results, counts and charge are final,
            # whether or not the key is one of its records; the event alone keeps it.
            return Handled(
                EventStatus.IGNORED,
                f"Arrived after trace #{locked.pk} stopped receiving results "
                f"({locked.get_status_display().lower()}); recorded on this event only, "
                "the trace's results and counts are unchanged.",
            )
        if found is None:
            return _keep_aside(locked, result, payload)
        record_id, values = found
        if TraceResult.objects.filter(job=locked, record_id=record_id).exists():
            return EventStatus.PROCESSED
        _confirm_chunk(locked, record_id, result.batch_id)
        hit = _is_hit(result)
        TraceResult.objects.create(
            team_id=locked.team_id,
            job=locked,
            record_id=record_id,
            match_key=record_match_key(values),
            status=_status(result),
            raw=_raw(result, payload),
            **(result_fields(result) if hit else {}),
        )
        TraceJob.objects.filter(pk=locked.pk).update(
            rows_done=F("rows_done") + 1, hits=F("hits") + int(hit)
        )
        batch_done = ReapiBatch.objects.filter(job=locked, batch_id=result.batch_id)
        batch_done.update(received=F("received") + 1)
        completed = batch_done.filter(completed_at__isnull=False).exists()
    if completed:
        _maybe_start_ingest(job)
    return EventStatus.PROCESSED


def _keep_aside(job: TraceJob, result: SkipResult, payload: dict) -> str:
    """A key that is no record this job sent: stored with no record, and reported."""
    if TraceResult.objects.filter(
        job=job, record__isnull=True, raw__batchRequestId=result.batch_request_id
    ).exists():
        return EventStatus.PROCESSED
    given = payload.get("input") if isinstance(payload.get("input"), dict) else {}
    TraceResult.objects.create(
        team_id=job.team_id,
        job=job,
        record=None,
        match_key=match_key(
            address=str(given.get("address", "")),
            city=str(given.get("city", "")),
            state=str(given.get("state", "")),
        ),
        status=MatchStatus.UNMATCHED,
        raw=payload,
        **(result_fields(result) if _is_hit(result) else {}),
    )
    TraceJob.objects.filter(pk=job.pk).update(results_unmatched=F("results_unmatched") + 1)
    job_services.job_event(
        job=job,
        detail=f"RealEstateAPI sent a result for key {str(result.key)[:40]!r} in batch "
        f"{result.batch_id}, which is no record of this trace; kept aside as unmatched",
    )
    return EventStatus.PROCESSED


def reapi_batch_completed(*, event, payload: dict) -> str:
    """The completion call of one chunk; the job ingests once every chunk has finished."""
    done = BatchComplete.from_json(payload)
    batch = ReapiBatch.objects.filter(batch_id=done.batch_id).select_related("job").first()
    if batch is None:
        # Before our record of the chunk is committed; the webhook service looks again.
        return EventStatus.UNMATCHED
    claimed = ReapiBatch.objects.filter(pk=batch.pk, completed_at__isnull=True).update(
        completed_at=timezone.now()
    )
    if claimed:
        counts = ", ".join(
            f"{n:,} {label}"
            for n, label in [
                (done.processed_count, "processed"),
                (done.match_count, "matched"),
                (done.error_count, "errors"),
            ]
            if n is not None
        )
        job_services.job_event(
            job=batch.job,
            detail=f"RealEstateAPI finished batch {batch.chunk + 1:,} ({batch.batch_id})"
            + (f": {counts}" if counts else ""),
        )
    _maybe_start_ingest(batch.job)
    return EventStatus.PROCESSED


def _maybe_start_ingest(job: TraceJob) -> bool:
    """Every chunk finished and every result stored: ingest now rather than at the next poll."""
    job = TraceJob.objects.get(pk=job.pk)
    if job.status != JobStatus.SUBMITTED:
        return False
    if not chunk_progress(job).all_in:
        return False
    return job_services.job_start_ingest(
        job=job, detail="RealEstateAPI finished every batch; all results received"
    )
