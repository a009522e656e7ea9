"""Tracerfy DNC scrubbing: batch scrubs (also the dnc_scrub webhook) and the single-phone
lookup."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..parsing import JsonShape


@dataclass(frozen=True)
class DncAccepted(JsonShape):
    """Answer to ``POST dnc/scrub/`` and ``dnc/scrub-from-queue/``."""

    json_name = "DNC acknowledgement"

    dnc_queue_id: int
    status: str = "pending"
    created_at: dt.datetime | None = None
    phones_to_check: int | None = None
    credits_per_phone: int | None = None
    source_queue_id: int | None = None
    phone_columns_used: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class DncQueue(JsonShape):
    """``GET dnc/queue/:id`` and the DNC completion webhook; counts absent while pending."""

    json_name = "DNC queue"

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


@dataclass(frozen=True)
class DncLookupResult(JsonShape):
    json_name = "DNC lookup"

    phone: str
    national_dnc: bool
    state_dnc: bool
    dma: bool
    litigator: bool
    is_clean: bool
    credits_deducted: int
    hit: bool = True
    phone_type: str = ""
