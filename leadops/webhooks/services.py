import logging

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


def webhook_receive(
    *, provider: str, body: bytes, payload: dict, query: dict, headers: dict
) -> tuple[WebhookEvent, bool]:
    """Store the raw event once (by its dedupe key) and queue processing after commit.

    Returns (event, created). A duplicate delivery only bumps a counter.
    """
    kind, key = registry.describe(provider, payload, query)
    kept = {h: headers[h] for h in KEPT_HEADERS if h in headers}
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider,
                kind=kind,
                dedupe_key=key[:255],
                body=body.decode("utf-8", errors="replace"),
                headers=kept,
                query=query,
            )
            enqueue_step(webhook_process_job, event.pk, job_id=f"webhook-{event.pk}", queue="high")
    except IntegrityError:
        WebhookEvent.objects.filter(dedupe_key=key[:255]).update(duplicates=F("duplicates") + 1)
        return WebhookEvent.objects.get(dedupe_key=key[:255]), False
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
            webhook_process_job,
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
        webhook_process_job,
        event.pk,
        job_id=f"webhook-{event.pk}-r{event.attempts}",
        queue="high",
    )


def webhook_process_job(event_id: int) -> None:
    """RQ entry point (kept here so the id-only job and its service sit together)."""
    webhook_process(event_id=event_id)
