"""CRM push pages: the team's pushes, the push screen (options and the mapping preview), a
push's page with its live progress, its refused records, and the team's CRM settings."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadops.accounts.permissions import control_refusal, may_control
from leadops.accounts.scoping import get_for_team_or_404
from leadops.jobs import services as job_services
from leadops.jobs.tokens import submit_token_issue
from leadops.tables import table_configure

from . import selectors, services
from .filters import CrmRefusalFilter
from .forms import CrmSettingsForm, PushForm
from .models import BatchState, CrmPush, Selection, SourceKind
from .sources import source_for
from .tables import CrmBatchTable, CrmPushTable, CrmRefusalTable


@login_required
def index(request):
    """The team's pushes, newest first."""
    table = CrmPushTable(selectors.team_pushes(team=request.team))
    table_configure(request, table, per_page=25)
    return render(request, "crm/index.html", {"table": table})


# --- the push screen --------------------------------------------------------------------------


def _source(request, kind: str, pk: int):
    try:
        return source_for(kind=kind, pk=pk, team=request.team)
    except LookupError:
        raise Http404("No such source in your team") from None


def _screen(request, kind: str, pk: int):
    """The source, its page's filters (cleaned, and in words) and the bound form: the POST,
    or the options the screen's GET carries."""
    source = _source(request, kind, pk)
    data = request.POST if request.method == "POST" else request.GET
    filters = selectors.clean_filter_query(data.get("filters", ""))
    words = selectors.filters_in_words(kind=kind, filter_query=filters, team=request.team)
    if not words:
        filters = ""
    if request.method == "POST" or "records" in data or "clean_only" in data:
        form = PushForm(data, has_filters=bool(words))
    else:
        records = Selection.FILTERED if words else Selection.ALL
        form = PushForm(initial={"records": records, "filters": filters}, has_filters=bool(words))
    return source, filters, words, form


def _plan(source, filters: str, form: PushForm) -> dict:
    """The mapping preview of the form's options, or why there is none."""
    if source.refusal():
        return {"plan": None, "plan_problem": source.refusal()}
    if form.is_bound and not form.is_valid():
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return {"plan": None, "plan_problem": problem}
    options = form.cleaned_data if form.is_bound else form.initial
    selection = options.get("records") or Selection.ALL
    plan = services.crm_push_plan(
        source=source,
        clean_only=bool(options.get("clean_only")),
        selection=selection,
        filter_query=filters if selection == Selection.FILTERED else "",
    )
    return {"plan": plan, "plan_problem": ""}


def _screen_page(request, source, filters, words, form, *, error: str = "", status: int = 200):
    team_settings = services.crm_settings_for(team=request.team)
    token = ""
    if not source.refusal():
        token = submit_token_issue(user=request.user, scope=services.submit_scope(source=source))
    context = {
        "source": source,
        "filters": filters,
        "words": words,
        "form": form,
        "token": token,
        "error": error,
        "crm_settings": team_settings,
        "refusal": source.refusal(),
        "fresh_days": settings.DNC_FRESH_DAYS,
        # The preview maps every selected record (about a second per 10,000): the page
        # opens at once and loads it (crm:plan) as soon as it is shown.
        "plan": None,
        "plan_problem": "",
    }
    return render(request, "crm/new.html", context, status=status)


@login_required
def new(request, kind: str, pk: int):
    """The push screen of a finished trace, DNC scrub or lead list; its POST makes the push."""
    if kind not in SourceKind.values:
        messages.error(
            request,
            f"“{kind[:30]}” is not something LeadOps sends to the CRM: a push starts from a "
            "skip trace, a DNC scrub or a lead list (their pages have a Send to CRM button).",
        )
        return redirect("crm:index")
    source, filters, words, form = _screen(request, kind, pk)
    if request.method != "POST":
        return _screen_page(request, source, filters, words, form)
    if not form.is_valid():
        return _screen_page(request, source, filters, words, form, status=400)
    selection = form.cleaned_data["records"]
    try:
        push = services.crm_push_create(
            source=source,
            user=request.user,
            clean_only=form.cleaned_data["clean_only"],
            selection=selection,
            filter_query=filters if selection == Selection.FILTERED else "",
            token=form.cleaned_data["submit_token"],
        )
    except services.AlreadySubmitted as exc:
        messages.info(request, f"CRM push #{exc.job.pk} was already started from this screen.")
        return redirect("crm:detail", exc.job.pk)
    except services.PushRefused as exc:
        return _screen_page(request, source, filters, words, form, error=str(exc), status=409)
    messages.success(
        request,
        f"CRM push #{push.pk} is queued: LeadOps maps its records to contacts and sends them "
        "in batches.",
    )
    return redirect("crm:detail", push.pk)


@login_required
def plan(request, kind: str, pk: int):
    """The mapping preview alone, reloaded by htmx when an option of the screen changes."""
    if kind not in SourceKind.values:
        raise Http404("No such source kind")
    source, filters, _words, form = _screen(request, kind, pk)
    context = {"source": source, "form": form, **_plan(source, filters, form)}
    return render(request, "crm/_plan.html", context)


# --- a push -----------------------------------------------------------------------------------


def _push(request, pk: int) -> CrmPush:
    return get_for_team_or_404(
        CrmPush.objects.select_related("created_by", "retry_of"), request, pk=pk
    )


def _live_context(request, push: CrmPush) -> dict:
    """What the push page and its live fragment show."""
    counts = selectors.batch_counts(push=push)
    return {
        "job": push,
        "push": push,
        "counts": counts,
        "missing": {
            "batches": sum(counts[s]["batches"] for s in (BatchState.UNKNOWN, BatchState.FAILED)),
            "contacts": sum(counts[s]["contacts"] for s in (BatchState.UNKNOWN, BatchState.FAILED)),
        },
        "events": job_services.job_events(job=push),
    }


@login_required
def detail(request, pk: int):
    push = _push(request, pk)
    table = CrmBatchTable(selectors.push_batches(push=push))
    table_configure(request, table, per_page=50)
    retries = list(push.retries.order_by("pk").only("pk", "status", "created_at"))
    can_control = may_control(user=request.user, work=push)
    retry_problem = services.retry_refusal(push=push) if push.is_terminal else ""
    retry_token, not_yours = "", ""
    if push.is_terminal and not retry_problem and not retries:
        if can_control:
            retry_token = submit_token_issue(
                user=request.user, scope=services.retry_scope(push=push)
            )
        else:
            not_yours = control_refusal(work=push, action="retry")
    context = {
        **_live_context(request, push),
        "table": table,
        "retries": retries,
        "retry_token": retry_token,
        "not_yours": not_yours,
        "source_url": selectors.source_url(push),
        "words": selectors.filters_in_words(
            kind=push.source_kind, filter_query=push.filter_query, team=request.team
        )
        if push.filter_query
        else [],
        "refusals": selectors.refusal_counts(push=push),
    }
    return render(request, "crm/detail.html", context)


@login_required
def progress(request, pk: int):
    """The live part of the push page, polled by htmx while the push runs."""
    push = _push(request, pk)
    response = render(request, "crm/_progress.html", _live_context(request, push))
    if push.is_terminal and request.htmx:
        # Finished: the batches, the retry button and the facts change: reload the page.
        response["HX-Refresh"] = "true"
    return response


@login_required
def refused(request, pk: int):
    """A push's refused records, filtered by reason, paged."""
    push = _push(request, pk)
    found = CrmRefusalFilter(request.GET, queryset=selectors.push_refusals(push=push))
    table = CrmRefusalTable(found.qs)
    table_configure(request, table, per_page=50)
    return render(
        request,
        "crm/refused.html",
        {
            "push": push,
            "filter": found,
            "table": table,
            "refusals": selectors.refusal_counts(push=push),
        },
    )


@login_required
@require_POST
def retry(request, pk: int):
    """Send again exactly the records of the push's failed and answer-lost batches."""
    push = _push(request, pk)
    try:
        source = source_for(kind=push.source_kind, pk=push.source_id, team=request.team)
    except LookupError:
        messages.error(request, f"{push.source_name} is gone: its records cannot be sent again.")
        return redirect("crm:detail", push.pk)
    try:
        again = services.crm_push_retry(
            push=push,
            source=source,
            user=request.user,
            token=request.POST.get("submit_token", ""),
        )
    except services.AlreadySubmitted as exc:
        messages.info(request, f"CRM push #{exc.job.pk} was already started from this button.")
        return redirect("crm:detail", exc.job.pk)
    except (services.PushRefused, services.NotAllowed) as exc:
        messages.error(request, str(exc))
        return redirect("crm:detail", push.pk)
    messages.success(
        request,
        f"CRM push #{again.pk} sends the {len(again.record_ids):,} contacts of the failed batches "
        f"of push #{push.pk} again.",
    )
    return redirect("crm:detail", again.pk)


# --- settings ---------------------------------------------------------------------------------

READ_ONLY = (
    "Only a team admin or manager can change the CRM settings; ask one of them if these "
    "should change."
)


@login_required
def settings_panel(request):
    """The team's CRM settings: admins and managers change them, everyone else reads them."""
    if request.team is None:
        return render(request, "crm/settings.html", {"no_team": True})
    may_manage = services.may_manage_crm(user=request.user, team=request.team)
    current = services.crm_settings_for(team=request.team)
    initial = {
        "default_tags": ", ".join(current.default_tags),
        "send_blocked_phones": current.send_blocked_phones,
    }
    status = 200
    if request.method == "POST":
        form = CrmSettingsForm(request.POST, initial=initial)
        if not may_manage:
            messages.error(request, READ_ONLY)
            return redirect("crm:settings")
        if form.is_valid():
            try:
                services.crm_settings_update(
                    team=request.team,
                    user=request.user,
                    default_tags=form.cleaned_data["default_tags"],
                    send_blocked_phones=form.cleaned_data["send_blocked_phones"],
                )
            except services.NotAllowed as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "The CRM settings are saved.")
            return redirect("crm:settings")
        status = 400
    else:
        form = CrmSettingsForm(initial=initial)
    if not may_manage:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "crm/settings.html",
        {
            "form": form,
            "crm_settings": current,
            "may_manage": may_manage,
            "read_only": "" if may_manage else READ_ONLY,
        },
        status=status,
    )


@login_required
@require_POST
def connection_test(request):
    """The settings panel's "Test connection" (htmx): an empty batch sent to the CRM."""
    if request.team is None:
        raise Http404("No team")
    result = services.crm_connection_test(team=request.team)
    if not request.htmx:
        (messages.success if result.ok else messages.error)(request, result.message)
        return redirect("crm:settings")
    return render(
        request,
        "crm/_connection.html",
        {"crm_settings": services.crm_settings_for(team=request.team)},
    )
