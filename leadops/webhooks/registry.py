"""Who handles which webhook: providers describe their events, apps handle them.

    providers: name → ProviderWebhooks (how to name an event, and any extra authentication)
    handlers:  (provider, kind) → function(event, payload) -> EventStatus value
    resolvers: functions (provider, kind) → handler or None, asked when no handler is registered

Each provider registers its own description (`leadops/providers/apps.py`); feature apps
register handlers for the events they own; the job machinery registers a resolver that
claims every completion webhook a job kind declares. This module names no provider.

A handler returns PROCESSED, IGNORED or UNMATCHED and must be idempotent: a duplicate, late
or out-of-order event changes nothing twice (claim with a conditional update).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EventId:
    """What a provider's payload says an event is.

    `dedupe_key` is unique per real event (a redelivery gets the same key); `ref` is the
    provider's id of the job the event is about (a queue id), or "" when it names none.
    """

    kind: str
    dedupe_key: str
    ref: str = ""


def _no_extra_check(headers: Mapping[str, str]) -> bool:
    return True


@dataclass(frozen=True)
class ProviderWebhooks:
    """One provider's webhooks: `describe(payload, query)` names an event; `authenticate`
    checks what the provider sends besides the URL token (a header key, a signature)."""

    provider: str
    describe: Callable[[dict, dict], EventId]
    authenticate: Callable[[Mapping[str, str]], bool] = _no_extra_check


class Handled(str):
    """A handler's outcome, an EventStatus value, with a note kept on the event (shown in
    Admin → Webhook events): why an event was ignored, for instance. A handler may return a
    plain status instead; `Handled(EventStatus.IGNORED, "…") == EventStatus.IGNORED`."""

    note: str

    def __new__(cls, status: str, note: str = ""):
        handled = super().__new__(cls, status)
        handled.note = note
        return handled


Handler = Callable[..., str]
Resolver = Callable[[str, str], Handler | None]

_providers: dict[str, ProviderWebhooks] = {}
_handlers: dict[tuple[str, str], Handler] = {}
_resolvers: list[Resolver] = []


def register_provider(spec: ProviderWebhooks) -> None:
    _providers[spec.provider] = spec


def register_handler(provider: str, kind: str, handler: Handler) -> None:
    _handlers[(provider, kind)] = handler


def register_resolver(resolver: Resolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def provider(name: str) -> ProviderWebhooks | None:
    return _providers.get(name)


def handler_for(provider: str, kind: str) -> Handler | None:
    handler = _handlers.get((provider, kind))
    if handler is not None:
        return handler
    for resolver in _resolvers:
        handler = resolver(provider, kind)
        if handler is not None:
            return handler
    return None
