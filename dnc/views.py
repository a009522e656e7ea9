from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from dnc import selectors, services
from dnc.filters import DncPhoneFilter, InternalDncFilter
from dnc.forms import DncLookupForm, InternalDncForm, PasteForm, SubmitForm, TracePhonesForm
from dnc.internal import (
    InternalRefused,
    internal_change_refusal,
    internal_dnc_add,
    internal_dnc_remove,
)
from dnc.lookups import LookupFailed, LookupRefused, dnc_lookup_run
from dnc.models import LOOKUP_CREDITS, DncScrub, DncSource, InternalDnc, PhoneTypes
from dnc.selectors import internal_entries, recent_lookups
from dnc.tables import DncLookupTable, DncPhoneTable, DncScrubTable, InternalDncTable
from leadops import exports
from leadops.accounts.permissions import control_refusal, may_control
from leadops.accounts.scoping import get_for_team_or_404, scoped
from leadops.credits.errors import InsufficientCredits
from leadops.imports.models import ImportBatch
from leadops.jobs import services as job_services
from leadops.jobs.errors import JobError
from leadops.jobs.models import FINISHED, JobStatus
from leadops.jobs.tokens import submit_token_issue
from leadops.phones import format_phone
from leadops.tables import table_configure
from traces.models import TraceJob


def _index(request, paste_form=None):
    table = DncScrubTable(scoped(DncScrub, request).select_related("created_by"))
    table_configure(request, table, per_page=25)
    traces = (
        scoped(TraceJob, request)
        .filter(status__in=FINISHED, hits__gt=0)
        .select_related("batch")
        .order_by("-completed_at", "-pk")[:8]
    )
    return render(
        request,
        "dnc/index.html",
        {
            "table": table,
            "paste_form": paste_form or PasteForm(),
            "traces": traces,
            "types_form": TracePhonesForm(),
            "fresh_days": settings.DNC_FRESH_DAYS,
        },
    )


@login_required
def index(request):
    """The scrubs of the team, and the three ways to start one."""
    return _index(request)


@login_required
def from_import(request, batch_id: int):
    """The import preview's "Continue": the draft of the upload's phones, then its cost."""
    batch = get_for_team_or_404(ImportBatch, request, pk=batch_id, status="stored")
    try:
        job = services.dnc_draft_from_import(batch=batch, user=request.user)
    except services.DncRefused as exc:
        messages.error(request, str(exc))
        return redirect("imports:preview", batch.pk)
    return redirect("dnc:detail", job.pk)


@login_required
@require_POST
def from_list(request):
    form = PasteForm(request.POST)
    if not form.is_valid():
        return _index(request, paste_form=form)
    try:
        job = services.dnc_draft_from_list(
            team=request.team,
            user=request.user,
            text=form.cleaned_data["phones"],
            name=form.cleaned_data["name"],
        )
    except services.DncRefused as exc:
        form.add_error("phones", str(exc))
        return _index(request, paste_form=form)
    return redirect("dnc:detail", job.pk)


@login_required
@require_POST
def from_trace(request, trace_id: int):
    """A finished trace's "Scrub phones" button: the draft of its phones, then its cost."""
    trace = get_for_team_or_404(TraceJob.objects.select_related("batch"), request, pk=trace_id)
    form = TracePhonesForm(request.POST)
    phone_types = form.cleaned_data["phone_types"] if form.is_valid() else PhoneTypes.ALL
    try:
        job = services.dnc_draft_from_trace(trace=trace, user=request.user, phone_types=phone_types)
    except services.DncRefused as exc:
        messages.error(request, str(exc))
        return redirect("traces:detail", trace.pk)
    return redirect("dnc:detail", job.pk)


def _job(request, pk):
    return get_for_team_or_404(
        DncScrub.objects.select_related("batch", "trace", "created_by", "hold"), request, pk=pk
    )


def _preview(request, job, form=None):
    estimate = services.dnc_estimate(job=job, user=request.user)
    invalid = selectors.scrub_phones(job=job).filter(outcome="invalid")
    if form is None:
        form = SubmitForm(
            initial={
                "expected_credits": estimate.total_credits,
                "submit_token": submit_token_issue(
                    user=request.user, scope=services.submit_scope(job=job)
                ),
            }
        )
    return render(
        request,
        "dnc/preview.html",
        {
            "job": job,
            "estimate": estimate,
            "form": form,
            "invalid": invalid[:20],
            "can_control": may_control(user=request.user, work=job),
        },
    )


def _results(request, job):
    found = DncPhoneFilter(request.GET, queryset=selectors.scrub_phones(job=job))
    table = DncPhoneTable(found.qs)
    if not job.is_terminal:
        table.empty_text = "Results appear here when the provider returns them."
    table_configure(request, table, per_page=50)
    return found, table


def _job_context(request, job) -> dict:
    counts = selectors.outcome_counts(job=job)
    can_control = may_control(user=request.user, work=job)
    return {
        "job": job,
        "counts": counts,
        "mix": selectors.outcome_mix(counts=counts) if job.is_finished else [],
        "events": job_services.job_events(job=job),
        "can_control": can_control,
        "not_yours": ""
        if can_control or job.status != JobStatus.QUEUED
        else control_refusal(work=job, action="cancel"),
    }


@login_required
def detail(request, pk: int):
    """A draft's cost preview; once submitted, the scrub's progress and results."""
    job = _job(request, pk)
    if job.status == JobStatus.DRAFT:
        return _preview(request, job)
    found, table = _results(request, job)
    context = {**_job_context(request, job), "filter": found, "table": table}
    return render(request, "dnc/detail.html", context)


@login_required
def progress(request, pk: int):
    """The live part of the scrub page, polled by htmx while the scrub runs."""
    job = _job(request, pk)
    context = _job_context(request, job)
    if job.is_terminal and request.htmx:
        # Finished: the whole page changes (results, chart, downloads): reload it.
        response = render(request, "dnc/_progress.html", context)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "dnc/_progress.html", context)


@login_required
@require_POST
def submit(request, pk: int):
    job = _job(request, pk)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "This form has expired; check the cost again and submit.")
        return redirect("dnc:detail", job.pk)
    try:
        job = services.dnc_scrub_submit(
            job=job,
            user=request.user,
            seen_credits=form.cleaned_data["expected_credits"],
            token=form.cleaned_data["submit_token"],
        )
    except services.AlreadySubmitted as exc:
        messages.info(request, f"DNC scrub #{exc.job.pk} was already submitted from this page.")
        return redirect("dnc:detail", exc.job.pk)
    except services.EstimateChanged as exc:
        messages.warning(request, str(exc))
    except (InsufficientCredits, services.DncRefused) as exc:
        messages.error(request, str(exc))
    else:
        if job.status == JobStatus.COMPLETE:
            messages.success(request, f"DNC scrub #{job.pk} is complete: nothing had to be sent.")
        else:
            messages.success(request, f"DNC scrub #{job.pk} is queued.")
    return redirect("dnc:detail", job.pk)


@login_required
@require_POST
def cancel(request, pk: int):
    """Discard a draft, or cancel a queued scrub (its credits return)."""
    job = _job(request, pk)
    try:
        if job.status == JobStatus.DRAFT:
            services.dnc_draft_discard(job=job, user=request.user)
            messages.success(request, "The scrub was discarded; nothing was charged.")
            return redirect("dnc:index")
        job_services.job_cancel(job=job, actor=request.user)
    except (JobError, services.DncRefused) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"DNC scrub #{job.pk} cancelled; its credits are back.")
    return redirect("dnc:detail", job.pk)


@login_required
def export(request, pk: int, which: str, fmt: str):
    """Downloads: `phones` (the results, as filtered), `clean` (the clean list) and `rows`
    (an upload's rows with each phone's status)."""
    job = _job(request, pk)
    if fmt not in exports.FORMATS:
        raise Http404("Unknown export format")
    if which == "phones":
        headers, rows = selectors.export_phone_rows(
            phones=DncPhoneFilter(request.GET, queryset=selectors.scrub_phones(job=job)).qs
        )
    elif which == "clean":
        headers, rows = selectors.export_clean_rows(job=job)
    elif which == "rows" and job.source == DncSource.UPLOAD:
        headers, rows = selectors.export_upload_rows(job=job)
    else:
        raise Http404("Unknown download")
    name = f"dnc-{job.pk}-{which}-{slugify(job.name.rsplit('.', 1)[0])[:40] or 'phones'}"
    return exports.download_response(fmt, name, headers, rows)


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
            messages.error(request, exc.for_lookup())
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
