"""A finished build's rows: the filtered table with its score chart, one row's fields and
factors, the export, and Send to DNC."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from dnc import services as dnc_services
from leadbuilder import selectors
from leadbuilder.filters import LeadRowFilter, filter_data, filter_query, filters_applied
from leadbuilder.models import LeadBuild, LeadRow
from leadbuilder.tables import LeadRowTable
from leadops import exports
from leadops.accounts.scoping import get_for_team_or_404
from leadops.phones import format_phone
from leadops.tables import table_configure


def _build(request, pk: int) -> LeadBuild:
    return get_for_team_or_404(LeadBuild, request, pk=pk)


def _filtered(request, build: LeadBuild):
    """The rows page's filter set over the build's rows, and whether the build's
    post-filters preset it."""
    data, preset = filter_data(request.GET, post_filters=build.build_spec.post_filters)
    found = LeadRowFilter(data, queryset=selectors.build_rows(build=build), team=request.team)
    return found, preset


@login_required
def rows(request, pk: int):
    build = _build(request, pk)
    context = {"build": build, "build_url": reverse("leadbuilder:detail", args=[build.pk])}
    if not build.is_finished:
        return render(request, "leadbuilder/rows.html", context)
    found, preset = _filtered(request, build)
    rows = found.qs
    # The chart counts the rows the filters leave (stored at ingest for all of them, kept in
    # the cache per filter), so paging need not count them again; the table never shows
    # `data` (every provider column).
    if not filters_applied(found):
        distribution = selectors.build_score_distribution(build=build)
    else:
        distribution = selectors.filtered_distribution(build=build, found=found, team=request.team)
    table = LeadRowTable(rows.defer("data"), build_id=build.pk, row_count=distribution.total)
    table_configure(request, table, per_page=50)
    table.dnc = selectors.rows_dnc_statuses(team=request.team, rows=table.page_rows())
    context.update(
        filter=found,
        table=table,
        preset=preset,
        query=filter_query(found.data),
        distribution=distribution,
        chart=distribution.chart_data(),
    )
    return render(request, "leadbuilder/rows.html", context)


@login_required
def row_detail(request, pk: int, row_pk: int):
    build = _build(request, pk)
    row = get_for_team_or_404(LeadRow.objects.filter(build=build), request, pk=row_pk)
    status = selectors.row_dnc_status(
        row, selectors.rows_dnc_statuses(team=request.team, rows=[row])
    )
    return render(
        request,
        "leadbuilder/row_detail.html",
        {
            "build": build,
            "row": row,
            "dnc": status,
            "phone": format_phone(row.primary_phone),
            "sections": selectors.row_sections(row=row),
            "scores": selectors.row_scores(row=row),
            "back": f"{reverse('leadbuilder:rows', args=[build.pk])}?{request.GET.urlencode()}",
        },
    )


@login_required
def export(request, pk: int):
    """The rows as filtered, CSV or XLSX (`?format=`), every provider column."""
    build = _build(request, pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.FORMATS:
        raise Http404("Unknown export format")
    found, _preset = _filtered(request, build)
    headers, lines = selectors.export_rows(team=request.team, rows=found.qs)
    stem = f"lead-list-{build.pk}-{slugify(build.name)[:40] or 'rows'}"
    return exports.download_response(fmt, stem, headers, lines)


@login_required
@require_POST
def to_dnc(request, pk: int):
    """The phones of the rows (as filtered) become a DNC scrub draft: its cost preview next."""
    build = _build(request, pk)
    back = f"{reverse('leadbuilder:rows', args=[build.pk])}?{request.GET.urlencode()}"
    if not build.is_finished:
        messages.error(
            request, "This lead list has no rows yet: send its phones once it completes."
        )
        return redirect(back)
    found, _preset = _filtered(request, build)
    phones = selectors.rows_phones(rows=found.qs)
    if not phones:
        messages.error(request, "No row shown has a phone: nothing to scrub.")
        return redirect(back)
    try:
        draft = dnc_services.dnc_draft_from_list(
            team=request.team,
            user=request.user,
            text="\n".join(phones),
            name=f"Lead list #{build.pk} ({build.name})",
        )
    except dnc_services.DncRefused as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return redirect("dnc:detail", draft.pk)
