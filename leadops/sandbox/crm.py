"""CRM batch API: ``POST /crm/v1/batch`` with HTTP Basic auth; keeps what it received."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .common import CRM, Ctx, endpoint
from .state import iso, utcnow

ITEM_TYPES = ("create", "update", "event")


def _error(status: int, message: str) -> Response:
    return JSONResponse({"status": "error", "message": message}, status)


def _item_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "item is not an object"
    if item.get("type") not in ITEM_TYPES:
        return "type must be one of create, update, event"
    if item.get("id") in (None, ""):
        return "id is required"
    if item["type"] == "event" and not item.get("event"):
        return "event name is required"
    return None


async def batch(request: Request, ctx: Ctx) -> Response:
    raw = await request.body()
    limit = ctx.state.settings.crm_max_bytes
    if len(raw) > limit:
        return _error(413, f"Request too large. Keep batch requests below {limit // 1024}KB.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "Invalid JSON body.")
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return _error(400, "data must be an array of request items.")
    # The real endpoint queues without validating items; the sandbox records problems so
    # tests can see them, but answers "queued" all the same.
    problems = [
        {"index": index, "problem": problem}
        for index, item in enumerate(body["data"])
        if (problem := _item_problem(item)) is not None
    ]
    ctx.state.crm_received.append(
        {
            "received_at": iso(utcnow()),
            "bytes": len(raw),
            "data": body["data"],
            "problems": problems,
        }
    )
    return JSONResponse({"status": "queued"})


def routes() -> list[Route]:
    return [Route("/batch", endpoint(CRM, batch), methods=["POST"])]
