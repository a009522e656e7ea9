"""Spend reports over the ledger, for the admin.

*Spent* in a period is what captures charged (`-held_delta`: a capture moves credits out of
the held balance, its `amount` is 0) minus what refunds gave back. The work an entry paid
for is named by the prefix of its `reference` (`<JOB_LABEL>:<id>` for a paid job, another
prefix such as `lookup:<uuid>` for a synchronous paid call); the report groups by that
prefix without knowing the feature apps. A prefix reads as the verbose name of the job
model whose `JOB_LABEL` it is, as a label registered with `register_reference_label`, or
else as the prefix itself made readable.

Everything is computed in the database in two aggregate queries, whatever the number of
users: one row per wallet (spent, granted, adjusted in the period; available and held now)
and one row per wallet and reference prefix (spent). Teams and totals are sums of those rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.db.models import Case, CharField, Count, F, FilteredRelation, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Left, StrIndex
from django.utils import timezone
from django.utils.text import capfirst

from leadops.accounts.models import Team
from leadops.credits.models import CreditEntry, EntryKind, Wallet

UNATTRIBUTED = ""
_LABELS: dict[str, str] = {}


def register_reference_label(prefix: str, label: str) -> None:
    """Name the work whose credit references start with `prefix:` (for a feature app's
    `ready()`; a paid job's `JOB_LABEL` is named by its model without this)."""
    _LABELS[prefix] = label


@cache
def _job_labels() -> dict[str, str]:
    return {
        model.JOB_LABEL: capfirst(str(model._meta.verbose_name))
        for model in apps.get_models()
        if isinstance(getattr(model, "JOB_LABEL", None), str)
    }


def reference_label(prefix: str) -> str:
    """A readable name for a reference prefix (`ai-assist` reads "AI assist")."""
    if prefix == UNATTRIBUTED:
        return "No reference"
    if prefix in _LABELS:
        return _LABELS[prefix]
    if prefix in _job_labels():
        return _job_labels()[prefix]
    words = [w.upper() if len(w) <= 3 else w for w in prefix.replace("_", "-").split("-") if w]
    return capfirst(" ".join(words)) or prefix


def reference_prefix_expression(field_name: str = "reference"):
    """SQL for the text before the first ':' of a reference ('' without one)."""
    return Case(
        When(
            **{f"{field_name}__contains": ":"},
            then=Left(field_name, StrIndex(field_name, Value(":")) - 1),
        ),
        default=Value(UNATTRIBUTED),
        output_field=CharField(),
    )


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the site's time zone."""
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


@dataclass
class Figures:
    """One line of the report: a user, a team or the total."""

    spent: int = 0
    granted: int = 0
    adjusted: int = 0
    available: int = 0
    held: int = 0
    by_feature: dict[str, int] = field(default_factory=dict)

    def add(self, other: Figures) -> None:
        self.spent += other.spent
        self.granted += other.granted
        self.adjusted += other.adjusted
        self.available += other.available
        self.held += other.held
        for key, value in other.by_feature.items():
            self.by_feature[key] = self.by_feature.get(key, 0) + value


@dataclass
class UserLine:
    wallet: Wallet
    figures: Figures
    feature_cells: list[int] = field(default_factory=list)


@dataclass
class TeamLine:
    team: Team
    users: int
    figures: Figures
    feature_cells: list[int] = field(default_factory=list)


@dataclass
class Feature:
    prefix: str
    label: str
    spent: int


@dataclass
class SpendReport:
    start: dt.date
    end: dt.date
    users: list[UserLine]
    teams: list[TeamLine]
    features: list[Feature]
    total: Figures
    total_feature_cells: list[int]


def _sum(expression, condition: Q):
    return Coalesce(Sum(expression, filter=condition), 0)


def spend_report(*, start: dt.date, end: dt.date, team: Team | None = None) -> SpendReport:
    """Credits spent, granted and adjusted per user and team between `start` and `end`
    (whole days, both included), with balances now and spend per kind of work."""
    since, until = period_bounds(start, end)
    wallets = Wallet.objects.select_related("user", "team")
    entries = CreditEntry.objects.filter(created_at__gte=since, created_at__lt=until)
    if team is not None:
        wallets = wallets.filter(team=team)
        entries = entries.filter(wallet__team=team)
    # The join is limited to the period's entries (the (wallet, created_at) index serves it);
    # a wallet with none still comes back, with zeros.
    period = FilteredRelation(
        "entries", condition=Q(entries__created_at__gte=since, entries__created_at__lt=until)
    )
    wallets = (
        wallets.annotate(period=period)
        .annotate(
            period_spent=_sum(-F("period__held_delta"), Q(period__kind=EntryKind.CAPTURE))
            - _sum("period__amount", Q(period__kind=EntryKind.REFUND)),
            period_granted=_sum("period__amount", Q(period__kind=EntryKind.GRANT)),
            period_adjusted=_sum("period__amount", Q(period__kind=EntryKind.ADJUSTMENT)),
            period_entries=Count("period"),
        )
        .filter(Q(period_entries__gt=0) | Q(available__gt=0) | Q(held__gt=0))
        .order_by("-period_spent", "team__name", "user__username")
    )
    spend_rows = (
        entries.filter(kind__in=[EntryKind.CAPTURE, EntryKind.REFUND])
        .annotate(prefix=reference_prefix_expression())
        .values("wallet_id", "prefix")
        .annotate(
            spent=Sum(
                Case(
                    When(kind=EntryKind.CAPTURE, then=-F("held_delta")),
                    default=-F("amount"),
                )
            )
        )
        .order_by()
    )
    by_wallet: dict[int, dict[str, int]] = defaultdict(dict)
    for row in spend_rows:
        by_wallet[row["wallet_id"]][row["prefix"]] = row["spent"]

    total = Figures()
    users: list[UserLine] = []
    teams: dict[int, TeamLine] = {}
    for wallet in wallets:
        figures = Figures(
            spent=wallet.period_spent,
            granted=wallet.period_granted,
            adjusted=wallet.period_adjusted,
            available=wallet.available,
            held=wallet.held,
            by_feature=by_wallet.get(wallet.pk, {}),
        )
        users.append(UserLine(wallet=wallet, figures=figures))
        line = teams.setdefault(wallet.team_id, TeamLine(wallet.team, 0, Figures()))
        line.users += 1
        line.figures.add(figures)
        total.add(figures)
    features = sorted(
        (Feature(p, reference_label(p), s) for p, s in total.by_feature.items()),
        key=lambda f: (-f.spent, f.label),
    )

    def cells(figures: Figures) -> list[int]:
        # One cell per feature column, in the columns' order.
        return [figures.by_feature.get(f.prefix, 0) for f in features]

    for line in [*users, *teams.values()]:
        line.feature_cells = cells(line.figures)
    return SpendReport(
        start=start,
        end=end,
        users=users,
        teams=sorted(teams.values(), key=lambda t: (-t.figures.spent, t.team.name)),
        features=features,
        total=total,
        total_feature_cells=cells(total),
    )


# --- the dashboard's spend per day -------------------------------------------------------------

SPEND_DAYS = (30, 90)
SPEND_BY = {"feature": "feature", "user": "user"}


@dataclass
class DailySpend:
    """Credits the team spent per day in the last `days`, one series per feature or user."""

    days: int
    by: str
    dates: list[dt.date]
    series: list[tuple[str, list[int]]]  # (name, one value per date), biggest total first

    @property
    def total(self) -> int:
        return sum(sum(values) for _, values in self.series)

    def rows(self) -> list[list]:
        """One row per day: the date, each series' value, the day's total (table and CSV)."""
        return [
            [day, *(values[i] for _, values in self.series), sum(v[i] for _, v in self.series)]
            for i, day in enumerate(self.dates)
        ]

    @property
    def headers(self) -> list[str]:
        return ["Day", *(name for name, _ in self.series), "Total"]


def spend_by_day(*, team, days: int = 30, by: str = "feature", today=None) -> DailySpend:
    """What captures charged minus what refunds returned, per local day and per feature
    (reference prefix) or per user, for the team's wallets: one grouped query."""
    from django.db.models.functions import TruncDate

    end = today or timezone.localdate()
    start = end - dt.timedelta(days=days - 1)
    low, high = period_bounds(start, end)
    key = reference_prefix_expression() if by == "feature" else F("wallet__user__username")
    spent = Sum(
        Case(
            When(kind=EntryKind.CAPTURE, then=-F("held_delta")),
            When(kind=EntryKind.REFUND, then=-F("amount")),
            default=Value(0),
        )
    )
    rows = (
        CreditEntry.objects.filter(
            wallet__team=team,
            created_at__gte=low,
            created_at__lt=high,
            kind__in=[EntryKind.CAPTURE, EntryKind.REFUND],
        )
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()), key=key)
        .values("day", "key")
        .annotate(spent=spent)
        .order_by()
    )
    dates = [start + dt.timedelta(days=n) for n in range(days)]
    index = {day: n for n, day in enumerate(dates)}
    by_key: dict[str, list[int]] = defaultdict(lambda: [0] * days)
    for row in rows:
        if row["day"] in index:
            by_key[row["key"]][index[row["day"]]] += row["spent"] or 0
    named = [
        (reference_label(key) if by == "feature" else key, values)
        for key, values in by_key.items()
        if any(values)
    ]
    named.sort(key=lambda pair: (-sum(pair[1]), pair[0]))
    return DailySpend(days=days, by=by, dates=dates, series=named)
