"""Lead builds: submitting one (execute limits, one-time form, credits held), and storing
its rows.

The build screen's preview (leadbuilder/preview.py) shows the most a build can cost
(`max_credit_cost`: 5 credits per delivered row, capped at the matches); submitting holds
exactly that figure, the job executes it at Tracerfy, and ingesting captures what Tracerfy
charged and releases the rest (leadops.jobs.services.job_complete).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from leadbuilder import selectors
from leadbuilder.models import PROVIDER, AiConversation, LeadBuild, LeadRow, OwnerType, SavedSearch
from leadbuilder.spec import CREDITS_PER_ROW, MAX_REQUESTED, VERTICALS, BuildSpec, filter_sets
from leadbuilder.strategies import strategies_list, strategy_defaults
from leadops import providers
from leadops.accounts.models import Team
from leadops.bulk import JsonText, bulk_insert
from leadops.jobs import services as job_services
from leadops.jobs import tokens
from leadops.phones import us_e164
from leadops.providers.errors import ProviderError
from leadops.providers.ratelimit import WindowUsage

EXECUTE_FAMILY = "tracerfy.execute"
SUBMIT_SCOPE = "leads:new"


class BuildRefused(Exception):
    """The build cannot go ahead as asked; the message is safe to show to a user."""


class AlreadySubmitted(Exception):
    """This form (its one-time token) already submitted `build`."""

    def __init__(self, build: LeadBuild):
        self.build = build
        super().__init__(f"You already submitted this; it is lead list #{build.pk}.")


# --- execute limits ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExecuteAllowance:
    """How many builds the Tracerfy account may still start (LeadOps' limiter keeps each
    window a little under the published 10 per hour and 50 per day)."""

    windows: tuple[WindowUsage, ...]

    @property
    def blocked(self) -> WindowUsage | None:
        full = [w for w in self.windows if w.used >= w.limit]
        return max(full, key=lambda w: w.free_in) if full else None

    @property
    def near(self) -> WindowUsage | None:
        close = [w for w in self.windows if w.limit and w.used >= math.ceil(0.7 * w.limit)]
        return close[0] if close else None

    @property
    def refusal(self) -> str:
        window = self.blocked
        if window is None:
            return ""
        when = timezone.localtime(timezone.now() + timedelta(seconds=window.free_in))
        span = "hour" if window.window_seconds <= 3600 * 1.01 else "day"
        return (
            f"Tracerfy allows 10 builds an hour and 50 a day; this account has started "
            f"{window.used} of the {window.limit} LeadOps allows per {span}. The next build can "
            f"start at {when:%H:%M}."
        )


def execute_allowance() -> ExecuteAllowance:
    return ExecuteAllowance(tuple(providers.limiter().usage(EXECUTE_FAMILY)))


# --- submitting ------------------------------------------------------------------------------


def default_name(spec: BuildSpec, strategy_label: str) -> str:
    geo = spec.geography
    where = {
        "zips": lambda: ", ".join(geo.get("zip_codes", [])[:3]),
        "city": lambda: (
            ", ".join(geo.get("cities", [])[:2]) + " " + ",".join(geo.get("states", []))
        ),
        "counties": lambda: ", ".join(geo.get("counties", [])[:2]) + " County",
        "states": lambda: ", ".join(geo.get("states", [])[:4]),
        "radius": lambda: (
            f"{geo.get('radius', '?')} mi around {geo.get('latitude')}, {geo.get('longitude')}"
        ),
    }.get(geo.get("mode"), lambda: "")()
    return f"{strategy_label or 'Custom'} · {where}".strip(" ·")[:200]


def _claim(*, token: str | None, user):
    return tokens.submit_token_take(
        key=token,
        user=user,
        scope=SUBMIT_SCOPE,
        model=LeadBuild,
        refused=BuildRefused,
        already=AlreadySubmitted,
    )


def lead_build_submit(
    *,
    team: Team | None,
    user: AbstractBaseUser,
    spec: BuildSpec,
    seen_credits: int,
    name: str = "",
    token: str | None = None,
    conversation: AiConversation | None = None,
    saved_search: SavedSearch | None = None,
    preview_count: int | None = None,
) -> LeadBuild:
    """Hold `seen_credits` (the preview's maximum cost) and queue the build.

    Raises AlreadySubmitted (this form already made a build), BuildRefused (no team, the
    execute limit reached, a cost that does not fit the request, a used or expired form),
    leadops.credits.errors.InsufficientCredits; nothing is held or sent in any of those cases.
    """
    if team is None:
        raise BuildRefused("Your account is not in a team yet, so it has no credits to spend.")
    if not spec.geography.get("mode"):
        raise BuildRefused("Choose where to build the list (a geography) first.")
    if not 1 <= spec.requested_count <= MAX_REQUESTED:
        raise BuildRefused(f"Ask for between 1 and {MAX_REQUESTED:,} rows.")
    if seen_credits <= 0 or seen_credits > spec.requested_count * CREDITS_PER_ROW:
        raise BuildRefused("Preview the list first: its cost decides what is held.")
    allowance = execute_allowance()
    if allowance.blocked is not None:
        raise BuildRefused(allowance.refusal)
    try:
        known = strategies_list()
    except ProviderError:
        known = ()
    labels = {s.key: s.label for s in known}
    strategy_label = ", ".join(labels.get(key, key) for key in spec.strategies)
    with transaction.atomic():
        claimed = _claim(token=token, user=user)
        build = LeadBuild.objects.create(
            team=team,
            created_by=user,
            provider=PROVIDER,
            name=(name or default_name(spec, strategy_label))[:200],
            spec=spec.to_json(),
            strategy_label=strategy_label[:500],
            filters_sent=[
                [key, merged]
                for key, merged in filter_sets(
                    strategy_defaults(known), spec.strategies, spec.overrides
                )
            ],
            requested_count=spec.requested_count,
            preview_count=preview_count,
            capped_count=seen_credits // CREDITS_PER_ROW,
            estimated_credits=seen_credits,
            rows_total=100,
            conversation=conversation,
            saved_search=saved_search,
        )
        job_services.job_queue(job=build, actor=user)
        if saved_search is not None:
            SavedSearch.objects.filter(pk=saved_search.pk).update(last_run_at=timezone.now())
        if claimed is not None:
            tokens.submit_token_spent(token=claimed, job_id=build.pk)
    return build


# --- storing rows ----------------------------------------------------------------------------

ROW_FIELDS = [
    "team",
    "build",
    "position",
    "address",
    "city",
    "state",
    "zip_code",
    "county",
    "property_type",
    "owner_name",
    "owner_type",
    "absentee_owner",
    "estimated_value",
    "estimated_equity",
    "equity_percent",
    "primary_phone",
    "phone_type",
    "email",
    "has_phone",
    *[f"{vertical}_{part}" for vertical, _ in VERTICALS for part in ("score", "category")],
    "data",
]
CHUNK_ROWS = 10_000
HAS_PHONE = ROW_FIELDS.index("has_phone")


@dataclass(frozen=True)
class StoredRows:
    rows: int
    with_phone: int


def _int(value) -> int | None:
    if type(value) is int:  # what the provider sends: no conversion (a row has 2 of these)
        return value
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _float(value) -> float | None:
    if type(value) is float:
        return value
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _bool(value) -> bool | None:
    return value if isinstance(value, bool) else None


def row_values(team_id: int, build_id: int, position: int, row) -> tuple:
    """One provider row (leadops.providers.tracerfy.LeadRow) as the columns of ROW_FIELDS,
    `data` as a dict (what a LeadRow instance holds)."""
    return (*_typed_columns(team_id, build_id, position, row), row.data)


def _typed_columns(team_id: int, build_id: int, position: int, row) -> tuple:
    """The columns of ROW_FIELDS but `data`; the provider columns they take are read with
    ``row.get``, which answers them without decoding the whole row."""
    get = row.get
    owner = " ".join(p for p in (row.owner_first_name, row.owner_last_name) if p).strip()
    phone = us_e164(row.primary_phone or "") or ""
    score_values = []
    scores = row.scores
    for index in range(0, len(scores), 2):
        score, category = scores[index], scores[index + 1]
        if score is not None and not 0 <= score <= 100:
            score = 0 if score < 0 else 100
        score_values += (score, category[:6] if category else "")
    return (
        team_id,
        build_id,
        position,
        row.address[:255],
        (row.city or "")[:100],
        (row.state or "")[:2],
        (row.zip_code or "")[:10],
        (row.county or "")[:100],
        str(get("property_type") or "")[:20],
        owner[:255],
        OwnerType.COMPANY if get("corporate_owned") is True else OwnerType.INDIVIDUAL,
        _bool(get("absentee_owner")),
        _int(get("estimated_value")),
        _int(get("estimated_equity")),
        _float(get("equity_percent")),
        phone,
        str(get("primary_phone_type") or "")[:20],
        (row.email or "")[:255],
        bool(phone),
        *score_values,
    )


def lead_rows_store(*, job: LeadBuild, pages: Iterable) -> StoredRows:
    """Replace the build's rows with those of `pages` (LeadRowsPage objects, in order),
    CHUNK_ROWS at a time, each chunk streamed into one COPY on PostgreSQL as its pages
    arrive (the database stores while the next pages are fetched), the build's progress
    updated after each chunk. A rerun after a crash starts again from an empty list."""
    LeadRow.objects.filter(build=job).delete()
    LeadBuild.objects.filter(pk=job.pk).update(score_counts=None)  # counted again at the end
    seen = {"position": 0, "with_phone": 0, "total": 0}

    def rows():
        for page in pages:
            seen["total"] = page.total_rows
            for row in page.rows:
                seen["position"] += 1
                values = _typed_columns(job.team_id, job.pk, seen["position"], row)
                seen["with_phone"] += values[HAS_PHONE]
                # A row split from its page keeps its JSON text: stored as it came.
                yield (*values, row.data if row.text is None else JsonText(row.text))

    source = rows()
    while True:
        with transaction.atomic():
            stored = bulk_insert(
                LeadRow, ROW_FIELDS, islice(source, CHUNK_ROWS), stream=True, binary=True
            )
        if not stored:
            break
        LeadBuild.objects.filter(pk=job.pk).update(
            rows_done=seen["position"],
            rows_total=max(seen["total"], seen["position"]),
            stage="Downloading rows",
        )
    # Rows never change after ingest: count the chart's buckets once (the rows page reads them).
    LeadBuild.objects.filter(pk=job.pk).update(
        score_counts=selectors.score_counts(rows=selectors.build_rows(build=job))
    )
    return StoredRows(rows=seen["position"], with_phone=seen["with_phone"])
