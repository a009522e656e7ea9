"""What a Tracerfy webhook is: its kind, the key that makes a redelivery a duplicate, and the
queue it is about.

``describe_webhook`` is the webhook registry's ``describe`` for Tracerfy (registered by
``leadops.providers.apps``); the payloads themselves parse with the area's queue shape:
``TraceQueue`` (trace), ``ParcelQueue`` (parcel_trace), ``DncQueue`` (dnc_scrub) and
``LeadListStatus`` (lead_list).
"""

from __future__ import annotations

from leadops.webhooks.registry import EventId

from ..parsing import body_digest


def describe_webhook(payload: dict, query: dict) -> EventId:
    """Trace (normal/advanced), parcel trace, DNC scrub and lead list completions; ``ref`` is
    the queue id (a parcel queue's own id for parcel traces, a separate id space)."""
    kind = payload.get("type") or ("trace" if "trace_type" in payload else "unknown")
    ref = payload.get("parcel_queue_id") if kind == "parcel_trace" else payload.get("id")
    state = payload.get("status") or ("pending" if payload.get("pending") else "done")
    if ref is None:
        return EventId(kind, f"tracerfy:{kind}:{body_digest(payload)}")
    return EventId(kind, f"tracerfy:{kind}:{ref}:{state}", ref=str(ref))
