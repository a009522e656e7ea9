"""Exports: formula-injection neutralisation, streaming CSV, write-only XLSX, downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from leadops import exports
from leadops.exports import csv_response, iter_csv, neutralize, safe_filename, write_xlsx


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+15125550100", "'+15125550100"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("plain", "plain"),
        (" =not first", " =not first"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (True, "TRUE"),
        (dt.date(2024, 1, 5), "2024-01-05"),
    ],
)
def test_neutralize_strings(value, safe):
    assert neutralize(value) == safe


@pytest.mark.parametrize("number", [-5, 0, 3.25, -1.5, Decimal("-2.50")])
def test_real_numbers_stay_numbers(number):
    result = neutralize(number)

    assert result == number
    assert type(result) is type(number)


def test_objects_are_rendered_then_checked():
    class Sneaky:
        def __str__(self) -> str:
            return "=cmd|'/C calc'!A0"

    assert neutralize(Sneaky()) == "'=cmd|'/C calc'!A0"


def read_csv(chunks: list[bytes]) -> list[list[str]]:
    body = b"".join(chunks)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_iter_csv_has_bom_crlf_and_neutralized_cells():
    chunks = list(
        iter_csv(
            ["Name", "=Header"],
            [["José", "=1+1"], ["Line\nbreak, comma", -5], ['"quoted"', None]],
        )
    )

    assert b"".join(chunks).split(b"\r\n")[0] == b"\xef\xbb\xbfName,'=Header"
    assert read_csv(chunks) == [
        ["Name", "'=Header"],
        ["José", "'=1+1"],
        ["Line\nbreak, comma", "-5"],
        ['"quoted"', ""],
    ]


def test_iter_csv_streams_in_chunks_and_consumes_rows_lazily():
    consumed = 0

    def rows():
        nonlocal consumed
        for n in range(20_000):
            consumed += 1
            yield [n, f"{n} Main Street", "Austin"]

    stream = iter_csv(["n", "address", "city"], rows())
    first = next(stream)
    second = next(stream)

    assert first.startswith(b"\xef\xbb\xbf")
    assert consumed < 5_000  # the generator was not drained up front
    assert 64 * 1024 <= len(second) < 70 * 1024
    rest = list(stream)
    assert consumed == 20_000
    assert len(read_csv([first, second, *rest])) == 20_001


def test_iter_csv_with_no_rows_still_writes_the_header():
    assert read_csv(list(iter_csv(["a", "b"], []))) == [["a", "b"]]


def test_write_xlsx_strings_stay_strings_and_are_neutralized():
    buffer = io.BytesIO()
    count = write_xlsx(
        ["Name", "Phone", "Equity"],
        [
            ["=cmd|' /C calc'!A0", "+15125550100", -5],
            ["Ann", "02134", 1.5],
            ["bad\x00char\x07", None, Decimal("3.25")],
        ],
        buffer,
        sheet_title="Trace results",
    )
    buffer.seek(0)
    workbook = openpyxl.load_workbook(buffer)
    sheet = workbook["Trace results"]
    rows = [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]

    assert count == 3
    assert rows[0] == [("Name", "s"), ("Phone", "s"), ("Equity", "s")]
    assert rows[1] == [("'=cmd|' /C calc'!A0", "s"), ("'+15125550100", "s"), (-5, "n")]
    assert rows[2] == [("Ann", "s"), ("02134", "s"), (1.5, "n")]
    assert rows[3][0] == ("badchar", "s")
    assert rows[3][2] == (3.25, "n")


def test_write_xlsx_writes_no_formulas():
    buffer = io.BytesIO()
    write_xlsx(["a"], [["=1+1"], ["@x"]], buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()

    assert "<f>" not in sheet_xml
    assert "'=1+1" in sheet_xml


def test_write_xlsx_uses_write_only_mode(monkeypatch):
    seen = {}
    real = exports.Workbook

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, "Workbook", spy)
    write_xlsx(["a"], [["1"]], io.BytesIO())

    assert seen == {"write_only": True}


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("trace results.csv", "trace results.csv"),
        ("../../etc/passwd", "passwd.csv"),
        ('evil"; filename="x.exe', "evil_ filename_x.exe.csv"),
        ("C:\\Users\\me\\leads", "leads.csv"),
        ("line\r\nbreak", "line_break.csv"),
        ("", "export.csv"),
        ("Peña list.csv", "Peña list.csv"),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


def test_csv_response_streams_with_safe_disposition(settings):
    response = csv_response('leads "final".csv', ["Name"], [["=1+1"]])

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="leads _final_.csv"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"\xef\xbb\xbfName\r\n'=1+1\r\n"


def test_csv_response_non_ascii_filename_uses_rfc5987(settings):
    response = csv_response("Peña.csv", ["a"], [])

    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Pe%C3%B1a.csv"
