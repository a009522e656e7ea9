"""RealEstateAPI SkipTraceBatch as trace-job steps (its webhooks: traces.reapi_webhooks).

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
from django.utils import timezone

from leadops import providers
from leadops.imports.selectors import usable_records
from leadops.jobs import services as job_services
from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.providers.errors import InvalidRequest, ProviderError, ProviderUnavailable
from leadops.providers.reapi import MAX_ITEMS, MIN_ITEMS, SkipRequest
from leadops.webhooks.services import webhook_replay_unmatched
from traces.models import MatchStatus, ReapiBatch, TraceJob, TraceProvider, TraceResult
from traces.services import BULK, reapi_too_few, record_match_key

log = logging.getLogger(__name__)

# Under the documented 256 KB, so an estimate that is a few bytes off never costs a 400.
MAX_CHUNK_BYTES = 240 * 1024


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


def _record_chunk(job: TraceJob, n: int, batch_id: str, chunk: list[SkipRequest]) -> ReapiBatch:
    keys = [int(s.key) for s in chunk]
    received = TraceResult.objects.filter(job=job, record_id__in=keys).count()
    batch = ReapiBatch.objects.create(
        job=job, chunk=n, batch_id=batch_id, keys=len(chunk), received=received
    )
    # A completion call that beat this record of its chunk was kept as unmatched: hear it again.
    webhook_replay_unmatched(provider=TraceProvider.REAPI, kinds=["complete"], ref=batch_id)
    return batch


def _submitted(job: TraceJob, batches: list[ReapiBatch]) -> Submitted:
    ids = ", ".join(b.batch_id for b in batches)
    return Submitted(
        provider_ref=batches[0].batch_id,
        # 1,000 result webhooks take 20 s at RealEstateAPI's 50 per second; the first poll
        # is never later than the deadline for a lost completion call.
        expected_seconds=min(
            30.0 + 20.0 * len(batches),
            settings.REAPI_CHUNK_DEADLINE_SECONDS * len(batches),
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
                        job_services.job_event(
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
                job_services.job_event(
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
            job_services.job_event(
                job=job,
                detail=f"RealEstateAPI's result webhooks confirm batch {n + 1} of {len(chunks)} "
                f"as {batch_id}",
            )
            if len(pending) == 1:
                return _submitted(job, [accepted[k] for k in sorted(accepted)])
            job_services.job_event(job=job, detail="Sending the remaining batches only")
            return None
        waited = timezone.now() - job.submit_started_at
        if waited > timedelta(seconds=settings.REAPI_CONFIRM_SECONDS):
            reason = (
                f"RealEstateAPI did not confirm batch {n + 1} of {len(chunks)}; check its "
                "dashboard before retrying (it has no batch list LeadOps could check, and "
                "resending might charge twice)."
            )
            job_services.job_fail(job=job, reason=reason)
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
        received = results_received(job)
        all_complete = bool(batches) and sent >= job.records_sent
        all_complete = all_complete and all(b.completed_at for b in batches)
        if all_complete and received >= sent:
            return PollResult(ready=True, detail="RealEstateAPI finished; every result received")
        now = timezone.now()
        grace = timedelta(seconds=settings.REAPI_RESULT_GRACE_SECONDS)
        if all_complete and now - max(b.completed_at for b in batches) >= grace:
            return PollResult(
                ready=True,
                detail=f"RealEstateAPI finished; {sent - received:,} of {sent:,} results never "
                "arrived and count as misses",
            )
        per_chunk = settings.REAPI_CHUNK_DEADLINE_SECONDS
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


def results_received(job: TraceJob) -> int:
    return TraceResult.objects.filter(
        job=job, record__isnull=False, reused_from__isnull=True
    ).count()
