"""Tracerfy: skip trace (batch, instant, APN), DNC scrubbing and the lead builder.

Contract: ``shared/providers/tracerfy-api.md``. One method per documented endpoint; each
returns a frozen dataclass parsed by its ``from_json``. Paid submissions are never retried
(see ``base``); free reads and previews are. Webhook payloads share the queue parsers:
``TraceQueue`` (normal/advanced), ``ParcelQueue`` (parcel_trace), ``DncQueue`` (dnc_scrub)
and ``LeadListStatus`` (lead_list).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from leadops.webhooks.registry import EventId

from .base import ProviderClient
from .errors import AuthFailed, InsufficientCredits, MalformedResponse, ParseError, ProviderError
from .parsing import (
    as_list,
    as_mapping,
    body_digest,
    opt_bool,
    opt_datetime,
    opt_dict,
    opt_float,
    opt_int,
    opt_list,
    opt_str,
    opt_url,
    req_bool,
    req_datetime,
    req_int,
    req_str,
    str_tuple,
)

TraceType = Literal["normal", "advanced"]

# Rate-limit families (see ratelimit.DEFAULT_LIMITS for the numbers).
TRACE = "tracerfy.trace"
LOOKUP = "tracerfy.lookup"
PARCEL = "tracerfy.parcel"
PARCEL_LOOKUP = "tracerfy.parcel_lookup"
READ = "tracerfy.read"
DNC = "tracerfy.dnc"
DNC_LOOKUP = "tracerfy.dnc_lookup"
PREVIEW = "tracerfy.preview"
EXECUTE = "tracerfy.execute"
LEAD_LOOKUP = "tracerfy.lead_lookup"
AUTOCOMPLETE = "tracerfy.autocomplete"
AI_ASSIST = "tracerfy.ai_assist"

TRACE_PHONE_COLUMNS = (
    "primary_phone", "mobile_1", "mobile_2", "mobile_3", "mobile_4", "mobile_5",
    "landline_1", "landline_2", "landline_3",
)  # fmt: skip
PROPENSITY_VERTICALS = ("sell", "refi", "roof_renovate", "hvac_renovate", "solar_renovate")


# -- shared pieces ----------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    number: str
    type: str = ""
    dnc: bool | None = None
    tcpa: bool | None = None
    carrier: str = ""
    rank: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> Phone:
        data = as_mapping(data, "phone")
        return cls(
            number=req_str(data, "number"),
            type=opt_str(data, "type"),
            dnc=_opt_flag(data, "dnc"),
            tcpa=_opt_flag(data, "tcpa"),
            carrier=opt_str(data, "carrier"),
            rank=opt_int(data, "rank"),
        )


@dataclass(frozen=True)
class Email:
    email: str
    rank: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> Email:
        data = as_mapping(data, "email")
        return cls(email=req_str(data, "email"), rank=opt_int(data, "rank"))


@dataclass(frozen=True)
class MailingAddress:
    street: str
    city: str
    state: str
    zip: str

    @classmethod
    def from_json(cls, data: Any) -> MailingAddress:
        data = as_mapping(data, "mailing_address")
        # Instant lookups say "street"; the lead-builder lookup says "address".
        street = opt_str(data, "street") or opt_str(data, "address")
        return cls(
            street=street,
            city=opt_str(data, "city"),
            state=opt_str(data, "state"),
            zip=opt_str(data, "zip"),
        )


@dataclass(frozen=True)
class Person:
    """One person found by an instant trace or parcel lookup."""

    first_name: str
    last_name: str
    full_name: str
    dob: str = ""
    age: int | None = None
    deceased: bool = False
    property_owner: bool = False
    litigator: bool = False
    mailing_address: MailingAddress | None = None
    phones: tuple[Phone, ...] = ()
    emails: tuple[Email, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> Person:
        data = as_mapping(data, "person")
        first, last = opt_str(data, "first_name"), opt_str(data, "last_name")
        mailing = data.get("mailing_address")
        return cls(
            first_name=first,
            last_name=last,
            full_name=opt_str(data, "full_name") or f"{first} {last}".strip(),
            dob=opt_str(data, "dob"),
            # The trace lookup sends age as "41", the parcel lookup as 51.
            age=opt_int(data, "age"),
            deceased=opt_bool(data, "deceased"),
            property_owner=opt_bool(data, "property_owner"),
            litigator=opt_bool(data, "litigator"),
            mailing_address=MailingAddress.from_json(mailing) if mailing else None,
            phones=tuple(Phone.from_json(p) for p in opt_list(data, "phones")),
            emails=tuple(Email.from_json(e) for e in opt_list(data, "emails")),
        )


def _opt_flag(data: Mapping[str, Any], key: str) -> bool | None:
    if data.get(key) is None:
        return None
    return opt_bool(data, key)


def _persons(data: Mapping[str, Any]) -> tuple[Person, ...]:
    return tuple(Person.from_json(p) for p in opt_list(data, "persons"))


# -- skip trace -------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceColumns:
    """Which column of the uploaded rows holds each field (the ``*_column`` parameters).

    Normal traces need address, city, state, names and mailing address; advanced traces
    only address, city and state (Tracerfy finds the rest).
    """

    address: str
    city: str
    state: str
    zip: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    mail_address: str | None = None
    mail_city: str | None = None
    mail_state: str | None = None
    mailing_zip: str | None = None

    def as_params(self) -> dict[str, str]:
        names = {
            "address_column": self.address,
            "city_column": self.city,
            "state_column": self.state,
            "zip_column": self.zip,
            "first_name_column": self.first_name,
            "last_name_column": self.last_name,
            "mail_address_column": self.mail_address,
            "mail_city_column": self.mail_city,
            "mail_state_column": self.mail_state,
            "mailing_zip_column": self.mailing_zip,
        }
        return {name: value for name, value in names.items() if value}


@dataclass(frozen=True)
class TraceQueue:
    """One trace queue from the queue list, and the shape of trace completion webhooks.

    ``rows_uploaded`` and ``credits_deducted`` may be absent while pending.
    """

    id: int
    created_at: dt.datetime
    pending: bool
    download_url: str | None = None
    rows_uploaded: int | None = None
    credits_deducted: int | None = None
    queue_type: str = ""
    trace_type: str = ""
    credits_per_lead: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> TraceQueue:
        data = as_mapping(data, "queue")
        return cls(
            id=req_int(data, "id"),
            created_at=req_datetime(data, "created_at"),
            pending=req_bool(data, "pending"),
            download_url=opt_url(data, "download_url"),
            rows_uploaded=opt_int(data, "rows_uploaded"),
            credits_deducted=opt_int(data, "credits_deducted"),
            queue_type=opt_str(data, "queue_type"),
            trace_type=opt_str(data, "trace_type"),
            credits_per_lead=opt_int(data, "credits_per_lead"),
        )


@dataclass(frozen=True)
class QueuePage:
    """One page of ``GET queues/`` with the pagination headers (X-Total-Count, Link)."""

    queues: tuple[TraceQueue, ...]
    page: int
    total_count: int | None = None
    next_page: int | None = None
    prev_page: int | None = None
    last_page: int | None = None

    @classmethod
    def from_json(cls, data: Any, *, page: int = 1, headers: Mapping[str, str] | None = None):
        items = as_list(data, "queues")
        headers = headers or {}
        links = _link_pages(headers.get("link", ""))
        total = headers.get("x-total-count", "")
        return cls(
            queues=tuple(TraceQueue.from_json(item) for item in items),
            page=page,
            total_count=int(total) if total.strip().isdigit() else None,
            next_page=links.get("next"),
            prev_page=links.get("prev"),
            last_page=links.get("last"),
        )


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([a-z]+)"?')


def _link_pages(header: str) -> dict[str, int]:
    """``rel -> page number`` from an RFC 8288 Link header."""
    pages = {}
    for url, rel in _LINK.findall(header):
        values = parse_qs(urlsplit(url).query).get("page")
        pages[rel] = int(values[0]) if values and values[0].isdigit() else 1
    return pages


@dataclass(frozen=True)
class TraceRecord:
    """One row of ``GET queue/:id`` (normal, advanced and custom share the columns)."""

    address: str
    city: str
    state: str
    first_name: str = ""
    last_name: str = ""
    mail_address: str = ""
    mail_city: str = ""
    mail_state: str = ""
    primary_phone: str = ""
    primary_phone_type: str = ""
    mobiles: tuple[str, ...] = ()
    landlines: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> TraceRecord:
        data = as_mapping(data, "record")

        def numbered(stem: str, count: int) -> tuple[str, ...]:
            values = (opt_str(data, f"{stem}_{i}") for i in range(1, count + 1))
            return tuple(v for v in values if v)

        return cls(
            address=req_str(data, "address"),
            city=opt_str(data, "city"),
            state=opt_str(data, "state"),
            first_name=opt_str(data, "first_name"),
            last_name=opt_str(data, "last_name"),
            mail_address=opt_str(data, "mail_address"),
            mail_city=opt_str(data, "mail_city"),
            mail_state=opt_str(data, "mail_state"),
            primary_phone=opt_str(data, "primary_phone"),
            primary_phone_type=opt_str(data, "primary_phone_type"),
            mobiles=numbered("mobile", 5),
            landlines=numbered("landline", 3),
            emails=numbered("email", 5),
        )

    @property
    def hit(self) -> bool:
        return bool(self.primary_phone or self.mobiles or self.landlines or self.emails)

    @staticmethod
    def list_from_json(data: Any) -> tuple[TraceRecord, ...]:
        return tuple(TraceRecord.from_json(item) for item in as_list(data, "records"))


@dataclass(frozen=True)
class Analytics:
    total_queues: int
    properties_traced: int
    queues_pending: int
    queues_completed: int
    balance: int

    @classmethod
    def from_json(cls, data: Any) -> Analytics:
        data = as_mapping(data, "analytics")
        return cls(
            total_queues=req_int(data, "total_queues"),
            properties_traced=req_int(data, "properties_traced"),
            queues_pending=req_int(data, "queues_pending"),
            queues_completed=req_int(data, "queues_completed"),
            balance=req_int(data, "balance"),
        )


@dataclass(frozen=True)
class TraceAccepted:
    """Answer to ``POST trace/``: the queue now exists and will be charged on completion."""

    queue_id: int
    status: str = "pending"
    created_at: dt.datetime | None = None
    rows_uploaded: int | None = None
    trace_type: str = ""
    credits_per_lead: int | None = None
    estimated_wait_seconds: int | None = None
    message: str = ""

    @classmethod
    def from_json(cls, data: Any) -> TraceAccepted:
        data = as_mapping(data, "trace acknowledgement")
        return cls(
            queue_id=req_int(data, "queue_id"),
            status=opt_str(data, "status", "pending"),
            created_at=opt_datetime(data, "created_at"),
            rows_uploaded=opt_int(data, "rows_uploaded"),
            trace_type=opt_str(data, "trace_type"),
            credits_per_lead=opt_int(data, "credits_per_lead"),
            estimated_wait_seconds=opt_int(data, "estimated_wait_seconds"),
            message=opt_str(data, "message"),
        )


@dataclass(frozen=True)
class TraceLookupResult:
    """Instant trace lookup: ``hit`` and the persons found; 5 credits on a hit."""

    hit: bool
    credits_deducted: int
    persons: tuple[Person, ...] = ()
    persons_count: int = 0
    address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    find_owner: bool = True

    @classmethod
    def from_json(cls, data: Any) -> TraceLookupResult:
        data = as_mapping(data, "trace lookup")
        persons = _persons(data)
        return cls(
            hit=req_bool(data, "hit"),
            credits_deducted=req_int(data, "credits_deducted"),
            persons=persons,
            persons_count=opt_int(data, "persons_count") or len(persons),
            address=opt_str(data, "address"),
            city=opt_str(data, "city"),
            state=opt_str(data, "state"),
            zip=opt_str(data, "zip"),
            find_owner=opt_bool(data, "find_owner", True),
        )


# -- APN / parcel -----------------------------------------------------------------------


@dataclass(frozen=True)
class ParcelAccepted:
    parcel_queue_id: int
    status: str = "pending"
    created_at: dt.datetime | None = None
    rows_uploaded: int | None = None
    credits_per_parcel: int | None = None
    message: str = ""

    @classmethod
    def from_json(cls, data: Any) -> ParcelAccepted:
        data = as_mapping(data, "parcel acknowledgement")
        return cls(
            parcel_queue_id=req_int(data, "parcel_queue_id"),
            status=opt_str(data, "status", "pending"),
            created_at=opt_datetime(data, "created_at"),
            rows_uploaded=opt_int(data, "rows_uploaded"),
            credits_per_parcel=opt_int(data, "credits_per_parcel"),
            message=opt_str(data, "message"),
        )


@dataclass(frozen=True)
class ParcelQueue:
    """``GET trace/parcel/queue/:id`` (shape undocumented; read like the parcel webhook,
    which this also parses)."""

    id: int
    status: str
    pending: bool
    download_url: str | None = None
    rows_uploaded: int | None = None
    rows_hit: int | None = None
    credits_deducted: int | None = None
    credits_per_parcel: int | None = None
    created_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> ParcelQueue:
        data = as_mapping(data, "parcel queue")
        key = "parcel_queue_id" if "parcel_queue_id" in data else "id"
        status = opt_str(data, "status")
        if data.get("pending") is not None:
            pending = opt_bool(data, "pending")
        elif status:
            pending = status == "pending"
        else:
            pending = req_bool(data, "pending")
        return cls(
            id=req_int(data, key),
            status=status or ("pending" if pending else "completed"),
            pending=pending,
            download_url=opt_url(data, "download_url"),
            rows_uploaded=opt_int(data, "rows_uploaded"),
            rows_hit=opt_int(data, "rows_hit"),
            credits_deducted=opt_int(data, "credits_deducted"),
            credits_per_parcel=opt_int(data, "credits_per_parcel"),
            created_at=opt_datetime(data, "created_at"),
            completed_at=opt_datetime(data, "completed_at"),
        )


@dataclass(frozen=True)
class ParcelLookupResult:
    hit: bool
    credits_deducted: int
    persons: tuple[Person, ...] = ()
    persons_count: int = 0
    parcel_id: str = ""
    county: str = ""
    state: str = ""

    @classmethod
    def from_json(cls, data: Any) -> ParcelLookupResult:
        data = as_mapping(data, "parcel lookup")
        persons = _persons(data)
        return cls(
            hit=req_bool(data, "hit"),
            credits_deducted=req_int(data, "credits_deducted"),
            persons=persons,
            persons_count=opt_int(data, "persons_count") or len(persons),
            parcel_id=opt_str(data, "parcel_id"),
            county=opt_str(data, "county"),
            state=opt_str(data, "state"),
        )


# -- DNC --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DncAccepted:
    """Answer to ``POST dnc/scrub/`` and ``dnc/scrub-from-queue/``."""

    dnc_queue_id: int
    status: str = "pending"
    created_at: dt.datetime | None = None
    phones_to_check: int | None = None
    credits_per_phone: int | None = None
    source_queue_id: int | None = None
    phone_columns_used: tuple[str, ...] = ()
    message: str = ""

    @classmethod
    def from_json(cls, data: Any) -> DncAccepted:
        data = as_mapping(data, "DNC acknowledgement")
        return cls(
            dnc_queue_id=req_int(data, "dnc_queue_id"),
            status=opt_str(data, "status", "pending"),
            created_at=opt_datetime(data, "created_at"),
            phones_to_check=opt_int(data, "phones_to_check"),
            credits_per_phone=opt_int(data, "credits_per_phone"),
            source_queue_id=opt_int(data, "source_queue_id"),
            phone_columns_used=str_tuple(data, "phone_columns_used"),
            message=opt_str(data, "message"),
        )


@dataclass(frozen=True)
class DncQueue:
    """``GET dnc/queue/:id`` and the DNC completion webhook; counts absent while pending."""

    id: int
    pending: bool
    created_at: dt.datetime | None = None
    download_url: str | None = None
    clean_download_url: str | None = None
    rows_uploaded: int | None = None
    phones_checked: int | None = None
    phones_clean: int | None = None
    credits_deducted: int | None = None
    source_type: str = ""

    @classmethod
    def from_json(cls, data: Any) -> DncQueue:
        data = as_mapping(data, "DNC queue")
        return cls(
            id=req_int(data, "id"),
            pending=req_bool(data, "pending"),
            created_at=opt_datetime(data, "created_at"),
            download_url=opt_url(data, "download_url"),
            clean_download_url=opt_url(data, "clean_download_url"),
            rows_uploaded=opt_int(data, "rows_uploaded"),
            phones_checked=opt_int(data, "phones_checked"),
            phones_clean=opt_int(data, "phones_clean"),
            credits_deducted=opt_int(data, "credits_deducted"),
            source_type=opt_str(data, "source_type"),
        )


@dataclass(frozen=True)
class DncLookupResult:
    phone: str
    national_dnc: bool
    state_dnc: bool
    dma: bool
    litigator: bool
    is_clean: bool
    credits_deducted: int
    hit: bool = True
    phone_type: str = ""

    @classmethod
    def from_json(cls, data: Any) -> DncLookupResult:
        data = as_mapping(data, "DNC lookup")
        return cls(
            phone=req_str(data, "phone"),
            national_dnc=req_bool(data, "national_dnc"),
            state_dnc=req_bool(data, "state_dnc"),
            dma=req_bool(data, "dma"),
            litigator=req_bool(data, "litigator"),
            is_clean=req_bool(data, "is_clean"),
            credits_deducted=req_int(data, "credits_deducted"),
            hit=opt_bool(data, "hit", True),
            phone_type=opt_str(data, "phone_type"),
        )


# -- lead builder -----------------------------------------------------------------------


@dataclass(frozen=True)
class Strategy:
    key: str
    label: str
    description: str = ""
    default_filters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Strategy:
        data = as_mapping(data, "strategy")
        return cls(
            key=req_str(data, "key"),
            label=opt_str(data, "label") or req_str(data, "key"),
            description=opt_str(data, "description"),
            default_filters=opt_dict(data, "default_filters"),
        )

    @staticmethod
    def list_from_json(data: Any) -> tuple[Strategy, ...]:
        data = as_mapping(data, "filters")
        return tuple(Strategy.from_json(s) for s in as_list(data.get("strategies"), "strategies"))


@dataclass(frozen=True)
class LeadPreview:
    """Free preview: matches, the capped count you would pay for, and the ceiling cost."""

    count: int
    capped_count: int
    requested_count: int
    max_credit_cost: int
    max_credit_cost_usd: float | None = None
    strategy: str = ""
    strategy_label: str = ""
    filters_applied: dict[str, Any] = field(default_factory=dict)
    pins: tuple[tuple[float, float], ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> LeadPreview:
        data = as_mapping(data, "preview")
        pins = []
        for pin in opt_list(data, "pins"):
            pin = as_mapping(pin, "pin")
            lat, lon = opt_float(pin, "latitude"), opt_float(pin, "longitude")
            if lat is not None and lon is not None:
                pins.append((lat, lon))
        return cls(
            count=req_int(data, "count"),
            capped_count=req_int(data, "capped_count"),
            requested_count=req_int(data, "requested_count"),
            max_credit_cost=req_int(data, "max_credit_cost"),
            max_credit_cost_usd=opt_float(data, "max_credit_cost_usd"),
            strategy=opt_str(data, "strategy"),
            strategy_label=opt_str(data, "strategy_label"),
            filters_applied=opt_dict(data, "filters_applied"),
            pins=tuple(pins),
        )


@dataclass(frozen=True)
class LeadBuildAccepted:
    """Answer (202) to ``POST lead-builder/execute/``."""

    id: int
    status: str = "pending"
    progress_stage: str = ""
    created_at: dt.datetime | None = None
    requested_count: int | None = None
    max_credit_cost: int | None = None
    poll_url: str = ""

    @classmethod
    def from_json(cls, data: Any) -> LeadBuildAccepted:
        data = as_mapping(data, "execute acknowledgement")
        return cls(
            id=req_int(data, "id"),
            status=opt_str(data, "status", "pending"),
            progress_stage=opt_str(data, "progress_stage"),
            created_at=opt_datetime(data, "created_at"),
            requested_count=opt_int(data, "requested_count"),
            max_credit_cost=opt_int(data, "max_credit_cost"),
            poll_url=opt_str(data, "poll_url"),
        )


@dataclass(frozen=True)
class LeadListStatus:
    """``GET lead-builder/<id>/`` and the lead_list webhook (which has ``pending``, not
    ``status``)."""

    id: int
    status: str
    name: str = ""
    strategy: str = ""
    strategy_label: str = ""
    source: str = ""
    progress_stage: str = ""
    progress_percent: int | None = None
    requested_count: int | None = None
    actual_count: int | None = None
    credits_deducted: int | None = None
    download_url: str | None = None
    error_message: str = ""
    created_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    poll_url: str = ""

    @property
    def is_complete(self) -> bool:
        return self.status in ("complete", "completed")

    @classmethod
    def from_json(cls, data: Any) -> LeadListStatus:
        data = as_mapping(data, "lead list")
        status = opt_str(data, "status")
        if not status:
            status = "pending" if req_bool(data, "pending") else "complete"
        return cls(
            id=req_int(data, "id"),
            status=status,
            name=opt_str(data, "name"),
            strategy=opt_str(data, "strategy"),
            strategy_label=opt_str(data, "strategy_label"),
            source=opt_str(data, "source"),
            progress_stage=opt_str(data, "progress_stage"),
            progress_percent=opt_int(data, "progress_percent"),
            requested_count=opt_int(data, "requested_count"),
            actual_count=opt_int(data, "actual_count"),
            credits_deducted=opt_int(data, "credits_deducted"),
            download_url=opt_url(data, "download_url"),
            error_message=opt_str(data, "error_message"),
            created_at=opt_datetime(data, "created_at"),
            completed_at=opt_datetime(data, "completed_at"),
            poll_url=opt_str(data, "poll_url"),
        )


@dataclass(frozen=True)
class PropensityFactor:
    name: str
    points: int
    reason: str = ""


@dataclass(frozen=True)
class PropensityScore:
    vertical: str
    score: int
    category: str = ""
    factors: tuple[PropensityFactor, ...] = ()


def _propensity(data: Mapping[str, Any]) -> tuple[PropensityScore, ...]:
    scores = []
    for vertical in PROPENSITY_VERTICALS:
        score = opt_int(data, f"{vertical}_propensity_score")
        if score is None:
            continue
        factors = []
        for raw in opt_list(data, f"{vertical}_propensity_factors"):
            raw = as_mapping(raw, "propensity factor")
            factors.append(
                PropensityFactor(
                    name=req_str(raw, "name"),
                    points=req_int(raw, "points"),
                    reason=opt_str(raw, "reason"),
                )
            )
        scores.append(
            PropensityScore(
                vertical=vertical,
                score=score,
                category=opt_str(data, f"{vertical}_propensity_category"),
                factors=tuple(factors),
            )
        )
    return tuple(scores)


@dataclass(frozen=True)
class LeadRow:
    """One lead-list row. The fields the app reads are typed; ``data`` keeps every column
    (50+) for exports, so new provider columns are never lost."""

    address: str
    city: str
    state: str
    zip_code: str = ""
    county: str = ""
    owner_first_name: str = ""
    owner_last_name: str = ""
    primary_phone: str = ""
    email: str = ""
    has_contact: bool = False
    contact_clean: bool = False
    propensity: tuple[PropensityScore, ...] = ()
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> LeadRow:
        data = as_mapping(data, "lead row")
        return cls(
            address=req_str(data, "address"),
            city=opt_str(data, "city"),
            state=opt_str(data, "state"),
            zip_code=opt_str(data, "zip_code"),
            county=opt_str(data, "county"),
            owner_first_name=opt_str(data, "owner_1_first_name"),
            owner_last_name=opt_str(data, "owner_1_last_name"),
            primary_phone=opt_str(data, "primary_phone"),
            email=opt_str(data, "email_1"),
            has_contact=opt_bool(data, "has_contact"),
            contact_clean=opt_bool(data, "contact_clean"),
            propensity=_propensity(data),
            data=dict(data),
        )


@dataclass(frozen=True)
class LeadRowsPage:
    lead_list_id: int
    page: int
    per_page: int
    total_rows: int
    total_pages: int
    rows: tuple[LeadRow, ...]

    @classmethod
    def from_json(cls, data: Any) -> LeadRowsPage:
        data = as_mapping(data, "lead rows")
        return cls(
            lead_list_id=req_int(data, "lead_list_id"),
            page=req_int(data, "page"),
            per_page=req_int(data, "per_page"),
            total_rows=req_int(data, "total_rows"),
            total_pages=req_int(data, "total_pages"),
            rows=tuple(LeadRow.from_json(r) for r in as_list(data.get("rows"), "rows")),
        )


@dataclass(frozen=True)
class LeadLookupResult:
    """Single-address lead lookup: 10 credits when the property is found (``hit``), with
    or without a skip-trace hit; a miss carries only the echoed address."""

    hit: bool
    credits_deducted: int
    skip_trace_hit: bool = False
    property: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    propensity: tuple[PropensityScore, ...] = ()
    owners: tuple[tuple[str, str], ...] = ()
    mailing_address: MailingAddress | None = None
    phones: tuple[Phone, ...] = ()
    emails: tuple[Email, ...] = ()
    litigator: bool = False
    has_contact: bool = False
    contact_clean: bool = False
    address: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""

    @classmethod
    def from_json(cls, data: Any) -> LeadLookupResult:
        data = as_mapping(data, "lead lookup")
        prop = opt_dict(data, "property")
        contacts = opt_dict(data, "contacts")
        owners = []
        for owner in opt_list(data, "owners"):
            owner = as_mapping(owner, "owner")
            owners.append((opt_str(owner, "first_name"), opt_str(owner, "last_name")))
        mailing = data.get("mailing_address")
        return cls(
            hit=req_bool(data, "hit"),
            credits_deducted=req_int(data, "credits_deducted"),
            skip_trace_hit=opt_bool(data, "skip_trace_hit"),
            property=prop,
            propensity=_propensity(prop),
            owners=tuple(owners),
            mailing_address=MailingAddress.from_json(mailing) if mailing else None,
            phones=tuple(Phone.from_json(p) for p in opt_list(contacts, "phones")),
            emails=tuple(Email.from_json(e) for e in opt_list(contacts, "emails")),
            litigator=opt_bool(contacts, "litigator"),
            has_contact=opt_bool(contacts, "has_contact"),
            contact_clean=opt_bool(contacts, "contact_clean"),
            address=opt_str(data, "address") or opt_str(prop, "address"),
            city=opt_str(data, "city") or opt_str(prop, "city"),
            state=opt_str(data, "state") or opt_str(prop, "state"),
            zip_code=opt_str(data, "zip_code") or opt_str(prop, "zip_code"),
        )


@dataclass(frozen=True)
class AddressMatch:
    """One autocomplete match; pass ``street_address`` (not ``address``) to lookups."""

    street_address: str
    city: str
    state: str
    zip: str
    title: str = ""
    address: str = ""
    house: str = ""
    street: str = ""
    county: str = ""
    state_fips: str = ""
    county_fips: str = ""
    fips: str = ""
    apn: str = ""
    latitude: float | None = None
    longitude: float | None = None
    location: str = ""

    @classmethod
    def from_json(cls, data: Any) -> AddressMatch:
        data = as_mapping(data, "autocomplete result")
        return cls(
            street_address=req_str(data, "street_address"),
            city=opt_str(data, "city"),
            state=opt_str(data, "state"),
            zip=opt_str(data, "zip"),
            title=opt_str(data, "title"),
            address=opt_str(data, "address"),
            house=opt_str(data, "house"),
            street=opt_str(data, "street"),
            county=opt_str(data, "county"),
            state_fips=opt_str(data, "state_fips"),
            county_fips=opt_str(data, "county_fips"),
            fips=opt_str(data, "fips"),
            apn=opt_str(data, "apn"),
            latitude=opt_float(data, "latitude"),
            longitude=opt_float(data, "longitude"),
            location=opt_str(data, "location"),
        )


@dataclass(frozen=True)
class AutocompleteResult:
    query: str
    results: tuple[AddressMatch, ...]
    credits_deducted: int = 0

    @classmethod
    def from_json(cls, data: Any) -> AutocompleteResult:
        data = as_mapping(data, "autocomplete")
        return cls(
            query=opt_str(data, "query"),
            results=tuple(
                AddressMatch.from_json(r) for r in as_list(data.get("results"), "results")
            ),
            credits_deducted=opt_int(data, "credits_deducted") or 0,
        )


@dataclass(frozen=True)
class Rationale:
    summary: str = ""
    steps: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AiAssistResult:
    """A ready-to-run spec (``strategy``, ``geography``, ``filter_overrides``), or a
    clarifying question to answer with the same ``conversation_id``."""

    strategy: str
    geography: dict[str, Any]
    filter_overrides: dict[str, Any]
    needs_clarification: bool
    conversation_id: str
    credits_deducted: int
    strategy_label: str = ""
    rationale: Rationale = field(default_factory=Rationale)
    confidence: float | None = None
    clarifying_question: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> AiAssistResult:
        data = as_mapping(data, "AI assist")
        rationale = opt_dict(data, "rationale")
        return cls(
            strategy=opt_str(data, "strategy", "custom"),
            geography=opt_dict(data, "geography"),
            filter_overrides=opt_dict(data, "filter_overrides"),
            needs_clarification=req_bool(data, "needs_clarification"),
            conversation_id=req_str(data, "conversation_id"),
            credits_deducted=opt_int(data, "credits_deducted") or 0,
            strategy_label=opt_str(data, "strategy_label"),
            rationale=Rationale(
                summary=opt_str(rationale, "summary"),
                steps=str_tuple(rationale, "steps"),
                assumptions=str_tuple(rationale, "assumptions"),
                warnings=str_tuple(rationale, "warnings"),
            ),
            confidence=opt_float(data, "confidence"),
            clarifying_question=opt_str(data, "clarifying_question") or None,
        )


# -- the client -------------------------------------------------------------------------


class TracerfyClient(ProviderClient):
    """Every endpoint of the Tracerfy API, over one ``httpx.Client``."""

    provider = "tracerfy"
    display_name = "Tracerfy"

    def __init__(self, *, api_key: str, **options: Any) -> None:
        """``options`` are ProviderClient's: base_url, timeouts, limiter, retry, transport."""
        super().__init__(headers={"Authorization": f"Bearer {api_key}"}, **options)

    def classify(self, status: int, body: Any, message: str) -> type[ProviderError] | None:
        # Tracerfy documents the messages, not the statuses, of these errors: the words
        # decide, whatever 4xx they come with.
        if 400 <= status < 500 and message.startswith("Insufficient credits"):
            return InsufficientCredits
        if 400 <= status < 500 and "temporarily suspended" in message:
            return AuthFailed
        return None

    # skip trace

    def list_queues(self, *, page: int = 1) -> QueuePage:
        """``GET queues/``: 100 queues per page, newest first, with pagination headers."""
        response = self.request(
            "GET", "queues/", params={"page": page}, family=READ, idempotent=True
        )
        return self.parse(
            response,
            lambda body: QueuePage.from_json(body, page=page, headers=response.headers),
        )

    def get_queue(self, queue_id: int) -> tuple[TraceRecord, ...]:
        """``GET queue/:id``: the traced records of one queue."""
        response = self.request("GET", f"queue/{int(queue_id)}", family=READ, idempotent=True)
        return self.parse(response, TraceRecord.list_from_json)

    def trace_download(self, download_url: str) -> Iterator[TraceRecord]:
        """The traced records of a finished queue from its ``download_url`` CSV (the same
        columns as ``GET queue/:id``), streamed. Raises what ``download_csv`` raises, and
        ``MalformedResponse`` for a row without an address."""
        for line, row in enumerate(self.download_csv(download_url), start=2):
            try:
                yield TraceRecord.from_json(row)
            except ParseError as exc:
                raise MalformedResponse(
                    f"Tracerfy's result file has an unreadable row (line {line}): {exc}.",
                    provider=self.provider,
                ) from exc

    def analytics(self) -> Analytics:
        response = self.request("GET", "analytics/", family=READ, idempotent=True)
        return self.parse(response, Analytics.from_json)

    def trace_csv(
        self,
        *,
        csv_file: bytes,
        columns: TraceColumns,
        trace_type: TraceType = "normal",
        filename: str = "records.csv",
    ) -> TraceAccepted:
        """``POST trace/`` with a CSV upload. Paid work: never retried."""
        response = self.request(
            "POST",
            "trace/",
            family=TRACE,
            data={**columns.as_params(), "trace_type": trace_type},
            files={"csv_file": (filename, csv_file, "text/csv")},
        )
        return self.parse(response, TraceAccepted.from_json)

    def trace_records(
        self,
        *,
        records: Sequence[Mapping[str, Any]],
        columns: TraceColumns,
        trace_type: TraceType = "normal",
    ) -> TraceAccepted:
        """``POST trace/`` with ``json_data`` (a JSON array, sent as the documented string).

        Paid work: never retried.
        """
        body = {
            **columns.as_params(),
            "trace_type": trace_type,
            "json_data": json.dumps([dict(record) for record in records]),
        }
        response = self.request("POST", "trace/", family=TRACE, json_body=body)
        return self.parse(response, TraceAccepted.from_json)

    def trace_lookup(
        self,
        *,
        address: str,
        city: str,
        state: str,
        zip: str | None = None,
        find_owner: bool = True,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> TraceLookupResult:
        """``POST trace/lookup/``: instant single-address trace (5 credits per hit)."""
        body: dict[str, Any] = {
            "address": address,
            "city": city,
            "state": state,
            "find_owner": find_owner,
        }
        if zip:
            body["zip"] = zip
        if first_name:
            body["first_name"] = first_name
        if last_name:
            body["last_name"] = last_name
        response = self.request("POST", "trace/lookup/", family=LOOKUP, json_body=body)
        return self.parse(response, TraceLookupResult.from_json)

    # APN / parcel

    def parcel_trace(
        self,
        *,
        csv_file: bytes,
        parcel_id_column: str,
        county_column: str,
        state_column: str,
        filename: str = "parcels.csv",
    ) -> ParcelAccepted:
        """``POST trace/parcel/``: APN batch (5 credits per hit). Never retried."""
        response = self.request(
            "POST",
            "trace/parcel/",
            family=PARCEL,
            data={
                "parcel_id_column": parcel_id_column,
                "county_column": county_column,
                "state_column": state_column,
            },
            files={"csv_file": (filename, csv_file, "text/csv")},
        )
        return self.parse(response, ParcelAccepted.from_json)

    def parcel_queue(self, parcel_queue_id: int) -> ParcelQueue:
        response = self.request(
            "GET", f"trace/parcel/queue/{int(parcel_queue_id)}", family=READ, idempotent=True
        )
        return self.parse(response, ParcelQueue.from_json)

    def parcel_lookup(self, *, parcel_id: str, county: str, state: str) -> ParcelLookupResult:
        """``POST trace/parcel/lookup/``: instant single-parcel trace (5 credits per hit)."""
        response = self.request(
            "POST",
            "trace/parcel/lookup/",
            family=PARCEL_LOOKUP,
            json_body={"parcel_id": parcel_id, "county": county, "state": state},
        )
        return self.parse(response, ParcelLookupResult.from_json)

    # DNC

    def dnc_scrub_csv(
        self,
        *,
        csv_file: bytes,
        phone_columns: Sequence[str],
        label_columns: Sequence[str] = (),
        filename: str = "phones.csv",
    ) -> DncAccepted:
        """``POST dnc/scrub/`` with a CSV (one or several phone columns). Never retried."""
        if not phone_columns:
            raise ValueError("at least one phone column is required")
        data: dict[str, str] = {}
        if len(phone_columns) == 1:
            data["phone_column"] = phone_columns[0]
        else:
            data["phone_columns"] = json.dumps(list(phone_columns))
        if len(label_columns) == 1:
            data["label_column"] = label_columns[0]
        elif label_columns:
            data["label_columns"] = json.dumps(list(label_columns))
        response = self.request(
            "POST",
            "dnc/scrub/",
            family=DNC,
            data=data,
            files={"csv_file": (filename, csv_file, "text/csv")},
        )
        return self.parse(response, DncAccepted.from_json)

    def dnc_scrub_phones(self, phones: Sequence[str]) -> DncAccepted:
        """``POST dnc/scrub/`` with a JSON phone list. Never retried."""
        response = self.request(
            "POST", "dnc/scrub/", family=DNC, json_body={"phones": list(phones)}
        )
        return self.parse(response, DncAccepted.from_json)

    def dnc_scrub_from_queue(
        self, *, queue_id: int, phone_columns: Sequence[str] | None = None
    ) -> DncAccepted:
        """``POST dnc/scrub-from-queue/``; all nine phone fields when ``phone_columns`` is
        None. Never retried."""
        body: dict[str, Any] = {"queue_id": int(queue_id)}
        if phone_columns is not None:
            body["phone_columns"] = list(phone_columns)
        response = self.request("POST", "dnc/scrub-from-queue/", family=DNC, json_body=body)
        return self.parse(response, DncAccepted.from_json)

    def dnc_queue(self, dnc_queue_id: int) -> DncQueue:
        response = self.request(
            "GET", f"dnc/queue/{int(dnc_queue_id)}", family=READ, idempotent=True
        )
        return self.parse(response, DncQueue.from_json)

    def dnc_lookup(self, phone: str) -> DncLookupResult:
        """``POST dnc/lookup/``: one phone, 5 credits."""
        response = self.request(
            "POST", "dnc/lookup/", family=DNC_LOOKUP, json_body={"phone": phone}
        )
        return self.parse(response, DncLookupResult.from_json)

    # lead builder

    def lead_filters(self) -> tuple[Strategy, ...]:
        """``GET lead-builder/filters/``: preset strategies and their default filters."""
        response = self.request("GET", "lead-builder/filters/", family=READ, idempotent=True)
        return self.parse(response, Strategy.list_from_json)

    def lead_preview(
        self,
        *,
        geography: Mapping[str, Any],
        requested_count: int,
        strategy: str = "custom",
        filter_overrides: Mapping[str, Any] | None = None,
        include_pins: bool = False,
    ) -> LeadPreview:
        """``POST lead-builder/preview/``: free, so retried like a read."""
        body = _lead_spec(geography, requested_count, strategy, filter_overrides)
        if include_pins:
            body["include_pins"] = True
        response = self.request(
            "POST", "lead-builder/preview/", family=PREVIEW, idempotent=True, json_body=body
        )
        return self.parse(response, LeadPreview.from_json)

    def lead_execute(
        self,
        *,
        geography: Mapping[str, Any],
        requested_count: int,
        strategy: str = "custom",
        filter_overrides: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> LeadBuildAccepted:
        """``POST lead-builder/execute/``: the charged build (5 credits per delivered row).
        Never retried."""
        body = _lead_spec(geography, requested_count, strategy, filter_overrides)
        if name:
            body["name"] = name
        response = self.request("POST", "lead-builder/execute/", family=EXECUTE, json_body=body)
        return self.parse(response, LeadBuildAccepted.from_json)

    def lead_status(self, lead_list_id: int) -> LeadListStatus:
        response = self.request(
            "GET", f"lead-builder/{int(lead_list_id)}/", family=READ, idempotent=True
        )
        return self.parse(response, LeadListStatus.from_json)

    def lead_rows(self, lead_list_id: int, *, page: int = 1, per_page: int = 100) -> LeadRowsPage:
        """``GET lead-builder/<id>/rows/``; raises ``NotReady`` while the list builds."""
        response = self.request(
            "GET",
            f"lead-builder/{int(lead_list_id)}/rows/",
            params={"page": page, "per_page": per_page},
            family=READ,
            idempotent=True,
        )
        return self.parse(response, LeadRowsPage.from_json)

    def lead_lookup(
        self, *, address: str, city: str, state: str, zip_code: str | None = None
    ) -> LeadLookupResult:
        """``POST lead-builder/lookup/``: one full lead row (10 credits when found)."""
        body = {"address": address, "city": city, "state": state}
        if zip_code:
            body["zip_code"] = zip_code
        response = self.request("POST", "lead-builder/lookup/", family=LEAD_LOOKUP, json_body=body)
        return self.parse(response, LeadLookupResult.from_json)

    def lead_autocomplete(self, search: str) -> AutocompleteResult:
        """``POST lead-builder/autocomplete/``: free address resolution, retried like a read."""
        response = self.request(
            "POST",
            "lead-builder/autocomplete/",
            family=AUTOCOMPLETE,
            idempotent=True,
            json_body={"search": search},
        )
        return self.parse(response, AutocompleteResult.from_json)

    def lead_ai_assist(self, prompt: str, *, conversation_id: str | None = None) -> AiAssistResult:
        """``POST lead-builder/ai-assist/`` (1 credit per answer). Never retried."""
        body = {"prompt": prompt}
        if conversation_id:
            body["conversation_id"] = conversation_id
        response = self.request("POST", "lead-builder/ai-assist/", family=AI_ASSIST, json_body=body)
        return self.parse(response, AiAssistResult.from_json)


def _lead_spec(
    geography: Mapping[str, Any],
    requested_count: int,
    strategy: str,
    filter_overrides: Mapping[str, Any] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "strategy": strategy,
        "geography": dict(geography),
        "requested_count": int(requested_count),
    }
    if filter_overrides:
        body["filter_overrides"] = dict(filter_overrides)
    return body


# -- webhooks ---------------------------------------------------------------------------


def describe_webhook(payload: dict, query: dict) -> EventId:
    """Tracerfy's account webhook: trace (normal/advanced), parcel trace, DNC scrub and lead
    list completions. `ref` is the queue id (a parcel queue's own id for parcel traces)."""
    kind = payload.get("type") or ("trace" if "trace_type" in payload else "unknown")
    ref = payload.get("parcel_queue_id") if kind == "parcel_trace" else payload.get("id")
    state = payload.get("status") or ("pending" if payload.get("pending") else "done")
    if ref is None:
        return EventId(kind, f"tracerfy:{kind}:{body_digest(payload)}")
    return EventId(kind, f"tracerfy:{kind}:{ref}:{state}", ref=str(ref))
