"""RealEstateAPI SkipTraceBatch as trace-job steps (its webhooks: traces.reapi_webhooks).

Every record is sent with `key` = its ImportRecord pk (stable, unique), so a result is
attached by exact key and never by a guessed address. A job is sent as chunks of 10 to 1,000
items under ~240 KB, and each chunk is decided on its own, recorded as a `ReapiBatch` before
the next is sent (a retried submission sends only chunks without a row, never one twice):

- accepted: its batch id is known; results arrive by webhook;
- not processed (502/503/504, connection refused; `request_sent=False`): no row; the job
  goes back to the queue and that chunk is sent again later. When submitting is exhausted
  the job layer calls `give_up`: the chunks never sent are recorded as given up and the job
  goes on with the ones RealEstateAPI has;
- answer unknown (timeout, 500, unreadable answer; `request_sent=True`): UNCONFIRMED, never
  resent, and the next chunks go on. Its own result webhooks confirm it (they carry its
  batchId, and the callback URL the job id); without any within REAPI_CONFIRM_SECONDS it is
  given up, and only its records get no result;
- refused (a permanent 4xx): REFUSED, and the next chunks go on.

If no chunk is accepted or unconfirmed, the job fails with its credits released.

RealEstateAPI has no status, list or result endpoint: results arrive only by webhook. So
"ready" means every accepted chunk's completion call came and every result is stored, or the
completion came REAPI_RESULT_GRACE_SECONDS ago (lost item webhooks), or the job is past
REAPI_CHUNK_DEADLINE_SECONDS per chunk (lost completion call). Records without a result
(lost webhooks, given-up or refused chunks, per-item errors) are stored as NO_RESULT ("no
result received", `raw["note"]` says why), charged nothing, and the job ends `partial`
("Complete with errors") with a re-trace of exactly those records offered.
RealEstateAPI reports no credit figure: the charge is hits x 1 credit per record.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from leadops import providers
from leadops.jobs import services as job_services
from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.providers.errors import InvalidRequest, ProviderError, ProviderUnavailable
from leadops.providers.reapi import MAX_ITEMS, MIN_ITEMS, SkipRequest
from leadops.webhooks.services import webhook_replay_unmatched
from traces.models import (
    ChunkState,
    MatchStatus,
    ReapiBatch,
    TraceJob,
    TraceProvider,
    TraceResult,
)
from traces.services import (
    BULK,
    ingested_with_no_results,
    job_records,
    reapi_too_few,
    record_match_key,
)

log = logging.getLogger(__name__)

# Under the documented 256 KB, so an estimate that is a few bytes off never costs a 400.
MAX_CHUNK_BYTES = 240 * 1024


def callback_urls(job: TraceJob) -> tuple[str, str]:
    """(webhook_url, webcomplete_url): the job id rides in the query string."""
    hook = f"{settings.PUBLIC_BASE_URL}/webhooks/reapi/{settings.WEBHOOK_TOKEN}/?job={job.pk}"
    return hook, f"{hook}&event=complete"


def sendable_records(*, job: TraceJob):
    """What this job sends: the records it covers (services.job_records) not covered by a
    reused result.

    Unlike traces.services.records_to_send this does not shrink as results arrive, so the
    chunk plan of a job is the same on every submit attempt.
    """
    reused = TraceResult.objects.filter(
        job=job, reused_from__isnull=False, record__isnull=False
    ).values("record_id")
    return job_records(job=job).exclude(pk__in=reused)


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


def _record_chunk(
    job: TraceJob,
    n: int,
    chunk: list[SkipRequest],
    *,
    state: str = ChunkState.ACCEPTED,
    batch_id: str = "",
    error: str = "",
) -> ReapiBatch:
    keys = [int(s.key) for s in chunk]
    if state == ChunkState.UNCONFIRMED and not batch_id:
        # Its results may have come before its (lost) answer: they confirm it at once.
        batch_id = _seen_batch_id(job, keys)
        if batch_id:
            state, error = ChunkState.ACCEPTED, ""
    received = TraceResult.objects.filter(job=job, record_id__in=keys).count() if batch_id else 0
    batch = ReapiBatch.objects.create(
        job=job,
        chunk=n,
        batch_id=batch_id,
        keys=len(chunk),
        received=received,
        state=state,
        record_ids=keys,
        error=error,
    )
    if batch_id:
        # A completion call that beat this record of its chunk was kept as unmatched.
        webhook_replay_unmatched(provider=TraceProvider.REAPI, kinds=["complete"], ref=batch_id)
    return batch


def _seen_batch_id(job: TraceJob, keys: list[int]) -> str:
    """The batchId RealEstateAPI's result webhooks gave any of these records, or ""."""
    seen = (
        TraceResult.objects.filter(job=job, record_id__in=keys, reused_from__isnull=True)
        .values_list("raw", flat=True)
        .first()
    )
    return str(seen.get("batchId") or "") if isinstance(seen, dict) else ""


def chunk_confirm(*, job: TraceJob, batch: ReapiBatch, batch_id: str, of: int) -> bool:
    """A chunk whose answer was unknown is confirmed by one of its own result webhooks."""
    claimed = ReapiBatch.objects.filter(pk=batch.pk, batch_id="").update(
        batch_id=batch_id, state=ChunkState.ACCEPTED
    )
    if claimed:
        job_services.job_event(
            job=job,
            detail=f"RealEstateAPI's result webhooks confirm batch {batch.chunk + 1:,} of {of:,} "
            f"as {batch_id}",
        )
        webhook_replay_unmatched(provider=TraceProvider.REAPI, kinds=["complete"], ref=batch_id)
    return bool(claimed)


LIVE = (ChunkState.ACCEPTED, ChunkState.UNCONFIRMED)


def _submitted(job: TraceJob, batches: list[ReapiBatch]) -> Submitted:
    live = [b for b in batches if b.state in LIVE]
    known = [b.batch_id for b in live if b.batch_id]
    ids = ", ".join(known) or "batch id not known yet"
    records = sum(b.keys for b in live)
    others = [b for b in batches if b.state not in LIVE]
    unknown = [b for b in live if not b.batch_id]
    notes = ""
    if unknown:
        notes += f"; {len(unknown):,} awaiting confirmation by their results"
    if others:
        notes += f"; {sum(b.keys for b in others):,} records in batches not accepted"
    # 1,000 result webhooks take 20 s at RealEstateAPI's 50 per second; the first poll is
    # never later than the deadline for a lost completion call, nor than the end of the
    # wait for a chunk whose answer was lost.
    expected = min(30.0 + 20.0 * len(live), settings.REAPI_CHUNK_DEADLINE_SECONDS * len(live))
    if unknown:
        expected = min(expected, settings.REAPI_CONFIRM_SECONDS + 1.0)
    return Submitted(
        provider_ref=known[0] if known else "",
        expected_seconds=expected,
        detail=f"RealEstateAPI accepted {records:,} records in {len(live):,} "
        f"batch{'es' if len(live) != 1 else ''} ({ids}){notes}",
    )


def _nothing_accepted(batches: list[ReapiBatch]) -> str:
    why = "; ".join(f"{b.keys:,} records {b.error}" for b in batches)
    return (
        f"RealEstateAPI has no batch of this trace that LeadOps could confirm ({why}). "
        "Credits returned; check its dashboard before retrying (it has no batch list LeadOps "
        "could check, and resending might charge twice)."
    )


class ReapiSteps:
    def submit(self, job: TraceJob) -> Submitted:
        chunks = job_chunks(job)
        recorded = {b.chunk: b for b in job.reapi_batches.all()}
        hook, complete = callback_urls(job)
        total = len(chunks)
        with providers.reapi_client() as client:
            for n, chunk in enumerate(chunks):
                if n in recorded:
                    continue
                TraceJob.objects.filter(pk=job.pk).update(
                    stage=f"Submitting batch {n + 1:,} of {total:,}"
                )
                try:
                    ack = client.skip_trace_batch(chunk, webhook_url=hook, webcomplete_url=complete)
                except ProviderUnavailable as exc:
                    if not exc.request_sent:
                        self._not_now(job, n, total, recorded, exc)
                        raise
                    recorded[n] = _record_chunk(
                        job,
                        n,
                        chunk,
                        state=ChunkState.UNCONFIRMED,
                        error=f"in batch {n + 1:,} of {total:,}, whose answer was lost ({exc})",
                    )
                    if recorded[n].batch_id:
                        job_services.job_event(
                            job=job,
                            detail=f"RealEstateAPI's result webhooks confirm batch {n + 1:,} of "
                            f"{total:,} as {recorded[n].batch_id} (its answer was lost: {exc})",
                        )
                        continue
                    job_services.job_event(
                        job=job,
                        detail=f"RealEstateAPI's answer to batch {n + 1:,} of {total:,} is unknown "
                        f"({exc}); it is never sent again: its own result webhooks will "
                        "confirm it. Going on with the next batches",
                    )
                    continue
                except ProviderError as exc:
                    if not exc.permanent:
                        self._not_now(job, n, total, recorded, exc)
                        raise
                    recorded[n] = _record_chunk(
                        job,
                        n,
                        chunk,
                        state=ChunkState.REFUSED,
                        error=f"in batch {n + 1:,} of {total:,}, which RealEstateAPI refused "
                        f"({exc})",
                    )
                    job_services.job_event(
                        job=job,
                        detail=f"RealEstateAPI refused batch {n + 1:,} of {total:,} ({exc}); "
                        "the other batches go on",
                    )
                    continue
                recorded[n] = _record_chunk(job, n, chunk, batch_id=ack.batch_id)
                note = (
                    f"; it counted {ack.receive_count:,}" if ack.receive_count != len(chunk) else ""
                )
                # A job of one batch says it once, when it is marked submitted (_submitted);
                # several batches are worth following one by one, and a miscount always.
                if total > 1 or note:
                    job_services.job_event(
                        job=job,
                        detail=f"RealEstateAPI accepted batch {n + 1:,} of {total:,} "
                        f"({len(chunk):,} records) as {ack.batch_id}{note}",
                    )
        batches = [recorded[n] for n in sorted(recorded)]
        if not any(b.state in LIVE for b in batches):
            raise InvalidRequest(_nothing_accepted(batches), provider=TraceProvider.REAPI)
        return _submitted(job, batches)

    @staticmethod
    def _not_now(job, n: int, total: int, recorded: dict, exc: ProviderError) -> None:
        if recorded:
            job_services.job_event(
                job=job,
                detail=f"RealEstateAPI did not accept batch {n + 1:,} of {total:,} ({exc}); the "
                f"{len(recorded):,} batch(es) already accepted are not sent again",
            )

    def give_up(self, job: TraceJob, reason: str) -> Submitted | None:
        """Submitting is exhausted: the chunks never sent are given up; the job goes on with
        the chunks RealEstateAPI has (None when it has none: the job fails)."""
        try:
            chunks = job_chunks(job)
        except ProviderError:
            return None
        recorded = {b.chunk: b for b in job.reapi_batches.all()}
        if not any(b.state in LIVE for b in recorded.values()):
            return None
        total = len(chunks)
        for n, chunk in enumerate(chunks):
            if n not in recorded:
                recorded[n] = _record_chunk(
                    job,
                    n,
                    chunk,
                    state=ChunkState.GIVEN_UP,
                    error=f"in batch {n + 1:,} of {total:,}, which could not be sent ({reason})",
                )
        return _submitted(job, [recorded[n] for n in sorted(recorded)])

    def find_submission(self, job: TraceJob) -> Submitted | None:
        """A submit whose worker stopped mid-way: RealEstateAPI has no batch list, so the
        first chunk without a row is confirmed by its own result webhooks if any came, and
        otherwise recorded as unconfirmed (never resent; poll gives it up after
        REAPI_CONFIRM_SECONDS). Chunks left → None, and the retry sends only those."""
        chunks = job_chunks(job)
        recorded = {b.chunk: b for b in job.reapi_batches.all()}
        pending = [n for n in range(len(chunks)) if n not in recorded]
        if pending:
            n = pending[0]
            batch_id = _seen_batch_id(job, [int(s.key) for s in chunks[n]])
            if batch_id:
                recorded[n] = _record_chunk(job, n, chunks[n], batch_id=str(batch_id))
                job_services.job_event(
                    job=job,
                    detail=f"RealEstateAPI's result webhooks confirm batch {n + 1:,} of "
                    f"{len(chunks):,} as {batch_id}",
                )
            else:
                recorded[n] = _record_chunk(
                    job,
                    n,
                    chunks[n],
                    state=ChunkState.UNCONFIRMED,
                    error=f"in batch {n + 1:,} of {len(chunks):,}, whose answer was lost",
                )
                job_services.job_event(
                    job=job,
                    detail=f"LeadOps lost RealEstateAPI's answer to batch {n + 1:,} of "
                    f"{len(chunks):,}; it is never sent again: its own result webhooks will "
                    "confirm it",
                )
            if len(pending) > 1:
                job_services.job_event(job=job, detail="Sending the remaining batches only")
                return None
        batches = [recorded[k] for k in sorted(recorded)]
        if not any(b.state in LIVE for b in batches):
            return None  # submit again: it finds nothing to send and fails the job
        return _submitted(job, batches)

    def poll(self, job: TraceJob) -> PollResult:
        now = timezone.now()
        window = timedelta(seconds=settings.REAPI_CONFIRM_SECONDS)
        batches = list(job.reapi_batches.all())
        total = len(batches)
        for b in batches:
            if b.state == ChunkState.UNCONFIRMED and now - b.created_at >= window:
                error = (
                    f"in batch {b.chunk + 1:,} of {total:,}, which RealEstateAPI did not confirm "
                    f"within {window.total_seconds():g} s"
                )
                gave_up = ReapiBatch.objects.filter(
                    pk=b.pk, state=ChunkState.UNCONFIRMED, batch_id=""
                ).update(state=ChunkState.GIVEN_UP, error=error)
                if gave_up:
                    job_services.job_event(
                        job=job,
                        detail=f"RealEstateAPI did not confirm batch {b.chunk + 1:,} of {total:,} "
                        "by any result; its records get no result (it is never sent again: "
                        "resending might charge twice)",
                    )
        batches = list(job.reapi_batches.all())
        progress = chunk_progress(job, batches)
        if not progress.live and not progress.waiting:
            return PollResult(ready=False, failed=True, detail=_nothing_accepted(batches))
        sent, received = progress.sent, progress.received
        if progress.waiting:
            left = min(window - (now - b.created_at) for b in progress.waiting)
            return PollResult(
                ready=False,
                detail=f"Waiting for RealEstateAPI to confirm {len(progress.waiting):,} "
                f"batch(es) by their results; {received:,} of {sent:,} results",
                retry_in=max(1.0, min(60.0, left.total_seconds())),
            )
        if progress.all_in:
            return PollResult(ready=True, detail="RealEstateAPI finished; every result received")
        grace = timedelta(seconds=settings.REAPI_RESULT_GRACE_SECONDS)
        if progress.all_complete and now - max(b.completed_at for b in progress.live) >= grace:
            return PollResult(
                ready=True,
                detail=f"RealEstateAPI finished; {sent - received:,} of {sent:,} results never "
                "arrived and get no result",
            )
        per_chunk = settings.REAPI_CHUNK_DEADLINE_SECONDS
        deadline = job.submitted_at + timedelta(seconds=per_chunk * max(1, len(progress.live)))
        if now >= deadline:
            return PollResult(
                ready=True,
                detail=f"No completion call from RealEstateAPI by the deadline; "
                f"{received:,} of {sent:,} results received, the rest get no result",
            )
        return PollResult(
            ready=False,
            detail=f"Tracing at RealEstateAPI: {received:,} of {sent:,} results",
            retry_in=max(1.0, min(60.0, (deadline - now).total_seconds())),
        )

    def ingest(self, job: TraceJob) -> Ingested:
        batches = list(job.reapi_batches.all())
        chunk_of = {rid: b for b in batches for rid in b.record_ids}
        reasons: dict[str, int] = {}
        with transaction.atomic():
            have = set(
                TraceResult.objects.filter(job=job, record__isnull=False).values_list(
                    "record_id", flat=True
                )
            )
            missing = []
            for pk, values in sendable_records(job=job).values_list("pk", "values").iterator(BULK):
                if pk in have:
                    continue
                batch = chunk_of.get(pk)
                why = batch.error if batch is not None and batch.state not in LIVE else LOST
                reasons[why] = reasons.get(why, 0) + 1
                missing.append(
                    TraceResult(
                        team_id=job.team_id,
                        job=job,
                        record_id=pk,
                        match_key=record_match_key(values),
                        status=MatchStatus.NO_RESULT,
                        raw={"note": f"no result received: {why}"},
                    )
                )
            TraceResult.objects.bulk_create(missing, batch_size=BULK, ignore_conflicts=True)
            fetched = TraceResult.objects.filter(job=job, reused_from__isnull=True)
            rows = fetched.filter(record__isnull=False).count()
            hits = fetched.filter(status=MatchStatus.HIT).count()
            errors = fetched.filter(status=MatchStatus.NO_RESULT, raw__has_key="statusCode")
            if errors.exists():
                reasons[ITEM_ERROR] = errors.count()
            no_result = fetched.filter(status=MatchStatus.NO_RESULT).count()
            unmatched = fetched.filter(status=MatchStatus.UNMATCHED).count()
            TraceJob.objects.filter(pk=job.pk).update(results_unmatched=unmatched)
        # RealEstateAPI reports no credits figure: charge what its pricing says, per hit.
        charged = min(hits * job.credits_per_record, job.estimated_credits)
        note = f"; {unmatched:,} results matched no record and were kept aside" if unmatched else ""
        lost = f"; {no_result:,} without a result" if no_result else ""
        return ingested_with_no_results(
            job=job,
            ingested=Ingested(
                charged_credits=charged,
                rows=rows,
                hits=hits,
                detail=f"{rows:,} results stored, {hits:,} hits{lost}; {charged:,} credits "
                f"charged (1 per hit; RealEstateAPI reports no credit figure){note}",
            ),
            reasons=reasons,
        )


LOST = "whose result webhook from RealEstateAPI never arrived"
ITEM_ERROR = "that RealEstateAPI answered with an error"


@dataclass(frozen=True)
class ChunkProgress:
    live: list[ReapiBatch]
    waiting: list[ReapiBatch]
    sent: int
    received: int

    @property
    def all_complete(self) -> bool:
        return bool(self.live) and all(b.completed_at for b in self.live)

    @property
    def all_in(self) -> bool:
        """No chunk awaits confirmation, every accepted one finished, every result stored."""
        return not self.waiting and self.all_complete and self.received >= self.sent


def chunk_progress(job: TraceJob, batches: list[ReapiBatch] | None = None) -> ChunkProgress:
    batches = list(job.reapi_batches.all()) if batches is None else batches
    live = [b for b in batches if b.state == ChunkState.ACCEPTED]
    return ChunkProgress(
        live=live,
        waiting=[b for b in batches if b.state == ChunkState.UNCONFIRMED],
        sent=sum(b.keys for b in live),
        received=results_received(job),
    )


def results_received(job: TraceJob) -> int:
    return TraceResult.objects.filter(
        job=job, record__isnull=False, reused_from__isnull=True
    ).count()
