"""RealEstateAPI SkipTraceBatch: submit up to 1,000 skip requests; results arrive by webhook.

Contract: ``docs/providers/realestateapi-skiptrace-batch.md``. The documented rules (10 to
1,000 items, unique keys, 256 KB at most, https callbacks) are checked here before the call,
so a batch that cannot succeed never costs a request. The acknowledgement arrives flat or
nested under ``data``; both parse to ``BatchAccepted``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadops.webhooks.registry import EventId

from .base import ProviderClient
from .errors import InvalidRequest, ParseError
from .parsing import (
    JsonShape,
    as_list,
    as_mapping,
    body_digest,
    json_field,
    opt_int,
    opt_str,
    req_str,
)

BATCH = "reapi.batch"
MIN_ITEMS = 10
MAX_ITEMS = 1000
MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class SkipRequest:
    """One person to trace; ``key`` is ours (unique in the batch) and comes back with the
    result. ``webhook_url`` overrides the batch's for this item."""

    key: int | str
    address: str
    city: str
    state: str
    zip: str
    first_name: str | None = None
    last_name: str | None = None
    webhook_url: str | None = None

    def as_json(self, default_webhook_url: str | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "key": self.key,
            "address": self.address,
            "city": self.city,
            "state": self.state,
            "zip": self.zip,
        }
        if self.first_name:
            item["first_name"] = self.first_name
        if self.last_name:
            item["last_name"] = self.last_name
        hook = self.webhook_url or default_webhook_url
        if hook:
            item["webhook_url"] = hook
        return item


def _key(data: Mapping[str, Any], name: str) -> int | str:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise ParseError(f"field {name!r}: expected an integer or string key, got {value!r}")
    return value


@dataclass(frozen=True)
class BatchAccepted:
    """The acknowledgement: ``batch_id`` traces the batch, ``receive_count`` should equal
    the number of unique keys sent, ``request_ids`` maps each key to its batchRequestId."""

    batch_id: str
    receive_count: int
    request_ids: tuple[tuple[int | str, str], ...] = ()
    status_code: int | None = None
    status_message: str = ""

    @classmethod
    def from_json(cls, data: Any) -> BatchAccepted:
        outer = as_mapping(data, "acknowledgement")
        inner = outer.get("data")
        body = as_mapping(inner, "acknowledgement data") if isinstance(inner, Mapping) else outer
        pairs = []
        for item in as_list(body.get("batchRequestIds", []), "batchRequestIds"):
            item = as_mapping(item, "batchRequestIds item")
            pairs.append((_key(item, "key"), req_str(item, "batchRequestId")))
        receive = body.get("receiveCount")
        if isinstance(receive, bool) or not isinstance(receive, int):
            raise ParseError(f"field 'receiveCount': expected an integer, got {receive!r}")
        return cls(
            batch_id=req_str(body, "batchId"),
            receive_count=receive,
            request_ids=tuple(pairs),
            status_code=opt_int(outer, "statusCode") or opt_int(body, "statusCode"),
            status_message=opt_str(outer, "statusMessage") or opt_str(body, "statusMessage"),
        )

    def request_id_for(self, key: int | str) -> str | None:
        return next((rid for k, rid in self.request_ids if str(k) == str(key)), None)


def _input_key(data: Mapping[str, Any], values: dict[str, Any]) -> int | str:
    return _key(as_mapping(data.get("input"), "input"), "key")


@dataclass(frozen=True)
class SkipResult(JsonShape):
    """One per-item webhook: the result for ``key`` (echoed as ``input.key``)."""

    json_name = "skip result"

    batch_id: str = json_field(source="batchId")
    batch_request_id: str = json_field(source="batchRequestId")
    key: int | str = json_field(reader=_input_key)
    request_id: str = json_field(default="", source="requestId")
    match: bool = False
    status_code: int | None = json_field(default=None, source="statusCode")
    status_message: str = json_field(default="", source="statusMessage")
    output: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class BatchComplete(JsonShape):
    """The ``webcomplete_url`` call: the batch is done. The counts are not named in the
    documentation ("total match, error, and processed counts"); absent ones stay None."""

    json_name = "batch completion"

    batch_id: str = json_field(source="batchId")
    receive_count: int | None = json_field(default=None, source="receiveCount")
    processed_count: int | None = json_field(default=None, source="processedCount")
    match_count: int | None = json_field(default=None, source="matchCount")
    error_count: int | None = json_field(default=None, source="errorCount")


class ReapiClient(ProviderClient):
    """RealEstateAPI SkipTraceBatch over one ``httpx.Client`` (``x-api-key`` auth)."""

    provider = "reapi"
    display_name = "RealEstateAPI"

    def __init__(self, *, api_key: str, **options: Any) -> None:
        """``options`` are ProviderClient's: base_url, timeouts, limiter, retry, transport."""
        super().__init__(headers={"x-api-key": api_key}, **options)

    def error_message(self, body: Any) -> str:
        if isinstance(body, Mapping):
            for name in ("message", "error", "statusMessage"):
                value = body.get(name)
                if isinstance(value, str) and value.strip():
                    return value.strip()
        return super().error_message(body)

    def skip_trace_batch(
        self,
        skips: Sequence[SkipRequest],
        *,
        webhook_url: str | None = None,
        webcomplete_url: str | None = None,
    ) -> BatchAccepted:
        """``POST SkipTraceBatch``. Paid work: never retried; reconcile by webhooks."""
        body: dict[str, Any] = {"skips": [s.as_json(webhook_url) for s in skips]}
        if webcomplete_url:
            body["webcomplete_url"] = webcomplete_url
        self._check(skips, body)
        response = self.request("POST", "SkipTraceBatch", family=BATCH, json_body=body)
        return self.parse(response, BatchAccepted.from_json)

    def key_check(self) -> str:
        """Prove the URL and the key without paying: ``POST SkipTraceBatch`` with no skip
        requests, which the API refuses (400, fewer than the minimum of 10) only after it has
        authenticated the key; a wrong key is refused with 401/403 (``AuthFailed``). Returns
        the provider's refusal text; any other failure raises its ``ProviderError``."""
        try:
            self.request("POST", "SkipTraceBatch", family=BATCH, json_body={"skips": []})
        except InvalidRequest as exc:
            if exc.status == 400:
                return exc.message
            raise
        return "accepted an empty batch"

    def _check(self, skips: Sequence[SkipRequest], body: dict[str, Any]) -> None:
        """The documented batch rules, enforced before paying for a request."""
        problem = None
        keys = [str(s.key) for s in skips]
        if not MIN_ITEMS <= len(skips) <= MAX_ITEMS:
            problem = (
                f"A batch must contain between {MIN_ITEMS} and {MAX_ITEMS:,} skip requests; "
                f"this one has {len(skips):,}."
            )
        elif len(set(keys)) != len(keys):
            problem = "Every skip request needs a unique key within the batch."
        elif any(not item.get("webhook_url") for item in body["skips"]):
            problem = "Every skip request needs a webhook_url (per item or for the batch)."
        elif len(json.dumps(body).encode()) > MAX_BYTES:
            problem = "The batch is larger than 256KB; split it into smaller batches."
        if problem:
            raise InvalidRequest(problem, provider=self.provider)


def describe_webhook(payload: dict, query: dict) -> EventId:
    """Per-item results (batchRequestId) and the batch completion call (webcomplete_url);
    `ref` is the batch id."""
    data = payload.get("data") if isinstance(payload.get("data"), dict) else payload
    batch = str(data.get("batchId") or payload.get("batchId") or query.get("batch", ""))
    if query.get("event") == "complete" or (
        "batchRequestId" not in data and "batchRequestId" not in payload
    ):
        return EventId("complete", f"reapi:complete:{batch or body_digest(payload)}", ref=batch)
    item = data.get("batchRequestId") or payload.get("batchRequestId")
    return EventId("item", f"reapi:item:{batch}:{item}", ref=batch)
