"""The import flow: upload → map → store. Every write of the imports app happens here.

    batch = import_upload(team=t, user=u, uploaded_file=f, job_type="trace_advanced")
    batch = import_set_mapping(batch=batch, mapping={...}, job_type="trace_advanced")
    batch = import_store(batch=batch)
    selectors.usable_records(batch=batch)  # what a paid job sends

``import_upload`` reads the whole file once before anything is saved, so every reject the
reader can raise (ragged rows, too many rows, a huge cell…) reaches the upload page with
nothing stored. ``import_store`` reads it again from the uploads storage (by default the
database, so any worker host can), cleans 500 rows at a time a column at a time
(``RowPlan.normalize_rows``: the row rules compiled once for the file, each column's cells
cleaned by one ``map``, the rows that need no row rule finished straight from their
values), dedupes them in file order and streams them, as COPY text lines, into COPY
statements of 10,000 rows that a writer thread runs (``leadops.bulk.copy_lines``): PostgreSQL
stores, and checks each statement's foreign keys, while Python cleans the next rows. All
inside one transaction: a failure anywhere stores nothing.

On the 2-CPU machine ``make bench`` runs on, a 100,000-row CSV takes about 0.3 s to upload
and 2.2 s to store; the store is Python-bound (about 2.1 s of CPU, PostgreSQL 1.3 s on the
other CPU), the rest of a row's time spread over reading, the cleaners, the row rules and
the JSON (see ``bench/imports.py``).
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, NamedTuple

import redis
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from leadops.accounts.models import Team
from leadops.bulk import bulk_insert, copy_lines, copy_text
from leadops.imports import registry, selectors
from leadops.imports.columns import (
    EXTRA,
    FIELDS_BY_ID,
    Requirement,
    RowMapper,
    auto_map,
    best_preset,
)
from leadops.imports.errors import BatchStateError, MappingInvalid
from leadops.imports.models import ImportBatch, ImportRecord, ImportStatus
from leadops.imports.models import MappingPreset as Preset
from leadops.imports.pipeline import CleanedRow, CleanSpec, clean_rows
from leadops.imports.readers import ImportRejected, ReadLimits, RejectCode, Table, open_table
from leadops.imports.storage import DatabaseFile
from leadops.jobs.queueing import enqueue_step, redis_connection

log = logging.getLogger(__name__)

__all__ = [
    "RejectsCsv",
    "import_choose_sheet",
    "import_map_and_store",
    "import_rejects_csv_rows",
    "import_set_mapping",
    "import_store",
    "import_upload",
    "read_limits",
]

# Unusable records read at a time for the rejects download.
WRITE_BATCH = 2_000
# Cleaning processes for files of at least PARALLEL_MIN_ROWS rows (see pipeline.py). One:
# the store streams its rows into PostgreSQL's COPY as it cleans them, so on the 2-CPU hosts
# we run, the database's backend already has the other CPU; a pool of cleaning processes
# measured no faster (its rows are pickled both ways) and took ~70 MB more per process.
# Raise it on hosts with CPUs to spare.
PARALLEL_MIN_ROWS = 20_000
MAX_WORKERS = 1
SAMPLE_VALUES = 3
SAMPLE_SCAN_ROWS = 500
SAMPLE_VALUE_CHARS = 80
PRESET_NAME_CHARS = 100
_MB = 1024 * 1024


def read_limits() -> ReadLimits:
    return ReadLimits(max_bytes=settings.IMPORT_MAX_BYTES, max_rows=settings.IMPORT_MAX_ROWS)


# --------------------------------------------------------------------------------------
# Upload
# --------------------------------------------------------------------------------------


def size_text(size: int) -> str:
    if size >= _MB:
        return f"{size / _MB:,.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(size / 1024)):,} KB"


def _too_large(limit: int, size: int | None = None) -> ImportRejected:
    what = f"The file is {size_text(size)}" if size else "The file is larger than that"
    return ImportRejected(
        RejectCode.TOO_LARGE,
        f"{what}; the limit is {size_text(limit)}. Split it into smaller files and upload "
        "them separately.",
    )


def _spool(uploaded_file: UploadedFile, limit: int) -> IO[bytes]:
    """Copy the upload to a private temporary file, refusing it as soon as it passes
    ``limit`` (the declared size is checked first, then a running count)."""
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(limit, declared)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the caller
    written = 0
    try:
        for chunk in uploaded_file.chunks():
            written += len(chunk)
            if written > limit:
                raise _too_large(limit)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _display_name(name: str) -> str:
    """The user's filename for display only: no directories, at most 255 characters."""
    base = PurePath(name.replace("\\", "/")).name.strip() or "upload"
    return base[:255]


@dataclass(slots=True)
class _Scan:
    rows: int
    samples: list[list[str]]


def _scan(table: Table) -> _Scan:
    """Read every row (so any reject surfaces now) and keep a few example values per column."""
    width = len(table.headers)
    samples: list[list[str]] = [[] for _ in range(width)]
    pending = set(range(width))
    rows = table.rows()
    count = 0
    for _line, cells in rows:
        count += 1
        for index in list(pending):
            value = " ".join(cells[index].split())[:SAMPLE_VALUE_CHARS]
            if value and value not in samples[index]:
                samples[index].append(value)
                if len(samples[index]) >= SAMPLE_VALUES:
                    pending.discard(index)
        if not pending or count >= SAMPLE_SCAN_ROWS:
            break
    # The rest only needs reading (the reader checks every row) and counting.
    count += sum(1 for _ in rows)
    return _Scan(rows=count, samples=samples)


def _team_presets(team: Team) -> list[Preset]:
    return list(selectors.team_presets(team=team))


def _auto_map(team: Team, headers: list[str]) -> tuple[dict[str, str], Preset | None]:
    """Auto-map with the team's presets (most recent first) and name the preset that applied."""
    presets = _team_presets(team)
    mappings = [preset.mapping for preset in presets]
    best = best_preset(headers, mappings)
    return auto_map(headers, mappings), (presets[best] if best is not None else None)


def _check_has_usable_column(
    *, filename: str, job_type: str, headers: list[str], samples: list[list[str]], mapping
) -> None:
    """Refuse a file with no column the job could use at all, mapped or not.

    A header the synonyms do not know still passes when its values look right: the user
    can map it on the next page. What counts, and the refusal's words, are the kind's
    (``ImportKind.sniff``).
    """
    sniff = registry.kind(job_type).sniff
    if any(target in sniff.fields for target in mapping.values()):
        return
    for index, header in enumerate(headers):
        values = samples[index] if index < len(samples) else []
        if mapping.get(header, EXTRA) == EXTRA and values and any(map(sniff.looks_like, values)):
            return
    what, needs = sniff.what, sniff.needs
    shown = ", ".join(f"“{header}”" for header in headers[:12])
    more = f" and {len(headers) - 12:,} more" if len(headers) > 12 else ""
    raise ImportRejected(
        RejectCode.NO_USABLE_COLUMNS,
        f"No column in “{filename}” {what}; its columns are {shown}{more}. {needs}: add "
        "them to the file and upload it again.",
    )


def import_upload(
    *,
    team: Team,
    user: AbstractBaseUser | None,
    uploaded_file: UploadedFile,
    job_type: str,
    sheet: str | None = None,
    continue_to: str = "",
) -> ImportBatch:
    """Check and keep an upload; read its headers and samples; auto-map its columns.

    Raises ``ImportRejected`` (nothing stored, the message is for the user) for anything
    the reader refuses anywhere in the file, and for a file with no column the job can use.
    """
    job_type = registry.kind(job_type).key
    filename = _display_name(uploaded_file.name or "")
    limits = read_limits()
    spool = _spool(uploaded_file, limits.max_bytes)
    try:
        table = open_table(spool, filename, limits=limits, sheet=sheet)
        scan = _scan(table)
        mapping, preset = _auto_map(team, table.headers)
        _check_has_usable_column(
            filename=filename,
            job_type=job_type,
            headers=table.headers,
            samples=scan.samples,
            mapping=mapping,
        )
        batch = ImportBatch(
            team=team,
            created_by=user,
            filename=filename,
            file_size=spool.seek(0, 2),
            kind=table.kind,
            encoding=table.encoding or "",
            delimiter=table.delimiter or "",
            sheet=table.sheet_name or "",
            sheet_names=table.sheet_names,
            headers=table.headers,
            header_line=table.header_line,
            samples=scan.samples,
            mapping=mapping,
            preset=preset,
            job_type=job_type,
            continue_to=continue_to,
            rows_read=scan.rows,
        )
        spool.seek(0)
        # A generated name: the user's filename never reaches the filesystem.
        batch.file.save(f"{uuid.uuid4().hex}.{table.kind}", File(spool), save=False)
    finally:
        spool.close()
    try:
        batch.save()
    except BaseException:
        batch.file.delete(save=False)
        raise
    return batch


def import_choose_sheet(*, batch: ImportBatch, sheet: str) -> ImportBatch:
    """Read another sheet of a workbook: new headers, samples and auto-mapping."""
    if batch.kind != "xlsx" or batch.status not in (ImportStatus.UPLOADED, ImportStatus.MAPPED):
        raise BatchStateError("Only a workbook that is not stored yet can switch sheets.")
    with batch.file.open("rb") as fileobj:
        table = open_table(fileobj, batch.filename, limits=read_limits(), sheet=sheet)
        scan = _scan(table)
    mapping, preset = _auto_map(batch.team, table.headers)
    batch.sheet = table.sheet_name or sheet
    batch.headers = table.headers
    batch.header_line = table.header_line
    batch.samples = scan.samples
    batch.mapping = mapping
    batch.preset = preset
    batch.rows_read = scan.rows
    batch.status = ImportStatus.UPLOADED
    batch.save()
    return batch


# --------------------------------------------------------------------------------------
# Mapping
# --------------------------------------------------------------------------------------


def _missing_message(missing: list[Requirement], job_type: str, mapping) -> str:
    import_kind = registry.kind(job_type)
    job = import_kind.label
    essential = import_kind.essential
    if any(any(essential in option for option in req.any_of) for req in missing):
        message = (
            f"No column is mapped to {import_kind.essential_text}, so there is "
            f"{import_kind.nothing_to_do}. Choose the column that holds it in the list below."
        )
        others = [req.label for req in missing if essential not in req.any_of[0]]
        if others:
            message += f" {job} also needs: {', '.join(others)}."
        return message
    message = (
        f"{job} needs columns that are not mapped: {', '.join(r.label for r in missing)}. "
        "Choose the column for each in the list below"
    )
    alternative = import_kind.alternative
    if (
        alternative
        and registry.is_kind(alternative)
        and not registry.missing_fields(mapping, alternative)
    ):
        message += f", {import_kind.alternative_hint}"
    return message + "."


def _check_mapping(headers: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    unknown = [header for header in mapping if header not in headers]
    if unknown:
        raise MappingInvalid(f"The file has no column named “{unknown[0]}”.")
    clean = {header: mapping.get(header) or EXTRA for header in headers}
    bad = sorted({target for target in clean.values() if target not in FIELDS_BY_ID})
    if bad:
        raise MappingInvalid(f"“{bad[0]}” is not a LeadOps field.")
    try:
        RowMapper(headers, clean)
    except ValueError as exc:
        text = str(exc)
        raise MappingInvalid(
            f"{text[0].upper()}{text[1:]}. Each field can take one column."
        ) from None
    return clean


def import_set_mapping(
    *,
    batch: ImportBatch,
    mapping: Mapping[str, str],
    job_type: str,
    save_preset_as: str | None = None,
    user: AbstractBaseUser | None = None,
) -> ImportBatch:
    """Set the column mapping and job type; optionally save the mapping as a team preset.

    Raises ``MappingInvalid`` when a field takes two columns or the job's required
    columns are not all mapped (the message says which). Remapping a stored batch drops
    its records: store it again.
    """
    if batch.status == ImportStatus.REJECTED:
        raise BatchStateError("This import was rejected; upload the file again.")
    if not registry.is_kind(job_type):
        raise MappingInvalid(f"“{job_type}” is not a job type.")
    clean = _check_mapping(batch.headers, mapping)
    missing = registry.missing_fields(clean, job_type)
    if missing:
        raise MappingInvalid(_missing_message(missing, job_type, clean))
    name = " ".join((save_preset_as or "").split())
    if len(name) > PRESET_NAME_CHARS:
        raise MappingInvalid(f"A preset name can have at most {PRESET_NAME_CHARS} characters.")
    with transaction.atomic():
        if name:
            preset, _ = Preset.objects.update_or_create(
                team=batch.team,
                name=name,
                defaults={"headers": batch.headers, "mapping": clean},
                create_defaults={
                    "headers": batch.headers,
                    "mapping": clean,
                    "created_by": user,
                },
            )
            batch.preset = preset
        if batch.status == ImportStatus.STORED:
            batch.records.all().delete()
            _reset_counts(batch)
        batch.mapping = clean
        batch.job_type = job_type
        batch.status = ImportStatus.MAPPED
        batch.save()
    return batch


def _reset_counts(batch: ImportBatch) -> None:
    batch.rows_unusable = batch.rows_with_warnings = batch.duplicates = 0
    batch.rows_inferred = 0
    batch.unique_records = 0
    batch.problem_summary = []
    batch.stored_at = None


# --------------------------------------------------------------------------------------
# Store
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tally:
    rows_read: int = 0
    rows_unusable: int = 0
    rows_with_warnings: int = 0
    rows_inferred: int = 0
    duplicates: int = 0
    unique_records: int = 0
    problems: Counter[tuple[str, str]] = field(default_factory=Counter)


# ImportRecord's fields in the order _record_rows and _record_lines give them.
_RECORD_FIELDS = (
    "batch",
    "line",
    "values",
    "extras",
    "dedupe_key",
    "usable",
    "errors",
    "is_duplicate",
    "duplicate_of_line",
    "inferred",
    "cells",
    "alternative_ok",
)


def _workers(rows_expected: int) -> int:
    """Cleaning is CPU-bound: big files may use a process per CPU (up to MAX_WORKERS)."""
    if rows_expected < PARALLEL_MIN_ROWS or MAX_WORKERS <= 1:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _clean_rows(
    batch: ImportBatch, table: Table, tally: _Tally, *, report_progress: bool = False
) -> Iterator[tuple[CleanedRow, int | None]]:
    """Map, clean and dedupe each row as it is read; only the dedupe keys stay in memory.

    Yields each cleaned row with the line of the row it duplicates (None for a first),
    its JSON fields as COPY text on PostgreSQL (see ``_record_lines``)."""
    spec = CleanSpec(
        headers=tuple(batch.headers),
        mapping=tuple(batch.mapping.items()),
        job_type=batch.job_type,
        copy_out=connection.vendor == "postgresql",
    )
    first_line: dict[str, int] = {}
    # Rows only the alternative kind can take are deduped among themselves.
    first_alternative_line: dict[str, int] = {}
    for row in clean_rows(table.rows(), spec=spec, workers=_workers(batch.rows_read)):
        tally.rows_read += 1
        if report_progress and tally.rows_read % PROGRESS_EVERY == 0:
            report_progress = store_progress_set(batch=batch, rows_done=tally.rows_read)
        duplicate_of = None
        if row.usable:
            if row.dedupe_key:
                duplicate_of = first_line.setdefault(row.dedupe_key, row.line)
                if duplicate_of == row.line:
                    duplicate_of = None
            if duplicate_of is None:
                tally.unique_records += 1
            else:
                tally.duplicates += 1
            if row.has_errors:
                tally.rows_with_warnings += 1
            if row.inferred and row.inferred != b"[]":
                tally.rows_inferred += 1
        else:
            tally.rows_unusable += 1
            tally.problems.update(row.problems)
            if row.alternative_ok and row.dedupe_key:
                duplicate_of = first_alternative_line.setdefault(row.dedupe_key, row.line)
                if duplicate_of == row.line:
                    duplicate_of = None
        yield row, duplicate_of


def _record_rows(batch: ImportBatch, rows: Iterator[tuple[CleanedRow, int | None]]):
    """``bulk_insert``'s rows (``_RECORD_FIELDS`` order), for databases other than
    PostgreSQL."""
    batch_id = batch.pk
    for row, duplicate_of in rows:
        yield (
            batch_id,
            row.line,
            row.values,
            row.extras,
            row.dedupe_key,
            row.usable,
            row.errors,
            duplicate_of is not None,
            duplicate_of,
            row.inferred,
            row.cells,
            row.alternative_ok,
        )


# One ImportRecord as a line of PostgreSQL's COPY text format, in _RECORD_FIELDS order.
_COPY_LINE = b"%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n"


def _record_lines(batch: ImportBatch, rows: Iterator[tuple[CleanedRow, int | None]]):
    """``copy_lines``' data (PostgreSQL), a few hundred lines at a time: the JSON fields
    arrive as COPY text already, so a row is one ``%`` away from its line."""
    batch_id = batch.pk
    lines: list[bytes] = []
    for row, duplicate_of in rows:
        lines.append(
            _COPY_LINE
            % (
                batch_id,
                row.line,
                row.values,
                row.extras,
                copy_text(row.dedupe_key),
                b"t" if row.usable else b"f",
                row.errors,
                b"f" if duplicate_of is None else b"t",
                b"\\N" if duplicate_of is None else b"%d" % duplicate_of,
                row.inferred,
                row.cells,
                b"t" if row.alternative_ok else b"f",
            )
        )
        if len(lines) >= 500:
            yield b"".join(lines)
            lines = []
    if lines:
        yield b"".join(lines)


@contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Pause Python's cycle collector while a big file is cleaned.

    Every row makes a few dozen short-lived objects, and the collector's full passes walk
    everything alive — the cleaners' caches, the dedupe keys — over and over: a fifth of
    the cleaning time. Those rows make no reference cycles (reference counting frees
    them), so the pause costs no memory; the collector resumes as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _local_copy(fileobj: IO[bytes]) -> Iterator[IO[bytes]]:
    """The stored upload as a local temporary file when reading it needs the database.

    ``DatabaseStorage`` reads the upload a chunk per query, and the store streams its rows
    into one open COPY while it cleans them (PostgreSQL stores while Python cleans), during
    which the connection can run nothing else. Copying the file first (a few MB, one query
    per MB) frees the connection for the COPY; other storages are read as they are."""
    # batch.file.open() gives the FieldFile; what the storage opened is its ``file``.
    if not isinstance(getattr(fileobj, "file", fileobj), DatabaseFile):
        yield fileobj
        return
    with tempfile.TemporaryFile() as local:
        shutil.copyfileobj(fileobj, local, _MB)
        local.seek(0)
        yield local


def import_store(*, batch: ImportBatch, report_progress: bool = False) -> ImportBatch:
    """Read the stored file again, clean, dedupe and store every row; set the counts.

    One transaction: a reject mid-file (the file was replaced on disk, a limit was
    lowered) stores nothing and marks the batch rejected. Running it again replaces the
    records, so it is safe to retry.
    """
    if batch.status not in (ImportStatus.MAPPED, ImportStatus.STORED):
        raise BatchStateError(
            "Map the columns before storing this import."
            if batch.status == ImportStatus.UPLOADED
            else "This import was rejected; upload the file again."
        )
    tally = _Tally()
    try:
        with (
            batch.file.open("rb") as stored,
            _local_copy(stored) as fileobj,
            transaction.atomic(),
        ):
            # One store at a time per batch, whichever process runs it.
            ImportBatch.objects.select_for_update().filter(pk=batch.pk).first()
            table = open_table(
                fileobj, batch.filename, limits=read_limits(), sheet=batch.sheet or None
            )
            if table.headers != batch.headers:
                raise BatchStateError(
                    "The stored file's columns no longer match this import; upload it again."
                )
            batch.records.all().delete()
            rows = _clean_rows(batch, table, tally, report_progress=report_progress)
            with _without_cycle_collector():
                if connection.vendor == "postgresql":
                    # COPY statements fed as rows are cleaned (see _local_copy).
                    copy_lines(ImportRecord, _RECORD_FIELDS, _record_lines(batch, rows))
                else:
                    bulk_insert(ImportRecord, _RECORD_FIELDS, _record_rows(batch, rows))
            batch.rows_read = tally.rows_read
            batch.rows_unusable = tally.rows_unusable
            batch.rows_with_warnings = tally.rows_with_warnings
            batch.rows_inferred = tally.rows_inferred
            batch.duplicates = tally.duplicates
            batch.unique_records = tally.unique_records
            batch.problem_summary = [
                {"column": column, "reason": reason, "rows": count}
                for (column, reason), count in tally.problems.most_common(20)
            ]
            batch.status = ImportStatus.STORED
            batch.stored_at = timezone.now()
            batch.save()
    except ImportRejected as exc:
        batch.status = ImportStatus.REJECTED
        batch.reject_message = exc.message
        _reset_counts(batch)
        batch.save(
            update_fields=[
                "status",
                "reject_message",
                "rows_unusable",
                "rows_with_warnings",
                "rows_inferred",
                "duplicates",
                "unique_records",
                "problem_summary",
                "stored_at",
            ]
        )
        raise
    return batch


# Files with more rows than this are stored by an RQ job while the preview shows progress.
BACKGROUND_ROWS = 5_000
PROGRESS_EVERY = 2_000
PROGRESS_TTL = 3600


def _progress_key(batch: ImportBatch) -> str:
    return f"leadops:import-progress:{batch.pk}"


def store_progress_set(*, batch: ImportBatch, rows_done: int) -> bool:
    """Progress lives in Redis: the store is one transaction, invisible until it commits.

    Only the progress bar reads it: with Redis down the store goes on (and commits) without
    it. Returns whether it was kept; the store stops trying after a refusal (the client's
    retries take seconds each time)."""
    try:
        redis_connection().set(_progress_key(batch), rows_done, ex=PROGRESS_TTL)
    except redis.RedisError as exc:
        log.warning("import %s: progress not kept (%s)", batch.pk, exc.__class__.__name__)
        return False
    return True


def store_progress(*, batch: ImportBatch) -> int | None:
    """Rows cleaned so far by a background store, or None when none is running."""
    value = redis_connection().get(_progress_key(batch))
    return int(value) if value is not None else None


def import_store_in_background(*, batch: ImportBatch) -> None:
    """Queue the store (after commit); the preview page follows it with a progress bar."""
    store_progress_set(batch=batch, rows_done=0)
    # By dotted path: tasks imports services, never the other way round.
    enqueue_step(
        "leadops.imports.tasks.store",
        batch.pk,
        job_id=f"import-store-{batch.pk}",
        queue="default",
    )


def import_store_job(*, batch_id: int) -> None:
    """The RQ side: store, and always clear the progress marker (a reject is on the batch)."""
    batch = ImportBatch.objects.get(pk=batch_id)
    try:
        import_store(batch=batch, report_progress=True)
    except ImportRejected:
        log.info("import %s rejected while storing: %s", batch.pk, batch.reject_message)
    finally:
        redis_connection().delete(_progress_key(batch))


def import_map_and_store(
    *,
    batch: ImportBatch,
    mapping: Mapping[str, str],
    job_type: str,
    save_preset_as: str | None = None,
    user: AbstractBaseUser | None = None,
) -> ImportBatch:
    """The mapping page's submit: set the mapping (and preset), then store the rows."""
    import_set_mapping(
        batch=batch, mapping=mapping, job_type=job_type, save_preset_as=save_preset_as, user=user
    )
    if batch.rows_read > BACKGROUND_ROWS:
        import_store_in_background(batch=batch)
        return batch
    return import_store(batch=batch)


# --------------------------------------------------------------------------------------
# Rejects download
# --------------------------------------------------------------------------------------


class RejectsCsv(NamedTuple):
    headers: list[str]
    rows: Iterator[list[str]]


def _problems_text(errors: list[dict[str, str]]) -> str:
    return "; ".join(f"{error['column']}: {error['reason']}" for error in errors)


def import_rejects_csv_rows(*, batch: ImportBatch) -> RejectsCsv:
    """The unusable rows as the user uploaded them, with line and reasons in front.

    Staff fix the cells and upload the file again, so each row carries the original
    cells (read again from the stored file), not the cleaned values. Streams: the file
    and the records are walked together in line order.
    """
    headers = ["Line", "Problems", *batch.headers]

    def rows() -> Iterator[list[str]]:
        records = (
            selectors.unusable_records(batch=batch)
            .values_list("line", "errors")
            .iterator(chunk_size=WRITE_BATCH)
        )
        pending = next(records, None)
        if pending is None:
            return
        with batch.file.open("rb") as fileobj:
            table = open_table(
                fileobj, batch.filename, limits=read_limits(), sheet=batch.sheet or None
            )
            for line, cells in table.rows():
                while pending is not None and pending[0] < line:
                    pending = next(records, None)
                if pending is None:
                    return
                if pending[0] == line:
                    yield [str(line), _problems_text(pending[1]), *cells]

    return RejectsCsv(headers=headers, rows=rows())
