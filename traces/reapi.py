"""RealEstateAPI SkipTraceBatch as trace-job steps, and its per-item and completion webhooks.

Every record is sent with `key` = its ImportRecord pk (stable, unique), so a result is
attached by exact key and never by a guessed address. A job is sent as chunks of 10 to 1,000
items under ~240 KB; each accepted chunk is recorded as a `ReapiBatch` before the next is
sent, so a retried submission resumes after the last accepted chunk.

RealEstateAPI has no status or list endpoint: results arrive only by webhook. So

- a POST whose answer was lost is confirmed only by its own result webhooks; without them it
  is never resent (the job fails after REAPI_CONFIRM_SECONDS, saying which chunk to check);
- "ready" means every chunk's completion call came and every result is stored, or the
  completion came REAPI_RESULT_GRACE_SECONDS ago (lost item webhooks), or the job is past
  REAPI_CHUNK_DEADLINE_SECONDS per chunk (lost completion call); records without a result
  become misses ("no result received");
- RealEstateAPI reports no credit figure: the charge is hits x 1 credit per record.
"""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leadops import providers
from leadops.imports.selectors import usable_records
from leadops.jobs import services as jobs
from leadops.jobs.models import JobStatus
from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.providers.errors import InvalidRequest, ProviderError, ProviderUnavailable
from leadops.providers.reapi import MAX_ITEMS, MIN_ITEMS, BatchComplete, SkipRequest, SkipResult
from leadops.webhooks.models import EventStatus, WebhookEvent
from traces.models import MatchStatus, ReapiBatch, TraceJob, TraceProvider, TraceResult
from traces.services import BULK, match_key, reapi_too_few, record_match_key

log = logging.getLogger(__name__)

# Under the documented 256 KB, so an estimate that is a few bytes off never costs a 400.
MAX_CHUNK_BYTES = 240 * 1024
# Items of one chunk still accepting results: the job may be between submit attempts.
RECEIVING = (JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED)


def _conf(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def callback_urls(job: TraceJob) -> tuple[str, str]:
    """(webhook_url, webcomplete_url): the job id rides in the query string."""
    hook = f"{settings.PUBLIC_BASE_URL}/webhooks/reapi/{settings.WEBHOOK_TOKEN}/?job={job.pk}"
    return hook, f"{hook}&event=complete"


def sendable_records(*, job: TraceJob):
    """What this job sends: usable records not covered by a reused result.

    Unlike traces.services.records_to_send this does not shrink as results arrive, so the
    chunk plan of a job is the same on every submit attempt.
    """
    reused = TraceResult.objects.filter(
        job=job, reused_from__isnull=False, record__isnull=False
    ).values("record_id")
    return usable_records(batch=job.batch).exclude(pk__in=reused)


def skip_request(pk: int, values: dict) -> SkipRequest:
    return SkipRequest(
        key=str(pk),
        address=values.get("property_address", ""),
        city=values.get("property_city", ""),
        state=values.get("property_state", ""),
        zip=values.get("property_zip", ""),
        first_name=values.get("owner_first_name") or None,
        last_name=values.get("owner_last_name") or None,
    )


def _size(skip: SkipRequest, webhook_url: str) -> int:
    # The client measures json.dumps(body) with its default ", " separator between items.
    return len(json.dumps(skip.as_json(webhook_url)).encode()) + 2


def plan_chunks(
    skips: list[SkipRequest],
    *,
    webhook_url: str,
    webcomplete_url: str,
    max_items: int = MAX_ITEMS,
    max_bytes: int = MAX_CHUNK_BYTES,
    min_items: int = MIN_ITEMS,
) -> list[list[SkipRequest]]:
    """Split into chunks of min_items..max_items items and at most max_bytes of JSON each.

    Greedy in order; a short last chunk takes items from the end of the one before it, so
    every chunk has at least min_items.
    """
    if len(skips) < min_items:
        raise InvalidRequest(reapi_too_few(len(skips)), provider=TraceProvider.REAPI)
    overhead = len(json.dumps({"skips": [], "webcomplete_url": webcomplete_url}).encode())
    sizes = [_size(s, webhook_url) for s in skips]
    chunks: list[list[int]] = [[]]
    used = overhead
    for index, size in enumerate(sizes):
        current = chunks[-1]
        if current and (len(current) >= max_items or used + size > max_bytes):
            chunks.append([])
            used = overhead
        chunks[-1].append(index)
        used += size
    if len(chunks) > 1 and len(chunks[-1]) < min_items:
        # The one before is full (greedy), so the two never fit in one: borrow from it.
        last, prev = chunks[-1], chunks[-2]
        need = min_items - len(last)
        chunks[-2:] = [prev[:-need], prev[-need:] + last]
    for chunk in chunks:
        if not (
            min_items <= len(chunk) <= max_items
            and overhead + sum(sizes[i] for i in chunk) <= max_bytes
        ):
            raise InvalidRequest(
                "These records cannot be split into RealEstateAPI batches of 10 to 1,000 "
                "records under 256 KB (some rows are unusually long).",
                provider=TraceProvider.REAPI,
            )
    return [[skips[i] for i in chunk] for chunk in chunks]


def job_chunks(job: TraceJob) -> list[list[SkipRequest]]:
    skips = [
        skip_request(pk, values)
        for pk, values in sendable_records(job=job).values_list("pk", "values").iterator(BULK)
    ]
    hook, complete = callback_urls(job)
    return plan_chunks(skips, webhook_url=hook, webcomplete_url=complete)


def _replay_early_completions(batch_id: str) -> None:
    """A completion call that beat our record of its chunk was kept as unmatched: retry it."""
    from leadops.webhooks.services import webhook_reprocess

    for event in WebhookEvent.objects.filter(
        dedupe_key=f"reapi:complete:{batch_id}", status=EventStatus.UNMATCHED
    ):
        webhook_reprocess(event=event)


def _record_chunk(job: TraceJob, n: int, batch_id: str, chunk: list[SkipRequest]) -> ReapiBatch:
    keys = [int(s.key) for s in chunk]
    received = TraceResult.objects.filter(job=job, record_id__in=keys).count()
    batch = ReapiBatch.objects.create(
        job=job, chunk=n, batch_id=batch_id, keys=len(chunk), received=received
    )
    _replay_early_completions(batch_id)
    return batch


def _submitted(job: TraceJob, batches: list[ReapiBatch]) -> Submitted:
    ids = ", ".join(b.batch_id for b in batches)
    return Submitted(
        provider_ref=batches[0].batch_id,
        # 1,000 result webhooks take 20 s at RealEstateAPI's 50 per second; the first poll
        # is never later than the deadline for a lost completion call.
        expected_seconds=min(
            30.0 + 20.0 * len(batches),
            _conf("REAPI_CHUNK_DEADLINE_SECONDS", 600) * len(batches),
        ),
        detail=f"RealEstateAPI accepted {job.records_sent:,} records in {len(batches)} "
        f"batch{'es' if len(batches) > 1 else ''} ({ids})",
    )


class ReapiSteps:
    def submit(self, job: TraceJob) -> Submitted:
        chunks = job_chunks(job)
        accepted = {b.chunk: b for b in job.reapi_batches.all()}
        hook, complete = callback_urls(job)
        with providers.reapi_client() as client:
            for n, chunk in enumerate(chunks):
                if n in accepted:
                    continue
                TraceJob.objects.filter(pk=job.pk).update(
                    stage=f"Submitting batch {n + 1} of {len(chunks)}"
                )
                try:
                    ack = client.skip_trace_batch(chunk, webhook_url=hook, webcomplete_url=complete)
                except ProviderError as exc:
                    if accepted:
                        jobs.job_event(
                            job=job,
                            detail=f"RealEstateAPI did not accept batch {n + 1} of {len(chunks)} "
                            f"({exc}); the {len(accepted)} batch(es) already accepted are not "
                            "sent again",
                        )
                    raise
                accepted[n] = _record_chunk(job, n, ack.batch_id, chunk)
                note = (
                    f"; it counted {ack.receive_count:,}" if ack.receive_count != len(chunk) else ""
                )
                jobs.job_event(
                    job=job,
                    detail=f"RealEstateAPI accepted batch {n + 1} of {len(chunks)} "
                    f"({len(chunk):,} records) as {ack.batch_id}{note}",
                )
        return _submitted(job, [accepted[n] for n in sorted(accepted)])

    def find_submission(self, job: TraceJob) -> Submitted | None:
        """RealEstateAPI has no batch list: only a chunk's own result webhooks confirm it.

        Confirmed and nothing left to send → submitted. Confirmed with chunks left → None,
        and the retry sends only the chunks after it. No webhooks yet → wait (a transient
        error makes the machinery look again); none after REAPI_CONFIRM_SECONDS → fail with
        credits released rather than risk paying twice.
        """
        chunks = job_chunks(job)
        accepted = {b.chunk: b for b in job.reapi_batches.all()}
        pending = [n for n in range(len(chunks)) if n not in accepted]
        if not pending:
            return _submitted(job, [accepted[n] for n in sorted(accepted)])
        n = pending[0]
        keys = [int(s.key) for s in chunks[n]]
        seen = (
            TraceResult.objects.filter(job=job, record_id__in=keys, reused_from__isnull=True)
            .values_list("raw", flat=True)
            .first()
        )
        batch_id = seen.get("batchId") if isinstance(seen, dict) else None
        if batch_id:
            accepted[n] = _record_chunk(job, n, str(batch_id), chunks[n])
            jobs.job_event(
                job=job,
                detail=f"RealEstateAPI's result webhooks confirm batch {n + 1} of {len(chunks)} "
                f"as {batch_id}",
            )
            if len(pending) == 1:
                return _submitted(job, [accepted[k] for k in sorted(accepted)])
            jobs.job_event(job=job, detail="Sending the remaining batches only")
            return None
        waited = timezone.now() - job.submit_started_at
        if waited > timedelta(seconds=_conf("REAPI_CONFIRM_SECONDS", 300)):
            reason = (
                f"RealEstateAPI did not confirm batch {n + 1} of {len(chunks)}; check its "
                "dashboard before retrying (it has no batch list LeadOps could check, and "
                "resending might charge twice)."
            )
            jobs.job_fail(job=job, reason=reason)
            raise ProviderUnavailable(reason, request_sent=True, provider=TraceProvider.REAPI)
        raise ProviderUnavailable(
            f"no result webhooks for batch {n + 1} yet; RealEstateAPI has no batch list, so "
            "LeadOps waits for them instead of resending",
            request_sent=True,
            provider=TraceProvider.REAPI,
        )

    def poll(self, job: TraceJob) -> PollResult:
        batches = list(job.reapi_batches.all())
        sent = sum(b.keys for b in batches)
        received = _received(job)
        all_complete = bool(batches) and sent >= job.records_sent
        all_complete = all_complete and all(b.completed_at for b in batches)
        if all_complete and received >= sent:
            return PollResult(ready=True, detail="RealEstateAPI finished; every result received")
        now = timezone.now()
        grace = timedelta(seconds=_conf("REAPI_RESULT_GRACE_SECONDS", 60))
        if all_complete and now - max(b.completed_at for b in batches) >= grace:
            return PollResult(
                ready=True,
                detail=f"RealEstateAPI finished; {sent - received:,} of {sent:,} results never "
                "arrived and count as misses",
            )
        per_chunk = _conf("REAPI_CHUNK_DEADLINE_SECONDS", 600)
        deadline = job.submitted_at + timedelta(seconds=per_chunk * max(1, len(batches)))
        if now >= deadline:
            return PollResult(
                ready=True,
                detail=f"No completion call from RealEstateAPI by the deadline; "
                f"{received:,} of {sent:,} results received, the rest count as misses",
            )
        return PollResult(
            ready=False,
            detail=f"Tracing at RealEstateAPI: {received:,} of {sent:,} results",
            retry_in=max(1.0, min(60.0, (deadline - now).total_seconds())),
        )

    def ingest(self, job: TraceJob) -> Ingested:
        with transaction.atomic():
            have = set(
                TraceResult.objects.filter(job=job, record__isnull=False).values_list(
                    "record_id", flat=True
                )
            )
            sent = sendable_records(job=job).values_list("pk", "values").iterator(BULK)
            misses = [
                TraceResult(
                    team_id=job.team_id,
                    job=job,
                    record_id=pk,
                    match_key=record_match_key(values),
                    status=MatchStatus.MISS,
                    raw={"note": "no result received"},
                )
                for pk, values in sent
                if pk not in have
            ]
            TraceResult.objects.bulk_create(misses, batch_size=BULK, ignore_conflicts=True)
            fetched = TraceResult.objects.filter(job=job, reused_from__isnull=True)
            rows = fetched.filter(record__isnull=False).count()
            hits = fetched.filter(status=MatchStatus.HIT).count()
            unmatched = fetched.filter(status=MatchStatus.UNMATCHED).count()
            TraceJob.objects.filter(pk=job.pk).update(results_unmatched=unmatched)
        # RealEstateAPI reports no credits figure: charge what its pricing says, per hit.
        charged = min(hits * job.credits_per_record, job.estimated_credits)
        note = f"; {unmatched:,} results matched no record and were kept aside" if unmatched else ""
        lost = f"; {len(misses):,} without a result" if misses else ""
        return Ingested(
            charged_credits=charged,
            rows=rows,
            hits=hits,
            detail=f"{rows:,} results stored, {hits:,} hits{lost}; {charged:,} credits "
            f"charged (1 per hit; RealEstateAPI reports no credit figure){note}",
        )


def _received(job: TraceJob) -> int:
    return TraceResult.objects.filter(
        job=job, record__isnull=False, reused_from__isnull=True
    ).count()


# --- webhooks -------------------------------------------------------------------------------


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


def reapi_item_received(*, event, payload: dict) -> str:
    """One per-item result: attach it to the record whose pk is its key, exactly once."""
    result = SkipResult.from_json(payload)
    job = _job_for(event, result.batch_id)
    if job is None:
        return EventStatus.UNMATCHED
    found = _sent_record(job, result.key)
    with transaction.atomic():
        locked = TraceJob.objects.select_for_update().get(pk=job.pk)
        if found is None:
            return _keep_aside(locked, result, payload)
        if locked.status not in RECEIVING:
            # Ingested (or failed) already: the job's numbers and charge are final.
            return EventStatus.IGNORED
        record_id, values = found
        if TraceResult.objects.filter(job=locked, record_id=record_id).exists():
            return EventStatus.PROCESSED
        hit = _is_hit(result)
        TraceResult.objects.create(
            team_id=locked.team_id,
            job=locked,
            record_id=record_id,
            match_key=record_match_key(values),
            status=MatchStatus.HIT if hit else MatchStatus.MISS,
            raw=payload,
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
    jobs.job_event(
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
        jobs.job_event(
            job=batch.job,
            detail=f"RealEstateAPI finished batch {batch.chunk + 1} ({batch.batch_id})"
            + (f": {counts}" if counts else ""),
        )
    _maybe_start_ingest(batch.job)
    return EventStatus.PROCESSED


def _maybe_start_ingest(job: TraceJob) -> bool:
    """Every chunk finished and every result stored: ingest now rather than at the next poll."""
    job = TraceJob.objects.get(pk=job.pk)
    if job.status != JobStatus.SUBMITTED:
        return False
    batches = list(job.reapi_batches.all())
    sent = sum(b.keys for b in batches)
    if not batches or sent < job.records_sent or not all(b.completed_at for b in batches):
        return False
    if _received(job) < sent:
        return False
    return jobs.job_start_ingest(
        job=job, detail="RealEstateAPI finished every batch; all results received"
    )


def register() -> None:
    from leadops.webhooks.registry import register_handler

    register_handler("reapi", "item", reapi_item_received)
    register_handler("reapi", "complete", reapi_batch_completed)
