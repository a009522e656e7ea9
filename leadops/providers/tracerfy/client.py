"""The Tracerfy API client: one method per documented endpoint, each returning the shape
its area's module parses (``trace``, ``parcel``, ``dnc``, ``leads``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..base import ProviderClient
from ..errors import AuthFailed, InsufficientCredits, MalformedResponse, ParseError, ProviderError
from .dnc import DncAccepted, DncLookupResult, DncQueue
from .leads import (
    AiAssistResult,
    AutocompleteResult,
    LeadBuildAccepted,
    LeadListStatus,
    LeadLookupResult,
    LeadPreview,
    LeadRowsPage,
    Strategy,
    _lead_spec,
)
from .parcel import ParcelAccepted, ParcelLookupResult, ParcelQueue
from .trace import (
    Analytics,
    QueuePage,
    TraceAccepted,
    TraceColumns,
    TraceLookupResult,
    TraceRecord,
    TraceType,
)

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
                    f"Tracerfy's result file has an unreadable row (line {line:,}): {exc}.",
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
        """``GET lead-builder/<id>/rows/``; raises ``NotReady`` while the list builds. The
        rows are split from the body without decoding each whole (``LeadRowsPage.from_body``)."""
        response = self.request(
            "GET",
            f"lead-builder/{int(lead_list_id)}/rows/",
            params={"page": page, "per_page": per_page},
            family=READ,
            idempotent=True,
        )
        return self.parse(response, LeadRowsPage.from_body, raw=True)

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
