"""Map and clean rows, in this process or spread over worker processes for big files.

Cleaning (``RowPlan``, ``normalize_row`` compiled once per file) is most of the CPU an
import costs; reading the file, deduping and writing are cheap next to it. With
``workers`` > 1 the rows are sent in chunks to a small process pool and come back in file
order, with at most a few chunks in flight, so memory stays flat whatever the file size
(the store uses one process on 2-CPU hosts: see ``services.MAX_WORKERS``). The workers
import only this module, the reader's field table, the cleaners, the row rules, the kind
registry's building blocks (the batch's kind arrives pickled inside the ``CleanSpec``) and
``leadops.bulk``'s COPY encoders (Django's db package is imported, never configured).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from leadops.bulk import copy_json
from leadops.imports.columns import RowMapper
from leadops.imports.registry import ImportKind, is_kind, kind
from leadops.imports.rows import CleanRow, RowPlan

__all__ = ["CleanSpec", "CleanedRow", "clean_rows", "generic_reason"]

DEDUPE_KEY_CHARS = 255


@dataclass(frozen=True, slots=True)
class CleanSpec:
    """Everything a worker needs to clean rows of one batch (picklable, hashable).

    ``import_kind`` is looked up from ``job_type`` in the process that builds the spec:
    the workers have no registered kinds, so the kind travels with the spec.
    """

    headers: tuple[str, ...]
    mapping: tuple[tuple[str, str], ...]
    job_type: str
    # PostgreSQL: the JSON fields come out as fields of a COPY line in text format (bytes,
    # see ``leadops.bulk.copy_lines``); encoding them in the workers keeps the process that
    # reads and writes free for exactly that.
    copy_out: bool = False
    import_kind: ImportKind | None = None
    # The kind's ``alternative`` (an advanced trace for a normal one), when registered: a
    # row the chosen kind refuses but the alternative takes is flagged ``alternative_ok``.
    alternative_kind: ImportKind | None = None

    def __post_init__(self) -> None:
        if self.import_kind is None:
            object.__setattr__(self, "import_kind", kind(self.job_type))
        alternative = self.import_kind.alternative
        if self.alternative_kind is None and alternative and is_kind(alternative):
            object.__setattr__(self, "alternative_kind", kind(alternative))


class CleanedRow(NamedTuple):
    """One cleaned row; the JSON fields (``values``, ``extras``, ``errors``, ``inferred``,
    ``cells``) are COPY text bytes with ``copy_out``."""

    line: int
    values: dict[str, str] | bytes
    extras: dict[str, str] | bytes
    dedupe_key: str
    usable: bool
    errors: list[dict[str, str]] | bytes
    has_errors: bool
    problems: list[tuple[str, str]]  # (column, reason without the value), unusable rows only
    inferred: list[str] | bytes
    cells: list[str] | bytes
    alternative_ok: bool


_QUOTED_RE = re.compile(r"“[^”]*”")


def generic_reason(reason: str) -> str:
    """A reason without the cell's value, so the same problem counts once in a summary."""
    text = _QUOTED_RE.sub("the value", reason)
    return text[:1].upper() + text[1:]


def _dedupe_key(import_kind: ImportKind, row: CleanRow, values: dict[str, str]) -> str:
    """The kind's dedupe rule over the valid values (the address key, the set of phones,
    the parcel…). Long keys are hashed to fit the indexed column."""
    key = import_kind.dedupe(values, row.dedupe_key)
    if len(key) > DEDUPE_KEY_CHARS:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


class _Cleaner:
    """Cleans rows of one spec: the row rules compiled once (``RowPlan``), JSON by orjson."""

    def __init__(self, spec: CleanSpec) -> None:
        mapper = RowMapper(spec.headers, dict(spec.mapping))
        columns = mapper.source_columns
        self.plan = RowPlan(mapper.field_columns, spec.import_kind, columns=columns)
        self.alternative = (
            RowPlan(mapper.field_columns, spec.alternative_kind)
            if spec.alternative_kind is not None
            else None
        )
        self.column_field = {header: fid for fid, header in columns.items()}
        self.extra_columns = tuple(mapper.extra_columns)
        self.import_kind = spec.import_kind
        self.encode = to_copy if spec.copy_out else _same

    def clean(self, line: int, cells: list[str]) -> CleanedRow:
        return self._cleaned(line, cells, self.plan.normalize(cells, line=line))

    def clean_many(self, rows: list[tuple[int, list[str]]]) -> list[CleanedRow]:
        """``clean`` for many rows, their columns cleaned at once (``RowPlan.normalize_rows``)."""
        cleaned = self._cleaned
        return [
            cleaned(line, cells, row)
            for (line, cells), row in zip(rows, self.plan.normalize_rows(rows), strict=True)
        ]

    def _cleaned(self, line: int, cells: list[str], row: CleanRow) -> CleanedRow:
        errors = row.errors
        alternative_ok = (
            not row.usable
            and self.alternative is not None
            and self.alternative.normalize(cells, line=line).usable
        )
        if errors:
            invalid = {self.column_field.get(error.column, "") for error in errors}
            # An invalid value stays in ``errors`` (with the cell as typed), never in
            # ``values``: nothing downstream can send it to a provider by mistake.
            values = {
                fid: value for fid, value in row.values.items() if value and fid not in invalid
            }
        else:
            values = {fid: value for fid, value in row.values.items() if value}
        encode = self.encode
        extras = {header: cells[index] for index, header in self.extra_columns if cells[index]}
        # Positional: this runs once a row.
        return CleanedRow(
            line,
            encode(values),
            encode(extras),
            _dedupe_key(self.import_kind, row, values),
            row.usable,
            encode(
                [
                    {"column": error.column, "value": error.value, "reason": error.reason}
                    for error in errors
                ]
            )
            if errors
            else encode([]),
            bool(errors),
            []
            if row.usable
            else [(error.column, generic_reason(error.reason)) for error in errors],
            encode(row.inferred),
            # The row exactly as read, for exports that give the user their own text back.
            encode(list(cells)),
            alternative_ok,
        )


def _same(value: object) -> object:
    return value


def to_copy(value: dict | list) -> bytes:
    """A jsonb field of a COPY line (``leadops.bulk.copy_json``). Most rows' errors,
    inferred fields and extras are empty."""
    if not value:
        return b"[]" if type(value) is list else b"{}"
    return copy_json(value)


@lru_cache(maxsize=4)
def _cleaner(spec: CleanSpec) -> _Cleaner:
    return _Cleaner(spec)


def _clean_chunk(spec: CleanSpec, chunk: list[tuple[int, list[str]]]) -> list[CleanedRow]:
    """Worker entry point: clean one chunk of rows."""
    return _cleaner(spec).clean_many(chunk)


def _chunks(
    rows: Iterable[tuple[int, list[str]]], size: int
) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers start from a clean single-threaded server that has imported only
    # this module, never as a fork of a web or RQ process with open connections and threads.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def clean_rows(
    rows: Iterable[tuple[int, list[str]]],
    *,
    spec: CleanSpec,
    workers: int = 1,
    chunk_rows: int = 500,
) -> Iterator[CleanedRow]:
    """Clean ``rows`` in file order; with ``workers`` > 1, in a process pool.

    Errors while reading (an ``ImportRejected`` at any line) are raised here, in the
    caller's process, exactly as without workers.
    """
    if workers <= 1:
        cleaner = _Cleaner(spec)
        for chunk in _chunks(rows, chunk_rows):
            yield from cleaner.clean_many(chunk)
        return
    with _pool(workers) as pool:
        pending: deque[Future[list[CleanedRow]]] = deque()
        try:
            for chunk in _chunks(rows, chunk_rows):
                pending.append(pool.submit(_clean_chunk, spec, chunk))
                while len(pending) > workers * 2:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
