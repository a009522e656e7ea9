"""RealEstateAPI SkipTraceBatch: validation, acknowledgement, per-item and completion calls."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import data
from .common import REAPI, Ctx, endpoint
from .state import ReapiBatch, SandboxState
from .webhooks import Delivery

MIN_ITEMS = 10
MAX_ITEMS = 1000
MAX_BYTES = 256 * 1024
REQUIRED = ("address", "city", "state", "zip")
OPTIONAL = ("first_name", "last_name")


class Invalid(Exception):
    pass


def bad_request(message: str) -> Response:
    return REAPI.error(400, "Bad Request", message)


def valid_callback(url: Any) -> bool:
    """https anywhere; plain http only on loopback (a sandbox allowance)."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _validate(body: Any) -> tuple[list[dict[str, Any]], str | None, str | None]:
    if not isinstance(body, dict) or not isinstance(body.get("skips"), list):
        raise Invalid("Request body must be an object with a 'skips' array of skip requests.")
    skips = body["skips"]
    if not MIN_ITEMS <= len(skips) <= MAX_ITEMS:
        raise Invalid(
            f"A batch must contain between {MIN_ITEMS} and 1,000 skip requests; "
            f"received {len(skips)}."
        )
    default_hook = body.get("webhook_url")
    complete = body.get("webcomplete_url")
    if default_hook is not None and not valid_callback(default_hook):
        raise Invalid("webhook_url must be a valid https POST endpoint.")
    if complete is not None and not valid_callback(complete):
        raise Invalid("webcomplete_url must be a valid https POST endpoint.")
    seen: set[str] = set()
    for index, item in enumerate(skips):
        if not isinstance(item, dict):
            raise Invalid(f"skips[{index}] must be an object.")
        key = item.get("key")
        if isinstance(key, bool) or not isinstance(key, int | str) or str(key).strip() == "":
            raise Invalid(f"skips[{index}]: key is required (an integer or a string).")
        if str(key) in seen:
            raise Invalid(f"skips[{index}]: key '{key}' is not unique within the batch.")
        seen.add(str(key))
        for name in REQUIRED:
            value = item.get(name)
            if (
                not isinstance(value, str | int)
                or isinstance(value, bool)
                or not str(value).strip()
            ):
                raise Invalid(f"skips[{index}]: {name} is required.")
        for name in OPTIONAL:
            if item.get(name) is not None and not isinstance(item[name], str):
                raise Invalid(f"skips[{index}]: {name} must be a string.")
        hook = item.get("webhook_url", default_hook)
        if hook is None:
            raise Invalid(f"skips[{index}]: webhook_url is required (per item or for the batch).")
        if not valid_callback(hook):
            raise Invalid(f"skips[{index}]: webhook_url must be a valid https POST endpoint.")
    return skips, default_hook, complete


async def skip_trace_batch(request: Request, ctx: Ctx) -> Response:
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        return bad_request("Payload too large. The maximum payload size is 256KB.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return bad_request("Request body must be valid JSON.")
    try:
        skips, default_hook, complete = _validate(body)
    except Invalid as exc:
        return bad_request(str(exc))
    state = ctx.state
    batch_id = str(uuid.uuid4())
    request_ids = {str(item["key"]): str(uuid.uuid4()) for item in skips}
    batch = ReapiBatch(
        batch_id=batch_id,
        api_key=ctx.api_key,
        items=skips,
        request_ids=request_ids,
        webhook_url=default_hook,
        webcomplete_url=complete,
    )
    state.reapi_batches[batch_id] = batch
    state.save("reapi", batch_id, batch)
    state.record_paid(
        request, provider="reapi", kind="reapi_batch", created_id=batch_id,
        rows=[{k: v for k, v in item.items() if k not in ("key", "webhook_url")} for item in skips],
    )  # fmt: skip
    resume(state, batch)
    ack = {
        "batchId": batch_id,
        "receiveCount": len(skips),
        "batchRequestIds": [
            {"key": item["key"], "batchRequestId": request_ids[str(item["key"])]} for item in skips
        ],
    }
    if state.settings.reapi_ack_shape == "nested":
        body_out: dict[str, Any] = {"data": ack, "statusCode": 200, "statusMessage": "Success"}
    else:
        body_out = {**ack, "statusCode": 200, "statusMessage": "Success"}
    return JSONResponse(body_out)


def phone_display(number: str) -> str:
    return f"({number[:3]}) {number[3:6]}-{number[6:]}"


ITEM_ERROR_MESSAGE = "An unexpected error occurred while processing this skip request."


def item_result(
    batch: ReapiBatch, item: dict[str, Any], miss_rate: float, *, failed: bool = False
) -> dict[str, Any]:
    key = str(item["key"])
    result: dict[str, Any] = {
        "batchId": batch.batch_id,
        "batchRequestId": batch.request_ids[key],
        "requestId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{batch.batch_id}/{key}")),
        "input": {k: v for k, v in item.items() if k != "webhook_url"},
    }
    if failed:
        result.update(
            match=False,
            output=None,
            statusCode=500,
            statusMessage="Internal Server Error",
            message=ITEM_ERROR_MESSAGE,
        )
        return result
    state_code = str(item["state"]).strip()
    if len(state_code) != 2 or not state_code.isalpha():
        result.update(
            match=False,
            output=None,
            statusCode=400,
            statusMessage="Bad Request",
            message="state must be a 2-letter abbreviation.",
        )
        return result
    seed = data.address_seed(item["address"], item["city"], state_code, item["zip"])
    if data.is_miss(seed, miss_rate):
        result.update(match=False, output=None, statusCode=200, statusMessage="No Match")
        return result
    owner = data.owner_for_address(
        str(item["address"]), str(item["city"]), state_code, str(item["zip"])
    )
    phones = [
        {
            "phone": phone["number"],
            "phoneDisplay": phone_display(str(phone["number"])),
            "phoneType": phone["type"],
            "carrier": phone["carrier"],
            "doNotCall": phone["dnc"],
            "rank": phone["rank"],
        }
        for phone in owner["phones"]
    ]
    emails = [{"email": email["email"], "rank": email["rank"]} for email in owner["emails"]]
    mail = owner["mailing_address"]
    result.update(
        match=True,
        output={
            "identity": {
                "names": [
                    {
                        "firstName": owner["first_name"],
                        "lastName": owner["last_name"],
                        "fullName": owner["full_name"],
                    }
                ],
                "phones": phones,
                "emails": emails,
                "address": {
                    "street": mail["street"],
                    "city": mail["city"],
                    "state": mail["state"],
                    "zip": mail["zip"],
                },
            },
            "demographics": {
                "age": owner["age"],
                "dob": owner["dob"],
                "deceased": owner["deceased"],
                "litigator": owner["litigator"],
            },
            "stats": {"phoneNumbers": len(phones), "emailAddresses": len(emails)},
        },
        statusCode=200,
        statusMessage="Success",
    )
    return result


def resume(state: SandboxState, batch: ReapiBatch) -> None:
    """Start (or, after a restart, finish) a batch: the calls not yet made are made."""
    if batch.status == "complete" and (batch.complete_sent or not batch.webcomplete_url):
        return
    state.spawn(process_batch(state, batch), f"reapi-{batch.batch_id}")


def _decide(state: SandboxState, batch: ReapiBatch) -> None:
    """Fix every item's outcome once (item errors are random) and count them."""
    batch.miss_rate = state.settings.miss_rate
    where = f"POST {REAPI_PATH}"
    for item in batch.items:
        key = str(item["key"])
        if state.faults.reapi_item_error(where):
            batch.error_keys.add(key)
        result = item_result(batch, item, batch.miss_rate, failed=key in batch.error_keys)
        batch.processed_count += 1
        if result["statusCode"] != 200:
            batch.error_count += 1
        elif result["match"]:
            batch.match_count += 1
    batch.computed = True
    state.save("reapi", batch.batch_id, batch)


async def process_batch(state: SandboxState, batch: ReapiBatch) -> None:
    if not batch.computed:
        await asyncio.sleep(state.processing_seconds(len(batch.items), 2000.0))
        _decide(state, batch)
    headers = {"x-api-key": batch.api_key}

    def sent(key: str) -> Callable[[], None]:
        def mark() -> None:
            if key not in batch.sent:
                batch.sent.add(key)
                state.save("reapi_sent", f"{batch.batch_id}/{key}", (batch.batch_id, key))

        return mark

    deliveries = []
    for item in batch.items:
        key = str(item["key"])
        if key in batch.sent:
            continue
        result = item_result(batch, item, batch.miss_rate, failed=key in batch.error_keys)
        url = item.get("webhook_url", batch.webhook_url)
        deliveries.append(Delivery("reapi.item", str(url), result, headers, on_done=sent(key)))
    await state.webhooks.send_all(deliveries)
    batch.status = "complete"
    state.save("reapi", batch.batch_id, batch)
    state.settle_paid("reapi_batch", batch.batch_id, batch.match_count)
    if batch.webcomplete_url and not batch.complete_sent:
        summary = {
            "batchId": batch.batch_id,
            "receiveCount": len(batch.items),
            "processedCount": batch.processed_count,
            "matchCount": batch.match_count,
            "errorCount": batch.error_count,
            "statusCode": 200,
            "statusMessage": "Complete",
        }
        await state.webhooks.send_all(
            [Delivery("reapi.complete", batch.webcomplete_url, summary, headers)]
        )
        batch.complete_sent = True
        state.save("reapi", batch.batch_id, batch)


def routes() -> list[Route]:
    return [Route("/SkipTraceBatch", endpoint(REAPI, skip_trace_batch), methods=["POST"])]


REAPI_PATH = "/reapi/v1/SkipTraceBatch"
