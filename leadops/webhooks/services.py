"""Webhook intake and processing.

Intake stores each event raw and answers at once; processing runs in workers, in batches:
the intake asks for one *drain* step (`webhook_drain`) on the `webhooks` queue, which works
through every pending event in order, so 50 events a second cost a handful of RQ jobs
rather than 50 forked ones. Asking is one Redis round trip (a "drain wanted" flag, see
`queueing.signal_step`): only the event that finds no drain asked for queues one. At most
one drain waits while one runs (`webhook-drain`, then `webhook-drain-next`), and the
scheduled sweep (`webhook_sweep`) queues a drain for events that still wait (a lost Redis,
a drain that died), so nothing waits for ever.

The `webhooks` queue comes after `high` and `default` in the worker's queue order: a flood of
events never delays a paid submission or a poll queued behind it.
"""

import functools
import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from leadops.jobs.queueing import enqueue_step, signal_step, signal_taken
from leadops.webhooks import registry
from leadops.webhooks.models import EventStatus, WebhookEvent

log = logging.getLogger(__name__)

UNMATCHED_RETRIES = 3
UNMATCHED_DELAY = 5.0
KEPT_HEADERS = ("content-type", "user-agent", "x-request-id", "x-forwarded-for")
# RQ entry points (leadops.webhooks.tasks), named so that services never import tasks.
PROCESS_TASK = "leadops.webhooks.tasks.process"
DRAIN_TASK = "leadops.webhooks.tasks.drain"
QUEUE = "webhooks"
DRAIN_ID, DRAIN_NEXT_ID = "webhook-drain", "webhook-drain-next"
# One drain works this long at most, then hands over to a fresh one (queued behind whatever
# else arrived meanwhile), and reads this many pending events per query.
DRAIN_SECONDS = 10.0
DRAIN_BATCH = 200
SQLITE_PAUSE = 0.005


def webhook_receive(
    *, provider: str, body: bytes, payload: dict, query: dict, headers: dict
) -> tuple[int, bool]:
    """Store the raw event once (by its dedupe key) and ask for a drain after commit.

    Returns (the event's id, created). A duplicate delivery only bumps the original's
    counter.

    This is the intake's hot path (providers send up to 50 events a second, bursts more):
    one statement stores a new event or counts a redelivery (`INSERT … ON CONFLICT (dedupe_key)
    DO UPDATE … RETURNING`, on PostgreSQL and SQLite alike), its own transaction in
    autocommit, and asking for a drain is one Redis round trip (`signal_drain`), for new
    events only.
    """
    described = registry.provider(provider).describe(payload, query)
    fields = {
        "provider": provider,
        "kind": described.kind,
        "ref": described.ref[:120],
        "dedupe_key": described.dedupe_key[:255],
        "body": body.decode("utf-8", errors="replace"),
        "headers": {h: headers[h] for h in KEPT_HEADERS if h in headers},
        "query": query,
        "received_at": timezone.now(),
        "status": EventStatus.PENDING,
        "error": "",
        "attempts": 0,
        "duplicates": 0,
    }
    event_id, duplicates = _store_event(fields)
    created = duplicates == 0
    if created:
        signal_drain()
    return event_id, created


def _store_event(fields: dict) -> tuple[int, int]:
    """Insert the event, or count one more delivery of the stored one: (id, its duplicates
    after this statement; 0 when it was inserted).

    In autocommit a connection found dead (the database restarted, an idle connection cut)
    is replaced and the statement sent once more: the intake skips Django's per-request
    health check, and the dedupe key makes a second try harmless (if the first did commit,
    the second is counted as a redelivery).
    """
    try:
        return _upsert(fields)
    except (InterfaceError, OperationalError):
        if connection.in_atomic_block or connection.is_usable():
            raise
        log.warning("the database connection was dead; storing the webhook event again")
        connection.close()
        return _upsert(fields)


def _upsert(fields: dict) -> tuple[int, int]:
    columns = [WebhookEvent._meta.get_field(name) for name in fields]
    params = [c.get_db_prep_save(fields[c.name], connection) for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(tuple(c.column for c in columns)), params)
        return cursor.fetchone()


@functools.cache
def _upsert_sql(columns: tuple[str, ...]) -> str:
    """The statement of `_upsert` (the same for PostgreSQL and SQLite), built once."""
    table, quote = WebhookEvent._meta.db_table, connection.ops.quote_name
    return (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote('dedupe_key')}) DO UPDATE "
        f"SET {quote('duplicates')} = {quote(table)}.{quote('duplicates')} + 1 "
        f"RETURNING {quote('id')}, {quote('duplicates')}"
    )


def signal_drain() -> None:
    """Ask for a drain after commit: one Redis round trip when one is asked for already."""
    signal_step(
        DRAIN_TASK,
        job_id=DRAIN_ID,
        queue=QUEUE,
        then_id=DRAIN_NEXT_ID,
        ttl=settings.WEBHOOK_STALE_SECONDS,
    )


def queue_drain() -> None:
    """Make sure a drain will run after the current transaction commits, whatever the
    "drain wanted" flag says (the sweep, a drain out of time, an admin's reprocess)."""
    enqueue_step(DRAIN_TASK, job_id=DRAIN_ID, queue=QUEUE, then_id=DRAIN_NEXT_ID)


def webhook_drain(*, seconds: float = DRAIN_SECONDS, batch: int = DRAIN_BATCH) -> int:
    """Process pending events, oldest first, for up to `seconds`; returns how many.

    Events left when the time is up get a fresh drain, queued behind anything that arrived
    on the `webhooks` queue meanwhile.
    """
    deadline = time.monotonic() + seconds
    done = 0
    # Before the first look: an event committed after it asks for (and gets) another drain.
    signal_taken(DRAIN_ID)
    while True:
        pending = list(
            WebhookEvent.objects.filter(status=EventStatus.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not pending:
            return done
        for event_id in pending:
            if time.monotonic() >= deadline:
                queue_drain()
                return done
            webhook_process(event_id=event_id)
            done += 1
            if connection.vendor == "sqlite":
                # SQLite has one writer at a time and its waiters poll; without a pause a
                # drain re-takes the lock at once and starves the intake (which must answer
                # the provider within seconds). PostgreSQL locks rows and needs none.
                time.sleep(SQLITE_PAUSE)


def webhook_sweep(*, older_than: float | None = None) -> int:
    """The scheduled sweep: queue a drain if any event has waited longer than `older_than`
    seconds (WEBHOOK_STALE_SECONDS). Returns how many events were waiting."""
    if older_than is None:
        older_than = settings.WEBHOOK_STALE_SECONDS
    cutoff = timezone.now() - timedelta(seconds=older_than)
    waiting = WebhookEvent.objects.filter(status=EventStatus.PENDING, received_at__lt=cutoff)
    count = waiting.count()
    if count:
        log.warning("%d webhook events waited over %ss; queueing a drain", count, older_than)
        queue_drain()
    return count


def webhook_process(*, event_id: int) -> WebhookEvent | None:
    """Hand a stored event to its app's handler and record the outcome.

    The event row stays locked while its handler runs, so two drains (or a drain and a
    reprocess) never handle one event at once; None when another holds it now.
    """
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id)
            .exclude(status__in=[EventStatus.PROCESSED, EventStatus.IGNORED])
            .first()
        )
        if event is None:
            return WebhookEvent.objects.filter(pk=event_id).first()
        event.attempts += 1
        handler = registry.handler_for(event.provider, event.kind)
        status, error = EventStatus.IGNORED, ""
        if handler is not None:
            try:
                with transaction.atomic():
                    status = handler(event=event, payload=event.payload())
                # A handler's note (registry.Handled) is kept where the error would be.
                status, error = str(status), getattr(status, "note", "")
            except Exception as exc:
                log.exception("webhook %s failed", event.pk)
                status, error = EventStatus.FAILED, f"{type(exc).__name__}: {exc}"
        event.status, event.error, event.processed_at = status, error, timezone.now()
        event.save(update_fields=["attempts", "status", "error", "processed_at"])
    if status == EventStatus.UNMATCHED and event.attempts < UNMATCHED_RETRIES:
        # The webhook can beat the commit that stored the provider's id: look again shortly.
        enqueue_step(
            PROCESS_TASK,
            event.pk,
            job_id=f"webhook-{event.pk}-a{event.attempts}",
            queue=QUEUE,
            delay=UNMATCHED_DELAY * event.attempts,
        )
    return event


def webhook_reprocess(*, event: WebhookEvent) -> None:
    """Run an unmatched or failed event through its handler again (admin action, replay)."""
    WebhookEvent.objects.filter(pk=event.pk).update(status=EventStatus.PENDING, error="")
    queue_drain()


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
