"""CRM batch API: create users, update their attributes and send events in one call.

Contract: ``docs/providers/crm-batch-api.md``. The CRM answers ``{"status": "queued"}``
without validating the items, so a malformed item would be lost silently: this client
checks each item's documented shape before sending, and keeps requests under 100 KB.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from .base import ProviderClient, RetryPolicy, Timeouts
from .errors import InvalidRequest
from .parsing import JsonShape
from .ratelimit import RateLimiter

BATCH = "crm.batch"
MAX_BYTES = 100 * 1024
ITEM_TYPES = ("create", "update", "event")


@dataclass(frozen=True)
class BatchQueued(JsonShape):
    json_name = "batch answer"

    status: str


def item_problem(item: Mapping[str, Any]) -> str | None:
    """Why the CRM would drop this item, or None when it has the documented shape."""
    if item.get("type") not in ITEM_TYPES:
        return "type must be one of create, update, event"
    if item.get("id") in (None, ""):
        return "id is required"
    if item["type"] == "event" and not item.get("event"):
        return "an event item needs an event name"
    return None


def _dumps(value: Any) -> bytes:
    # The same encoding httpx uses for ``json=`` bodies, so sizes match what is sent.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def request_bytes(items: Sequence[Mapping[str, Any]]) -> int:
    """Size of the request body these items make, as this client sends it."""
    return len(_dumps({"data": list(items)}))


def split_batches(
    items: Iterable[Mapping[str, Any]], max_bytes: int = MAX_BYTES
) -> Iterator[list[Mapping[str, Any]]]:
    """Group items into request bodies of at most ``max_bytes`` each, in order."""
    batch: list[Mapping[str, Any]] = []
    size = request_bytes([])
    for item in items:
        item_size = len(_dumps(item)) + 1
        if batch and size + item_size > max_bytes:
            yield batch
            batch, size = [], request_bytes([])
        batch.append(item)
        size += item_size
    if batch:
        yield batch


class CrmClient(ProviderClient):
    """The CRM batch endpoint over one ``httpx.Client`` (HTTP Basic: key and secret)."""

    provider = "crm"
    display_name = "CRM"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        api_secret: str,
        timeouts: Timeouts | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        super().__init__(
            base_url=base_url,
            timeouts=timeouts,
            limiter=limiter,
            retry=retry,
            transport=transport,
            auth=httpx.BasicAuth(api_key, api_secret),
        )
        self.max_bytes = max_bytes

    def batch(self, items: Sequence[Mapping[str, Any]]) -> BatchQueued:
        """``POST batch``. Not retried: a resent batch would create events twice."""
        if not items:
            raise InvalidRequest("A CRM batch needs at least one item.", provider=self.provider)
        for index, item in enumerate(items):
            problem = item_problem(item)
            if problem:
                raise InvalidRequest(f"CRM batch item {index}: {problem}.", provider=self.provider)
        size = request_bytes(items)
        if size > self.max_bytes:
            raise InvalidRequest(
                f"CRM batch is {size:,} bytes; keep each request below "
                f"{self.max_bytes // 1024} KB (use split_batches).",
                provider=self.provider,
            )
        response = self.request("POST", "batch", family=BATCH, json_body={"data": list(items)})
        return self.parse(response, BatchQueued.from_json)
