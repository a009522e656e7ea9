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

from leadbuilder.models import LeadBuild, LeadRow
from leadbuilder.selectors import build_rows, score_counts
from leadbuilder.services import ROW_FIELDS, row_values
from leadops.bulk import bulk_insert
from leadops.providers.tracerfy import LeadRow as ProviderLeadRow
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


def lead_rows_store(build: LeadBuild, rows: Iterable[dict], *, start: int = 1) -> int:
    """Store provider `rows` as the build's rows (positions from `start`), in bulk, mapped
    exactly as a build's ingest maps them (the client's parser, then
    `leadbuilder.services.row_values`)."""
    return bulk_insert(
        LeadRow,
        ROW_FIELDS,
        (
            row_values(build.team_id, build.pk, start + n, ProviderLeadRow.from_json(row))
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
    LeadBuild.objects.filter(pk=build.pk).update(
        rows_total=stored,
        rows_done=stored,
        hits=stored,
        score_counts=score_counts(rows=build_rows(build=build)),  # as the ingest keeps them
    )
    build.refresh_from_db()
    return build
