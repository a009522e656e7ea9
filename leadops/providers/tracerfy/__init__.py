"""Tracerfy: skip trace (batch, instant, APN), DNC scrubbing and the lead builder.

Contract: ``docs/providers/tracerfy-api.md``. One method per documented endpoint; each
returns a frozen dataclass parsed by its ``from_json``. Paid submissions are never retried
(see ``base``); free reads and previews are. Webhook payloads share the queue parsers:
``TraceQueue`` (normal/advanced), ``ParcelQueue`` (parcel_trace), ``DncQueue`` (dnc_scrub)
and ``LeadListStatus`` (lead_list).

One module per API area; this package exports every public name of each:

- ``client``: ``TracerfyClient`` and the rate-limit families (``TRACE`` ... ``AI_ASSIST``);
- ``common``: ``Phone``, ``Email``, ``MailingAddress``, ``Person``;
- ``trace``: batch and instant skip trace, queues, records, analytics;
- ``parcel``: APN / parcel traces;
- ``dnc``: DNC scrubbing;
- ``leads``: the lead builder (strategies, preview, build, rows, lookup, autocomplete, AI);
- ``webhooks``: ``describe_webhook`` (kinds: trace, parcel_trace, dnc_scrub, lead_list).
"""

from .client import (
    AI_ASSIST,
    AUTOCOMPLETE,
    DNC,
    DNC_LOOKUP,
    EXECUTE,
    LEAD_LOOKUP,
    LOOKUP,
    PARCEL,
    PARCEL_LOOKUP,
    PREVIEW,
    READ,
    TRACE,
    TracerfyClient,
)
from .common import Email, MailingAddress, Person, Phone
from .dnc import DncAccepted, DncLookupResult, DncQueue
from .leads import (
    PROPENSITY_VERTICALS,
    AddressMatch,
    AiAssistResult,
    AutocompleteResult,
    LeadBuildAccepted,
    LeadListStatus,
    LeadLookupResult,
    LeadPreview,
    LeadRow,
    LeadRowsPage,
    PropensityFactor,
    PropensityScore,
    Rationale,
    Strategy,
)
from .parcel import ParcelAccepted, ParcelLookupResult, ParcelQueue
from .trace import (
    TRACE_PHONE_COLUMNS,
    Analytics,
    QueuePage,
    TraceAccepted,
    TraceColumns,
    TraceLookupResult,
    TraceQueue,
    TraceRecord,
    TraceType,
)
from .webhooks import describe_webhook

__all__ = [
    "AI_ASSIST",
    "AUTOCOMPLETE",
    "DNC",
    "DNC_LOOKUP",
    "EXECUTE",
    "LEAD_LOOKUP",
    "LOOKUP",
    "PARCEL",
    "PARCEL_LOOKUP",
    "PREVIEW",
    "PROPENSITY_VERTICALS",
    "READ",
    "TRACE",
    "TRACE_PHONE_COLUMNS",
    "AddressMatch",
    "AiAssistResult",
    "Analytics",
    "AutocompleteResult",
    "DncAccepted",
    "DncLookupResult",
    "DncQueue",
    "Email",
    "LeadBuildAccepted",
    "LeadListStatus",
    "LeadLookupResult",
    "LeadPreview",
    "LeadRow",
    "LeadRowsPage",
    "MailingAddress",
    "ParcelAccepted",
    "ParcelLookupResult",
    "ParcelQueue",
    "Person",
    "Phone",
    "PropensityFactor",
    "PropensityScore",
    "QueuePage",
    "Rationale",
    "Strategy",
    "TraceAccepted",
    "TraceColumns",
    "TraceLookupResult",
    "TraceQueue",
    "TraceRecord",
    "TraceType",
    "TracerfyClient",
    "describe_webhook",
]
