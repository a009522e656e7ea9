"""Reads of the imports app worth naming; every one starts from a team or a batch."""

from dataclasses import dataclass

from django.db.models import QuerySet

from leadops.accounts.models import Team
from leadops.imports import registry
from leadops.imports.columns import EXTRA, FIELDS_BY_ID, header_key
from leadops.imports.models import ImportBatch, ImportRecord, MappingPreset


def usable_records(*, batch: ImportBatch) -> QuerySet[ImportRecord]:
    """What a paid job sends: usable, first-seen records in file order."""
    return ImportRecord.objects.filter(batch=batch, usable=True, is_duplicate=False).order_by(
        "line"
    )


def alternative_records(*, batch: ImportBatch) -> QuerySet[ImportRecord]:
    """Rows the batch's kind refused that its alternative kind takes (``alternative_ok``),
    first-seen among themselves and not the address of a usable row, in file order."""
    usable_keys = usable_records(batch=batch).exclude(dedupe_key="").values("dedupe_key")
    return (
        ImportRecord.objects.filter(
            batch=batch, usable=False, alternative_ok=True, is_duplicate=False
        )
        .exclude(dedupe_key__in=usable_keys)
        .order_by("line")
    )


def unusable_records(*, batch: ImportBatch) -> QuerySet[ImportRecord]:
    """Rows the chosen job cannot use, each with its reasons, in file order."""
    return ImportRecord.objects.filter(batch=batch, usable=False).order_by("line")


def team_presets(*, team: Team | None) -> QuerySet[MappingPreset]:
    """The team's mapping presets, most recently saved first (auto-mapping's order)."""
    return MappingPreset.objects.for_team(team).order_by("-updated_at", "-id")


def recent_batches(*, team: Team | None, limit: int = 20) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.for_team(team).select_related("created_by")[:limit]


def mapping_with_preset(*, headers: list[str], current: dict[str, str], preset: MappingPreset):
    """``current`` with the preset's choice for every header the preset knows.

    Headers match the way auto-mapping matches them (case, spaces and punctuation
    ignored); a field the preset gives to one header is taken from any other.
    """
    by_key = {header_key(header): target for header, target in preset.mapping.items()}
    chosen = {
        header: by_key[header_key(header)] for header in headers if header_key(header) in by_key
    }
    taken = {target for target in chosen.values() if target != EXTRA}
    mapping = {}
    for header in headers:
        if header in chosen:
            mapping[header] = chosen[header]
        else:
            target = current.get(header, EXTRA)
            mapping[header] = EXTRA if target in taken else target
    return mapping


@dataclass(frozen=True, slots=True)
class RequirementState:
    label: str
    met: bool
    required: bool = True


def job_requirements(*, mapping: dict[str, str], job_type: str) -> list[RequirementState]:
    """Each column the job needs (met or not), then the recommended ones not yet mapped."""
    present = registry.mapped_fields(mapping) - {EXTRA}
    if not registry.is_kind(job_type):
        return []
    import_kind = registry.kind(job_type)
    states = [
        RequirementState(req.label, req.satisfied_by(present)) for req in import_kind.requirements
    ]
    states.extend(
        RequirementState(FIELDS_BY_ID[fid].label, fid in present, required=False)
        for fid in import_kind.recommended
    )
    return states


@dataclass(frozen=True, slots=True)
class SampleCell:
    value: str
    inferred: bool = False  # filled from another value (city and state from the ZIP)


def preview_sample(
    *, batch: ImportBatch, limit: int = 10
) -> tuple[list[str], list[list[SampleCell]]]:
    """Column labels and the first ``limit`` usable records' cleaned values (one query).

    A city or state column the file lacks is shown after its ZIP when the ZIP filled it.
    """
    fields: list[str] = []
    mapped = {target for target in batch.mapping.values() if target != EXTRA}
    for header in batch.headers:
        target = batch.mapping.get(header, EXTRA)
        if target == EXTRA:
            continue
        fields.append(target)
        fields.extend(fid for fid in registry.zip_covers(target) if fid not in mapped)
    labels = ["Line", *(FIELDS_BY_ID[fid].label for fid in fields)]
    rows = [
        [
            SampleCell(str(line)),
            *(SampleCell(values.get(fid, ""), fid in (inferred or ())) for fid in fields),
        ]
        for line, values, inferred in usable_records(batch=batch).values_list(
            "line", "values", "inferred"
        )[:limit]
    ]
    return labels, rows


_NAMED_XLSX = (".xlsx", ".xlsm", ".xls")


def file_type_note(*, batch: ImportBatch) -> str:
    """What the mapping page says when the file's name and content disagree ("" if they
    agree). The content decides how it is read; the user should know which it was."""
    name = batch.filename.lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    if batch.kind == "csv" and extension in _NAMED_XLSX:
        return (
            f"This file is CSV text, although named {extension}; it was read as CSV. "
            "Check the columns below."
        )
    if batch.kind == "xlsx" and extension in (".csv", ".txt", ".tsv"):
        return (
            f"This file is an Excel workbook, although named {extension}; it was read as a "
            "workbook. Check the columns below."
        )
    return ""


def alternative_suggestion(*, mapping: dict[str, str], job_type: str) -> str:
    """When the mapping misses columns the kind needs but its alternative kind does not
    (a normal trace of a file without mailing columns), a sentence suggesting it."""
    if not registry.is_kind(job_type):
        return ""
    import_kind = registry.kind(job_type)
    alternative = import_kind.alternative
    if not alternative or not registry.is_kind(alternative):
        return ""
    missing = registry.missing_fields(mapping, job_type)
    if not missing or registry.missing_fields(mapping, alternative):
        return ""
    other = registry.kind(alternative)
    labels = ", ".join(req.label for req in missing)
    return (
        f"This file has no column for {labels}, which {import_kind.label} needs. "
        f"{other.label} fits it: {other.help_text}"
    )
