import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from leadops.jobs.queueing import enqueue_step
from leadops.webhooks import registry
from leadops.webhooks.models import EventStatus, WebhookEvent

log = logging.getLogger(__name__)

UNMATCHED_RETRIES = 3
UNMATCHED_DELAY = 5.0
KEPT_HEADERS = ("content-type", "user-agent", "x-request-id", "x-forwarded-for")
# RQ entry point (leadops.webhooks.tasks), named so that services never import tasks.
PROCESS_TASK = "leadops.webhooks.tasks.process"


def webhook_receive(
    *, provider: str, body: bytes, payload: dict, query: dict, headers: dict
) -> tuple[WebhookEvent, bool]:
    """Store the raw event once (by its dedupe key) and queue processing after commit.

    Returns (event, created). A duplicate delivery only bumps a counter.
    """
    described = registry.provider(provider).describe(payload, query)
    key = described.dedupe_key[:255]
    kept = {h: headers[h] for h in KEPT_HEADERS if h in headers}
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider,
                kind=described.kind,
                ref=described.ref[:120],
                dedupe_key=key,
                body=body.decode("utf-8", errors="replace"),
                headers=kept,
                query=query,
            )
            enqueue_step(PROCESS_TASK, event.pk, job_id=f"webhook-{event.pk}", queue="high")
    except IntegrityError:
        WebhookEvent.objects.filter(dedupe_key=key).update(duplicates=F("duplicates") + 1)
        return WebhookEvent.objects.get(dedupe_key=key), False
    return event, True


def webhook_process(*, event_id: int) -> WebhookEvent:
    """Hand a stored event to its app's handler and record the outcome."""
    event = WebhookEvent.objects.get(pk=event_id)
    if event.status in {EventStatus.PROCESSED, EventStatus.IGNORED}:
        return event
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    handler = registry.handler_for(event.provider, event.kind)
    status, error = EventStatus.IGNORED, ""
    if handler is not None:
        try:
            status = handler(event=event, payload=event.payload())
        except Exception as exc:
            log.exception("webhook %s failed", event.pk)
            status, error = EventStatus.FAILED, f"{type(exc).__name__}: {exc}"
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=status, error=error, processed_at=timezone.now()
    )
    event.refresh_from_db()
    if status == EventStatus.UNMATCHED and event.attempts < UNMATCHED_RETRIES:
        # The webhook can beat the commit that stored the provider's id: look again shortly.
        enqueue_step(
            PROCESS_TASK,
            event.pk,
            job_id=f"webhook-{event.pk}-a{event.attempts}",
            queue="high",
            delay=UNMATCHED_DELAY * event.attempts,
        )
    return event


def webhook_reprocess(*, event: WebhookEvent) -> None:
    """Admin action: run an unmatched or failed event through its handler again."""
    WebhookEvent.objects.filter(pk=event.pk).update(status=EventStatus.PENDING, error="")
    enqueue_step(
        PROCESS_TASK,
        event.pk,
        job_id=f"webhook-{event.pk}-r{event.attempts}",
        queue="high",
    )


def webhook_replay_unmatched(*, provider: str, kinds: Iterable[str], ref: str) -> int:
    """Reprocess the unmatched events of `provider` about `ref` (a queue or batch id).

    A fast provider can call back between its answer to our POST and our commit of the id it
    gave; such an event was kept as unmatched. Returns how many were queued again.
    """
    kinds = list(kinds)
    if not kinds or not ref:
        return 0
    early = WebhookEvent.objects.filter(
        provider=provider, kind__in=kinds, ref=ref, status=EventStatus.UNMATCHED
    )
    for event in early:
        webhook_reprocess(event=event)
    return len(early)
