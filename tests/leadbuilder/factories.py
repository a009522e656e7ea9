"""A fast way to make a lead build with N rows that look like Tracerfy's, for tests and benches.

Rows come from the sandbox's own generator (`leadops.sandbox.properties`: make_property,
owners_and_contacts, lead_row — what `leadops/sandbox/leadbuilder.py build_row` serves), so
every provider column is there, factors included; they are stored with one
`leadops.bulk.bulk_insert` (COPY on PostgreSQL): 50,000 rows take seconds.

    build = lead_build(team=team_a, user=staff, rows=40)
    build = lead_build(team=team_a, user=staff, rows=[{...provider row...}, ...])
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

from leadbuilder.models import LeadBuild, LeadRow
from leadops.bulk import bulk_insert
from leadops.phones import us_e164
from leadops.sandbox import data, properties

VERTICALS = ("sell", "refi", "roof_renovate", "hvac_renovate", "solar_renovate")
AREAS = properties.resolve_areas(
    {"mode": "city", "cities": ["Austin", "Phoenix", "Tampa"], "states": ["TX", "AZ", "FL"]}
)


def provider_row(index: int, *, seed: str = "factory", filters: dict | None = None) -> dict:
    """Row `index` of a Tracerfy-like lead list (the documented /rows/ shape)."""
    seed_value = data.seed_of("lead-factory", seed, index)
    area = random.Random(seed_value).choice(AREAS)
    prop = properties.make_property(seed_value, area, filters or {})
    dossier = properties.owners_and_contacts(prop, seed_value, not data.is_miss(seed_value, 0.15))
    return properties.lead_row(prop, dossier)


def provider_rows(n: int, *, seed: str = "factory", filters: dict | None = None) -> Iterator[dict]:
    for index in range(n):
        yield provider_row(index, seed=seed, filters=filters)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def row_columns(row: dict) -> dict[str, Any]:
    """The typed columns of one provider row (what the lead build's ingest stores)."""
    owner = " ".join(
        part for part in (row.get("owner_1_first_name"), row.get("owner_1_last_name")) if part
    )
    phone = us_e164(row.get("primary_phone"))
    values = {
        "address": str(row.get("address", ""))[:255],
        "city": str(row.get("city", ""))[:100],
        "state": str(row.get("state", ""))[:2],
        "zip_code": str(row.get("zip_code", ""))[:10],
        "county": str(row.get("county", ""))[:100],
        "property_type": str(row.get("property_type", ""))[:20],
        "owner_name": owner[:255],
        "owner_type": "company" if row.get("corporate_owned") else "individual",
        "absentee_owner": row.get("absentee_owner"),
        "estimated_value": _int(row.get("estimated_value")),
        "estimated_equity": _int(row.get("estimated_equity")),
        "equity_percent": _float(row.get("equity_percent")),
        "primary_phone": phone,
        "phone_type": str(row.get("primary_phone_type", ""))[:20] if phone else "",
        "email": str(row.get("email_1", ""))[:255],
        "has_phone": bool(phone),
    }
    for vertical in VERTICALS:
        values[f"{vertical}_score"] = _int(row.get(f"{vertical}_propensity_score"))
        values[f"{vertical}_category"] = str(row.get(f"{vertical}_propensity_category") or "")[:6]
    return values


FIELDS = ["team", "build", "position", *row_columns(provider_row(0)), "data"]


def lead_rows_store(build: LeadBuild, rows: Iterable[dict], *, start: int = 1) -> int:
    """Store provider `rows` as the build's rows (positions from `start`), in bulk."""
    return bulk_insert(
        LeadRow,
        FIELDS,
        (
            (build.team_id, build.pk, start + n, *row_columns(row).values(), row)
            for n, row in enumerate(rows)
        ),
    )


def lead_build(
    *,
    team,
    user,
    rows: int | Iterable[dict] = 0,
    status: str = "complete",
    name: str = "Austin absentee owners",
    post_filters: dict | None = None,
    seed: str = "factory",
) -> LeadBuild:
    """A lead build of `team` in `status` with `rows` (a count of generated rows, or the
    provider rows themselves)."""
    build = LeadBuild.objects.create(
        team=team,
        created_by=user,
        provider="tracerfy",
        status=status,
        name=name,
        spec={
            "strategies": ["custom"],
            "geography": {"mode": "city", "cities": ["Austin"], "states": ["TX"]},
            "overrides": {},
            "requested_count": rows if isinstance(rows, int) else 0,
            "post_filters": dict(post_filters or {}),
        },
        provider_ref=f"ll-{seed}",
    )
    source = provider_rows(rows, seed=seed) if isinstance(rows, int) else rows
    stored = lead_rows_store(build, source)
    LeadBuild.objects.filter(pk=build.pk).update(rows_total=stored, rows_done=stored, hits=stored)
    build.refresh_from_db()
    return build
