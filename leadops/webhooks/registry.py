"""Who handles which webhook: providers describe their events, apps handle them.

    describe: provider → function(payload: dict, query: dict) -> (kind, dedupe key)
    handlers: (provider, kind) → function(event, payload) -> EventStatus value

A handler returns PROCESSED, IGNORED or UNMATCHED and must be idempotent: a duplicate, late
or out-of-order event changes nothing twice (claim with a conditional update).
"""

import hashlib
import json
from collections.abc import Callable

Describe = Callable[[dict, dict], tuple[str, str]]
Handler = Callable[..., str]

_describers: dict[str, Describe] = {}
_handlers: dict[tuple[str, str], Handler] = {}


def body_digest(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()[:32]


def register_provider(provider: str, describe: Describe) -> None:
    _describers[provider] = describe


def register_handler(provider: str, kind: str, handler: Handler) -> None:
    _handlers[(provider, kind)] = handler


def providers() -> set[str]:
    return set(_describers)


def describe(provider: str, payload: dict, query: dict) -> tuple[str, str]:
    return _describers[provider](payload, query)


def handler_for(provider: str, kind: str) -> Handler | None:
    return _handlers.get((provider, kind))


# --- the providers' event shapes (documented in ../shared/providers/) -----------------------


def describe_tracerfy(payload: dict, query: dict) -> tuple[str, str]:
    """Trace (normal/advanced), parcel trace, DNC scrub and lead list completions."""
    kind = payload.get("type") or ("trace" if "trace_type" in payload else "unknown")
    ref = payload.get("parcel_queue_id") if kind == "parcel_trace" else payload.get("id")
    state = payload.get("status") or ("pending" if payload.get("pending") else "done")
    if ref is None:
        return kind, f"tracerfy:{kind}:{body_digest(payload)}"
    return kind, f"tracerfy:{kind}:{ref}:{state}"


def describe_reapi(payload: dict, query: dict) -> tuple[str, str]:
    """Per-item results (batchRequestId) and the batch completion call (webcomplete_url)."""
    data = payload.get("data") if isinstance(payload.get("data"), dict) else payload
    batch = data.get("batchId") or payload.get("batchId") or query.get("batch", "")
    if query.get("event") == "complete" or (
        "batchRequestId" not in data and "batchRequestId" not in payload
    ):
        return "complete", f"reapi:complete:{batch or body_digest(payload)}"
    item = data.get("batchRequestId") or payload.get("batchRequestId")
    return "item", f"reapi:item:{batch}:{item}"


register_provider("tracerfy", describe_tracerfy)
register_provider("reapi", describe_reapi)
