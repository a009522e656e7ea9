"""Read uploaded spreadsheets (CSV or XLSX) into one stream of text rows.

Both readers produce the same thing — a header list and ``(line_number, cells)`` rows of
plain strings — so the mapping, cleaning and dedupe steps after them never care which
format the user uploaded. Everything here is framework-free: the Django import app hands
in an ``UploadedFile`` (any seekable binary file object) and gets back a :class:`Table` or
an :class:`ImportRejected` whose message can be shown to the user as it is.

Reading streams: a CSV is decoded through a buffered text wrapper and never read whole,
and an XLSX is inspected as a ZIP (declared and real sizes) before calamine sees it, so a
decompression bomb is refused before anything expands it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import enum
import io
import math
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import IO, Literal

import python_calamine

from leadops.imports.columns import field_for_header

__all__ = [
    "ImportRejected",
    "ReadLimits",
    "RejectCode",
    "Table",
    "cell_to_text",
    "open_table",
]

MB = 1024 * 1024

# How much of a CSV we look at to choose the encoding and the delimiter. Big enough for
# ~500 typical lead rows, small enough that a 50 MB upload is never read whole.
_SNIFF_BYTES = 64 * 1024
_CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_STREAM_CHUNK = 64 * 1024
_UTF8_CP1252 = "leadops-utf8-cp1252"


class RejectCode(enum.StrEnum):
    """Why a file was refused; stable identifiers for the UI, logs and tests."""

    EMPTY = "empty"
    HEADER_ONLY = "header_only"
    NO_HEADER = "no_header"
    NOT_SPREADSHEET = "not_spreadsheet"
    CORRUPT_WORKBOOK = "corrupt_workbook"
    XLSX_BOMB = "xlsx_bomb"
    SHEET_NOT_FOUND = "sheet_not_found"
    TOO_LARGE = "too_large"
    TOO_MANY_ROWS = "too_many_rows"
    CELL_TOO_LARGE = "cell_too_large"
    RAGGED_ROW = "ragged_row"
    MALFORMED_CSV = "malformed_csv"
    # Raised by the Django import service once it knows the job: the file reads fine but
    # no column could hold what the job needs (an address, a phone, a parcel number).
    NO_USABLE_COLUMNS = "no_usable_columns"


class ImportRejected(Exception):
    """The upload cannot be imported; ``message`` is written for the person who uploaded it.

    One exception type with a code keeps the Django side simple: catch it once, show
    ``message``, save nothing.
    """

    def __init__(self, code: RejectCode, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line

    def __repr__(self) -> str:
        return f"ImportRejected({self.code.value!r}, {self.message!r})"


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Upper bounds for one upload; defaults suit a 250k-row PropStream export."""

    max_bytes: int = 50 * MB
    max_rows: int = 250_000
    max_cell_chars: int = 10_000
    max_uncompressed: int = 500 * MB
    max_ratio: int = 100
    # The compression-ratio test only applies to ZIP members at least this big once
    # expanded: tiny XML parts (styles, a sheet full of blanks) legitimately compress
    # better than 100:1 and are harmless.
    ratio_min_member_bytes: int = 1 * MB
    header_scan_rows: int = 20


def _fmt_bytes(size: int) -> str:
    if size >= MB:
        return f"{size / MB:,.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size} bytes"


# --------------------------------------------------------------------------------------
# File type sniffing
# --------------------------------------------------------------------------------------

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NOT_A_SPREADSHEET_HINT = "Upload a CSV or XLSX file."
_RESAVE_HINT = "Open it in Excel, save it as .xlsx or CSV, and upload that."

# (magic prefix, what it is) for formats people upload by mistake or rename.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "an image (PNG)"),
    (b"\xff\xd8\xff", "an image (JPEG)"),
    (b"GIF87a", "an image (GIF)"),
    (b"GIF89a", "an image (GIF)"),
    (b"II*\x00", "an image (TIFF)"),
    (b"MM\x00*", "an image (TIFF)"),
    (b"\x1f\x8b", "a compressed archive (gzip)"),
    (b"7z\xbc\xaf\x27\x1c", "a compressed archive (7-Zip)"),
    (b"Rar!\x1a\x07", "a compressed archive (RAR)"),
    (b"{\\rtf", "a rich-text document (RTF)"),
)


def _reject_not_spreadsheet(what: str, hint: str = _NOT_A_SPREADSHEET_HINT) -> ImportRejected:
    return ImportRejected(
        RejectCode.NOT_SPREADSHEET, f"This file is {what}, not a spreadsheet. {hint}"
    )


def _sniff_kind(head: bytes) -> Literal["xlsx", "csv"]:
    """Decide the format from the first bytes, whatever the file is called.

    Renamed files are common (an .xls saved as .csv, a PDF called leads.xlsx); the
    content decides, and anything that is not text or a ZIP is refused here.
    """
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        raise _corrupt("it is an empty or split ZIP archive")
    if head.startswith(_OLE2_MAGIC):
        raise ImportRejected(
            RejectCode.NOT_SPREADSHEET,
            "This file is an old Excel 97-2003 workbook (.xls) or a password-protected "
            f"workbook, which cannot be read. {_RESAVE_HINT}",
        )
    for magic, what in _BINARY_SIGNATURES:
        if head.startswith(magic):
            raise _reject_not_spreadsheet(what)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise _reject_not_spreadsheet("an image (WebP)")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    text_start = head.removeprefix(codecs.BOM_UTF8).lstrip()[:64].lower()
    if text_start.startswith((b"<!doctype html", b"<html", b"<table")):
        raise _reject_not_spreadsheet("a web page (HTML)", _RESAVE_HINT)
    if text_start.startswith(b"<?xml"):
        raise _reject_not_spreadsheet("an XML document", _RESAVE_HINT)
    if b"\x00" in head or _control_ratio(head) > 0.01:
        raise ImportRejected(
            RejectCode.NOT_SPREADSHEET,
            "This file contains binary data, not text, so it is not a CSV or XLSX "
            f"spreadsheet. {_NOT_A_SPREADSHEET_HINT}",
        )
    return "csv"


_CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0D, 0x0C}


def _control_ratio(head: bytes) -> float:
    if not head:
        return 0.0
    return sum(1 for b in head if b in _CONTROL_BYTES) / len(head)


# --------------------------------------------------------------------------------------
# Cell conversion
# --------------------------------------------------------------------------------------


def cell_to_text(value: object) -> str:
    """Render a calamine cell the way a person typed it.

    Excel stores every number as a float, so a ZIP of 02134 typed as a number comes back
    as ``2134.0`` and a phone as ``5125550100.0``; both must become their digits, never
    ``5.12555e+09``. Dates become ISO text so the rest of the pipeline sees strings only.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if value.is_integer():
            return str(int(value))
        # repr gives the shortest round-tripping digits; Decimal drops the exponent.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        total = int(value.total_seconds())
        hours, rest = divmod(total, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return str(value)


# --------------------------------------------------------------------------------------
# CSV: encoding, delimiter, streaming
# --------------------------------------------------------------------------------------


def _utf8_cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode bytes that are not UTF-8 as Windows-1252 instead of failing mid-file.

    The encoding is chosen from the first 64 KB; an accented name from an Excel "CSV"
    can still appear at line 90,000. Reading that byte as cp1252 is what the user meant.
    """
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error(_UTF8_CP1252, _utf8_cp1252_fallback)


def _detect_encoding(sample: bytes) -> tuple[str, str]:
    """Return ``(encoding, errors)`` for a CSV from its first bytes."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", _UTF8_CP1252
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "replace"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: the sample may end inside a multi-byte character.
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", _UTF8_CP1252
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        pass
    else:
        return "cp1252", "replace"
    # Not UTF-8 and not cp1252 (it uses bytes cp1252 leaves undefined): ask
    # charset-normalizer rather than guess.
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is not None and best.encoding:
        return best.encoding, "replace"
    return "cp1252", "replace"


class _RawReader(io.RawIOBase):
    """Adapt any object with ``read(n)`` (a Django ``UploadedFile``) for ``io`` buffering.

    ``TextIOWrapper`` needs a real buffered stream; wrapping keeps the upload's own file
    open when the wrapper is dropped.
    """

    def __init__(self, fileobj: IO[bytes]) -> None:
        super().__init__()
        self._fileobj = fileobj

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._fileobj.read(len(buffer))
        if not data:
            return 0
        size = len(data)
        buffer[:size] = data
        return size


def _decode_sample(sample: bytes, encoding: str, errors: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    return decoder.decode(sample, final=False)


def _sniff_delimiter(text: str, *, complete: bool) -> str:
    """Choose the delimiter that splits the sample into the most consistent columns.

    ``csv.Sniffer`` is easily fooled by commas inside addresses. Instead each candidate
    parses the sample with quote handling, and the winner is the one whose field count
    is the same on the most lines (ties: more columns, then the usual order).
    """
    lines = text.splitlines(keepends=True)
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line was cut by the sample size
    lines = lines[:200]
    best: tuple[float, int, int] = (0.0, 1, 0)
    chosen = ","
    for order, delimiter in enumerate(_CANDIDATE_DELIMITERS):
        try:
            counts = [
                len(row)
                for row in csv.reader(lines, delimiter=delimiter)
                if any(cell.strip() for cell in row)
            ]
        except csv.Error:
            continue
        multi = [count for count in counts if count > 1]
        if not multi:
            continue
        mode, mode_count = Counter(multi).most_common(1)[0]
        score = (mode_count / len(counts), mode, -order)
        if score > best:
            best, chosen = score, delimiter
    return chosen


# --------------------------------------------------------------------------------------
# XLSX: ZIP inspection before calamine
# --------------------------------------------------------------------------------------


def _corrupt(detail: str) -> ImportRejected:
    return ImportRejected(
        RejectCode.CORRUPT_WORKBOOK,
        f"This Excel file is damaged and cannot be read ({detail}). "
        "Re-save it from Excel and upload it again.",
    )


def _bomb(detail: str) -> ImportRejected:
    return ImportRejected(
        RejectCode.XLSX_BOMB,
        f"This Excel file was not opened: {detail}. This is how decompression bombs "
        "look; if the file is genuine, save it as CSV or split it and upload again.",
    )


def _inspect_xlsx_zip(fileobj: IO[bytes], limits: ReadLimits) -> None:
    """Refuse ZIPs that are not workbooks or would expand too far, before calamine.

    The declared sizes are checked first (cheap); then every member is inflated into
    a counter, capped, because a hostile ZIP can declare small sizes and still expand
    to gigabytes in a reader that trusts the stream rather than the header.
    """
    fileobj.seek(0)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _corrupt("it is not a valid ZIP archive") from exc
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "xl/workbook.xml" not in names:
            if "word/document.xml" in names:
                raise _reject_not_spreadsheet("a Word document")
            if any(name.startswith("ppt/") for name in names):
                raise _reject_not_spreadsheet("a PowerPoint presentation")
            if "content.xml" in names and "mimetype" in names:
                raise _reject_not_spreadsheet(
                    "an OpenDocument file (.ods)", "Save it as .xlsx or CSV and upload that."
                )
            if any(name.startswith("xl/") for name in names):
                raise _corrupt("the workbook part xl/workbook.xml is missing")
            raise _reject_not_spreadsheet("a ZIP archive")
        declared_total = sum(info.file_size for info in infos)
        if declared_total > limits.max_uncompressed:
            raise _bomb(
                f"it would expand to {_fmt_bytes(declared_total)}, over the "
                f"{_fmt_bytes(limits.max_uncompressed)} limit"
            )
        for info in infos:
            if info.file_size >= limits.ratio_min_member_bytes:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > limits.max_ratio:
                    raise _bomb(
                        f"its part {info.filename} is compressed {ratio:,.0f}:1, "
                        f"more than the {limits.max_ratio}:1 allowed"
                    )
            if info.flag_bits & 0x1:
                raise _corrupt("it is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _corrupt(f"part {info.filename} uses an unsupported compression")
        real_total = 0
        for info in infos:
            real_total += _inflated_size(fileobj, info, limits.max_uncompressed - real_total)


def _inflated_size(fileobj: IO[bytes], info: zipfile.ZipInfo, budget: int) -> int:
    """Inflate one member into a counter; refuse if it outgrows its header or the budget."""
    fileobj.seek(info.header_offset)
    local = fileobj.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise _corrupt(f"the entry for {info.filename} is broken")
    name_len = int.from_bytes(local[26:28], "little")
    extra_len = int.from_bytes(local[28:30], "little")
    fileobj.seek(info.header_offset + 30 + name_len + extra_len)
    remaining = info.compress_size
    cap = min(info.file_size, budget)
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size > cap:
            raise _bomb(f"its part {info.filename} is bigger than its header says")
        return info.compress_size
    inflater = zlib.decompressobj(-15)
    produced = 0
    while remaining > 0 and not inflater.eof:
        chunk = fileobj.read(min(_STREAM_CHUNK, remaining))
        if not chunk:
            raise _corrupt(f"the part {info.filename} is truncated")
        remaining -= len(chunk)
        try:
            # Ask for at most one byte past the cap: enough to prove a lie, no more.
            out = inflater.decompress(chunk, cap - produced + 1)
            produced += len(out)
            while inflater.unconsumed_tail and produced <= cap:
                out = inflater.decompress(inflater.unconsumed_tail, cap - produced + 1)
                produced += len(out)
        except zlib.error as exc:
            raise _corrupt(f"the part {info.filename} is not valid compressed data") from exc
        if produced > cap:
            if cap < info.file_size:
                raise _bomb("its contents expand past the size limit")
            raise _bomb(f"its part {info.filename} expands past the size its header declares")
    return produced


# --------------------------------------------------------------------------------------
# Header detection
# --------------------------------------------------------------------------------------

_DATA_LIKE = re.compile(
    r"^[\s$€£+\-(]*[\d.,:/\-\s()%]+$"  # numbers, money, phones, dates, zips
)


def _width(cells: list[str]) -> int:
    for index in range(len(cells) - 1, -1, -1):
        if cells[index].strip():
            return index + 1
    return 0


def _is_label(cell: str) -> bool:
    text = cell.strip()
    return bool(text) and len(text) <= 80 and not _DATA_LIKE.match(text)


def _choose_header(rows: list[tuple[int, list[str]]]) -> int | None:
    """Index in ``rows`` of the header row, or ``None`` when no row looks like one.

    Exports often start with a title, a date line or blanks. A header is the first row
    that is mostly filled with distinct short labels, about as wide as the data below it,
    with at least one data row after it; matching known column names counts strongly,
    so "Owner 1 First Name, Address, …" wins even when the data below is all text.
    """
    filled = [(index, cells, _width(cells)) for index, (_, cells) in enumerate(rows)]
    filled = [entry for entry in filled if entry[2]]
    if not filled:
        return None
    widths = Counter(width for _, _, width in filled)
    data_width = max(widths, key=lambda w: (widths[w], w))
    for position, (index, cells, width) in enumerate(filled):
        values = [cell.strip() for cell in cells[:width] if cell.strip()]
        labels = sum(1 for value in values if _is_label(value))
        # Some exports repeat a header ("Phone", "Phone"); data rows repeat far more.
        distinct = len({value.casefold() for value in values}) >= len(values) * 0.75
        if not distinct or labels < math.ceil(len(values) * 0.8):
            continue
        known = sum(1 for value in values if field_for_header(value) is not None)
        if known >= 2 and labels == len(values):
            return index
        following = [w for _, _, w in filled[position + 1 : position + 4]]
        if (
            width >= data_width * 0.8
            and len(values) >= math.ceil(data_width * 0.5)
            and len(values) >= math.ceil(width * 0.5)
            and all(w >= max(1, width // 2) for w in following)
        ):
            return index
    return None


def _make_headers(cells: list[str], width: int) -> list[str]:
    """Tidy header labels: blank ones get a position name, repeats get a number."""
    headers: list[str] = []
    seen: Counter[str] = Counter()
    for index, cell in enumerate(cells[:width]):
        label = " ".join(cell.split()) or f"Column {index + 1}"
        seen[label.casefold()] += 1
        if seen[label.casefold()] > 1:
            label = f"{label} ({seen[label.casefold()]})"
        headers.append(label)
    return headers


# --------------------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------------------

RawRows = Callable[[], Iterator[tuple[int, list[str]]]]


class Table:
    """One sheet of an upload: its headers and a re-iterable stream of data rows.

    ``rows()`` starts from the top of the file each time it is called (the preview and the
    full import read separately) and checks every row as it goes: it can raise
    :class:`ImportRejected` at any line (too many rows, a huge cell, a ragged row), so
    callers validate the whole file before writing anything. A CSV table reads from the
    upload's file object, which must stay open, one ``rows()`` loop at a time.
    """

    def __init__(
        self,
        *,
        kind: Literal["csv", "xlsx"],
        raw_rows: RawRows,
        headers: list[str],
        header_line: int,
        limits: ReadLimits,
        sheet_names: list[str],
        sheet_name: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        self.kind = kind
        self.headers = headers
        self.header_line = header_line
        self.sheet_names = sheet_names
        self.sheet_name = sheet_name
        self.encoding = encoding
        self.delimiter = delimiter
        self._raw_rows = raw_rows
        self._limits = limits

    def __repr__(self) -> str:
        return (
            f"<Table {self.kind} headers={len(self.headers)} header_line={self.header_line}"
            f" sheet={self.sheet_name!r}>"
        )

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(line_number, cells)`` for each non-blank data row, padded to the header."""
        width = len(self.headers)
        max_rows = self._limits.max_rows
        count = 0
        header_line = self.header_line
        limit = self._limits.max_cell_chars
        for line, cells in self._raw_rows():
            if line <= header_line:
                continue
            # One C call each instead of a loop over the cells: this runs for every row of
            # the upload scan and again for the store. A row is blank when no cell has
            # anything but whitespace, i.e. when all its cells joined strip to nothing.
            if not "".join(cells).strip():
                continue
            if max(map(len, cells)) > limit:
                self._check_cells(line, cells)
            size = len(cells)
            if size > width:
                extra = [cell for cell in cells[width:] if cell.strip()]
                if extra:
                    raise self._ragged(line, _width(cells))
                cells = cells[:width]
            elif size < width:
                cells = cells + [""] * (width - size)
            count += 1
            if count > max_rows:
                raise ImportRejected(
                    RejectCode.TOO_MANY_ROWS,
                    f"The file has more than {max_rows:,} data rows, the most one import "
                    f"can take (the limit was passed at line {line:,}). Split it into "
                    "smaller files and upload them separately.",
                    line=line,
                )
            yield line, cells

    def dict_rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """The same rows as ``rows()``, keyed by header."""
        headers = self.headers
        for line, cells in self.rows():
            yield line, dict(zip(headers, cells, strict=True))

    def sample(self, n: int = 5) -> list[tuple[int, list[str]]]:
        """The first ``n`` data rows, for the mapping preview; reads no further."""
        rows = self.rows()
        try:
            return list(islice(rows, n))
        finally:
            rows.close()

    def _check_cells(self, line: int, cells: list[str]) -> None:
        limit = self._limits.max_cell_chars
        for index, cell in enumerate(cells):
            if len(cell) > limit:
                raise _cell_too_large(
                    line=line,
                    column=self.headers[index] if index < len(self.headers) else None,
                    size=len(cell),
                    limit=limit,
                    csv_hint=self.kind == "csv",
                )

    def _ragged(self, line: int, filled: int) -> ImportRejected:
        if self.kind == "csv":
            name = _DELIMITER_NAMES.get(self.delimiter or ",", "delimiter")
            hint = f"Check that line for an unquoted {name} or a missing quote mark."
        else:
            hint = "Give the extra columns a header or delete them."
        return ImportRejected(
            RejectCode.RAGGED_ROW,
            f"Line {line:,} has {filled:,} cells but the header (line {self.header_line:,}) has "
            f"only {len(self.headers):,} columns. {hint}",
            line=line,
        )


def _cell_too_large(
    *, line: int, column: str | None, size: int | None, limit: int, csv_hint: bool
) -> ImportRejected:
    where = f"Line {line:,}, column “{column}”" if column else f"Line {line:,}"
    amount = f"has {size:,} characters" if size is not None else "is too long"
    hint = " An unclosed quote mark can make many lines look like one cell." if csv_hint else ""
    return ImportRejected(
        RejectCode.CELL_TOO_LARGE,
        f"{where}: a cell {amount}; the limit is {limit:,} characters per cell.{hint}",
        line=line,
    )


# --------------------------------------------------------------------------------------
# Opening
# --------------------------------------------------------------------------------------


def _file_size(fileobj: IO[bytes]) -> int:
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def open_table(
    fileobj: IO[bytes],
    filename: str = "",
    *,
    limits: ReadLimits | None = None,
    sheet: str | None = None,
) -> Table:
    """Open an uploaded CSV or XLSX and find its header row.

    ``fileobj`` is any seekable binary file (a Django ``UploadedFile`` works); it must stay
    open while the returned table's rows are read. ``filename`` is only used in messages —
    the type is decided by content. Raises :class:`ImportRejected` for anything that
    cannot be imported, including a file with a header and no data rows.
    """
    limits = limits or ReadLimits()
    size = _file_size(fileobj)
    if size > limits.max_bytes:
        raise ImportRejected(
            RejectCode.TOO_LARGE,
            f"The file is {_fmt_bytes(size)}; the limit is {_fmt_bytes(limits.max_bytes)}. "
            "Split it into smaller files and upload them separately.",
        )
    head = fileobj.read(_SNIFF_BYTES)
    fileobj.seek(0)
    if not head.removeprefix(codecs.BOM_UTF8).strip():
        raise ImportRejected(RejectCode.EMPTY, _empty_message(filename))
    kind = _sniff_kind(head)
    if kind == "xlsx":
        return _open_xlsx(fileobj, filename, limits=limits, sheet=sheet)
    return _open_csv(fileobj, filename, head=head, size=size, limits=limits)


def _empty_message(filename: str) -> str:
    name = f"“{filename}”" if filename else "The file"
    return f"{name} is empty: there are no rows to import."


def _finish(
    *,
    kind: Literal["csv", "xlsx"],
    raw_rows: RawRows,
    filename: str,
    limits: ReadLimits,
    sheet_names: list[str],
    sheet_name: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Table:
    """Scan the first rows for the header, build the table, insist on one data row."""
    scanned: list[tuple[int, list[str]]] = []
    rows = raw_rows()
    try:
        for line, cells in rows:
            scanned.append((line, cells))
            if sum(1 for _, c in scanned if _width(c)) >= limits.header_scan_rows:
                break
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    if not any(_width(cells) for _, cells in scanned):
        raise ImportRejected(RejectCode.EMPTY, _empty_message(filename))
    index = _choose_header(scanned)
    if index is None:
        raise ImportRejected(
            RejectCode.NO_HEADER,
            f"No header row was found in the first {limits.header_scan_rows} rows. Put the "
            "column names (for example Address, City, State, Zip) in one row above the "
            "data and upload again.",
        )
    # Rows after the header are checked by Table.rows(), which can name the column.
    for line, cells in scanned[: index + 1]:
        for cell in cells:
            if len(cell) > limits.max_cell_chars:
                raise _cell_too_large(
                    line=line,
                    column=None,
                    size=len(cell),
                    limit=limits.max_cell_chars,
                    csv_hint=kind == "csv",
                )
    header_line, header_cells = scanned[index]
    table = Table(
        kind=kind,
        raw_rows=raw_rows,
        headers=_make_headers(header_cells, _width(header_cells)),
        header_line=header_line,
        limits=limits,
        sheet_names=sheet_names,
        sheet_name=sheet_name,
        encoding=encoding,
        delimiter=delimiter,
    )
    if not table.sample(1):
        raise ImportRejected(
            RejectCode.HEADER_ONLY,
            f"The file has a header row (line {header_line:,}) but no data rows below it.",
        )
    return table


def _open_csv(
    fileobj: IO[bytes], filename: str, *, head: bytes, size: int, limits: ReadLimits
) -> Table:
    encoding, errors = _detect_encoding(head)
    sample_text = _decode_sample(head, encoding, errors)
    delimiter = _sniff_delimiter(sample_text, complete=len(head) >= size)

    def raw_rows() -> Iterator[tuple[int, list[str]]]:
        fileobj.seek(0)
        buffered = io.BufferedReader(_RawReader(fileobj), buffer_size=_STREAM_CHUNK)
        text = io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="")
        reader = csv.reader(text, delimiter=delimiter)
        previous_end = 0
        try:
            for cells in reader:
                # A quoted cell can span lines: report the line the record starts on.
                start = previous_end + 1
                previous_end = reader.line_num
                yield start, cells
        except csv.Error as exc:
            line = previous_end + 1
            if "field larger than field limit" in str(exc):
                raise _cell_too_large(
                    line=line,
                    column=None,
                    size=None,
                    limit=limits.max_cell_chars,
                    csv_hint=True,
                ) from exc
            raise ImportRejected(
                RejectCode.MALFORMED_CSV,
                f"Line {line:,} could not be read as CSV ({exc}).",
                line=line,
            ) from exc

    return _finish(
        kind="csv",
        raw_rows=raw_rows,
        filename=filename,
        limits=limits,
        sheet_names=[],
        encoding=encoding,
        delimiter=delimiter,
    )


def _open_xlsx(
    fileobj: IO[bytes], filename: str, *, limits: ReadLimits, sheet: str | None
) -> Table:
    _inspect_xlsx_zip(fileobj, limits)
    fileobj.seek(0)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(fileobj)
    except python_calamine.PasswordError as exc:
        raise _corrupt("it is password-protected") from exc
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        raise _corrupt("the workbook data is unreadable") from exc
    sheet_names = list(workbook.sheet_names)
    if sheet is not None:
        if sheet not in sheet_names:
            listed = ", ".join(f"“{name}”" for name in sheet_names)
            raise ImportRejected(
                RejectCode.SHEET_NOT_FOUND,
                f"The workbook has no sheet named “{sheet}”. Its sheets are: {listed}.",
            )
        chosen, data = sheet, _load_sheet(workbook, sheet)
    else:
        found = _first_sheet_with_data(workbook)
        if found is None:
            name = f"“{filename}”" if filename else "The workbook"
            raise ImportRejected(
                RejectCode.EMPTY, f"{name} has no data in any sheet: there is nothing to import."
            )
        chosen, data = found

    # calamine parses a sheet once into its own compact storage; the preview and the
    # full read reuse that parse. iter_rows converts one row at a time to Python objects
    # and starts at the sheet's first row, so row i is Excel row i + 1.
    def raw_rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for index, row in enumerate(data.iter_rows()):
                yield index + 1, [cell_to_text(value) for value in row]
        except python_calamine.CalamineError as exc:
            raise _corrupt(f"sheet “{chosen}” is unreadable") from exc

    return _finish(
        kind="xlsx",
        raw_rows=raw_rows,
        filename=filename,
        limits=limits,
        sheet_names=sheet_names,
        sheet_name=chosen,
    )


def _load_sheet(
    workbook: python_calamine.CalamineWorkbook, name: str
) -> python_calamine.CalamineSheet:
    try:
        return workbook.get_sheet_by_name(name)
    except python_calamine.CalamineError as exc:
        raise _corrupt(f"sheet “{name}” is unreadable") from exc


def _first_sheet_with_data(
    workbook: python_calamine.CalamineWorkbook,
) -> tuple[str, python_calamine.CalamineSheet] | None:
    """The first visible worksheet holding any non-blank cell (hidden ones as a last resort)."""
    visible = python_calamine.SheetVisibleEnum.Visible
    metadata = list(workbook.sheets_metadata)
    ordered = [m for m in metadata if m.visible == visible] + [
        m for m in metadata if m.visible != visible
    ]
    for meta in ordered:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        data = _load_sheet(workbook, meta.name)
        if data.height == 0:
            continue
        for row in data.iter_rows():
            if any(cell_to_text(value).strip() for value in row):
                return meta.name, data
    return None
