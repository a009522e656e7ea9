"""Tracerfy DNC scrubbing: scrub (CSV or phone list), scrub-from-queue, queue and lookup."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import data
from .common import TRACERFY, BadRequest, Ctx, endpoint, read_json_object, with_and_without_slash
from .csvio import csv_headers, decode_csv, encode_csv, read_params, string_list
from .state import DncQueue, SandboxState, iso, utcnow
from .tracerfy import notify

LOOKUP_CREDITS = 5
PHONES_PER_SECOND = 5000.0
CHUNK = 1000
CSV_COLUMNS = (
    "phone", "label", "national_dnc", "state_dnc", "dma", "litigator", "phone_type", "is_clean",
)  # fmt: skip
TRACE_PHONE_COLUMNS = (
    "primary_phone", "mobile_1", "mobile_2", "mobile_3", "mobile_4", "mobile_5",
    "landline_1", "landline_2", "landline_3",
)  # fmt: skip


def _insufficient(state: SandboxState, phones: int) -> BadRequest:
    return BadRequest(
        {
            "error": f"Insufficient credits. DNC scrub requires {phones} credits "
            f"(1 per phone). You have {state.account.balance} credits."
        },
        status=402,
    )


def _phones_from_csv(params: dict[str, Any], csv_bytes: bytes) -> list[tuple[str, str]]:
    if params.get("phone_column") and params.get("phone_columns"):
        raise BadRequest({"error": "phone_column and phone_columns are mutually exclusive."})
    if params.get("label_column") and params.get("label_columns"):
        raise BadRequest({"error": "label_column and label_columns are mutually exclusive."})
    phone_columns = string_list(
        params.get("phone_columns") or params.get("phone_column"), "phone_columns"
    )
    if not phone_columns:
        raise BadRequest({"error": "phone_column or phone_columns is required with csv_file."})
    label_columns = string_list(
        params.get("label_columns") or params.get("label_column"), "label_columns"
    )
    headers = csv_headers(csv_bytes)
    for column in phone_columns + label_columns:
        if column not in headers:
            raise BadRequest({"error": f"Column '{column}' not found in the uploaded CSV."})
    prefix = len(phone_columns) > 1
    phones: list[tuple[str, str]] = []
    for row in decode_csv(csv_bytes):
        label = ", ".join(row.get(c, "") for c in label_columns if row.get(c, ""))
        for column in phone_columns:
            phone = data.normalize_phone(row.get(column, ""))
            if phone is not None:
                phones.append((phone, f"({column}) {label}" if prefix else label))
    return phones


def _dedupe(phones: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    unique = []
    for phone, label in phones:
        if phone not in seen:
            seen.add(phone)
            unique.append((phone, label))
    return unique


def _start(
    request: Request,
    ctx: Ctx,
    phones: list[tuple[str, str]],
    source_type: str,
    *,
    source_queue_id: int | None = None,
    columns: list[str] | None = None,
) -> DncQueue:
    state = ctx.state
    queue = DncQueue(
        id=state.next_id("dnc"),
        created_at=utcnow(),
        phones=phones,
        source_type=source_type,
        source_queue_id=source_queue_id,
        phone_columns_used=columns or [],
        # No failed state in the contract: a failing scrub vanishes (its queue answers 404).
        fate=state.faults.queue_fate("dnc", f"POST {request.url.path}", can_fail=False),
        base_url=ctx.base_url,
    )
    state.dnc_queues[queue.id] = queue
    state.save("dnc", queue.id, queue)
    state.record_paid(
        request, provider="tracerfy", kind="dnc", created_id=queue.id,
        rows=[{"phone": phone} for phone, _ in phones], extra=source_queue_id,
    )  # fmt: skip
    resume(state, queue)
    return queue


def resume(state: SandboxState, queue: DncQueue) -> None:
    """Start (or, after a restart, restart) the processing of an unfinished scrub."""
    if queue.vanished or queue.fate == "stuck":
        return
    if not queue.pending:
        if not queue.webhook_sent:
            webhook = notify(state, "dnc", queue, "tracerfy.dnc", dnc_webhook(queue))
            state.spawn(webhook, f"dnc-{queue.id}-webhook")
        return
    state.spawn(process_scrub(state, queue, queue.base_url), f"dnc-{queue.id}")


async def scrub(request: Request, ctx: Ctx) -> Response:
    params, csv_bytes = await read_params(request)
    raw_phones = params.get("phones")
    if csv_bytes is not None and raw_phones is not None:
        raise BadRequest({"error": "Send either csv_file or phones, not both."})
    if csv_bytes is not None:
        phones = _phones_from_csv(params, csv_bytes)
        source_type = "upload"
    elif raw_phones is not None:
        if not isinstance(raw_phones, list) or not all(
            isinstance(p, str | int) and not isinstance(p, bool) for p in raw_phones
        ):
            raise BadRequest({"error": "phones must be an array of phone numbers."})
        phones = [(p, "") for p in map(data.normalize_phone, raw_phones) if p is not None]
        source_type = "phone_list"
    else:
        raise BadRequest(
            {"error": "Provide csv_file with phone_column or phone_columns, or a phones array."}
        )
    phones = _dedupe(phones)
    if not phones:
        raise BadRequest({"error": "No valid phone numbers found."})
    if not ctx.state.account.can_afford(len(phones)):
        raise _insufficient(ctx.state, len(phones))
    queue = _start(request, ctx, phones, source_type)
    return JSONResponse(
        {
            "message": "DNC scrub started",
            "dnc_queue_id": queue.id,
            "created_at": iso(queue.created_at),
            "status": "pending",
            "phones_to_check": len(phones),
            "credits_per_phone": 1,
        }
    )


async def scrub_from_queue(request: Request, ctx: Ctx) -> Response:
    body = await read_json_object(request)
    queue_id = body.get("queue_id")
    if isinstance(queue_id, str) and queue_id.strip().isdigit():
        queue_id = int(queue_id)
    if isinstance(queue_id, bool) or not isinstance(queue_id, int):
        raise BadRequest({"error": "queue_id is required and must be an integer."})
    columns = body.get("phone_columns")
    if columns is None:
        columns = list(TRACE_PHONE_COLUMNS)
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        raise BadRequest({"error": "phone_columns must be a non-empty array of phone field names."})
    invalid = [c for c in columns if c not in TRACE_PHONE_COLUMNS]
    if invalid:
        raise BadRequest(
            {
                "error": f"Invalid phone_columns: {', '.join(invalid)}. "
                f"Valid options: {', '.join(TRACE_PHONE_COLUMNS)}"
            }
        )
    source = ctx.state.trace_queues.get(queue_id)
    if source is None or source.vanished:
        return JSONResponse({"error": "Queue not found."}, 404)
    if source.pending:
        return JSONResponse(
            {"error": "Queue is still processing. Wait until it completes.", "status": "pending"},
            409,
        )
    phones = []
    for record in source.records:
        label = f"{record['first_name']} {record['last_name']}".strip()
        for column in columns:
            if record.get(column):
                phones.append((record[column], f"({column}) {label}"))
    phones = _dedupe(phones)
    if not phones:
        raise BadRequest({"error": "No phone numbers found in the selected columns."})
    if not ctx.state.account.can_afford(len(phones)):
        raise _insufficient(ctx.state, len(phones))
    queue = _start(request, ctx, phones, "trace_queue", source_queue_id=queue_id, columns=columns)
    return JSONResponse(
        {
            "message": "DNC scrub started",
            "dnc_queue_id": queue.id,
            "created_at": iso(queue.created_at),
            "source_queue_id": queue_id,
            "status": "pending",
            "phones_to_check": len(phones),
            "phone_columns_used": columns,
            "credits_per_phone": 1,
        }
    )


def dnc_summary(queue: DncQueue) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "id": queue.id,
        "created_at": iso(queue.created_at),
        "pending": queue.pending,
        "download_url": queue.download_url,
        "clean_download_url": queue.clean_download_url,
        "rows_uploaded": len(queue.phones),
    }
    if not queue.pending:
        summary["phones_checked"] = len(queue.results)
        summary["phones_clean"] = queue.phones_clean
        summary["credits_deducted"] = queue.credits_deducted
    summary["source_type"] = queue.source_type
    return summary


async def process_scrub(state: SandboxState, queue: DncQueue, base: str) -> None:
    started = asyncio.get_running_loop().time()
    seconds = state.processing_seconds(len(queue.phones), PHONES_PER_SECOND)
    if queue.fate == "vanish":
        await asyncio.sleep(seconds)
        queue.vanished = True
        state.save("dnc", queue.id, queue)
        state.settle_paid("dnc", queue.id, 0)
        return
    chunks = max(1, math.ceil(len(queue.phones) / CHUNK))
    results = []
    for index in range(chunks):
        for phone, label in queue.phones[index * CHUNK : (index + 1) * CHUNK]:
            flags = data.phone_flags(phone)
            results.append({"phone": phone, "label": label, **flags})
        await state.keep_pace(started, (index + 1) / chunks, seconds)
    clean = [row for row in results if row["is_clean"]]
    queue.download_url = state.add_download(
        base, "dnc", f"dnc-{queue.id}.csv", encode_csv(CSV_COLUMNS, results)
    )
    queue.clean_download_url = state.add_download(
        base, "dnc-clean", f"dnc-{queue.id}-clean.csv", encode_csv(CSV_COLUMNS, clean)
    )
    queue.results = results
    queue.phones_clean = len(clean)
    queue.credits_deducted = state.charge(len(results))
    queue.pending = False
    state.save("dnc", queue.id, queue)
    state.settle_paid("dnc", queue.id, queue.credits_deducted)
    await notify(state, "dnc", queue, "tracerfy.dnc", dnc_webhook(queue))


def dnc_webhook(queue: DncQueue) -> dict[str, Any]:
    payload = dnc_summary(queue)
    return {"id": payload.pop("id"), "type": "dnc_scrub", **payload}


async def dnc_queue(request: Request, ctx: Ctx) -> Response:
    queue = ctx.state.dnc_queues.get(request.path_params["queue_id"])
    if queue is None or queue.vanished:
        return JSONResponse({"detail": "Not found."}, 404)
    return JSONResponse(dnc_summary(queue))


async def dnc_lookup(request: Request, ctx: Ctx) -> Response:
    body = await read_json_object(request)
    raw = body.get("phone")
    phone = None
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        phone = data.normalize_phone(raw)
    if phone is None:
        raise BadRequest({"error": "Invalid phone number. Must be a 10-digit US number."})
    state = ctx.state
    if not state.account.can_afford(LOOKUP_CREDITS):
        raise BadRequest(
            {
                "error": "Insufficient credits. DNC lookup requires 5 credits. "
                f"You have {state.account.balance} credits."
            },
            status=402,
        )
    flags = data.phone_flags(phone)
    credits = state.charge(LOOKUP_CREDITS)
    state.record_paid(
        request, provider="tracerfy", kind="dnc_lookup", billed=credits, rows=[{"phone": phone}]
    )
    return JSONResponse(
        {
            "phone": phone,
            "hit": True,
            "national_dnc": flags["national_dnc"],
            "state_dnc": flags["state_dnc"],
            "dma": flags["dma"],
            "litigator": flags["litigator"],
            "phone_type": flags["phone_type"],
            "is_clean": flags["is_clean"],
            "credits_deducted": credits,
        }
    )


def routes() -> list[Route]:
    table = [
        ("/dnc/scrub/", scrub, "POST"),
        ("/dnc/scrub-from-queue/", scrub_from_queue, "POST"),
        ("/dnc/queue/{queue_id:int}", dnc_queue, "GET"),
        ("/dnc/lookup/", dnc_lookup, "POST"),
    ]
    result = []
    for path, handler, method in table:
        wrapped = endpoint(TRACERFY, handler)
        for variant in with_and_without_slash(path):
            result.append(Route(variant, wrapped, methods=[method]))
    return result
