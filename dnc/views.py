from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dnc import services
from dnc.models import DncScrub, PhoneTypes
from leadops.accounts.scoping import get_for_team_or_404
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
