"""Tracerfy skip trace: batch queues (normal and advanced), their records, the account's
analytics and the instant single-address lookup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..parsing import JsonShape, as_list, as_mapping, json_field, opt_str, read_fields
from .common import Person, _link_pages, _persons, _persons_count

TraceType = Literal["normal", "advanced"]

TRACE_PHONE_COLUMNS = (
    "primary_phone", "mobile_1", "mobile_2", "mobile_3", "mobile_4", "mobile_5",
    "landline_1", "landline_2", "landline_3",
)  # fmt: skip


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
class TraceQueue(JsonShape):
    """One trace queue from the queue list, and the shape of trace completion webhooks.

    ``rows_uploaded`` and ``credits_deducted`` may be absent while pending.
    """

    json_name = "queue"

    id: int
    created_at: dt.datetime
    pending: bool
    download_url: str | None = None
    rows_uploaded: int | None = None
    credits_deducted: int | None = None
    queue_type: str = ""
    trace_type: str = ""
    credits_per_lead: int | None = None


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


def _numbered(stem: str, count: int):
    """Reads the non-empty ``stem_1`` ... ``stem_<count>`` columns, in order."""

    def read(data: Mapping[str, Any], values: dict[str, Any]) -> tuple[str, ...]:
        found = (opt_str(data, f"{stem}_{i}") for i in range(1, count + 1))
        return tuple(v for v in found if v)

    return read


@dataclass(frozen=True)
class TraceRecord(JsonShape):
    """One row of ``GET queue/:id`` (normal, advanced and custom share the columns)."""

    json_name = "record"

    address: str
    city: str = json_field(required=False)
    state: str = json_field(required=False)
    first_name: str = ""
    last_name: str = ""
    mail_address: str = ""
    mail_city: str = ""
    mail_state: str = ""
    # Not in the queue example; read when a response or download carries it.
    mail_zip: str = ""
    primary_phone: str = ""
    primary_phone_type: str = ""
    mobiles: tuple[str, ...] = json_field(default=(), reader=_numbered("mobile", 5))
    landlines: tuple[str, ...] = json_field(default=(), reader=_numbered("landline", 3))
    emails: tuple[str, ...] = json_field(default=(), reader=_numbered("email", 5))

    @property
    def hit(self) -> bool:
        return bool(self.primary_phone or self.mobiles or self.landlines or self.emails)

    @staticmethod
    def list_from_json(data: Any) -> tuple[TraceRecord, ...]:
        return tuple(TraceRecord.from_json(item) for item in as_list(data, "records"))


@dataclass(frozen=True)
class Analytics(JsonShape):
    json_name = "analytics"

    total_queues: int
    properties_traced: int
    queues_pending: int
    queues_completed: int
    balance: int


@dataclass(frozen=True)
class TraceAccepted(JsonShape):
    """Answer to ``POST trace/``: the queue now exists and will be charged on completion."""

    json_name = "trace acknowledgement"

    queue_id: int
    status: str = "pending"
    created_at: dt.datetime | None = None
    rows_uploaded: int | None = None
    trace_type: str = ""
    credits_per_lead: int | None = None
    estimated_wait_seconds: int | None = None
    message: str = ""


@dataclass(frozen=True)
class TraceLookupResult(JsonShape):
    """Instant trace lookup: ``hit`` and the persons found; 5 credits on a hit."""

    json_name = "trace lookup"

    hit: bool
    credits_deducted: int
    persons: tuple[Person, ...] = ()
    persons_count: int = json_field(default=0, reader=_persons_count)
    address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    find_owner: bool = True

    @classmethod
    def from_json(cls, data: Any) -> TraceLookupResult:
        data = as_mapping(data, cls.json_name)
        return cls(**read_fields(cls, data, persons=_persons(data)))  # persons come first
