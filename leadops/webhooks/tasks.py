"""RQ entry points of the webhook layer: take ids, call one service."""

from leadops.webhooks import services


def process(event_id: int) -> None:
    services.webhook_process(event_id=event_id)


def drain() -> int:
    return services.webhook_drain()


def sweep() -> int:
    return services.webhook_sweep()
