from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from leadops import exports
from leadops.accounts.permissions import control_refusal, may_control
from leadops.accounts.scoping import get_for_team_or_404, scoped
from leadops.credits.errors import InsufficientCredits
from leadops.imports.models import ImportBatch
from leadops.jobs import services as job_services
from leadops.jobs.errors import JobError
from leadops.jobs.tokens import submit_token_issue
from leadops.providers.errors import ProviderError
from leadops.tables import table_configure
from traces import account, selectors, services
from traces.filters import TraceResultFilter
from traces.forms import (
    AddressLookupForm,
    ApnLookupForm,
    NewTraceForm,
    RetraceForm,
    ScrubPhonesForm,
)
from traces.lookups import LookupFailed, lookup_run
from traces.models import TraceJob, TraceLookup, TraceProvider
from traces.tables import TraceJobTable, TraceResultTable


@login_required
def index(request):
    table = TraceJobTable(scoped(TraceJob, request).select_related("batch", "created_by"))
    table_configure(request, table, per_page=25)
    total, per_provider = selectors.team_trace_figures(team=request.team)
    # The Tracerfy account's figures load into their panel afterwards (account_figures).
    context = {"table": table, "total": total, "per_provider": per_provider}
    return render(request, "traces/index.html", context)


def _provider(request) -> str:
    provider = request.GET.get("provider", "")
    return provider if provider in TraceProvider.values else TraceProvider.TRACERFY


@login_required
def account_figures(request):
    """htmx panel of the overview: the Tracerfy account's figures (cached), or why not."""
    figures = account.provider_account(provider=TraceProvider.TRACERFY)
    return render(request, "traces/_account_figures.html", {"figures": figures})


@login_required
def provider_balance(request):
    """htmx panel of the cost preview: the chosen provider's balance (cached), or why not."""
    figures = account.provider_account(provider=_provider(request))
    return render(request, "traces/_provider_balance.html", {"figures": figures})


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@login_required
def queues(request):
    """The provider's queue history page; the list itself loads into it (queues_table)."""
    return render(request, "traces/queues.html", {"page": _page_number(request)})


@login_required
def queues_table(request):
    """htmx panel: one page of the provider's queue list, as far as this user may see it."""
    history, error = None, ""
    if request.team is None:
        error = "Your account is not in a team yet, so there are no queues to show."
    else:
        try:
            history = account.tracerfy_queue_history(
                team=request.team,
                page=_page_number(request),
                can_manage=bool(request.membership and request.membership.can_manage),
            )
        except ProviderError as exc:
            error = (
                f"Tracerfy's queue list is unavailable right now: "
                f"{account.unavailable_reason(exc)}."
            )
    return render(request, "traces/_queues_table.html", {"history": history, "error": error})


@login_required
def new(request, batch_id: int):
    """Cost preview for a stored import, and the submit button."""
    batch = get_for_team_or_404(ImportBatch, request, pk=batch_id, status="stored")
    options = services.trace_options(batch=batch)
    form = NewTraceForm(request.POST or None, options=options, query=request.GET)
    if form.is_bound and not form.is_valid() and "submit_token" in form.errors:
        messages.error(request, "This form has expired; check the cost again and submit.")
    if form.is_bound and form.is_valid():
        answer = _submit(
            request,
            lambda: services.trace_job_submit(
                batch=batch,
                trace_type=form.cleaned_data["trace_type"],
                provider=form.cleaned_data["provider"],
                user=request.user,
                seen_credits=form.cleaned_data["expected_credits"],
                include_alternative=form.cleaned_data["include_alternative"],
                token=form.cleaned_data["submit_token"],
            ),
            repeated="Trace #{} was already submitted from this page.",
            done="Trace #{} is queued.",
        )
        if answer is not None:
            return answer
        # Show the preview again with the current figures and the user's selection.
        provider, trace_type = form.selection()
        form = NewTraceForm(
            options=options,
            initial={
                "provider": provider,
                "trace_type": trace_type,
                "include_alternative": form.wants_alternative(),
            },
        )
    provider, trace_type = form.selection()
    estimate = services.trace_estimate(
        batch=batch, trace_type=trace_type, user=request.user, provider=provider
    )
    alternative = None
    if services.alternative_offer(batch=batch, trace_type=trace_type, provider=provider):
        alternative = services.trace_alternative_estimate(
            batch=batch, user=request.user, provider=provider
        )
    include = alternative is not None and form.wants_alternative()
    combined = estimate.total_credits + (alternative.total_credits if include else 0)
    if not form.is_bound:
        form.initial["expected_credits"] = combined
        form.initial["submit_token"] = submit_token_issue(
            user=request.user, scope=services.new_trace_scope(batch=batch)
        )
    return render(
        request,
        "traces/new.html",
        {
            "batch": batch,
            "estimate": estimate,
            "alternative": alternative,
            "include_alternative": include,
            "combined_credits": combined,
            "short_by": max(0, combined - estimate.available),
            "form": form,
            "trace_type": trace_type,
            "provider": provider,
            "running": services.active_trace(batch=batch),
        },
    )


def _submit(request, create, *, repeated: str, done: str):
    """Run a paid submission (`create()` returns the new job) and say how it went: the job's
    page when it was created or was already made by this form (a double click, a replayed
    POST), else None with the reason in a message (the caller shows its page again)."""
    try:
        job = create()
    except services.AlreadySubmitted as exc:
        messages.info(request, repeated.format(exc.job.pk))
        return redirect("traces:detail", exc.job.pk)
    except services.EstimateChanged as exc:
        messages.warning(request, str(exc))
    except services.TraceRunning as exc:
        messages.error(request, _running_message(exc))
    except (InsufficientCredits, services.TraceRefused) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done.format(job.pk))
        return redirect("traces:detail", job.pk)
    return None


def _running_message(exc) -> str:
    return format_html(
        '{} <a href="{}" class="alert-link">Open trace #{}</a>.',
        str(exc),
        reverse("traces:detail", args=[exc.job.pk]),
        exc.job.pk,
    )


def _job(request, pk):
    return get_for_team_or_404(
        TraceJob.objects.select_related("batch", "created_by", "hold", "retry_of"), request, pk=pk
    )


def _job_context(request, job) -> dict:
    """What the job page and its live fragment show besides the job itself."""
    retrace, retrace_token = None, ""
    # Cancel and re-trace are for the job's creator and the team's admins and managers; anyone
    # else in the team sees why there is no button.
    can_control = may_control(user=request.user, work=job)
    retries = list(job.retries.order_by("pk").only("pk", "status"))
    not_yours = ""
    if job.status == "partial" and can_control:
        retrace = services.trace_retry_estimate(job=job, user=request.user)
        if not retries and not retrace.problem:
            retrace_token = submit_token_issue(
                user=request.user, scope=services.retrace_scope(job=job)
            )
    elif not can_control and job.status == "queued":
        not_yours = control_refusal(work=job, action="cancel")
    elif (
        not can_control
        and job.status == "partial"
        and not retries
        and not services.trace_retry_refusal(job=job)
    ):
        not_yours = control_refusal(work=job, action="re-trace")
    return {
        "job": job,
        "can_control": can_control,
        "not_yours": not_yours,
        "events": job_services.job_events(job=job),
        "counts": selectors.result_counts(job=job),
        "retrace": retrace,
        "retrace_token": retrace_token,
        "retries": retries,
        "fresh_days": settings.DNC_FRESH_DAYS,
    }


def _results(request, job, *, total: int):
    """The job page's results: its filter and one page of the table (`total`: every
    result row, already counted for the page's facts, is the unfiltered table's count)."""
    results = TraceResultFilter(request.GET, queryset=selectors.trace_results(job=job))
    table = TraceResultTable(results.qs)
    if not any(results.form.data.get(name) for name in results.filters):
        table.keyset_count = total
    if not job.is_terminal:
        table.empty_text = "Results appear here as soon as the provider returns them."
    table_configure(request, table, per_page=50)
    table.dnc = selectors.results_dnc_statuses(team=request.team, results=table.page_results())
    return results, table


# The progress poll carries the page's filters and how many results the page shows, so the
# poll answers with a fresh results table (htmx out-of-band) only when more have arrived.
SHOWN = "results_shown"


def _poll_query(request, total: int) -> str:
    query = request.GET.copy()
    query[SHOWN] = str(total)
    return query.urlencode()


@login_required
def detail(request, pk: int):
    job = _job(request, pk)
    context = _job_context(request, job)
    total = context["counts"]["results"]
    results, table = _results(request, job, total=total)
    context.update(filter=results, table=table)
    if not job.is_terminal:
        context["poll_query"] = _poll_query(request, total)
    return render(request, "traces/detail.html", context)


@login_required
def progress(request, pk: int):
    """The live part of the job page, polled by htmx while the job runs; it brings the
    results table along whenever results arrived since the page last showed them."""
    job = _job(request, pk)
    request.GET = request.GET.copy()
    shown = request.GET.pop(SHOWN, [None])[-1]
    context = _job_context(request, job)
    if shown is not None:
        total = context["counts"]["results"]
        context["poll_query"] = _poll_query(request, total)
        if request.htmx and shown != str(total):
            context["filter"], context["table"] = _results(request, job, total=total)
    return render(request, "traces/_progress.html", context)


@login_required
def dnc_summary(request, pk: int):
    """htmx panel of a finished trace's page, loaded after the page (counting a big trace's
    phones takes a moment): its phones by DNC status and the "Scrub phones…" form."""
    job = _job(request, pk)
    context = {"job": job, "fresh_days": settings.DNC_FRESH_DAYS}
    if job.is_finished:
        context["dnc"] = selectors.trace_dnc_counts(job=job)
        context["scrub_form"] = ScrubPhonesForm(auto_id="scrub_%s")
    return render(request, "traces/_dnc.html", context)


@login_required
@require_POST
def retrace(request, pk: int):
    """Re-trace the records of a trace that got no result, at the cost the user saw."""
    job = _job(request, pk)
    form = RetraceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The re-trace form was incomplete; check the cost again.")
        return redirect("traces:detail", job.pk)
    answer = _submit(
        request,
        lambda: services.trace_job_retry(
            job=job,
            user=request.user,
            seen_credits=form.cleaned_data["expected_credits"],
            token=form.cleaned_data["submit_token"],
        ),
        repeated="Trace #{} was already started from this button.",
        done="Trace #{} re-traces the records without a result.",
    )
    return answer or redirect("traces:detail", job.pk)


@login_required
@require_POST
def cancel(request, pk: int):
    job = _job(request, pk)
    try:
        job_services.job_cancel(job=job, actor=request.user)
    except JobError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Trace #{job.pk} cancelled; its credits are back.")
    return redirect("traces:detail", job.pk)


@login_required
def export(request, pk: int, fmt: str):
    job = _job(request, pk)
    filters = TraceResultFilter(request.GET, queryset=selectors.trace_results(job=job))
    # Unfiltered, the export is the whole uploaded file with the results beside each row.
    every_row = not any(request.GET.get(name) for name in filters.filters)
    # ?phones=clean: only phones clean and fresh, rows without one left out.
    clean_only = request.GET.get("phones") == "clean"
    headers, rows = selectors.export_rows(
        job=job, results=filters.qs, every_row=every_row, clean_only=clean_only
    )
    name = f"trace-{job.pk}-{slugify(job.batch.filename.rsplit('.', 1)[0])[:40] or 'results'}"
    if clean_only:
        name += "-clean"
    return exports.download_response(fmt, name, headers, rows)


@login_required
def lookup(request):
    """Instant address and APN lookups, with the team's recent lookups below."""
    mode = request.POST.get("mode") or request.GET.get("mode") or "address"
    if mode not in ("address", "apn"):
        mode = "address"
    # Only a POST binds a form: an unbound form opens without errors, its defaults selected.
    posted = request.POST if request.method == "POST" else None
    address_form = AddressLookupForm(posted if mode == "address" else None)
    apn_form = ApnLookupForm(posted if mode == "apn" else None)
    result = None
    form = apn_form if mode == "apn" else address_form
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        kind = "apn" if mode == "apn" else data.pop("find")
        try:
            result = lookup_run(team=request.team, user=request.user, kind=kind, query=data)
        except LookupFailed as exc:
            messages.error(request, f"The lookup failed and nothing was charged: {exc}")
        except InsufficientCredits as exc:
            messages.error(request, exc.for_lookup())
    history = scoped(TraceLookup, request).select_related("created_by")[:25]
    return render(
        request,
        "traces/lookup.html",
        {
            "mode": mode,
            "address_form": address_form,
            "apn_form": apn_form,
            "result": result,
            "history": history,
        },
    )
