from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from dnc import services
from dnc.filters import InternalDncFilter
from dnc.forms import DncLookupForm, InternalDncForm
from dnc.internal import (
    InternalRefused,
    internal_change_refusal,
    internal_dnc_add,
    internal_dnc_remove,
)
from dnc.lookups import LookupFailed, LookupRefused, dnc_lookup_run
from dnc.models import LOOKUP_CREDITS, DncScrub, InternalDnc, PhoneTypes
from dnc.selectors import internal_entries, recent_lookups
from dnc.tables import DncLookupTable, InternalDncTable
from leadops.accounts.scoping import get_for_team_or_404
from leadops.credits.errors import InsufficientCredits
from leadops.phones import format_phone
from leadops.tables import table_configure
from traces.models import TraceJob


@login_required
def index(request):
    return render(request, "dnc/index.html")


@login_required
def from_import(request, batch_id: int):
    return HttpResponse(status=501)


@login_required
@require_POST
def from_list(request):
    return HttpResponse(status=501)


@login_required
@require_POST
def from_trace(request, trace_id: int):
    """A finished trace's "Scrub phones" button: the draft of its phones, then its cost."""
    trace = get_for_team_or_404(TraceJob.objects.select_related("batch"), request, pk=trace_id)
    phone_types = request.POST.get("phone_types", PhoneTypes.ALL)
    if phone_types not in PhoneTypes.values:
        phone_types = PhoneTypes.ALL
    try:
        job = services.dnc_draft_from_trace(trace=trace, user=request.user, phone_types=phone_types)
    except services.DncRefused as exc:
        messages.error(request, str(exc))
        return redirect("traces:detail", trace.pk)
    return redirect("dnc:detail", job.pk)


@login_required
def detail(request, pk: int):
    job = get_for_team_or_404(DncScrub, request, pk=pk)
    return HttpResponse(f"DNC scrub #{job.pk}")


@login_required
@require_POST
def submit(request, pk: int):
    return HttpResponse(status=501)


@login_required
def progress(request, pk: int):
    return HttpResponse(status=501)


@login_required
@require_POST
def cancel(request, pk: int):
    return HttpResponse(status=501)


@login_required
def export(request, pk: int, which: str, fmt: str):
    return HttpResponse(status=501)


# --- internal do-not-call list and lookups ---


def _may_change_internal(request) -> bool:
    return bool(request.membership and request.membership.can_manage)


@login_required
def internal(request):
    """The team's internal do-not-call list; its admins and managers add phones here (one,
    a pasted list or a spreadsheet), and an Undo after a removal posts back here."""
    may_change = _may_change_internal(request)
    form = InternalDncForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not may_change:
            messages.error(request, internal_change_refusal(team=request.team))
            return redirect("dnc:internal")
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = internal_dnc_add(
                    team=request.team,
                    user=request.user,
                    reason=data["reason"],
                    text=data["phones"],
                    upload=data["file"],
                )
            except InternalRefused as exc:
                form.add_error(None, str(exc))
            else:
                if data["undo"] and report.added:
                    messages.success(
                        request, f"{format_phone(report.added[0])} is back on the list."
                    )
                else:
                    messages.success(request, report.summary())
                return redirect("dnc:internal")
    entries = InternalDncFilter(request.GET, queryset=internal_entries(team=request.team))
    table = InternalDncTable(entries.qs, exclude=() if may_change else ("remove",))
    table_configure(request, table, per_page=50)
    return render(
        request,
        "dnc/internal.html",
        {
            "form": form,
            "filter": entries,
            "table": table,
            "may_change": may_change,
            "refusal": "" if may_change else internal_change_refusal(team=request.team),
        },
    )


@login_required
@require_POST
def internal_remove(request, pk: int):
    """A row's Remove button; the message offers an Undo that puts the phone back."""
    entry = get_for_team_or_404(InternalDnc, request, pk=pk)
    try:
        removed = internal_dnc_remove(entry=entry, user=request.user)
    except InternalRefused as exc:
        messages.error(request, str(exc))
    else:
        undo = render_to_string("dnc/_internal_undo.html", {"removed": removed}, request=request)
        # A rendered template is already safe HTML (autoescaped), and the message keeps it so.
        messages.success(request, undo)
    return redirect("dnc:internal")


@login_required
def lookup(request):
    """One phone checked against the DNC lists (5 credits), the answer, and the team's recent
    lookups. A successful lookup redirects to its own answer (`?result=`), so reloading the
    page never pays again."""
    form = DncLookupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            done = dnc_lookup_run(
                team=request.team, user=request.user, phone=form.cleaned_data["phone"]
            )
        except LookupRefused as exc:
            messages.error(request, f"{exc} Nothing was charged.")
        except InsufficientCredits as exc:
            messages.error(
                request,
                f"{exc} Nothing was charged. A lookup holds {LOOKUP_CREDITS} credits while it "
                "runs; ask an admin of your team to grant credits.",
            )
        except LookupFailed as exc:
            messages.error(request, f"The lookup failed and nothing was charged: {exc}")
        else:
            return redirect(f"{reverse('dnc:lookup')}?result={done.pk}")
    result = None
    shown = request.GET.get("result", "")
    if shown.isdigit():
        result = recent_lookups(team=request.team).filter(pk=shown).first()
    table = DncLookupTable(recent_lookups(team=request.team))
    table_configure(request, table, per_page=25)
    return render(
        request,
        "dnc/lookup.html",
        {"form": form, "result": result, "table": table, "credits": LOOKUP_CREDITS},
    )
