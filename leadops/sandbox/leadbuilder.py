"""Tracerfy Lead Builder: filters, preview, execute, status, rows, lookup, autocomplete."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import random
from functools import lru_cache
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import aiassist, data, properties
from .common import TRACERFY, BadRequest, Ctx, endpoint, read_json_object, with_and_without_slash
from .csvio import encode_csv
from .state import LeadList, SandboxState, iso, utcnow
from .strategies import ACCEPTED_KEYS, BOOLEAN_KEYS, BY_KEY, DATE_KEYS, STRATEGIES
from .tracerfy import notify, required_fields

CREDITS_PER_ROW = 5
LOOKUP_CREDITS = 10
USD_PER_CREDIT = 0.02
MAX_REQUESTED = 25_000
ROWS_PER_SECOND = 1000.0
SUSPENDED = (
    "Your account has been temporarily suspended due to unpaid invoices. "
    "Please contact [email protected] to resolve outstanding payments."
)
MODES = ("zips", "city", "counties", "states", "radius")


def _geo_error(message: str) -> BadRequest:
    return BadRequest({"geography": [message]})


def _string_list(geo: dict[str, Any], name: str) -> list[str]:
    value = geo.get(name)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise _geo_error(f"'{name}' must be a non-empty list of strings for mode '{geo['mode']}'.")
    return [v.strip() for v in value]


def _states(geo: dict[str, Any]) -> list[str]:
    states = [s.upper() for s in _string_list(geo, "states")]
    bad = [s for s in states if len(s) != 2 or not s.isalpha()]
    if bad:
        raise _geo_error(f"Invalid state abbreviation(s): {', '.join(bad)}.")
    return states


def parse_geography(geo: Any) -> dict[str, Any]:
    if not isinstance(geo, dict):
        raise BadRequest({"geography": ["This field is required."]})
    mode = geo.get("mode")
    if mode not in MODES:
        raise _geo_error(f"Invalid geography mode {mode!r}. One of: {', '.join(MODES)}.")
    if mode == "zips":
        zips = _string_list(geo, "zip_codes")
        bad = [z for z in zips if len(z) != 5 or not z.isdigit()]
        if bad:
            raise _geo_error(f"Invalid ZIP code(s): {', '.join(bad)}.")
        return {"mode": mode, "zip_codes": zips}
    if mode == "city":
        return {"mode": mode, "cities": _string_list(geo, "cities"), "states": _states(geo)}
    if mode == "counties":
        return {"mode": mode, "counties": _string_list(geo, "counties"), "states": _states(geo)}
    if mode == "states":
        return {"mode": mode, "states": _states(geo)}
    values = {}
    for name, low, high in (("latitude", -90, 90), ("longitude", -180, 180), ("radius", 0, 100)):
        value = geo.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _geo_error(f"'{name}' must be a number for mode 'radius'.")
        if not low <= value <= high or (name == "radius" and value <= 0):
            raise _geo_error(f"'{name}' is out of range.")
        values[name] = float(value)
    return {"mode": mode, **values}


def parse_overrides(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(
            {
                "filter_overrides": [
                    f'Expected a dictionary of items but got type "{type(value).__name__}".'
                ]
            }
        )
    unknown = sorted(set(value) - ACCEPTED_KEYS)
    if unknown:
        raise BadRequest(
            {
                "filter_overrides": [
                    f"Unknown filter key(s): {', '.join(unknown)}. "
                    "See the Filter Reference for accepted keys."
                ]
            }
        )
    for key, item in value.items():
        if key in BOOLEAN_KEYS and not isinstance(item, bool):
            raise BadRequest({"filter_overrides": [f"'{key}' must be true or false."]})
        if key in DATE_KEYS:
            try:
                dt.date.fromisoformat(str(item))
            except ValueError as exc:
                raise BadRequest(
                    {"filter_overrides": [f"'{key}' must be a date (YYYY-MM-DD)."]}
                ) from exc
        elif key.endswith(("_min", "_max")) and (
            isinstance(item, bool) or not isinstance(item, int | float)
        ):
            raise BadRequest({"filter_overrides": [f"'{key}' must be a number."]})
    return dict(value)


def parse_requested_count(value: Any) -> int:
    if value is None:
        raise BadRequest({"requested_count": ["This field is required."]})
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest({"requested_count": ["A valid integer is required."]})
    if value < 1:
        raise BadRequest({"requested_count": ["Ensure this value is greater than or equal to 1."]})
    if value > MAX_REQUESTED:
        raise BadRequest({"requested_count": ["Ensure this value is less than or equal to 25000."]})
    return value


def parse_spec(body: dict[str, Any]) -> dict[str, Any]:
    strategy = body.get("strategy") or "custom"
    if not isinstance(strategy, str):
        raise BadRequest({"strategy": ["Not a valid string."]})
    keys = [k.strip() for k in strategy.split(",") if k.strip()] or ["custom"]
    for key in keys:
        if key not in BY_KEY:
            raise BadRequest(
                {
                    "strategy": [
                        f"Unknown strategy '{key}'. Valid options: "
                        "call GET /v1/api/lead-builder/strategies/"
                    ]
                }
            )
    geography = parse_geography(body.get("geography"))
    overrides = parse_overrides(body.get("filter_overrides"))
    requested = parse_requested_count(body.get("requested_count"))
    filter_sets = [{**BY_KEY[key]["default_filters"], **overrides} for key in keys]
    return {
        "strategy": ",".join(keys),
        "strategy_label": ", ".join(BY_KEY[key]["label"] for key in keys),
        "geography": geography,
        "overrides": overrides,
        "requested_count": requested,
        "filter_sets": filter_sets,
    }


def filters_applied(spec: dict[str, Any]) -> dict[str, Any]:
    applied: dict[str, Any] = {}
    for filters in spec["filter_sets"]:
        applied.update(filters)
    geo = spec["geography"]
    mode = geo["mode"]
    if mode == "zips":
        applied["zip"] = ",".join(geo["zip_codes"])
    elif mode in ("city", "counties", "states"):
        applied["state"] = ",".join(geo["states"])
        if mode == "city":
            applied["city"] = ",".join(geo["cities"])
        if mode == "counties":
            applied["county"] = ",".join(geo["counties"])
    else:
        applied.update(latitude=geo["latitude"], longitude=geo["longitude"], radius=geo["radius"])
    return applied


@lru_cache(maxsize=512)
def _cached_count(spec_json: str) -> int:
    spec = json.loads(spec_json)
    areas = properties.resolve_areas(spec["geography"])
    universe = sum(area.households for area in areas)
    miss_all = 1.0
    for filters in spec["filter_sets"]:
        miss_all *= 1 - properties.match_rate(areas, filters)
    return int(universe * (1 - miss_all))


def match_count(spec: dict[str, Any]) -> int:
    key = json.dumps(
        {"geography": spec["geography"], "filter_sets": spec["filter_sets"]}, sort_keys=True
    )
    return _cached_count(key)


def pins(spec: dict[str, Any], count: int) -> list[dict[str, float]]:
    areas = properties.resolve_areas(spec["geography"])
    rng = random.Random(data.seed_of("pins", json.dumps(spec["geography"], sort_keys=True)))
    result = []
    for index in range(min(count, 500)):
        area = areas[index % len(areas)]
        result.append(
            {
                "latitude": round(area.latitude + rng.uniform(-0.08, 0.08), 5),
                "longitude": round(area.longitude + rng.uniform(-0.08, 0.08), 5),
            }
        )
    return result


def _suspended_check(state: SandboxState) -> None:
    if state.account.suspended:
        raise BadRequest({"error": SUSPENDED}, status=403)


async def list_filters(request: Request, ctx: Ctx) -> Response:
    return JSONResponse({"strategies": STRATEGIES})


async def preview(request: Request, ctx: Ctx) -> Response:
    body = await read_json_object(request)
    spec = parse_spec(body)
    count = match_count(spec)
    capped = min(count, spec["requested_count"])
    cost = capped * CREDITS_PER_ROW
    response = {
        "count": count,
        "capped_count": capped,
        "requested_count": spec["requested_count"],
        "max_credit_cost": cost,
        "max_credit_cost_usd": round(cost * USD_PER_CREDIT, 2),
        "strategy": spec["strategy"],
        "strategy_label": spec["strategy_label"],
        "filters_applied": filters_applied(spec),
    }
    if body.get("include_pins") is True:
        response["pins"] = pins(spec, count)
    return JSONResponse(response)


def poll_path(lead_list_id: int) -> str:
    return f"/tracerfy/v1/api/lead-builder/{lead_list_id}/"


async def execute(request: Request, ctx: Ctx) -> Response:
    body = await read_json_object(request)
    spec = parse_spec(body)
    name = body.get("name") or ""
    if not isinstance(name, str):
        raise BadRequest({"name": ["Not a valid string."]})
    state = ctx.state
    _suspended_check(state)
    count = match_count(spec)
    if count == 0:
        raise BadRequest(
            {
                "error": "No properties match this filter set. Widen your filters and try again.",
                "matches": 0,
            }
        )
    capped = min(count, spec["requested_count"])
    cost = capped * CREDITS_PER_ROW
    if not state.account.can_afford(cost):
        raise BadRequest(
            {
                "error": f"Insufficient credits. This lead list requires up to {cost} credits "
                f"(5 per row \u00d7 {capped} rows). You have {state.account.balance} credits."
            },
            status=402,
        )
    lead_list = LeadList(
        id=state.next_id("lead_list"),
        name=name,
        strategy=spec["strategy"],
        strategy_label=spec["strategy_label"],
        created_at=utcnow(),
        requested_count=spec["requested_count"],
        capped_count=capped,
        spec=spec,
        fate=state.faults.queue_fate("lead_list", f"POST {request.url.path}", can_fail=True),
        base_url=ctx.base_url,
    )
    state.lead_lists[lead_list.id] = lead_list
    state.save("lead_list", lead_list.id, lead_list)
    state.record_paid(
        request, provider="tracerfy", kind="lead_list", created_id=lead_list.id,
        rows=[{"spec": spec, "name": name}], count=capped,
    )  # fmt: skip
    resume(state, lead_list)
    return JSONResponse(
        {
            "id": lead_list.id,
            "status": "pending",
            "progress_stage": "",
            "created_at": iso(lead_list.created_at),
            "requested_count": lead_list.requested_count,
            "max_credit_cost": cost,
            "poll_url": poll_path(lead_list.id),
        },
        202,
    )


def build_row(spec: dict[str, Any], areas: list, index: int, miss_rate: float) -> dict | None:
    spec_key = json.dumps(
        {"g": spec["geography"], "f": spec["filter_sets"]}, sort_keys=True, default=str
    )
    seed = data.seed_of("lead", spec_key, index)
    if data.unit(seed, "incomplete") < 0.025:
        return None
    filters = spec["filter_sets"][index % len(spec["filter_sets"])]
    weights = [area.households for area in areas]
    area = random.Random(seed).choices(areas, weights=weights)[0]
    prop = properties.make_property(seed, area, filters)
    dossier = properties.owners_and_contacts(prop, seed, not data.is_miss(seed, miss_rate))
    return properties.lead_row(prop, dossier)


def resume(state: SandboxState, lead_list: LeadList) -> None:
    """Start (or, after a restart, restart from scratch) an unfinished build."""
    if lead_list.vanished or lead_list.fate == "stuck":
        return
    if lead_list.status != "pending":
        if not lead_list.webhook_sent:
            webhook = notify(
                state, "lead_list", lead_list, "tracerfy.lead_list", _webhook_payload(lead_list)
            )
            state.spawn(webhook, f"lead-list-{lead_list.id}-webhook")
        return
    state.spawn(build_list(state, lead_list, lead_list.base_url), f"lead-list-{lead_list.id}")


FAILED_MESSAGE = "Lead list build failed. No credits were charged; please try again."


async def _fail_list(state: SandboxState, lead_list: LeadList, seconds: float) -> None:
    lead_list.progress_stage = "fetching_properties"
    lead_list.progress_percent = 5
    await asyncio.sleep(seconds * 0.4)
    state.settle_paid("lead_list", lead_list.id, 0)
    if lead_list.fate == "vanish":
        lead_list.vanished = True
        state.save("lead_list", lead_list.id, lead_list)
        return
    lead_list.status = "failed"
    lead_list.progress_stage = ""
    lead_list.error_message = FAILED_MESSAGE
    lead_list.completed_at = utcnow()
    state.save("lead_list", lead_list.id, lead_list)
    await notify(state, "lead_list", lead_list, "tracerfy.lead_list", _webhook_payload(lead_list))


def _webhook_payload(lead_list: LeadList) -> dict[str, Any]:
    """The documented payload; a failed build adds ``status`` and ``error_message``."""
    failed = {"status": "failed", "error_message": lead_list.error_message}
    return {
        **(failed if lead_list.status == "failed" else {}),
        "id": lead_list.id,
        "type": "lead_list",
        "name": lead_list.name,
        "strategy": lead_list.strategy,
        "source": "api",
        "created_at": iso(lead_list.created_at),
        "completed_at": iso(lead_list.completed_at),
        "pending": False,
        "download_url": lead_list.download_url,
        "requested_count": lead_list.requested_count,
        "actual_count": len(lead_list.rows),
        "credits_deducted": lead_list.credits_deducted,
    }


async def build_list(state: SandboxState, lead_list: LeadList, base: str) -> None:
    seconds = state.processing_seconds(lead_list.capped_count, ROWS_PER_SECOND, overhead=1.0)
    if lead_list.fate in ("failed", "vanish"):
        await _fail_list(state, lead_list, seconds)
        return
    started = asyncio.get_running_loop().time()
    areas = properties.resolve_areas(lead_list.spec["geography"])
    miss_rate = state.settings.miss_rate
    lead_list.progress_stage = "fetching_properties"
    lead_list.progress_percent = 5
    total = lead_list.capped_count
    chunk = 250
    steps = max(1, math.ceil(total / chunk))
    rows: list[dict[str, Any]] = []
    for step in range(steps):
        for index in range(step * chunk, min(total, (step + 1) * chunk)):
            row = build_row(lead_list.spec, areas, index, miss_rate)
            if row is not None:
                rows.append(row)
        lead_list.progress_percent = 5 + int(35 * (step + 1) / steps)
        await state.keep_pace(started, 0.4 * (step + 1) / steps, seconds)
    lead_list.progress_stage = "skip_tracing"
    for tick in range(1, 4):
        lead_list.progress_percent = 40 + 15 * tick
        await state.keep_pace(started, 0.4 + 0.4 * tick / 3, seconds)
    lead_list.progress_stage = "generating_csv"
    lead_list.progress_percent = 90
    content = encode_csv(properties.ROW_COLUMNS, rows)
    await state.keep_pace(started, 1.0, seconds)
    lead_list.download_url = state.add_download(
        base, "lead-list", f"lead_list_{lead_list.id}.csv", content
    )
    lead_list.rows = rows
    lead_list.credits_deducted = state.charge(len(rows) * CREDITS_PER_ROW)
    lead_list.completed_at = utcnow()
    lead_list.progress_stage = ""
    lead_list.progress_percent = 100
    lead_list.status = "complete"
    state.save("lead_list", lead_list.id, lead_list)
    state.settle_paid("lead_list", lead_list.id, lead_list.credits_deducted)
    await notify(state, "lead_list", lead_list, "tracerfy.lead_list", _webhook_payload(lead_list))


def _lead_list(ctx: Ctx, request: Request) -> LeadList:
    lead_list = ctx.state.lead_lists.get(request.path_params["list_id"])
    if lead_list is None or lead_list.vanished:
        raise BadRequest({"error": "Lead list not found."}, status=404)
    return lead_list


async def status(request: Request, ctx: Ctx) -> Response:
    lead_list = _lead_list(ctx, request)
    complete = lead_list.status == "complete"
    return JSONResponse(
        {
            "id": lead_list.id,
            "name": lead_list.name,
            "strategy": lead_list.strategy,
            "strategy_label": lead_list.strategy_label,
            "source": "api",
            "status": lead_list.status,
            "progress_stage": lead_list.progress_stage,
            "progress_percent": lead_list.progress_percent,
            "requested_count": lead_list.requested_count,
            "actual_count": len(lead_list.rows) if complete else None,
            "credits_deducted": lead_list.credits_deducted,
            "download_url": lead_list.download_url,
            "error_message": lead_list.error_message,
            "created_at": iso(lead_list.created_at),
            "completed_at": iso(lead_list.completed_at),
            "poll_url": poll_path(lead_list.id),
        }
    )


def _positive_int(request: Request, name: str, default: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        return None


async def rows(request: Request, ctx: Ctx) -> Response:
    lead_list = _lead_list(ctx, request)
    page = _positive_int(request, "page", 1)
    per_page = _positive_int(request, "per_page", 100)
    if page is None or page < 1:
        raise BadRequest({"error": "page must be a positive integer."})
    if per_page is None or not 1 <= per_page <= 500:
        raise BadRequest({"error": "per_page must be an integer between 1 and 500."})
    if lead_list.status == "failed":
        return JSONResponse({"error": lead_list.error_message, "status": lead_list.status}, 409)
    if lead_list.status != "complete":
        return JSONResponse(
            {
                "error": "Lead list is still processing. Poll the status endpoint until complete.",
                "status": lead_list.status,
            },
            409,
        )
    total = len(lead_list.rows)
    # orjson: the same JSON as JSONResponse's json.dumps, written ten times faster (a page
    # of 500 rows is 1.7 MB, and this process shares its machine with the app it serves).
    body = {
        "lead_list_id": lead_list.id,
        "total_rows": total,
        "page": page,
        "per_page": per_page,
        "total_pages": math.ceil(total / per_page),
        "rows": lead_list.rows[(page - 1) * per_page : page * per_page],
    }
    return Response(orjson.dumps(body), media_type="application/json")


def _area_for(city: str, state: str) -> properties.Area:
    for place in properties.PLACES:
        if place[0].lower() == city.lower() and place[1] == state:
            return properties._place_area(place)
    return properties._synthetic_area(f"{city}|{state}", state, city)


async def lookup(request: Request, ctx: Ctx) -> Response:
    body = await read_json_object(request)
    fields = required_fields(body, ("address", "city", "state"))
    zip_code = data.normalize_zip(body.get("zip_code") or "")
    state = ctx.state
    _suspended_check(state)
    if not state.account.can_afford(LOOKUP_CREDITS):
        raise BadRequest(
            {
                "error": "Insufficient credits. Lead Builder lookup requires 10 credits per hit. "
                f"You have {state.account.balance} credits."
            },
            status=402,
        )
    address, city, st = fields["address"], fields["city"], fields["state"].upper()
    seed = data.address_seed(address, city, st, zip_code)
    if data.is_miss(data.seed_of(seed, "property"), state.settings.miss_rate):
        state.record_paid(
            request, provider="tracerfy", kind="lead_lookup", billed=0,
            rows=[{"address": address, "city": city, "state": st, "zip_code": zip_code}],
        )  # fmt: skip
        return JSONResponse(
            {
                "hit": False,
                "credits_deducted": 0,
                "address": address,
                "city": city,
                "state": st,
                "zip_code": zip_code,
            }
        )
    area = _area_for(city, st)
    zip_code = zip_code or area.zips[seed % len(area.zips)]
    prop = properties.make_property(
        seed, area, address={"address": address, "city": city, "state": st, "zip_code": zip_code}
    )
    skip_hit = not data.is_miss(seed, state.settings.miss_rate)
    dossier = properties.owners_and_contacts(prop, seed, skip_hit)
    credits = state.charge(LOOKUP_CREDITS)
    state.record_paid(
        request, provider="tracerfy", kind="lead_lookup", billed=credits,
        rows=[{"address": address, "city": city, "state": st, "zip_code": zip_code}],
    )  # fmt: skip
    return JSONResponse(
        {
            "hit": True,
            "credits_deducted": credits,
            "skip_trace_hit": skip_hit,
            "property": prop,
            **dossier,
        }
    )


async def autocomplete(request: Request, ctx: Ctx) -> Response:
    body = await read_json_object(request)
    search = body.get("search")
    if not isinstance(search, str) or not search.strip():
        raise BadRequest(
            {
                "error": 'Missing \'search\' field. Pass {"search": "<address text>"} '
                "in the request body."
            }
        )
    if len(search.strip()) < 2:
        raise BadRequest({"error": "'search' must be at least 2 characters."})
    query = " ".join(search.split())
    return JSONResponse(
        {
            "query": query,
            "credits_deducted": 0,
            "results": aiassist.autocomplete_results(query, ctx.state.settings.miss_rate),
        }
    )


async def ai_assist(request: Request, ctx: Ctx) -> Response:
    body = await read_json_object(request)
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadRequest({"prompt": ["This field is required."]})
    if len(prompt) < 5:
        raise BadRequest({"prompt": ["Ensure this field has at least 5 characters."]})
    if len(prompt) > 2000:
        raise BadRequest({"prompt": ["Ensure this field has no more than 2000 characters."]})
    state = ctx.state
    conversation_id = body.get("conversation_id")
    if conversation_id is not None and (
        not isinstance(conversation_id, str) or conversation_id not in state.conversations
    ):
        raise BadRequest({"conversation_id": ["Unknown conversation_id."]})
    if not state.account.can_afford(1):
        raise BadRequest(
            {
                "error": "Insufficient credits. You need at least 1 credit to use AI assist. "
                f"Your balance is {state.account.balance} credits."
            },
            status=402,
        )
    if conversation_id is None:
        conversation_id = state.new_uuid()
        state.conversations[conversation_id] = []
    turns = state.conversations[conversation_id]
    turns.append(prompt)
    answer = aiassist.interpret(turns)
    answer["conversation_id"] = conversation_id
    answer["credits_deducted"] = state.charge(1)
    state.record_paid(
        request, provider="tracerfy", kind="ai_assist", billed=1,
        rows=[{"conversation_id": conversation_id, "prompt": prompt}],
    )  # fmt: skip
    return JSONResponse(answer)


def routes() -> list[Route]:
    lookup_down = "Lookup service temporarily unavailable. Please try again."
    table = [
        ("/lead-builder/filters/", list_filters, "GET", None, None),
        ("/lead-builder/strategies/", list_filters, "GET", None, None),
        (
            "/lead-builder/preview/",
            preview,
            "POST",
            "tracerfy.preview",
            "Lead preview service temporarily unavailable. Please try again.",
        ),
        ("/lead-builder/execute/", execute, "POST", "tracerfy.execute", None),
        ("/lead-builder/lookup/", lookup, "POST", None, lookup_down),
        (
            "/lead-builder/autocomplete/",
            autocomplete,
            "POST",
            "tracerfy.autocomplete",
            "Address resolution service temporarily unavailable. Please try again.",
        ),
        (
            "/lead-builder/ai-assist/",
            ai_assist,
            "POST",
            None,
            "AI assist temporarily unavailable. Please try again or build filters manually "
            "via /preview/.",
        ),
        ("/lead-builder/{list_id:int}/", status, "GET", None, None),
        ("/lead-builder/{list_id:int}/rows/", rows, "GET", None, None),
    ]
    result = []
    for path, handler, method, bucket, unavailable in table:
        wrapped = endpoint(TRACERFY, handler, bucket=bucket, unavailable=unavailable)
        for variant in with_and_without_slash(path):
            result.append(Route(variant, wrapped, methods=[method]))
    return result
