"""RQ entry points of the webhook layer: take ids, call one service."""

from leadops.webhooks.services import webhook_process


def process(event_id: int) -> None:
    webhook_process(event_id=event_id)
