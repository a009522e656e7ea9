"""Tracerfy APN / parcel traces: the batch queue (also the parcel_trace webhook) and the
instant single-parcel lookup."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..parsing import (
    JsonShape,
    as_mapping,
    json_field,
    opt_bool,
    opt_str,
    read_fields,
    req_bool,
    req_int,
)
from .common import Person, _persons, _persons_count


@dataclass(frozen=True)
class ParcelAccepted(JsonShape):
    json_name = "parcel acknowledgement"

    parcel_queue_id: int
    status: str = "pending"
    created_at: dt.datetime | None = None
    rows_uploaded: int | None = None
    credits_per_parcel: int | None = None
    message: str = ""


@dataclass(frozen=True)
class ParcelQueue(JsonShape):
    """``GET trace/parcel/queue/:id`` (shape undocumented; read like the parcel webhook,
    which this also parses)."""

    json_name = "parcel queue"

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
        data = as_mapping(data, cls.json_name)
        key = "parcel_queue_id" if "parcel_queue_id" in data else "id"
        status = opt_str(data, "status")
        if data.get("pending") is not None:
            pending = opt_bool(data, "pending")
        elif status:
            pending = status == "pending"
        else:
            pending = req_bool(data, "pending")
        return cls(
            **read_fields(
                cls,
                data,
                status=status or ("pending" if pending else "completed"),
                pending=pending,
                id=req_int(data, key),
            )
        )


@dataclass(frozen=True)
class ParcelLookupResult(JsonShape):
    json_name = "parcel lookup"

    hit: bool
    credits_deducted: int
    persons: tuple[Person, ...] = ()
    persons_count: int = json_field(default=0, reader=_persons_count)
    parcel_id: str = ""
    county: str = ""
    state: str = ""

    @classmethod
    def from_json(cls, data: Any) -> ParcelLookupResult:
        data = as_mapping(data, cls.json_name)
        return cls(**read_fields(cls, data, persons=_persons(data)))  # persons come first
