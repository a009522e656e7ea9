from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from leadbuilder import searches
from leadbuilder.ai import ai_apply_to_form, ai_panel, ai_turn_for_team
from leadbuilder.forms import BuildForm, RenameForm, SavedSearchNameForm, spec_from_data
from leadbuilder.merged import merged_sets
from leadbuilder.models import AiConversation, LeadBuild, SavedSearch
from leadbuilder.preview import lead_preview, preview_usage
from leadbuilder.services import execute_allowance
from leadbuilder.spec import BuildSpec
from leadbuilder.strategies import strategies_cached, strategies_list
from leadbuilder.tables import SavedSearchTable
from leadops.accounts.scoping import get_for_team_or_404, scoped
from leadops.jobs.tokens import submit_token_issue
from leadops.providers.errors import ProviderError
from leadops.tables import table_configure

SUBMIT_SCOPE = "leads:new"
STRATEGIES_FAILED = (
    "Tracerfy's strategies could not be loaded ({reason}). You can still build a custom "
    "search: choose the area and the filters below."
)


def strategies_or_problem():
    """(strategies, problem): from the hour-long Redis cache, else from Tracerfy."""
    try:
        return strategies_list(), ""
    except ProviderError as exc:
        return (), STRATEGIES_FAILED.format(reason=exc.message.rstrip("."))


def changed_field_names(changes) -> set[str]:
    """Form field names to highlight for `spec.spec_diff` changes (an applied suggestion)."""
    names = set()
    for change in changes:
        if change.section == "strategy":
            names.add("strategies")
        elif change.section == "geography":
            names.update({"geo_mode", f"geo_{change.key}"})
        elif change.section == "filter":
            names.add(f"f_{change.key}")
        elif change.section == "count":
            names.add("requested_count")
        elif change.section == "post_filter":
            names.add(f"pf_{change.key}")
    return names


def build_screen(
    request,
    form,
    *,
    strategies,
    problem="",
    outcome=None,
    search=None,
    save_form=None,
    changes=(),
    warnings=(),
    status=200,
):
    """The build screen; other views (the AI panel applying a suggestion) render it too,
    passing `changes` (spec.spec_diff) so the changed fields are highlighted."""
    if form.is_bound:
        spec = spec_from_data(form.data, strategies=strategies)
    elif form.initial_spec is not None:  # a saved search, a build, an applied suggestion
        spec = form.initial_spec
    else:
        spec = BuildSpec.from_json(
            {"strategies": form.initial.get("strategies"), "requested_count": 500}
        )
    execute = {}
    if outcome is not None and outcome.ok:
        execute = {
            "expected_credits": outcome.max_credit_cost,
            "submit_token": submit_token_issue(user=request.user, scope=SUBMIT_SCOPE),
            "preview_count": outcome.preview.count,
            "saved_search": request.POST.get("saved_search") or "",
            "allowance": execute_allowance(),
        }
    conversation = None
    conversation_pk = (form.data.get("conversation") if form.is_bound else None) or (
        form.initial.get("conversation")
    )
    if str(conversation_pk or "").isdigit():
        conversation = scoped(AiConversation, request).filter(pk=int(conversation_pk)).first()
    context = {
        "form": form,
        "strategies_problem": problem,
        "merged": merged_sets(spec, strategies),
        "outcome": outcome,
        "usage": outcome.usage if outcome is not None else preview_usage(),
        "execute": execute,
        "search": search,
        "save_form": save_form or SavedSearchNameForm(),
        "changed_keys": changed_field_names(changes),
        "section_errors": outcome.section_errors if outcome is not None else {},
        "apply_warnings": warnings,
        "ai": ai_panel(
            conversation=conversation,
            current=spec,
            strategy_labels={s.key: s.label for s in strategies},
        ),
    }
    return render(request, "leadbuilder/new.html", context, status=status)


@login_required
def new(request):
    """The build screen: GET shows the form (a saved search opened into it with
    ?search=<pk>, a build's spec with ?from_build=<pk>); POST previews the search for free,
    or (`apply_turn`) applies an AI-assist suggestion to the form as it stands."""
    strategies, problem = strategies_or_problem()
    if request.method == "POST" and request.POST.get("apply_turn"):
        return _apply_suggestion(request, strategies, problem)
    if request.method == "POST":
        form = BuildForm(request.POST, strategies=strategies)
        outcome = None
        if form.is_valid():
            outcome = lead_preview(team=request.team, user=request.user, spec=form.build_spec())
        return build_screen(request, form, strategies=strategies, problem=problem, outcome=outcome)
    search = spec = None
    if request.GET.get("search", "").isdigit():
        search = get_for_team_or_404(SavedSearch, request, pk=int(request.GET["search"]))
        spec = search.build_spec
    elif request.GET.get("from_build", "").isdigit():
        spec = get_for_team_or_404(LeadBuild, request, pk=int(request.GET["from_build"])).build_spec
    form = BuildForm(strategies=strategies, initial_spec=spec)
    if search is not None:
        form.initial.setdefault("name", search.name)
    return build_screen(request, form, strategies=strategies, problem=problem, search=search)


def _apply_suggestion(request, strategies, problem):
    """The AI panel's "Apply to the form": the form as it stands, with the suggestion's
    strategy, area and filters; what changed is highlighted and the conversation is kept
    with the form (and so with the build)."""
    turn = ai_turn_for_team(team=request.team, pk=request.POST.get("apply_turn"))
    if turn is None:
        raise Http404("Not found")
    current = spec_from_data(request.POST, strategies=strategies)
    try:
        applied = ai_apply_to_form(current, turn)
    except ValueError:
        messages.error(request, "That answer suggests no filters to apply; answer its question.")
        form = BuildForm(request.POST, strategies=strategies)
        return build_screen(request, form, strategies=strategies, problem=problem)
    form = BuildForm(strategies=strategies, initial_spec=applied.spec)
    form.initial["name"] = request.POST.get("name", "")
    if applied.conversation is not None:
        form.initial["conversation"] = applied.conversation.pk
    messages.success(
        request,
        f"Applied the suggestion: {len(applied.changes)} change"
        f"{'' if len(applied.changes) == 1 else 's'}, highlighted below. Preview to see the count.",
    )
    return build_screen(
        request,
        form,
        strategies=strategies,
        problem=problem,
        changes=applied.changes,
        warnings=applied.warnings,
    )


@login_required
@require_POST
def merged(request):
    """The merged filter panel for the form as it stands (htmx, on every change)."""
    strategies, _problem = strategies_or_problem()
    spec = spec_from_data(request.POST, strategies=strategies)
    return render(
        request, "leadbuilder/partials/merged.html", {"merged": merged_sets(spec, strategies)}
    )


@login_required
def searches_index(request):
    strategies = strategies_cached() or ()
    table = SavedSearchTable(
        scoped(SavedSearch, request).select_related("created_by"),
        strategy_labels={s.key: s.label for s in strategies},
    )
    table_configure(request, table, per_page=25)
    return render(request, "leadbuilder/searches.html", {"table": table})


@login_required
@require_POST
def search_save(request):
    """Save the build form as a named search for the team."""
    strategies, problem = strategies_or_problem()
    form = BuildForm(request.POST, strategies=strategies)
    save_form = SavedSearchNameForm(request.POST)
    if form.is_valid() and save_form.is_valid():
        try:
            search = searches.saved_search_create(
                team=request.team,
                user=request.user,
                name=save_form.cleaned_data["search_name"],
                spec=form.build_spec(),
            )
        except searches.SearchNameTaken as exc:
            save_form.add_error("search_name", str(exc))
        else:
            messages.success(request, f"Saved the search “{search.name}”.")
            return redirect(reverse("leadbuilder:new") + f"?search={search.pk}")
    if not form.is_valid():
        messages.error(request, "Fix the fields marked below, then save the search again.")
    return build_screen(
        request, form, strategies=strategies, problem=problem, save_form=save_form, status=400
    )


@login_required
def search_rename(request, pk: int):
    search = get_for_team_or_404(SavedSearch, request, pk=pk)
    form = RenameForm(request.POST or None, initial={"name": search.name})
    if request.method == "POST" and form.is_valid():
        try:
            searches.saved_search_rename(search=search, name=form.cleaned_data["name"])
        except searches.SearchNameTaken as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"Renamed to “{search.name}”.")
            return redirect("leadbuilder:searches")
    return render(request, "leadbuilder/search_rename.html", {"search": search, "form": form})


@login_required
def search_delete(request, pk: int):
    """GET: the confirmation; POST: delete."""
    search = get_for_team_or_404(SavedSearch, request, pk=pk)
    if request.method == "POST":
        name = search.name
        searches.saved_search_delete(search=search)
        messages.success(request, f"Deleted the saved search “{name}”.")
        return redirect("leadbuilder:searches")
    return render(request, "leadbuilder/search_delete.html", {"search": search})
