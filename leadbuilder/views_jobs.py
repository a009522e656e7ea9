"""Lead lists (builds): the list of them, a build's page with its live progress, executing a
previewed build, and cancelling one that has not reached Tracerfy."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadbuilder import services
from leadbuilder.filter_reference import describe
from leadbuilder.forms import BuildForm
from leadbuilder.models import AiConversation, LeadBuild, SavedSearch
from leadbuilder.spec import VERTICALS
from leadbuilder.tables import LeadBuildTable
from leadbuilder.views import build_screen, strategies_or_problem
from leadops.accounts.permissions import control_refusal, may_control
from leadops.accounts.scoping import get_for_team_or_404, scoped
from leadops.credits.errors import InsufficientCredits
from leadops.jobs import services as job_services
from leadops.jobs.errors import JobError
from leadops.jobs.models import JobStatus
from leadops.tables import table_configure

STAGES = (
    ("fetching_properties", "Fetching properties"),
    ("skip_tracing", "Skip tracing"),
    ("generating_csv", "Generating the list"),
    ("rows", "Storing rows"),
)


@login_required
def index(request):
    table = LeadBuildTable(scoped(LeadBuild, request).select_related("created_by"))
    table_configure(request, table, per_page=25)
    searches = scoped(SavedSearch, request).order_by("-last_run_at", "name")[:6]
    return render(request, "leadbuilder/index.html", {"table": table, "searches": searches})


def _build(request, pk):
    return get_for_team_or_404(
        LeadBuild.objects.select_related("created_by", "hold", "conversation", "saved_search"),
        request,
        pk=pk,
    )


def stage_steps(build: LeadBuild) -> list[dict]:
    """The build's stages with where it is now: done, current or to come."""
    if build.is_finished:
        current = len(STAGES)
    elif build.status == JobStatus.INGESTING:
        current = 3
    elif build.status == JobStatus.SUBMITTED:
        keys = [key for key, _ in STAGES]
        current = keys.index(build.progress_stage) if build.progress_stage in keys else 0
    else:
        current = -1
    return [
        {"label": label, "state": "done" if i < current else "now" if i == current else "todo"}
        for i, (_key, label) in enumerate(STAGES)
    ]


def filters_sent(build: LeadBuild) -> list[dict]:
    """What the build sent, per strategy, in words: [{"strategy", "filters": [(label,
    value)]}] (the strategies' labels as the build recorded them)."""
    labels = [label.strip() for label in build.strategy_label.split(",")]
    sets = []
    for index, (key, merged) in enumerate(build.filters_sent):
        label = labels[index] if len(labels) == len(build.filters_sent) else key
        sets.append({"strategy": label, "filters": [describe(k, v) for k, v in merged.items()]})
    return sets


def _context(request, build) -> dict:
    can_control = may_control(user=request.user, work=build)
    spec = build.build_spec
    return {
        "job": build,
        "spec": spec,
        "filter_sets": filters_sent(build),
        "post_filters": [
            (label, spec.post_filters.get(f"{key}_min"), spec.post_filters.get(f"{key}_category"))
            for key, label in VERTICALS
            if spec.post_filters.get(f"{key}_min") or spec.post_filters.get(f"{key}_category")
        ],
        "steps": stage_steps(build),
        "events": job_services.job_events(job=build),
        "can_control": can_control,
        "not_yours": ""
        if can_control or build.status != JobStatus.QUEUED
        else control_refusal(work=build, action="cancel"),
        "turns": build.conversation.turns.all() if build.conversation_id else [],
    }


@login_required
def detail(request, pk: int):
    build = _build(request, pk)
    return render(request, "leadbuilder/detail.html", _context(request, build))


@login_required
def progress(request, pk: int):
    """The live part of a build's page, polled by htmx while it runs."""
    build = _build(request, pk)
    response = render(request, "leadbuilder/_progress.html", _context(request, build))
    if build.is_terminal and request.htmx:
        response["HX-Refresh"] = "true"  # rows, downloads and facts change: reload the page
    return response


@login_required
@require_POST
def cancel(request, pk: int):
    build = _build(request, pk)
    try:
        job_services.job_cancel(job=build, actor=request.user)
    except JobError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Lead list #{build.pk} cancelled; its credits are back.")
    return redirect("leadbuilder:detail", build.pk)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def execute(request):
    """The preview panel's "Build this list": the form as previewed, its cost and token. A
    refusal shows the build screen again with the form as it was and the reason."""
    strategies, problem = strategies_or_problem()
    form = BuildForm(request.POST, strategies=strategies)
    if not form.is_valid():
        messages.error(request, "The form has errors; fix them and preview again.")
        return build_screen(request, form, strategies=strategies, problem=problem, status=400)
    conversation = None
    if pk := _int(request.POST.get("conversation")):
        conversation = scoped(AiConversation, request).filter(pk=pk).first()
    saved = None
    if pk := _int(request.POST.get("saved_search")):
        saved = scoped(SavedSearch, request).filter(pk=pk).first()
    try:
        build = services.lead_build_submit(
            team=request.team,
            user=request.user,
            spec=form.build_spec(),
            seen_credits=_int(request.POST.get("expected_credits")) or 0,
            name=form.cleaned_data.get("name") or form.default_name,
            token=request.POST.get("submit_token") or None,
            conversation=conversation,
            saved_search=saved,
            preview_count=_int(request.POST.get("preview_count")),
        )
    except services.AlreadySubmitted as exc:
        messages.info(request, f"Lead list #{exc.build.pk} was already submitted from this page.")
        return redirect("leadbuilder:detail", exc.build.pk)
    except (InsufficientCredits, services.BuildRefused) as exc:
        messages.error(request, str(exc))
        return build_screen(request, form, strategies=strategies, problem=problem, status=409)
    messages.success(
        request, f"Lead list #{build.pk} is queued; {build.estimated_credits:,} credits held."
    )
    return redirect("leadbuilder:detail", build.pk)
