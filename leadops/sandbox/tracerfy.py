"""Tracerfy skip tracing: batch trace, queues, analytics and the instant lookup."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import data
from .common import TRACERFY, BadRequest, Ctx, endpoint, read_json_object, with_and_without_slash
from .csvio import csv_headers, decode_csv, encode_csv, read_params
from .state import SandboxState, TraceQueue, iso, utcnow
from .webhooks import Delivery

PAGE_SIZE = 100
TRACE_ROWS_PER_SECOND = 4000.0
CHUNK = 500
LOOKUP_CREDITS = 5

COLUMN_PARAMS = {
    "address": "address_column",
    "city": "city_column",
    "state": "state_column",
    "zip": "zip_column",
    "first_name": "first_name_column",
    "last_name": "last_name_column",
    "mail_address": "mail_address_column",
    "mail_city": "mail_city_column",
    "mail_state": "mail_state_column",
    "mail_zip": "mailing_zip_column",
}
REQUIRED_NORMAL = (
    "address_column",
    "city_column",
    "state_column",
    "first_name_column",
    "last_name_column",
    "mail_address_column",
    "mail_city_column",
    "mail_state_column",
)
REQUIRED_ADVANCED = ("address_column", "city_column", "state_column")
RECORD_COLUMNS = (
    "address", "city", "state", "mail_address", "mail_city", "mail_state", "first_name",
    "last_name", "primary_phone", "primary_phone_type", "email_1", "email_2", "email_3",
    "email_4", "email_5", "mobile_1", "mobile_2", "mobile_3", "mobile_4", "mobile_5",
    "landline_1", "landline_2", "landline_3",
)  # fmt: skip


def queue_summary(queue: TraceQueue) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "id": queue.id,
        "created_at": iso(queue.created_at),
        "pending": queue.pending,
        "download_url": queue.download_url,
    }
    if not queue.pending:
        summary["rows_uploaded"] = len(queue.rows)
        summary["credits_deducted"] = queue.credits_deducted
    summary.update(
        queue_type="api", trace_type=queue.trace_type, credits_per_lead=queue.credits_per_lead
    )
    return summary


def _load_rows(params: dict[str, Any], csv_bytes: bytes | None) -> tuple[list[dict], list[str]]:
    json_data = params.get("json_data")
    if csv_bytes is not None and json_data not in (None, ""):
        raise BadRequest({"error": "Send either csv_file or json_data, not both."})
    if csv_bytes is not None:
        return decode_csv(csv_bytes), csv_headers(csv_bytes)
    if json_data in (None, ""):
        raise BadRequest({"error": "Either csv_file or json_data is required."})
    records = json_data
    if isinstance(json_data, str):
        try:
            records = json.loads(json_data)
        except ValueError as exc:
            raise BadRequest({"error": "json_data must be a JSON array of records."}) from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise BadRequest({"error": "json_data must be a JSON array of records."})
    headers: list[str] = []
    for record in records:
        for key in record:
            if key not in headers:
                headers.append(key)
    rows = [
        {str(k): ("" if v is None else str(v).strip()) for k, v in record.items()}
        for record in records
    ]
    return rows, headers


def _clean_rows(
    rows: list[dict[str, str]], mapping: dict[str, str], trace_type: str
) -> list[dict[str, str]]:
    """Map columns, drop rows without address/city/state, de-duplicate."""
    cleaned = []
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        mapped = {field: row.get(column, "").strip() for field, column in mapping.items()}
        if not (mapped.get("address") and mapped.get("city") and mapped.get("state")):
            continue
        mapped["state"] = mapped["state"].upper()
        key = (
            data.normalize_text(mapped["address"]),
            data.normalize_text(mapped["city"]),
            mapped["state"],
            data.normalize_zip(mapped.get("zip", "")),
        )
        if trace_type == "normal":
            key += (
                data.normalize_text(mapped.get("first_name", "")),
                data.normalize_text(mapped.get("last_name", "")),
            )
        if key in seen:
            continue
        seen.add(key)
        cleaned.append(mapped)
    return cleaned


async def trace_batch(request: Request, ctx: Ctx) -> Response:
    params, csv_bytes = await read_params(request)
    trace_type = str(params.get("trace_type") or "normal").strip().lower()
    if trace_type not in ("normal", "advanced"):
        raise BadRequest({"error": "Invalid trace_type. Must be 'normal' or 'advanced'."})
    required = REQUIRED_ADVANCED if trace_type == "advanced" else REQUIRED_NORMAL
    missing = [name for name in required if not str(params.get(name) or "").strip()]
    if missing:
        raise BadRequest({"error": f"Missing required parameter(s): {', '.join(missing)}."})
    rows, headers = _load_rows(params, csv_bytes)
    mapping = {}
    for field, param in COLUMN_PARAMS.items():
        column = str(params.get(param) or "").strip()
        if not column:
            continue
        if column not in headers:
            source = "uploaded CSV" if csv_bytes is not None else "json_data"
            raise BadRequest({"error": f"Column '{column}' not found in the {source}."})
        mapping[field] = column
    cleaned = _clean_rows(rows, mapping, trace_type)
    if not cleaned:
        raise BadRequest(
            {"error": "No valid rows to trace after cleaning (address, city and state required)."}
        )
    state = ctx.state
    per_lead = 2 if trace_type == "advanced" else 1
    cost = per_lead * len(cleaned)
    if not state.account.can_afford(cost):
        raise BadRequest(
            {
                "error": f"Insufficient credits. This trace requires up to {cost} credits "
                f"({per_lead} per lead \u00d7 {len(cleaned)} rows). "
                f"You have {state.account.balance} credits."
            },
            status=402,
        )
    seconds = state.processing_seconds(len(cleaned), TRACE_ROWS_PER_SECOND)
    queue = TraceQueue(
        id=state.next_id("trace"),
        created_at=utcnow(),
        trace_type=trace_type,
        rows=cleaned,
        estimated_wait_seconds=max(1, math.ceil(seconds)),
        # No failed state in the contract: a failing trace queue vanishes from the list.
        fate=state.faults.queue_fate("trace", f"POST {request.url.path}", can_fail=False),
        base_url=ctx.base_url,
    )
    state.trace_queues[queue.id] = queue
    state.save("trace", queue.id, queue)
    state.record_paid(
        request, provider="tracerfy", kind="trace", rows=cleaned, created_id=queue.id,
        extra=trace_type,
    )  # fmt: skip
    resume(state, queue)
    return JSONResponse(
        {
            "message": "Queue created",
            "queue_id": queue.id,
            "status": "pending",
            "created_at": iso(queue.created_at),
            "rows_uploaded": len(cleaned),
            "trace_type": trace_type,
            "credits_per_lead": per_lead,
            "estimated_wait_seconds": queue.estimated_wait_seconds,
        }
    )


def resume(state: SandboxState, queue: TraceQueue) -> None:
    """Start (or, after a restart, restart) the processing of an unfinished queue."""
    if queue.vanished or queue.fate == "stuck":
        return
    if not queue.pending:
        if not queue.webhook_sent:
            webhook = notify(state, "trace", queue, "tracerfy.trace", queue_summary(queue))
            state.spawn(webhook, f"trace-{queue.id}-webhook")
        return
    seconds = state.processing_seconds(len(queue.rows), TRACE_ROWS_PER_SECOND)
    state.spawn(process_trace(state, queue, seconds, queue.base_url), f"trace-{queue.id}")


async def process_trace(state: SandboxState, queue: TraceQueue, seconds: float, base: str) -> None:
    if queue.fate == "vanish":
        await asyncio.sleep(seconds)
        queue.vanished = True
        state.save("trace", queue.id, queue)
        state.settle_paid("trace", queue.id, 0)
        return
    started = asyncio.get_running_loop().time()
    miss_rate = state.settings.miss_rate
    chunks = max(1, math.ceil(len(queue.rows) / CHUNK))
    records: list[dict[str, str]] = []
    hits = 0
    for index in range(chunks):
        for row in queue.rows[index * CHUNK : (index + 1) * CHUNK]:
            record, hit = data.trace_record(row, trace_type=queue.trace_type, miss_rate=miss_rate)
            records.append(record)
            hits += hit
        await state.keep_pace(started, (index + 1) / chunks, seconds)
    content = encode_csv(RECORD_COLUMNS, records)
    queue.download_url = state.add_download(base, "trace", f"queue-{queue.id}.csv", content)
    queue.records = records
    queue.hits = hits
    queue.credits_deducted = state.charge(hits * queue.credits_per_lead)
    queue.pending = False
    state.save("trace", queue.id, queue)
    state.settle_paid("trace", queue.id, queue.credits_deducted)
    await notify(state, "trace", queue, "tracerfy.trace", queue_summary(queue))


async def notify(
    state: SandboxState, store_kind: str, job: Any, kind: str, payload: dict[str, Any]
) -> None:
    """Send a finished job's account webhook; once sent (or dropped, or with no URL set) the
    job says so, and a restart sends the ones that were not."""

    def sent() -> None:
        if not job.webhook_sent:
            job.webhook_sent = True
            # A small row of its own: re-writing a 20,000-row queue for one flag is not.
            state.save("webhook_sent", f"{store_kind}/{job.id}", (store_kind, job.id))

    url = state.account.webhook_url
    if not url:
        sent()
        return
    await state.webhooks.send_one(Delivery(kind=kind, url=url, payload=payload, on_done=sent))


def _link_header(base: str, page: int, last: int) -> str:
    def url(number: int) -> str:
        return f"{base}?page={number}"

    links = []
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
    if page > 1:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    links.append(f'<{url(1)}>; rel="first"')
    links.append(f'<{url(last)}>; rel="last"')
    return ", ".join(links)


async def queues_list(request: Request, ctx: Ctx) -> Response:
    raw_page = request.query_params.get("page", "1")
    try:
        page = int(raw_page)
    except ValueError:
        page = 0
    queues = sorted(
        (q for q in ctx.state.trace_queues.values() if not q.vanished),
        key=lambda q: q.id,
        reverse=True,
    )
    total = len(queues)
    last = max(1, math.ceil(total / PAGE_SIZE))
    if page < 1 or page > last:
        return JSONResponse({"detail": "Invalid page."}, 404)
    items = [queue_summary(q) for q in queues[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    base = f"{ctx.base_url}{request.url.path}"
    headers = {"X-Total-Count": str(total), "Link": _link_header(base, page, last)}
    return JSONResponse(items, headers=headers)


async def queue_detail(request: Request, ctx: Ctx) -> Response:
    queue = ctx.state.trace_queues.get(request.path_params["queue_id"])
    if queue is None or queue.vanished:
        return JSONResponse({"detail": "Not found."}, 404)
    return JSONResponse([] if queue.pending else queue.records)


async def analytics(request: Request, ctx: Ctx) -> Response:
    queues = [q for q in ctx.state.trace_queues.values() if not q.vanished]
    pending = sum(1 for q in queues if q.pending)
    return JSONResponse(
        {
            "total_queues": len(queues),
            "properties_traced": sum(len(q.rows) for q in queues),
            "queues_pending": pending,
            "queues_completed": len(queues) - pending,
            "balance": ctx.state.account.balance,
        }
    )


def required_fields(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    values = {}
    missing = []
    for name in names:
        value = body.get(name)
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            missing.append(name)
        else:
            values[name] = str(value).strip()
    if missing:
        raise BadRequest({"error": f"Missing required field(s): {', '.join(missing)}."})
    return values


def lookup_person(raw: dict[str, Any], *, age_as_string: bool) -> dict[str, Any]:
    person = dict(raw)
    person["age"] = str(raw["age"]) if age_as_string else raw["age"]
    return person


async def trace_lookup(request: Request, ctx: Ctx) -> Response:
    body = await read_json_object(request)
    fields = required_fields(body, ("address", "city", "state"))
    zip_code = str(body.get("zip") or "").strip()
    find_owner = body.get("find_owner", True)
    if not isinstance(find_owner, bool):
        raise BadRequest({"error": "find_owner must be true or false."})
    first = str(body.get("first_name") or "").strip()
    last = str(body.get("last_name") or "").strip()
    if not find_owner and not (first and last):
        raise BadRequest(
            {"error": "first_name and last_name are required when find_owner is false."}
        )
    state = ctx.state
    if not state.account.can_afford(LOOKUP_CREDITS):
        raise BadRequest(
            {
                "error": "Insufficient credits. Instant trace lookup requires 5 credits per hit. "
                f"You have {state.account.balance} credits."
            },
            status=402,
        )
    address, city, st = fields["address"], fields["city"], fields["state"].upper()
    seed = data.address_seed(address, city, st, zip_code)
    response: dict[str, Any] = {
        "address": address,
        "city": city,
        "state": st,
        "zip": zip_code,
        "find_owner": find_owner,
    }
    persons: list[dict[str, Any]] = []
    if not data.is_miss(seed, state.settings.miss_rate):
        owner = data.owner_for_address(address, city, st, zip_code)
        if find_owner:
            persons.append(lookup_person(owner, age_as_string=True))
            if data.unit(seed, "co-owner") < 0.25:
                co_owner = data.person(
                    data.seed_of(seed, "co-owner"), state=st, last_name=str(owner["last_name"])
                )
                persons.append(lookup_person(co_owner, age_as_string=True))
        elif data.unit(data.seed_of(seed, first, last), "person-hit") >= 0.2:
            is_owner = data.normalize_text(f"{first} {last}") == data.normalize_text(
                owner["full_name"]
            )
            somebody = data.person(
                data.seed_of(seed, first, last),
                state=st,
                first_name=first,
                last_name=last,
                property_owner=is_owner,
            )
            persons.append(lookup_person(somebody, age_as_string=True))
    credits = state.charge(LOOKUP_CREDITS) if persons else 0
    state.record_paid(
        request, provider="tracerfy", kind="trace_lookup", billed=credits,
        rows=[{"address": address, "city": city, "state": st, "zip": zip_code,
               "find_owner": find_owner, "first_name": first, "last_name": last}],
    )  # fmt: skip
    response.update(
        hit=bool(persons),
        persons_count=len(persons),
        credits_deducted=credits,
        persons=persons,
    )
    return JSONResponse(response)


def routes() -> list[Route]:
    table = [
        ("/queues/", queues_list, "GET", None, None),
        ("/queue/{queue_id:int}", queue_detail, "GET", None, None),
        ("/analytics/", analytics, "GET", None, None),
        ("/trace/", trace_batch, "POST", "tracerfy.trace", None),
        (
            "/trace/lookup/",
            trace_lookup,
            "POST",
            "tracerfy.lookup",
            "Skip trace service temporarily unavailable. Please try again.",
        ),
    ]
    result = []
    for path, handler, method, bucket, unavailable in table:
        wrapped = endpoint(TRACERFY, handler, bucket=bucket, unavailable=unavailable)
        for variant in with_and_without_slash(path):
            result.append(Route(variant, wrapped, methods=[method]))
    return result
