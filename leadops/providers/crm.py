"""CRM batch API: create users, update their attributes and send events in one call.

Contract: ``docs/providers/crm-batch-api.md``. The CRM answers ``{"status": "queued"}``
without validating the items, so a malformed item would be lost silently: this client
checks each item's documented shape before sending, and keeps requests under 100 KB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from .base import EncodedJson, ProviderClient, RetryPolicy, Timeouts
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
    # Compact UTF-8 JSON (non-ASCII left as is); `batch` sends exactly these bytes, so the
    # sizes counted here are the sizes sent.
    return orjson.dumps(value)


def request_bytes(items: Sequence[Mapping[str, Any]]) -> int:
    """Size of the request body these items make, as this client sends it."""
    return len(_dumps({"data": list(items)}))


def split_batches(
    items: Iterable[Mapping[str, Any]], max_bytes: int = MAX_BYTES
) -> Iterator[list[Mapping[str, Any]]]:
    """Group items into request bodies of at most ``max_bytes`` each, in order."""
    for batch, _groups, _size in split_groups(([item] for item in items), max_bytes):
        yield batch


def split_groups(
    groups: Iterable[Sequence[Mapping[str, Any]]], max_bytes: int = MAX_BYTES
) -> Iterator[tuple[list[Mapping[str, Any]], int, int]]:
    """Like `split_batches`, never splitting a group (a user's ``create`` and its ``event``
    travel together): yields (items, groups in it, body bytes). A group too big for any
    body raises InvalidRequest."""
    batch: list[Mapping[str, Any]] = []
    empty = size = request_bytes([])
    count = 0
    for group in groups:
        group_size = sum(len(_dumps(item)) + 1 for item in group)
        if empty + group_size - 1 > max_bytes:
            raise InvalidRequest(
                f"One CRM user's items take {group_size:,} bytes, more than a request may hold.",
                provider="crm",
            )
        if batch and size + group_size - 1 > max_bytes:
            yield batch, count, size - 1
            batch, size, count = [], empty, 0
        batch.extend(group)
        size += group_size
        count += 1
    if batch:
        yield batch, count, size - 1


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
        body = EncodedJson(_dumps({"data": list(items)}))
        size = len(body)
        if size > self.max_bytes:
            raise InvalidRequest(
                f"CRM batch is {size:,} bytes; keep each request below "
                f"{self.max_bytes // 1024} KB (use split_batches).",
                provider=self.provider,
            )
        response = self.request("POST", "batch", family=BATCH, json_body=body)
        return self.parse(response, BatchQueued.from_json)

    def connection_test(self) -> BatchQueued:
        """``POST batch`` with an empty data array: proves the URL and the credentials
        without creating or changing any CRM user (a 401 raises AuthFailed)."""
        response = self.request("POST", "batch", family=BATCH, json_body={"data": []})
        return self.parse(response, BatchQueued.from_json)
