"""What the dashboard shows: the team's credits, its jobs running now, finished since
yesterday and failing, read across every registered kind of paid job (traces, DNC scrubs,
lead lists, CRM pushes) without naming any: each kind comes from `leadops.jobs.registry`.

Every figure is the team's, one query per job kind and figure, whatever the number of jobs.
The activity charts at the end (and only they) ask the feature apps' selectors for their
figures: a trace's hit rate, a scrub's result mix, a lead list's strategy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, Sum
from django.utils import timezone

from leadops.credits.models import CreditEntry, Wallet
from leadops.jobs.models import ACTIVE, FINISHED, JobEvent, JobStatus, PaidJob
from leadops.jobs.registry import all_kinds

RUNNING_SHOWN = 8
FAILURES_SHOWN = 8
ACTIVITY_SHOWN = 12
FAILURES_WITHIN = timedelta(days=7)


def _related(model: type[PaidJob]) -> list[str]:
    """The relations a job's name reads (a trace names its upload's file)."""
    names = {f.name for f in model._meta.get_fields()}
    return ["created_by", *(["batch"] if "batch" in names else [])]


@dataclass(frozen=True)
class TeamCredits:
    available: int
    held: int
    members: int


def team_credits(*, team) -> TeamCredits:
    found = Wallet.objects.filter(team=team).aggregate(
        available=Sum("available"), held=Sum("held"), members=Count("pk")
    )
    return TeamCredits(found["available"] or 0, found["held"] or 0, found["members"])


def _kind(model: type[PaidJob]) -> str:
    return str(model._meta.verbose_name)


def running_jobs(*, team, limit: int = RUNNING_SHOWN) -> tuple[list[PaidJob], int]:
    """The team's jobs under way, newest first (at most `limit`), and how many there are."""
    jobs: list[PaidJob] = []
    total = 0
    for model, _steps in all_kinds():
        active = model.objects.filter(team=team, status__in=ACTIVE)
        shown = list(active.select_related(*_related(model)).order_by("-created_at")[:limit])
        # Counted only when the list is full (a second query is rarely needed).
        total += active.count() if len(shown) == limit else len(shown)
        jobs += shown
    jobs.sort(key=lambda job: job.created_at, reverse=True)
    return jobs[:limit], total


@dataclass(frozen=True)
class KindCount:
    kind: str
    finished: int
    partial: int
    failed: int


def finished_since(*, team, since: datetime) -> list[KindCount]:
    """Per kind of job, how many of the team's ended since `since`: done (complete or with
    errors), of which with errors, and failed. Kinds with nothing are left out."""
    counts = []
    for model, _steps in all_kinds():
        found = model.objects.filter(team=team, completed_at__gte=since).aggregate(
            finished=Count("pk", filter=Q(status__in=FINISHED)),
            partial=Count("pk", filter=Q(status=JobStatus.PARTIAL)),
            failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
        )
        if found["finished"] or found["failed"]:
            counts.append(KindCount(_kind(model), **found))
    return counts


@dataclass(frozen=True)
class Attention:
    job: PaidJob
    kind: str
    reason: str
    todo: str


def _todo(job: PaidJob) -> str:
    if job.status == JobStatus.PARTIAL:
        return "Open it: what was done is stored; the rest can be sent again from its page."
    return "Open it to read why; its credits were returned. Fix the cause, then start it again."


def needs_attention(*, team, now: datetime | None = None) -> list[Attention]:
    """The team's jobs of the last week that failed or ended with errors, newest first."""
    since = (now or timezone.now()) - FAILURES_WITHIN
    found: list[PaidJob] = []
    for model, _steps in all_kinds():
        bad = model.objects.filter(
            team=team,
            status__in=[JobStatus.FAILED, JobStatus.PARTIAL],
            completed_at__gte=since,
        )
        found += bad.select_related(*_related(model)).order_by("-completed_at")[:FAILURES_SHOWN]
    found.sort(key=lambda job: job.completed_at, reverse=True)
    return [
        Attention(job, _kind(type(job)), job.error_message or job.get_status_display(), _todo(job))
        for job in found[:FAILURES_SHOWN]
    ]


@dataclass(frozen=True)
class Activity:
    """One line of a job's timeline, with its job (for the link and the kind)."""

    event: JobEvent
    job: PaidJob
    kind: str

    @property
    def status(self) -> str:
        """The status it moved to ("Complete"), or "" for a note on the timeline."""
        to = self.event.to_status
        return JobStatus(to).label if to in JobStatus.values else ""


def recent_activity(*, team, limit: int = ACTIVITY_SHOWN) -> list[Activity]:
    """The latest lines of the team's job timelines, every kind together, newest first: one
    query for the events, then one per kind of job they belong to."""
    models = {ContentType.objects.get_for_model(model).pk: model for model, _ in all_kinds()}
    teams_jobs = Q()
    for type_id, model in models.items():
        teams_jobs |= Q(
            content_type_id=type_id, object_id__in=model.objects.filter(team=team).values("pk")
        )
    events = list(
        JobEvent.objects.filter(teams_jobs)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )
    jobs: dict[tuple[int, int], PaidJob] = {}
    for type_id in {event.content_type_id for event in events}:
        model = models[type_id]
        ids = {event.object_id for event in events if event.content_type_id == type_id}
        for job in model.objects.filter(pk__in=ids).select_related(*_related(model)):
            jobs[type_id, job.pk] = job
    return [
        Activity(event, job, _kind(type(job)))
        for event in events
        if (job := jobs.get((event.content_type_id, event.object_id))) is not None
    ]


def is_new(*, user, team) -> bool:
    """Nothing done yet: no job of the team and no credit activity of the user's."""
    if CreditEntry.objects.filter(wallet__user=user, wallet__team=team).exists():
        return False
    return not any(model.objects.filter(team=team).exists() for model, _steps in all_kinds())


def yesterday(now: datetime | None = None) -> datetime:
    """The start of yesterday, local time: "since yesterday" on a morning's dashboard."""
    local = timezone.localtime(now or timezone.now())
    return (local - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


# --- the charts: Chart.js data, the same numbers as table rows (also their CSV) -------------


def spend_chart(spend) -> dict:
    """The spend-per-day card's stacked bars (a `leadops.credits.reports.DailySpend`)."""
    return {
        "type": "bar",
        "stacked": True,
        "labels": [day.isoformat() for day in spend.dates],
        "datasets": [{"label": name, "data": values} for name, values in spend.series],
    }


def chart_hits(team) -> dict:
    from traces.selectors import hits_by_week

    weeks = hits_by_week(team=team)
    return {
        "title": "Trace hit rate and phones per hit, by week (12 weeks)",
        "empty": "No trace results in the last 12 weeks.",
        "type": "line",
        "labels": [w["week"].isoformat() for w in weeks],
        "datasets": [
            {"label": "Hit rate %", "data": [w["hit_rate"] for w in weeks], "yAxisID": "y"},
            {
                "label": "Phones per hit",
                "data": [w["phones_per_hit"] for w in weeks],
                "yAxisID": "y1",
            },
        ],
        "headers": ["Week of", "Hits", "Misses", "Hit rate %", "Phones per hit"],
        "rows": [
            [w["week"], w["hits"], w["misses"], w["hit_rate"], w["phones_per_hit"]] for w in weeks
        ],
    }


def chart_dnc(team) -> dict:
    from dnc.selectors import team_outcome_mix

    mix = team_outcome_mix(team=team)
    return {
        "title": "DNC results of the last 90 days (each phone under its worst flag)",
        "empty": "No phone scrubbed in the last 90 days.",
        "type": "doughnut",
        "labels": [m["label"] for m in mix],
        "datasets": [
            {"data": [m["value"] for m in mix], "backgroundColor": [m["colour"] for m in mix]}
        ],
        "headers": ["Result", "Phones"],
        "rows": [[m["label"], m["value"]] for m in mix],
    }


def chart_leads(team) -> dict:
    from leadbuilder.selectors import volume_by_strategy

    volume = volume_by_strategy(team=team)
    return {
        "title": "Lead-list rows by strategy (90 days)",
        "empty": "No lead list finished in the last 90 days.",
        "type": "bar",
        "labels": [v["strategy"] for v in volume],
        "datasets": [{"label": "Rows", "data": [v["rows"] for v in volume]}],
        "headers": ["Strategy", "Lists", "Rows"],
        "rows": [[v["strategy"], v["lists"], v["rows"]] for v in volume],
    }


CHARTS = {"hits": chart_hits, "dnc": chart_dnc, "leads": chart_leads}
