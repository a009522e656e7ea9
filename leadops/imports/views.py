"""Upload → mapping → preview. Thin: scope, validate a form, call one service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadops.accounts.scoping import get_for_team_or_404
from leadops.exports import csv_response
from leadops.imports import presets, registry, selectors, services
from leadops.imports.errors import BatchStateError, ImportRejected, MappingInvalid
from leadops.imports.forms import MappingForm, PresetRenameForm, SheetForm, UploadForm
from leadops.imports.models import ImportBatch, ImportStatus, MappingPreset
from leadops.imports.tables import MappingPresetTable, UnusableRecordTable
from leadops.tables import table_configure

PREVIEW_PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid() and request.team is None:
            form.add_error(None, "Your account is not in a team, so it cannot import files.")
        elif form.is_valid():
            next_name = form.cleaned_data["next"]
            try:
                batch = services.import_upload(
                    team=request.team,
                    user=request.user,
                    uploaded_file=form.cleaned_data["file"],
                    job_type=form.cleaned_data["job_type"],
                    continue_to=next_name if registry.is_registered(next_name) else "",
                )
            except ImportRejected as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("imports:mapping", batch.pk)
    else:
        initial = {"next": request.GET.get("next", "")}
        if registry.is_kind(request.GET.get("job_type")):
            initial["job_type"] = request.GET["job_type"]
        form = UploadForm(initial=initial)
    return render(
        request,
        "imports/upload.html",
        {
            "form": form,
            "recent": selectors.recent_batches(team=request.team, limit=8),
            "limits": {
                "max_bytes_text": services.size_text(settings.IMPORT_MAX_BYTES),
                "max_rows": settings.IMPORT_MAX_ROWS,
            },
        },
    )


def _mapping_context(request, batch: ImportBatch, form: MappingForm, mapping, job_type) -> dict:
    return {
        "batch": batch,
        "form": form,
        "rows": list(zip(form.column_fields(), batch.columns, strict=True)),
        "presets": selectors.team_presets(team=request.team),
        "requirements": selectors.job_requirements(mapping=mapping, job_type=job_type),
        "suggestion": selectors.alternative_suggestion(mapping=mapping, job_type=job_type),
        "file_type_note": selectors.file_type_note(batch=batch),
        "job_type_label": registry.kind(job_type).label,
        "job_type_help": registry.kind(job_type).help_text,
        "sheet_form": (
            SheetForm(initial={"sheet": batch.sheet}, sheet_names=batch.sheet_names)
            if len(batch.sheet_names) > 1 and batch.status != ImportStatus.STORED
            else None
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def mapping(request, batch_id: int):
    batch = get_for_team_or_404(ImportBatch.objects.select_related("preset"), request, pk=batch_id)
    if batch.status == ImportStatus.REJECTED:
        messages.error(request, batch.reject_message or "This import was rejected.")
        return redirect("imports:upload")
    if request.method == "POST":
        form = MappingForm(request.POST, headers=batch.headers, mapping=batch.mapping)
        if form.is_valid():
            try:
                services.import_map_and_store(
                    batch=batch,
                    mapping=form.mapping(),
                    job_type=form.cleaned_data["job_type"],
                    save_preset_as=form.cleaned_data["save_preset_as"],
                    user=request.user,
                )
            except (MappingInvalid, BatchStateError) as exc:
                form.add_error(None, exc.message)
            except ImportRejected as exc:
                messages.error(request, exc.message)
                return redirect("imports:upload")
            else:
                if form.cleaned_data["save_preset_as"]:
                    messages.success(request, f"Saved the preset “{batch.preset}” for your team.")
                return redirect("imports:preview", batch.pk)
        current = form.mapping() if form.is_valid() else batch.mapping
        job_type = form.cleaned_data.get("job_type") or batch.job_type
    else:
        current, job_type = batch.mapping, batch.job_type
        if request.GET.get("preset"):
            preset = get_for_team_or_404(MappingPreset, request, pk=request.GET["preset"])
            current = selectors.mapping_with_preset(
                headers=batch.headers, current=current, preset=preset
            )
        if registry.is_kind(request.GET.get("job_type")):
            job_type = request.GET["job_type"]
        form = MappingForm(initial={"job_type": job_type}, headers=batch.headers, mapping=current)
    return render(
        request, "imports/mapping.html", _mapping_context(request, batch, form, current, job_type)
    )


@login_required
@require_POST
def mapping_check(request, batch_id: int):
    """htmx: the requirements panel for the mapping as currently chosen (nothing saved)."""
    batch = get_for_team_or_404(ImportBatch, request, pk=batch_id)
    form = MappingForm(request.POST, headers=batch.headers, mapping=batch.mapping)
    form.is_valid()
    current = {
        header: form.cleaned_data.get(MappingForm.column_field_name(index), "extra")
        for index, header in enumerate(batch.headers)
    }
    job_type = form.cleaned_data.get("job_type") or batch.job_type
    return render(
        request,
        "imports/_requirements.html",
        {
            "requirements": selectors.job_requirements(mapping=current, job_type=job_type),
            "suggestion": selectors.alternative_suggestion(mapping=current, job_type=job_type),
            "job_type_label": registry.kind(job_type).label,
            "job_type_help": registry.kind(job_type).help_text,
        },
    )


@login_required
@require_POST
def choose_sheet(request, batch_id: int):
    batch = get_for_team_or_404(ImportBatch, request, pk=batch_id)
    form = SheetForm(request.POST, sheet_names=batch.sheet_names)
    if form.is_valid():
        try:
            services.import_choose_sheet(batch=batch, sheet=form.cleaned_data["sheet"])
        except (ImportRejected, BatchStateError) as exc:
            messages.error(request, exc.message)
    return redirect("imports:mapping", batch.pk)


@login_required
@require_GET
def preview(request, batch_id: int):
    batch = get_for_team_or_404(ImportBatch.objects.select_related("preset"), request, pk=batch_id)
    if batch.status == ImportStatus.REJECTED:
        messages.error(request, batch.reject_message or "This import was rejected.")
        return redirect("imports:upload")
    if batch.status != ImportStatus.STORED:
        progress = services.store_progress(batch=batch)
        if progress is None:
            return redirect("imports:mapping", batch.pk)
        return render(request, "imports/storing.html", {"batch": batch, "rows_done": progress})
    table = UnusableRecordTable(selectors.unusable_records(batch=batch))
    table_configure(request, table, per_page=PREVIEW_PAGE_SIZE)
    sample_labels, sample_rows = selectors.preview_sample(batch=batch)
    continuation = registry.continuation_for(batch.job_type, prefer=batch.continue_to)
    return render(
        request,
        "imports/preview.html",
        {
            "batch": batch,
            "table": table,
            "sample_labels": sample_labels,
            "sample_rows": sample_rows,
            "continuation": continuation,
            "continue_url": (
                reverse(continuation.url_name, args=[batch.pk]) if continuation else None
            ),
        },
    )


@login_required
@require_GET
def store_progress(request, batch_id: int):
    """htmx: the progress bar of a background store; reloads the page when it is done."""
    batch = get_for_team_or_404(ImportBatch, request, pk=batch_id)
    progress = services.store_progress(batch=batch)
    if progress is None:  # finished (stored or rejected): the preview says which
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("imports:preview", args=[batch.pk])
        return response
    return render(
        request, "imports/_storing_progress.html", {"batch": batch, "rows_done": progress}
    )


@login_required
@require_GET
def rejects_csv(request, batch_id: int):
    batch = get_for_team_or_404(ImportBatch, request, pk=batch_id)
    if batch.status != ImportStatus.STORED:
        raise Http404("This import is not stored yet.")
    rejects = services.import_rejects_csv_rows(batch=batch)
    stem = batch.filename.rsplit(".", 1)[0] or "import"
    return csv_response(f"{stem}-rejected-rows.csv", rejects.headers, rejects.rows)


# --- mapping presets ---------------------------------------------------------------------------


@login_required
@require_GET
def presets_index(request):
    table = MappingPresetTable(
        selectors.team_presets(team=request.team).select_related("created_by"),
        user=request.user,
        membership=request.membership,
    )
    table_configure(request, table, per_page=25)
    return render(request, "imports/presets.html", {"table": table})


def _changeable_preset(request, pk: int):
    """The team's preset and whether this member may change it (another team's: 404)."""
    preset = get_for_team_or_404(MappingPreset, request, pk=pk)
    allowed = presets.preset_may_change(
        preset=preset, user=request.user, membership=request.membership
    )
    if not allowed:
        messages.error(
            request,
            f"Only your team's managers and admins, or the member who saved “{preset.name}”, "
            "may change it.",
        )
    return preset, allowed


@login_required
@require_http_methods(["GET", "POST"])
def preset_rename(request, pk: int):
    preset, allowed = _changeable_preset(request, pk)
    if not allowed:
        return redirect("imports:presets")
    form = PresetRenameForm(request.POST or None, initial={"name": preset.name})
    if request.method == "POST" and form.is_valid():
        try:
            presets.preset_rename(preset=preset, name=form.cleaned_data["name"])
        except presets.PresetNameInvalid as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"Renamed the preset to “{preset.name}”.")
            return redirect("imports:presets")
    return render(request, "imports/preset_rename.html", {"preset": preset, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def preset_delete(request, pk: int):
    """GET: the confirmation; POST: delete."""
    preset, allowed = _changeable_preset(request, pk)
    if not allowed:
        return redirect("imports:presets")
    if request.method == "POST":
        name = preset.name
        presets.preset_delete(preset=preset)
        messages.success(request, f"Deleted the preset “{name}”.")
        return redirect("imports:presets")
    return render(request, "imports/preset_delete.html", {"preset": preset})
