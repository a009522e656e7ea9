"""Completion webhooks for every registered job kind.

A `PaidJob` subclass lists in `COMPLETION_WEBHOOKS` the (provider, webhook kind) pairs that
announce one of its jobs finished. The handler here finds the job by the provider's id in
the event (`WebhookEvent.ref`) and re-reads the provider's status (a poll): nothing is
trusted from the payload, so duplicate, late and out-of-order deliveries change nothing twice.
"""

from leadops.jobs.registry import all_kinds
from leadops.jobs.services import job_poll_now
from leadops.webhooks.models import EventStatus
from leadops.webhooks.registry import Handler


def job_completed(*, event, payload: dict) -> str:
    if not event.ref:
        return EventStatus.IGNORED
    pair = (event.provider, event.kind)
    for model, _steps in all_kinds():
        if pair not in model.COMPLETION_WEBHOOKS:
            continue
        job = (
            model.objects.filter(model.webhook_filter(event.kind))
            .filter(provider=event.provider, provider_ref=event.ref)
            .first()
        )
        if job is not None:
            job_poll_now(job=job, why=f"Provider webhook: {event.kind} {event.ref} finished")
            return EventStatus.PROCESSED
    return EventStatus.UNMATCHED


def completion_handler(provider: str, kind: str) -> Handler | None:
    """The registry's resolver: `job_completed` for any pair a registered job kind declares."""
    if any((provider, kind) in model.COMPLETION_WEBHOOKS for model, _steps in all_kinds()):
        return job_completed
    return None
