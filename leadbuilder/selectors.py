"""Reads of the lead builder worth naming: a build's rows (as the rows page filters them),
their score distribution, one row's fields and factors, the phones of a set of rows, and
the export.

DNC statuses come from `leadops.phones.dnc_statuses` (the DNC app answers it), never from
the DNC tables: the rows page looks them up once per page (or, with the DNC filter, once for
all the rows' phones, the page's badges included), the export once per chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.validators import EMPTY_VALUES
from django.db.models import Count, F, QuerySet, Sum, Value
from django.utils import timezone

from leadbuilder.models import LeadBuild, LeadRow
from leadbuilder.spec import CATEGORIES, VERTICALS
from leadops.jobs.models import FINISHED
from leadops.phones import NOT_SCRUBBED, DncStatus, dnc_condition, dnc_statuses

CHUNK = 2000
HIGH, MEDIUM = 70, 40  # Tracerfy's category thresholds (High >= 70, Medium >= 40, else Low)
BUCKETS = tuple(range(0, 100, 10))  # 0-9, 10-19, ..., 90-100 (100 goes in the last bucket)


def build_rows(*, build: LeadBuild) -> QuerySet[LeadRow]:
    """The build's rows in the provider's order."""
    return LeadRow.objects.filter(build=build).order_by("position")


def rows_dnc_statuses(*, team, rows) -> dict[str, DncStatus]:
    """The DNC status of the primary phone of each of `rows` (a page), in one lookup."""
    return dnc_statuses(team=team, numbers={r.primary_phone for r in rows if r.primary_phone})


def row_dnc_status(row: LeadRow, statuses: dict[str, DncStatus]) -> DncStatus | None:
    if not row.primary_phone:
        return None
    return statuses.get(row.primary_phone, NOT_SCRUBBED)


# The DNC filter's choices, and which statuses each takes.
DNC_CHOICES = [
    ("clean", "Clean (fresh)"),
    ("blocked", "Blocked (DNC, litigator, internal)"),
    ("stale", "Stale (scrub again)"),
    ("not_scrubbed", "Not scrubbed"),
]


def rows_of_dnc_kind(*, team, rows: QuerySet[LeadRow], kind: str) -> QuerySet[LeadRow]:
    """`rows` whose primary phone's DNC status is `kind` (a DNC_CHOICES value), answered by
    the database in the same query (`leadops.phones.dnc_condition`), whatever the number of
    phones."""
    return rows.exclude(primary_phone="").filter(
        dnc_condition(team=team, kind=kind, field="primary_phone")
    )


# --- the score distribution -------------------------------------------------------------------


def bucket_label(low: int) -> str:
    return f"{low}-{low + 9}" if low < 90 else "90-100"


def bucket_band(low: int) -> str:
    if low >= HIGH:
        return "High"
    return "Medium" if low >= MEDIUM else "Low"


@dataclass(frozen=True)
class Distribution:
    """Per vertical, the rows in each 10-point score bucket (and those without a score)."""

    verticals: list[dict[str, Any]]
    total: int

    def table_rows(self) -> list[dict[str, Any]]:
        """The numbers as a table: a row per bucket, a column per vertical."""
        return [
            {
                "label": bucket_label(low),
                "band": bucket_band(low),
                "counts": [v["counts"][i] for v in self.verticals],
            }
            for i, low in enumerate(BUCKETS)
        ]

    def band_rows(self) -> list[dict[str, Any]]:
        """Rows per category band (by score), a column per vertical, and the unscored."""
        rows = [
            {"label": band, "counts": [v["bands"][band] for v in self.verticals]}
            for band in CATEGORIES
        ]
        if any(v["unscored"] for v in self.verticals):
            rows.append({"label": "No score", "counts": [v["unscored"] for v in self.verticals]})
        return rows

    def chart_data(self) -> dict[str, Any]:
        """What static/js/score-chart.js draws (through json_script)."""
        return {
            "labels": [bucket_label(low) for low in BUCKETS],
            "bands": [bucket_band(low) for low in BUCKETS],
            "thresholds": {"High": HIGH, "Medium": MEDIUM},
            "verticals": [
                {"key": v["key"], "label": v["label"], "counts": v["counts"]}
                for v in self.verticals
            ],
        }


def score_counts(*, rows: QuerySet[LeadRow]) -> dict[str, int]:
    """The rows per vertical and 10-point bucket (`sell__40`), without a score (`sell__none`)
    and in all (`total`): plain ints, so a build keeps its own (`LeadBuild.score_counts`).

    One SQL query grouping the rows by their five scores' tens (at most 11^5 groups whatever
    the rows; a few hundred on a Tracerfy-like list of 50,000), folded here; never by reading
    the rows in Python. On PostgreSQL with 50,000 rows it takes about half the time of one
    pass of 55 conditional counts (FILTER), the query it replaces."""
    # score / 10 in SQL (integer division; NULL stays NULL), 100 put in the top bucket here.
    tens = {f"{key}_tens": F(f"{key}_score") / Value(10) for key, _ in VERTICALS}
    counts = dict.fromkeys(
        ["total", *(f"{key}__{s}" for key, _ in VERTICALS for s in (*BUCKETS, "none"))], 0
    )
    groups = rows.order_by().annotate(**tens).values(*tens).annotate(n=Count("pk"))
    for group in groups:
        n = group["n"]
        counts["total"] += n
        for key, _label in VERTICALS:
            ten = group[f"{key}_tens"]
            if ten is None:
                counts[f"{key}__none"] += n
            elif ten <= 10:  # a score above 100 (never sent) falls in no bucket
                counts[f"{key}__{10 * min(ten, 9)}"] += n
    return counts


def distribution_from_counts(counts: dict[str, int]) -> Distribution:
    verticals = []
    for key, label in VERTICALS:
        found = [counts[f"{key}__{low}"] for low in BUCKETS]
        bands = {band: 0 for band in CATEGORIES}
        for low, n in zip(BUCKETS, found, strict=True):
            bands[bucket_band(low)] += n
        verticals.append(
            {
                "key": key,
                "label": label,
                "counts": found,
                "buckets": [
                    {"label": bucket_label(low), "band": bucket_band(low), "count": n}
                    for low, n in zip(BUCKETS, found, strict=True)
                ],
                "bands": bands,
                "unscored": counts[f"{key}__none"],
            }
        )
    return Distribution(verticals=verticals, total=counts["total"])


def score_distribution(*, rows: QuerySet[LeadRow]) -> Distribution:
    """The histogram of every vertical's scores over `rows` (one query, `score_counts`)."""
    return distribution_from_counts(score_counts(rows=rows))


# How long a filter's counts are kept (`filtered_distribution`): a finished build's rows never
# change; DNC statuses do, and are also keyed by the team's `dnc_version`, so the shorter
# time only bounds what no version covers (a status going stale with age, an admin's edit).
FILTERED_COUNTS_SECONDS = 3600
DNC_COUNTS_SECONDS = 300


def filtered_distribution(*, build: LeadBuild, found, team) -> Distribution:
    """The histogram of the rows `found` (the rows page's LeadRowFilter over `build`) leaves,
    counted once per filter and kept in the cache.

    Counting is one query over every row of the build that the filters keep (30-60 ms for
    100,000 rows on PostgreSQL, the DNC filter's join the most); paging through a filter,
    sorting it or coming back to it reads the kept counts. The key is the build, the rows'
    ingest (its stored counts) and the filter's cleaned values, and for the DNC filter the
    team's `dnc_version`, which every new status and internal-list change bumps."""
    cleaned = found.form.cleaned_data if found.is_bound and found.form.is_valid() else {}
    applied = sorted((name, str(v)) for name, v in cleaned.items() if v not in EMPTY_VALUES)
    uses_dnc = bool(cleaned.get("dnc"))
    parts = [build.pk, (build.score_counts or {}).get("total"), applied]
    if uses_dnc:
        parts.append(team.dnc_version if team is not None else None)
    key = "leadrows:counts:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    counts = cache.get(key)
    if counts is None:
        counts = score_counts(rows=found.qs)
        cache.set(key, counts, DNC_COUNTS_SECONDS if uses_dnc else FILTERED_COUNTS_SECONDS)
    return distribution_from_counts(counts)


def build_score_distribution(*, build: LeadBuild) -> Distribution:
    """The histogram of all the build's rows: the counts stored at ingest (rows never change
    after it), or, for a build stored before they were kept, counted now."""
    if build.score_counts is not None:
        return distribution_from_counts(build.score_counts)
    return score_distribution(rows=build_rows(build=build))


# --- one row ----------------------------------------------------------------------------------

# Tracerfy's row columns, in its order (docs/providers/tracerfy-api.md, lead list rows; the
# sandbox's `properties.ROW_COLUMNS`): the export's column order.
PROPERTY_COLUMNS = (
    "address", "city", "state", "zip_code", "county", "property_type", "year_built", "beds",
    "baths", "building_size_sqft", "lot_size_sqft", "estimated_value", "estimated_equity",
    "equity_percent", "assessed_value", "open_mortgage_balance", "lender_name",
    "estimated_mortgage_payment", "total_properties_owned", "total_portfolio_value",
    "roof_material", "roof_construction", "flood_zone", "cash_buyer", "corporate_owned",
)  # fmt: skip
CONTACT_COLUMNS = (
    "owner_1_first_name", "owner_1_last_name", "owner_2_first_name", "owner_2_last_name",
    "mail_address", "mail_city", "mail_state", "mail_zip", "primary_phone",
    "primary_phone_type", "primary_phone_carrier", "primary_phone_dnc", "primary_phone_tcpa",
    "mobile_1", "mobile_1_dnc", "mobile_1_tcpa", "email_1", "email_2", "email_3",
    "has_contact", "contact_clean",
)  # fmt: skip
FLAG_COLUMNS = (
    "absentee_owner", "owner_occupied", "high_equity", "vacant", "pre_foreclosure", "free_clear",
    "last_sale_date", "last_sale_price", "prior_sale_date", "prior_sale_price", "document_type",
    "recording_date",
)  # fmt: skip
SCORE_COLUMNS = tuple(
    f"{key}_propensity_{part}" for key, _ in VERTICALS for part in ("score", "category", "factors")
)
ROW_COLUMNS = (*PROPERTY_COLUMNS, *CONTACT_COLUMNS, *FLAG_COLUMNS, *SCORE_COLUMNS)

# The row detail's groups (every other provider column is listed under "Other").
SECTIONS = (
    (
        "Property",
        (
            "address", "city", "state", "zip_code", "county", "property_type", "year_built",
            "beds", "baths", "building_size_sqft", "lot_size_sqft", "roof_material",
            "roof_construction", "flood_zone", "vacant",
        ),
    ),
    (
        "Value and mortgage",
        (
            "estimated_value", "estimated_equity", "equity_percent", "assessed_value",
            "open_mortgage_balance", "lender_name", "estimated_mortgage_payment", "high_equity",
            "free_clear", "pre_foreclosure",
        ),
    ),
    (
        "Owner",
        (
            "owner_1_first_name", "owner_1_last_name", "owner_2_first_name",
            "owner_2_last_name", "corporate_owned", "absentee_owner", "owner_occupied",
            "cash_buyer", "total_properties_owned", "total_portfolio_value",
        ),
    ),
    ("Mailing address", ("mail_address", "mail_city", "mail_state", "mail_zip")),
    (
        "Contacts",
        (
            "primary_phone", "primary_phone_type", "primary_phone_carrier", "primary_phone_dnc",
            "primary_phone_tcpa", "mobile_1", "mobile_1_dnc", "mobile_1_tcpa", "email_1",
            "email_2", "email_3", "has_contact", "contact_clean",
        ),
    ),
    (
        "Sale history",
        (
            "last_sale_date", "last_sale_price", "prior_sale_date", "prior_sale_price",
            "document_type", "recording_date",
        ),
    ),
)  # fmt: skip
LABELS = {
    "zip_code": "ZIP code",
    "building_size_sqft": "Building size (sq ft)",
    "lot_size_sqft": "Lot size (sq ft)",
    "equity_percent": "Equity %",
    "primary_phone_dnc": "Primary phone on DNC (provider)",
    "primary_phone_tcpa": "Primary phone TCPA litigator (provider)",
    "mobile_1_dnc": "Mobile 1 on DNC (provider)",
    "mobile_1_tcpa": "Mobile 1 TCPA litigator (provider)",
    "mail_zip": "Mail ZIP",
    "free_clear": "Free and clear",
}


def column_label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def display_value(value: Any, key: str = "") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int) and not key.startswith("year"):
        return f"{value:,}"
    return str(value)


def row_sections(*, row: LeadRow) -> list[dict[str, Any]]:
    """Every provider column of `row`, grouped, with labels; the scores are left to
    `row_scores`."""
    data = row.data or {}
    shown: set[str] = set(SCORE_COLUMNS)
    sections = []
    for title, keys in SECTIONS:
        fields = [(column_label(k), display_value(data.get(k), k)) for k in keys if k in data]
        shown.update(keys)
        if fields:
            sections.append({"title": title, "fields": fields})
    other = sorted(k for k in data if k not in shown and not k.endswith("_propensity_factors"))
    if other:
        sections.append(
            {
                "title": "Other",
                "fields": [(column_label(k), display_value(data[k], k)) for k in other],
            }
        )
    return sections


def row_scores(*, row: LeadRow) -> list[dict[str, Any]]:
    """Per vertical: the score, its category and the factors (name, points, reason)."""
    data = row.data or {}
    scores = []
    for key, label in VERTICALS:
        factors = [
            {
                "name": str(f.get("name", "")),
                "label": str(f.get("name", "")).replace("_", " ").capitalize(),
                "points": int(f.get("points") or 0),
                "reason": str(f.get("reason", "")),
            }
            for f in data.get(f"{key}_propensity_factors") or ()
            if isinstance(f, dict)
        ]
        scores.append(
            {
                "key": key,
                "label": label,
                "score": getattr(row, f"{key}_score"),
                "category": getattr(row, f"{key}_category"),
                "factors": factors,
            }
        )
    return scores


# --- phones and the export --------------------------------------------------------------------


def rows_phones(*, rows: QuerySet[LeadRow]) -> list[str]:
    """The distinct primary phones of `rows` (E.164), in the rows' order of first use."""
    seen: dict[str, None] = {}
    for phone in (
        rows.exclude(primary_phone="")
        .values_list("primary_phone", flat=True)
        .iterator(chunk_size=CHUNK)
    ):
        seen.setdefault(phone, None)
    return list(seen)


def factors_text(factors: Any) -> str:
    """A vertical's factors as one cell: "owner_occupied +8: Owner-occupied …; …"."""
    if not isinstance(factors, list):
        return "" if factors in (None, "") else str(factors)
    return "; ".join(
        f"{f.get('name', '')} {int(f.get('points') or 0):+d}: {f.get('reason', '')}"
        for f in factors
        if isinstance(f, dict)
    )


def _cell(key: str, value: Any) -> Any:
    if key.endswith("_propensity_factors"):
        return factors_text(value)
    if isinstance(value, list | dict):
        return str(value)
    return value


def export_rows(*, team, rows: QuerySet[LeadRow]) -> tuple[list[str], Iterator[list[Any]]]:
    """Headers and rows of the export: every provider column in Tracerfy's order (any column
    it adds later after them, by name), the factors as text, and our DNC status of the
    primary phone. Streamed; the DNC statuses are looked up once per chunk."""
    rows = rows.only("id", "position", "primary_phone", "data").order_by("position")
    first = list(rows[:CHUNK])
    extra = sorted({k for r in first for k in (r.data or {})} - set(ROW_COLUMNS))
    columns = [*ROW_COLUMNS, *extra]
    headers = [*columns, "leadops_dnc_status"]

    def chunks() -> Iterator[list[LeadRow]]:
        if first:
            yield first
        last = first[-1].position if len(first) == CHUNK else None
        while last is not None:
            part = list(rows.filter(position__gt=last)[:CHUNK])
            if part:
                yield part
            last = part[-1].position if len(part) == CHUNK else None

    def lines() -> Iterator[list[Any]]:
        for part in chunks():
            statuses = rows_dnc_statuses(team=team, rows=part)
            for row in part:
                data = row.data or {}
                status = row_dnc_status(row, statuses)
                yield [
                    *(_cell(k, data.get(k)) for k in columns),
                    status.text if status else "No phone",
                ]

    return headers, lines()


def volume_by_strategy(*, team, days: int = 90) -> list[dict]:
    """The team's finished lead lists of the last `days` per strategy: lists and rows
    delivered, most rows first; one grouped query."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        LeadBuild.objects.filter(team=team, status__in=FINISHED, completed_at__gte=since)
        .values("strategy_label")
        .annotate(lists=Count("pk"), rows=Sum("rows_done"))
        .order_by("-rows", "strategy_label")
    )
    return [
        {
            "strategy": row["strategy_label"] or "Custom",
            "lists": row["lists"],
            "rows": row["rows"] or 0,
        }
        for row in rows
    ]
