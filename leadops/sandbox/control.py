"""The ``/_sandbox/`` control API (for tests and demos) and the download files."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .common import BadRequest, read_json, state_of
from .config import ACK_SHAPES
from .faults import FaultError, parse_fault_update

DOWNLOAD_CHUNK = 8192


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await read_json(request, error_key="error")
    except BadRequest as exc:
        raise ControlError(exc.body["error"]) from exc
    if not isinstance(body, dict):
        raise ControlError("Expected a JSON object.")
    return body


class ControlError(Exception):
    pass


def _guard(handler):
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, 400)

    run.__name__ = handler.__name__
    return run


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def reset(request: Request) -> Response:
    await state_of(request).reset()
    return JSONResponse({"status": "reset"})


async def faults(request: Request) -> Response:
    state = state_of(request)
    if request.method == "POST":
        body = await _body(request)
        try:
            state.faults.update(parse_fault_update(state.faults.settings, body))
        except FaultError as exc:
            raise ControlError(str(exc)) from exc
    return JSONResponse(state.faults.as_dict())


async def stats(request: Request) -> Response:
    """Counters of every injected fault; ``?events=1`` adds the latest events."""
    events = request.query_params.get("events") in ("1", "true")
    return JSONResponse(state_of(request).faults.counters.as_dict(events=events))


def paid_duplicates(entries: list[Any]) -> dict[str, Any]:
    """Requests with the same fingerprint, and rows submitted in more than one request."""
    by_print: dict[str, list[int]] = {}
    for entry in entries:
        by_print.setdefault(entry.fingerprint, []).append(entry.seq)
    row_seen: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        for fingerprint in set(entry.row_fingerprints):
            row_seen[(entry.kind, fingerprint)] += 1
    repeated = sorted(f"{kind}:{fp}" for (kind, fp), n in row_seen.items() if n > 1)
    return {
        "requests": [seqs for seqs in by_print.values() if len(seqs) > 1],
        "rows": len(repeated),
        "rows_sample": repeated[:20],
    }


async def paid(request: Request) -> Response:
    """The paid-request log; ``?kind=`` filters, ``?rows=1`` adds per-row fingerprints."""
    entries = list(state_of(request).paid)
    kind = request.query_params.get("kind")
    if kind:
        entries = [entry for entry in entries if entry.kind == kind]
    rows = request.query_params.get("rows") in ("1", "true")
    return JSONResponse(
        {
            "count": len(entries),
            "requests": [entry.as_dict(rows=rows) for entry in entries],
            "duplicates": paid_duplicates(entries),
        }
    )


def _number(body: dict[str, Any], name: str, *, low: float, high: float | None = None) -> float:
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(f"{name} must be a number")
    if value < low or (high is not None and value > high):
        raise ControlError(f"{name} out of range")
    return float(value)


async def settings(request: Request) -> Response:
    state = state_of(request)
    if request.method == "POST":
        body = await _body(request)
        unknown = sorted(
            set(body) - {"speed", "miss_rate", "reapi_ack_shape", "webhook_rate", "crm_max_bytes"}
        )
        if unknown:
            raise ControlError(f"Unknown setting(s): {', '.join(unknown)}")
        current = state.settings
        if "speed" in body:
            speed = _number(body, "speed", low=0)
            if speed <= 0:
                raise ControlError("speed must be > 0")
            current.speed = speed
        if "miss_rate" in body:
            current.miss_rate = _number(body, "miss_rate", low=0, high=1)
        if "webhook_rate" in body:
            rate = _number(body, "webhook_rate", low=0)
            if rate <= 0:
                raise ControlError("webhook_rate must be > 0")
            current.webhook_rate = rate
        if "crm_max_bytes" in body:
            current.crm_max_bytes = int(_number(body, "crm_max_bytes", low=1))
        if "reapi_ack_shape" in body:
            if body["reapi_ack_shape"] not in ACK_SHAPES:
                raise ControlError(f"reapi_ack_shape must be one of {', '.join(ACK_SHAPES)}")
            current.reapi_ack_shape = body["reapi_ack_shape"]
    current = state.settings
    return JSONResponse(
        {
            "speed": current.speed,
            "miss_rate": current.miss_rate,
            "reapi_ack_shape": current.reapi_ack_shape,
            "webhook_rate": current.webhook_rate,
            "crm_max_bytes": current.crm_max_bytes,
        }
    )


async def account(request: Request) -> Response:
    state = state_of(request)
    if request.method == "POST":
        body = await _body(request)
        unknown = sorted(set(body) - {"balance", "suspended"})
        if unknown:
            raise ControlError(f"Unknown account field(s): {', '.join(unknown)}")
        if "balance" in body:
            balance = body["balance"]
            if isinstance(balance, bool) or not isinstance(balance, int):
                raise ControlError("balance must be an integer")
            state.account.balance = balance
        if "suspended" in body:
            if not isinstance(body["suspended"], bool):
                raise ControlError("suspended must be a boolean")
            state.account.suspended = body["suspended"]
        state.save_account()
    current = state.account
    return JSONResponse(
        {
            "balance": current.balance,
            "suspended": current.suspended,
            "webhook_url": current.webhook_url,
        }
    )


async def webhook_url(request: Request) -> Response:
    state = state_of(request)
    if request.method == "POST":
        body = await _body(request)
        url = body.get("url")
        if url is not None and (
            not isinstance(url, str) or not url.startswith(("http://", "https://"))
        ):
            raise ControlError("url must be an http(s) URL or null")
        state.account.webhook_url = url or None
        state.save_account()
    return JSONResponse({"url": state.account.webhook_url})


async def webhook_log(request: Request) -> Response:
    return JSONResponse({"deliveries": state_of(request).webhooks.log})


async def crm_received(request: Request) -> Response:
    batches = state_of(request).crm_received
    items = [item for batch in batches for item in batch["data"]]
    return JSONResponse({"batches": batches, "items": items})


EXPIRED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)
DOWNLOAD_ERROR_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


async def download(request: Request) -> Response:
    """A download link, like the providers' CDN (signed) links: no auth; it may expire
    (403 ``AccessDenied`` "Request has expired", for good) or fail (5xx, that request)."""
    state = state_of(request)
    token = request.path_params["token"]
    stored = state.downloads.get(token)
    if stored is None:
        return Response("Not found", 404, media_type="text/plain")
    faults = state.faults
    if not stored.expired and faults.download_expires_now(time.time() - stored.created_at):
        stored.expired = True
        state.save("download", token, (token, stored))
    if stored.expired:
        faults.counters.add("download_expired", "GET /files/")
        return Response(EXPIRED_BODY, 403, media_type="application/xml")
    status = faults.download_error()
    if status is not None:
        return Response(DOWNLOAD_ERROR_BODY, status, media_type="application/xml")
    settings = faults.settings
    headers = {"Content-Disposition": f'attachment; filename="{stored.filename}"'}
    if not settings.download_delay_ms and not settings.download_bytes_per_second:
        return Response(stored.content, media_type="text/csv", headers=headers)
    headers["Content-Length"] = str(len(stored.content))

    async def slowly() -> AsyncIterator[bytes]:
        if settings.download_delay_ms:
            await asyncio.sleep(settings.download_delay_ms / 1000)
        content = stored.content
        for start in range(0, len(content), DOWNLOAD_CHUNK):
            chunk = content[start : start + DOWNLOAD_CHUNK]
            if settings.download_bytes_per_second:
                await asyncio.sleep(len(chunk) / settings.download_bytes_per_second)
            yield chunk

    return StreamingResponse(slowly(), media_type="text/csv", headers=headers)


def routes() -> list[Route]:
    return [
        Route("/_sandbox/health", _guard(health), methods=["GET"]),
        Route("/_sandbox/reset", _guard(reset), methods=["POST"]),
        Route("/_sandbox/faults", _guard(faults), methods=["GET", "POST"]),
        Route("/_sandbox/stats", _guard(stats), methods=["GET"]),
        Route("/_sandbox/paid", _guard(paid), methods=["GET"]),
        Route("/_sandbox/settings", _guard(settings), methods=["GET", "POST"]),
        Route("/_sandbox/account", _guard(account), methods=["GET", "POST"]),
        Route("/_sandbox/webhook-url", _guard(webhook_url), methods=["GET", "POST"]),
        Route("/_sandbox/webhooks", _guard(webhook_log), methods=["GET"]),
        Route("/_sandbox/crm/received", _guard(crm_received), methods=["GET"]),
        Route("/files/{token}.csv", download, methods=["GET"]),
    ]
