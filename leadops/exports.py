"""Streaming CSV and XLSX exports shared by every app, safe to open in Excel.

Exported cells often hold text that came from uploads or providers (names, notes,
addresses). A cell starting with ``=``, ``+``, ``-`` or ``@`` — or a tab or carriage
return, which Excel skips before looking for those — is run as a formula when the file
is opened, so every such string is prefixed with ``'`` (OWASP "CSV injection"). Real
numbers passed as ``int``/``float``/``Decimal`` are left alone: a number cannot carry a
formula, and strings are never trusted to be numbers.

Both writers stream: rows are consumed one at a time, so a 250k-row export never sits
in memory as a whole.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

if TYPE_CHECKING:
    from django.http import StreamingHttpResponse

__all__ = [
    "FORMATS",
    "csv_response",
    "download_response",
    "iter_csv",
    "neutralize",
    "safe_filename",
    "write_xlsx",
    "xlsx_response",
]

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_CSV_CHUNK = 64 * 1024

Number = int | float | Decimal


def neutralize(value: object) -> str | Number:
    """Make one cell harmless for spreadsheet programs.

    Strings that would start a formula get a leading apostrophe; numbers typed as
    numbers pass through (``-5`` stays a number); ``None`` becomes ``""``; dates become
    ISO text; anything else is rendered as text and checked like a string.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        text = value.isoformat()
    else:
        text = value if isinstance(value, str) else str(value)
    if text.startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Buffer:
    """A write target for ``csv.writer`` that hands back what was written."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        self._parts.append(text)
        self.size += len(text)
        return len(text)

    def drain(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        self.size = 0
        return text


def iter_csv(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel reads accents), yielded in ~64 KB chunks.

    Suitable as the body of Django's ``StreamingHttpResponse``.
    """
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(value) for value in headers])
    yield codecs.BOM_UTF8 + buffer.drain().encode("utf-8")
    for row in rows:
        writer.writerow([neutralize(value) for value in row])
        if buffer.size >= _CSV_CHUNK:
            yield buffer.drain().encode("utf-8")
    tail = buffer.drain()
    if tail:
        yield tail.encode("utf-8")


def _xlsx_cell(sheet: object, value: object) -> WriteOnlyCell | Number:
    safe = neutralize(value)
    if not isinstance(safe, str):
        return safe
    # openpyxl would treat a leading "=" as a formula and refuses control characters;
    # after neutralize the text is stored explicitly as a string cell.
    cell = WriteOnlyCell(sheet, value=None)
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", safe)
    cell.data_type = "s"
    return cell


def write_xlsx(
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    fileobj: IO[bytes],
    *,
    sheet_title: str = "Export",
) -> int:
    """Write an XLSX to ``fileobj`` with openpyxl's write-only mode; returns the row count.

    Write-only mode keeps one row at a time in memory, whatever the export size.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "Export")
    sheet.append([_xlsx_cell(sheet, value) for value in headers])
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        count += 1
    workbook.save(fileobj)
    return count


_UNSAFE_FILENAME = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def safe_filename(filename: str, *, extension: str = ".csv") -> str:
    """A download name with no path, quotes or control characters, ending in ``extension``."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_FILENAME.sub("_", name).strip(" ._") or "export"
    if not name.lower().endswith(extension):
        name += extension
    return name[:150]


def csv_response(
    filename: str, headers: Sequence[object], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A streaming CSV download with a safe ``Content-Disposition``."""
    from django.http import StreamingHttpResponse
    from django.utils.http import content_disposition_header

    response = StreamingHttpResponse(
        iter_csv(headers, rows), content_type="text/csv; charset=utf-8"
    )
    disposition = content_disposition_header(True, safe_filename(filename, extension=".csv"))
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    return response


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(filename: str, headers: Sequence[object], rows: Iterable[Sequence[object]]):
    """An XLSX download. The workbook is written to a spooled temporary file (memory up to
    8 MB, then disk), since a ZIP cannot be streamed before it is finished."""
    import tempfile

    from django.http import FileResponse

    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    write_xlsx(headers, rows, spool)
    spool.seek(0)
    response = FileResponse(
        spool,
        as_attachment=True,
        filename=safe_filename(filename, extension=".xlsx"),
        content_type=XLSX_CONTENT_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


FORMATS = ("csv", "xlsx")


def download_response(fmt: str, stem: str, headers, rows):
    """The download of `rows` as `fmt` ("csv" or "xlsx"), named `stem` plus the extension;
    Http404 for any other format (it comes from the URL)."""
    from django.http import Http404

    if fmt == "csv":
        return csv_response(f"{stem}.csv", headers, rows)
    if fmt == "xlsx":
        return xlsx_response(f"{stem}.xlsx", headers, rows)
    raise Http404("Unknown export format")
