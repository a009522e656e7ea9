"""Tracerfy's account-level completion webhooks, for every registered job kind.

The payload only triggers a fresh read of the provider's status (a poll); nothing is trusted
from it. Duplicates, late and out-of-order deliveries therefore change nothing twice.
"""

from django.db.models import Q

from leadops.jobs.registry import all_kinds
from leadops.webhooks.models import EventStatus, WebhookEvent
from leadops.webhooks.registry import register_handler
from leadops.webhooks.services import webhook_reprocess

TRACERFY_KINDS = ("trace", "parcel_trace", "dnc_scrub", "lead_list")


def replay_early_events(*, job) -> int:
    """Reprocess completion webhooks that arrived before `job`'s queue id was committed.

    A fast provider can call back between its answer to our POST and our commit; such an
    event was kept as unmatched. Returns how many were queued again.
    """
    if not job.webhook_kinds or not job.provider.startswith("tracerfy"):
        return 0
    prefixes = Q()
    for kind in job.webhook_kinds:
        prefixes |= Q(dedupe_key__startswith=f"tracerfy:{kind}:{job.provider_ref}:")
    early = WebhookEvent.objects.filter(prefixes, status=EventStatus.UNMATCHED)
    for event in early:
        webhook_reprocess(event=event)
    return len(early)


def tracerfy_completed(*, event, payload: dict) -> str:
    from leadops.jobs.services import job_poll_now

    ref = payload.get("parcel_queue_id") if event.kind == "parcel_trace" else payload.get("id")
    if ref is None:
        return EventStatus.IGNORED
    for model, _steps in all_kinds():
        if event.kind not in model.WEBHOOK_KINDS:
            continue
        job = (
            model.objects.filter(model.webhook_filter(event.kind))
            .filter(provider__startswith="tracerfy", provider_ref=str(ref))
            .first()
        )
        if job is not None:
            job_poll_now(job=job, why=f"Provider webhook: {event.kind} {ref} finished")
            return EventStatus.PROCESSED
    return EventStatus.UNMATCHED


def register() -> None:
    for kind in TRACERFY_KINDS:
        register_handler("tracerfy", kind, tracerfy_completed)
