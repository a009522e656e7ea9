"""Tracerfy APN / parcel trace: batch, its queue, and the instant lookup."""

from __future__ import annotations

import asyncio
import math
import random
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import data
from .common import TRACERFY, BadRequest, Ctx, endpoint, read_json_object, with_and_without_slash
from .csvio import csv_headers, decode_csv, encode_csv, read_params
from .state import ParcelQueue, SandboxState, iso, utcnow
from .tracerfy import lookup_person, notify, required_fields

CREDITS_PER_PARCEL = 5
PARCELS_PER_SECOND = 1000.0
CHUNK = 500
UNAVAILABLE = "Skip trace service temporarily unavailable. Please try again."

CSV_COLUMNS = [
    "parcel_id", "county", "state", "hit", "first_name", "last_name", "full_name", "age",
    "dob", "deceased", "property_owner", "litigator", "property_address", "property_city",
    "property_state", "property_zip", "mail_address", "mail_city", "mail_state", "mail_zip",
] + [
    f"phone_{i}{suffix}" for i in range(1, 6) for suffix in ("", "_type", "_dnc", "_carrier")
] + [f"email_{i}" for i in range(1, 4)]  # fmt: skip


def strip_apn(parcel_id: str) -> str:
    return parcel_id.strip().lstrip("#").strip()


def parcel_owner(
    parcel_id: str, county: str, state: str, miss_rate: float
) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The owner and property address for a parcel, or None on a miss."""
    seed = data.seed_of("parcel", strip_apn(parcel_id), county, state)
    if data.is_miss(seed, miss_rate):
        return None
    rng = random.Random(seed)
    city, zip_code = rng.choice(data.MAIL_CITIES.get(state.upper(), data.FALLBACK_MAIL))
    street = (
        f"{rng.randrange(100, 9999)} {rng.choice(data.STREET_NAMES)} "
        f"{rng.choice(data.STREET_SUFFIXES)}"
    )
    prop = {"street": street, "city": city, "state": state.upper(), "zip": zip_code}
    owner = data.person(seed, state=state, property_mail=prop)
    return owner, prop


def csv_row(parcel: dict[str, str], found: tuple[dict[str, Any], dict[str, str]] | None) -> dict:
    row: dict[str, Any] = {
        "parcel_id": parcel["parcel_id"],
        "county": parcel["county"],
        "state": parcel["state"],
        "hit": found is not None,
    }
    if found is None:
        return row
    owner, prop = found
    mail = owner["mailing_address"]
    row.update(
        first_name=owner["first_name"],
        last_name=owner["last_name"],
        full_name=owner["full_name"],
        age=owner["age"],
        dob=owner["dob"],
        deceased=owner["deceased"],
        property_owner=owner["property_owner"],
        litigator=owner["litigator"],
        property_address=prop["street"],
        property_city=prop["city"],
        property_state=prop["state"],
        property_zip=prop["zip"],
        mail_address=mail["street"],
        mail_city=mail["city"],
        mail_state=mail["state"],
        mail_zip=mail["zip"],
    )
    for index, phone in enumerate(owner["phones"][:5], start=1):
        row[f"phone_{index}"] = phone["number"]
        row[f"phone_{index}_type"] = phone["type"]
        row[f"phone_{index}_dnc"] = phone["dnc"]
        row[f"phone_{index}_carrier"] = phone["carrier"]
    for index, email in enumerate(owner["emails"][:3], start=1):
        row[f"email_{index}"] = email["email"]
    return row


def parcel_summary(queue: ParcelQueue) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "parcel_queue_id": queue.id,
        "created_at": iso(queue.created_at),
        "status": queue.status,
        "pending": queue.status == "pending",
        "download_url": queue.download_url,
        "rows_uploaded": len(queue.rows),
    }
    if queue.status != "pending":
        summary["rows_hit"] = queue.rows_hit
        summary["credits_deducted"] = queue.credits_deducted
        summary["completed_at"] = iso(queue.completed_at)
    summary["credits_per_parcel"] = CREDITS_PER_PARCEL
    return summary


async def parcel_batch(request: Request, ctx: Ctx) -> Response:
    params, csv_bytes = await read_params(request)
    names = ("parcel_id_column", "county_column", "state_column")
    missing = [name for name in names if not str(params.get(name) or "").strip()]
    if missing:
        raise BadRequest({"error": f"Missing required parameter(s): {', '.join(missing)}."})
    if csv_bytes is None:
        raise BadRequest({"error": "csv_file is required."})
    headers = csv_headers(csv_bytes)
    for name in names:
        column = str(params[name]).strip()
        if column not in headers:
            raise BadRequest({"error": f"Column '{column}' not found in the uploaded CSV."})
    parcels = []
    for row in decode_csv(csv_bytes):
        parcel = {
            "parcel_id": row.get(str(params["parcel_id_column"]).strip(), ""),
            "county": row.get(str(params["county_column"]).strip(), ""),
            "state": row.get(str(params["state_column"]).strip(), "").upper(),
        }
        if strip_apn(parcel["parcel_id"]) and parcel["county"] and parcel["state"]:
            parcels.append(parcel)
    if not parcels:
        raise BadRequest({"error": "No valid parcel rows found in the uploaded CSV."})
    state = ctx.state
    if not state.account.can_afford(CREDITS_PER_PARCEL * len(parcels)):
        raise BadRequest({"error": "Insufficient credits for parcel trace."}, status=402)
    queue = ParcelQueue(
        id=state.next_id("parcel"),
        created_at=utcnow(),
        rows=parcels,
        fate=state.faults.queue_fate("parcel", f"POST {request.url.path}", can_fail=True),
        base_url=ctx.base_url,
    )
    state.parcel_queues[queue.id] = queue
    state.save("parcel", queue.id, queue)
    state.record_paid(
        request, provider="tracerfy", kind="parcel", rows=parcels, created_id=queue.id
    )
    resume(state, queue)
    return JSONResponse(
        {
            "message": "Parcel trace started",
            "parcel_queue_id": queue.id,
            "created_at": iso(queue.created_at),
            "status": "pending",
            "rows_uploaded": len(parcels),
            "credits_per_parcel": CREDITS_PER_PARCEL,
        }
    )


def resume(state: SandboxState, queue: ParcelQueue) -> None:
    """Start (or, after a restart, restart) the processing of an unfinished queue."""
    if queue.vanished or queue.fate == "stuck":
        return
    if queue.status != "pending":
        if not queue.webhook_sent:
            webhook = notify(state, "parcel", queue, "tracerfy.parcel", parcel_webhook(queue))
            state.spawn(webhook, f"parcel-{queue.id}-webhook")
        return
    state.spawn(process_parcels(state, queue, queue.base_url), f"parcel-{queue.id}")


def parcel_webhook(queue: ParcelQueue) -> dict[str, Any]:
    return {
        "type": "parcel_trace",
        "event": f"parcel_trace.{queue.status}",
        "parcel_queue_id": queue.id,
        "status": queue.status,
        "download_url": queue.download_url,
        "rows_uploaded": len(queue.rows),
        "rows_hit": queue.rows_hit,
        "credits_deducted": queue.credits_deducted,
        "credits_per_parcel": CREDITS_PER_PARCEL,
    }


async def _fail_parcels(state: SandboxState, queue: ParcelQueue) -> None:
    await asyncio.sleep(state.processing_seconds(len(queue.rows), PARCELS_PER_SECOND))
    state.settle_paid("parcel", queue.id, 0)
    if queue.fate == "vanish":
        queue.vanished = True
        state.save("parcel", queue.id, queue)
        return
    queue.status = "failed"
    queue.completed_at = utcnow()
    state.save("parcel", queue.id, queue)
    await notify(state, "parcel", queue, "tracerfy.parcel", parcel_webhook(queue))


async def process_parcels(state: SandboxState, queue: ParcelQueue, base: str) -> None:
    if queue.fate in ("failed", "vanish"):
        await _fail_parcels(state, queue)
        return
    started = asyncio.get_running_loop().time()
    seconds = state.processing_seconds(len(queue.rows), PARCELS_PER_SECOND)
    chunks = max(1, math.ceil(len(queue.rows) / CHUNK))
    miss_rate = state.settings.miss_rate
    results = []
    for index in range(chunks):
        for parcel in queue.rows[index * CHUNK : (index + 1) * CHUNK]:
            found = parcel_owner(parcel["parcel_id"], parcel["county"], parcel["state"], miss_rate)
            results.append(csv_row(parcel, found))
        await state.keep_pace(started, (index + 1) / chunks, seconds)
    hits = sum(1 for row in results if row["hit"])
    content = encode_csv(CSV_COLUMNS, results)
    queue.download_url = state.add_download(base, "parcel", f"parcel-{queue.id}.csv", content)
    queue.results = results
    queue.rows_hit = hits
    queue.credits_deducted = state.charge(hits * CREDITS_PER_PARCEL)
    queue.completed_at = utcnow()
    queue.status = "completed"
    state.save("parcel", queue.id, queue)
    state.settle_paid("parcel", queue.id, queue.credits_deducted)
    await notify(state, "parcel", queue, "tracerfy.parcel", parcel_webhook(queue))


async def parcel_queue(request: Request, ctx: Ctx) -> Response:
    queue = ctx.state.parcel_queues.get(request.path_params["queue_id"])
    if queue is None or queue.vanished:
        return JSONResponse({"detail": "Not found."}, 404)
    return JSONResponse(parcel_summary(queue))


async def parcel_lookup(request: Request, ctx: Ctx) -> Response:
    body = await read_json_object(request)
    fields = required_fields(body, ("parcel_id", "county", "state"))
    if not strip_apn(fields["parcel_id"]):
        raise BadRequest({"error": "Missing required field(s): parcel_id."})
    state = ctx.state
    if not state.account.can_afford(CREDITS_PER_PARCEL):
        raise BadRequest(
            {"error": "Insufficient credits. Parcel trace requires 5 credits per lookup."},
            status=402,
        )
    county, st = fields["county"], fields["state"].upper()
    found = parcel_owner(fields["parcel_id"], county, st, state.settings.miss_rate)
    persons = [] if found is None else [lookup_person(found[0], age_as_string=False)]
    credits = state.charge(CREDITS_PER_PARCEL) if persons else 0
    state.record_paid(
        request, provider="tracerfy", kind="parcel_lookup", billed=credits,
        rows=[{"parcel_id": fields["parcel_id"], "county": county, "state": st}],
    )  # fmt: skip
    return JSONResponse(
        {
            "parcel_id": fields["parcel_id"],
            "county": county,
            "state": st,
            "hit": bool(persons),
            "persons_count": len(persons),
            "credits_deducted": credits,
            "persons": persons,
        }
    )


def routes() -> list[Route]:
    table = [
        ("/trace/parcel/", parcel_batch, "POST", "tracerfy.parcel", None),
        ("/trace/parcel/queue/{queue_id:int}", parcel_queue, "GET", None, None),
        ("/trace/parcel/lookup/", parcel_lookup, "POST", "tracerfy.parcel_lookup", UNAVAILABLE),
    ]
    result = []
    for path, handler, method, bucket, unavailable in table:
        wrapped = endpoint(TRACERFY, handler, bucket=bucket, unavailable=unavailable)
        for variant in with_and_without_slash(path):
            result.append(Route(variant, wrapped, methods=[method]))
    return result
