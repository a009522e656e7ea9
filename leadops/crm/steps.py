"""A CRM push as job steps: submit sends the batches one by one; the rest only tallies.

The first run *prepares* the push (`crm_push_prepare`: records mapped, refusals and batches
stored in one transaction). Each batch is then decided on its own and recorded on its `CrmBatch`:

- *sent*: the CRM answered "queued"; its users are remembered (`crm_batch_sent`);
- *not processed* (a 502/503/504, a refused connection): the batch stays waiting and the
  run stops; the job machinery sends the rest again after its backoff. Attempts count runs
  without progress, so a long push survives a few hiccups;
- *rate limited* (a 429): the batch stays waiting, the job goes back to the queue after the
  CRM's `Retry-After`, without using an attempt;
- *answer lost* (a timeout, a 500, a worker that died mid-request): the CRM may have it, and
  its events would be recorded twice if it were resent, so it is never resent on its own;
  the push goes on with the next batch and the user may retry it;
- *failed* (a 400 or 413 for that body): the push goes on with the next batch.

Credentials the CRM refuses (401) stop the push: the batches not yet sent are recorded as
failed (`give_up`). A push whose batches did not all arrive ends "Complete with errors"
with a retry of exactly those batches' records offered on its page.
"""

from __future__ import annotations

from django.conf import settings

from leadops.jobs.registry import Ingested, PollResult, Submitted
from leadops.providers import crm_client
from leadops.providers.errors import (
    AuthFailed,
    InvalidRequest,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)

from . import services
from .models import RETRYABLE, BatchState, CrmBatch, CrmPush
from .selectors import batch_counts
from .sources import CRM_OFF


def _ref(job: CrmPush) -> str:
    return f"push-{job.pk}"


def _batches(n: int) -> str:
    return f"{n:,} batch" if n == 1 else f"{n:,} batches"


def _sent_words(job: CrmPush) -> str:
    sent = job.batches.filter(state=BatchState.SENT).count()
    return f"{sent:,} of {_batches(job.batches_total)} sent to the CRM"


class CrmSteps:
    def submit(self, job: CrmPush) -> Submitted:
        if not settings.CRM_ENABLED:  # turned off since the push was made
            raise InvalidRequest(CRM_OFF, provider="crm")
        try:
            services.crm_push_prepare(push=job)
        except services.NothingToSend as exc:
            # Permanent: the job fails with this sentence, its refusals listed on its page.
            raise InvalidRequest(str(exc), provider="crm") from None
        client = crm_client()
        progressed = False
        waiting = job.batches.filter(state=BatchState.PENDING).order_by("number")
        for batch in waiting.iterator(chunk_size=20):
            claimed = CrmBatch.objects.filter(pk=batch.pk, state=BatchState.PENDING).update(
                state=BatchState.SENDING, attempts=batch.attempts + 1
            )
            if not claimed:
                continue
            CrmPush.objects.filter(pk=job.pk).update(
                stage=f"Sending batch {batch.number:,} of {job.batches_total:,}"
            )
            batch.push = job
            try:
                client.batch(batch.items)
            except RateLimited:
                services.crm_batch_failed(batch=batch, state=BatchState.PENDING, error="")
                raise
            except ProviderUnavailable as exc:
                if exc.request_sent:
                    services.crm_batch_failed(
                        batch=batch,
                        state=BatchState.UNKNOWN,
                        error=f"The CRM's answer was lost ({exc}); it may have the batch.",
                    )
                    continue
                services.crm_batch_failed(batch=batch, state=BatchState.PENDING, error=str(exc))
                if progressed:
                    # Attempts count runs that sent nothing: this one did.
                    CrmPush.objects.filter(pk=job.pk).update(submit_attempts=1)
                    job.submit_attempts = 1
                raise
            except ProviderError as exc:
                if not exc.permanent or isinstance(exc, AuthFailed):
                    services.crm_batch_failed(batch=batch, state=BatchState.PENDING, error="")
                    raise
                services.crm_batch_failed(batch=batch, state=BatchState.FAILED, error=str(exc))
                continue
            services.crm_batch_sent(batch=batch)
            progressed = True
        return Submitted(_ref(job), expected_seconds=0.0, detail=_sent_words(job))

    def find_submission(self, job: CrmPush) -> Submitted | None:
        """A run stopped mid-request: its batch may have arrived (answer lost); the rest are
        sent again (None) unless nothing is left. A push never prepared starts again."""
        job.refresh_from_db(fields=["prepared_at"])
        if job.prepared_at is None:
            return None
        job.batches.filter(state=BatchState.SENDING).update(
            state=BatchState.UNKNOWN,
            error="The push stopped while this batch was on its way; the CRM may have it.",
        )
        if job.batches.filter(state=BatchState.PENDING).exists():
            return None
        return Submitted(_ref(job), expected_seconds=0.0, detail=_sent_words(job))

    def give_up(self, job: CrmPush, reason: str) -> Submitted | None:
        job.batches.filter(state__in=(BatchState.PENDING, BatchState.SENDING)).update(
            state=BatchState.FAILED, error=f"Not sent: {reason}"[:2000]
        )
        if not job.batches.filter(state__in=(BatchState.SENT, BatchState.UNKNOWN)).exists():
            return None
        return Submitted(_ref(job), expected_seconds=0.0, detail=_sent_words(job))

    def poll(self, job: CrmPush) -> PollResult:
        # The CRM queues what it accepts and has nothing to ask: every batch is decided.
        return PollResult(ready=True, detail=_sent_words(job))

    def ingest(self, job: CrmPush) -> Ingested:
        counts = batch_counts(push=job)
        by_state = {state: count["contacts"] for state, count in counts.items()}
        batches = {state: count["batches"] for state, count in counts.items()}
        sent = by_state.get(BatchState.SENT, 0)
        missing = sum(by_state.get(state, 0) for state in RETRYABLE)
        refused = f"{job.refused:,} record{'' if job.refused == 1 else 's'} refused"
        detail = (
            f"{sent:,} contact{'' if sent == 1 else 's'} sent to the CRM in "
            f"{_batches(batches.get(BatchState.SENT, 0))}; {refused}"
        )
        reason = ""
        if missing:
            failed, lost = batches.get(BatchState.FAILED, 0), batches.get(BatchState.UNKNOWN, 0)
            parts = [f"{_batches(failed)} refused by the CRM"] if failed else []
            if lost:
                them = "it" if lost == 1 else "them"
                parts.append(f"the answer to {_batches(lost)} was lost (the CRM may have {them})")
            reason = (
                f"{missing:,} contact{'' if missing == 1 else 's'} in {_batches(failed + lost)} "
                f"may not have reached the CRM: {'; '.join(parts)}. Retry "
                f"{'it' if failed + lost == 1 else 'them'} from this page."
            )
        return Ingested(
            charged_credits=0,
            rows=sent,
            hits=sent,
            detail=detail,
            failed_rows=missing,
            failure_reason=reason,
        )
