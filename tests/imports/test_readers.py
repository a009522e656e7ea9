"""Reading uploads: formats, encodings, header detection, and every rejection message."""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadops.imports import readers
from leadops.imports.readers import ImportRejected, ReadLimits, RejectCode, cell_to_text
from tests.support.rows import xlsx_bytes

HEADER = "Address,City,State,Zip\n"


def open_bytes(data: bytes, name: str = "leads.csv", **kwargs) -> readers.Table:
    return readers.open_table(io.BytesIO(data), name, **kwargs)


def read_all(data: bytes, name: str = "leads.csv", **kwargs) -> list[tuple[int, list[str]]]:
    return list(open_bytes(data, name, **kwargs).rows())


def rejected(data: bytes, name: str = "leads.csv", **kwargs) -> ImportRejected:
    """Open and read the whole file; the rejection may come at open or mid-stream."""
    with pytest.raises(ImportRejected) as info:
        read_all(data, name, **kwargs)
    return info.value


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------


def test_comma_csv_headers_rows_and_line_numbers():
    table = open_bytes((HEADER + "1 Main St,Austin,TX,78701\n2 Oak Ave,Dallas,TX,75201\n").encode())

    assert table.kind == "csv"
    assert table.headers == ["Address", "City", "State", "Zip"]
    assert table.header_line == 1
    assert table.delimiter == ","
    assert list(table.rows()) == [
        (2, ["1 Main St", "Austin", "TX", "78701"]),
        (3, ["2 Oak Ave", "Dallas", "TX", "75201"]),
    ]


@pytest.mark.parametrize(
    ("delimiter", "name"),
    [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")],
)
def test_other_delimiters_win_over_commas_inside_values(delimiter, name):
    # Unquoted commas in every address would fool a naive comma count.
    lines = [
        delimiter.join(["Address", "City", "State", "Owner Name"]),
        delimiter.join(["1 Main St, Apt 4", "Austin", "TX", "SMITH, JOHN"]),
        delimiter.join(["2 Oak Ave, Unit 9", "Dallas", "TX", "DOE, JANE"]),
        delimiter.join(["3 Elm Rd", "Waco", "TX", "ROE, RICHARD"]),
    ]
    table = open_bytes(("\n".join(lines) + "\n").encode())

    assert table.delimiter == delimiter, name
    assert table.headers == ["Address", "City", "State", "Owner Name"]
    assert table.sample(1) == [(2, ["1 Main St, Apt 4", "Austin", "TX", "SMITH, JOHN"])]


def test_semicolon_file_with_quoted_semicolons_is_still_semicolon():
    data = 'Address;City;Notes\n"1 Main; rear";Austin;"a;b;c"\n2 Oak;Dallas;none\n'
    table = open_bytes(data.encode())

    assert table.delimiter == ";"
    assert next(table.rows()) == (2, ["1 Main; rear", "Austin", "a;b;c"])


def test_quoted_fields_with_delimiters_and_newlines_keep_start_line_numbers():
    data = (
        "Address,City,Notes\n"
        '"1 Main St, Apt 4",Austin,"line one\nline two\nline three"\n'
        "2 Oak Ave,Dallas,plain\n"
    )
    rows = list(open_bytes(data.encode()).rows())

    assert rows == [
        (2, ["1 Main St, Apt 4", "Austin", "line one\nline two\nline three"]),
        (5, ["2 Oak Ave", "Dallas", "plain"]),
    ]


def test_crlf_and_lf_files_read_the_same():
    body = [HEADER.strip(), "1 Main St,Austin,TX,78701", "2 Oak Ave,Dallas,TX,75201"]
    lf = list(open_bytes(("\n".join(body) + "\n").encode()).rows())
    crlf = list(open_bytes(("\r\n".join(body) + "\r\n").encode()).rows())
    cr = list(open_bytes(("\r".join(body) + "\r").encode()).rows())

    assert lf == crlf == cr
    assert crlf[0][1][-1] == "78701"  # no stray \r on the last cell


def test_utf8_bom_is_not_part_of_the_first_header():
    table = open_bytes(b"\xef\xbb\xbf" + "Address,City\nPeña Blvd,Austin\n".encode())

    assert table.encoding == "utf-8-sig"
    assert table.headers == ["Address", "City"]
    assert table.sample(1)[0][1] == ["Peña Blvd", "Austin"]


def test_windows_1252_is_detected():
    data = "Owner Name,City\nJosé Peña,San Antonio\nRenée “Quote”,Dallas\n".encode("cp1252")
    table = open_bytes(data)

    assert table.encoding == "cp1252"
    assert [cells for _, cells in table.rows()] == [
        ["José Peña", "San Antonio"],
        ["Renée “Quote”", "Dallas"],
    ]


def test_cp1252_byte_after_the_utf8_sample_is_still_decoded():
    filler = "".join(f"{n} Main St,Austin\n" for n in range(6000))  # > 64 KB of ASCII
    data = ("Address,City\n" + filler).encode() + "1 Peña Blvd,Austin\n".encode("cp1252")
    table = open_bytes(data)

    assert table.encoding == "utf-8"
    last_line, last = list(table.rows())[-1]
    assert last == ["1 Peña Blvd", "Austin"]
    assert last_line == 6002


def test_neither_utf8_nor_cp1252_asks_charset_normalizer():
    # Serbian Cyrillic in cp1251 uses bytes (0x80, 0x90) that cp1252 leaves undefined.
    text = "Адрес,Град,Власник\n" + "".join(
        f"{n} ул. Ђорђа Вашингтона,Београд,Ђорђе Петровић\n" for n in range(30)
    )
    table = open_bytes(text.encode("cp1251"))

    assert table.encoding == "cp1251"
    assert table.headers == ["Адрес", "Град", "Власник"]
    assert table.sample(1)[0][1] == ["0 ул. Ђорђа Вашингтона", "Београд", "Ђорђе Петровић"]


def test_utf16_tab_separated_excel_unicode_text():
    data = "Address\tCity\n1 Main St\tAustin\n".encode("utf-16")
    table = open_bytes(data)

    assert table.delimiter == "\t"
    assert list(table.rows()) == [(2, ["1 Main St", "Austin"])]


def test_header_below_title_and_blank_rows():
    data = (
        "Tax Delinquent List - Travis County\n"
        "Exported 2026-01-05\n"
        "\n"
        ",,,\n"
        "Address,City,State,Zip\n"
        "1 Main St,Austin,TX,78701\n"
    )
    table = open_bytes(data.encode())

    assert table.header_line == 5
    assert table.headers == ["Address", "City", "State", "Zip"]
    assert table.sample() == [(6, ["1 Main St", "Austin", "TX", "78701"])]


def test_known_column_names_mark_the_header_even_when_data_is_all_text():
    data = (
        "Owner Name,Mailing Address,Mailing City\n"
        "SMITH JOHN,PO Box 1,Austin\n"
        "DOE JANE,PO Box 2,Dallas\n"
    )
    table = open_bytes(data.encode())

    assert table.header_line == 1


def test_two_cell_title_row_is_not_taken_for_the_header():
    data = "Report:,January\nAddress,City,State\n1 Main,Austin,TX\n2 Oak,Waco,TX\n"
    table = open_bytes(data.encode())

    assert table.header_line == 2


def test_single_column_phone_list():
    table = open_bytes(b"Phone\n5125550100\n5125550101\n")

    assert table.headers == ["Phone"]
    assert [cells for _, cells in table.rows()] == [["5125550100"], ["5125550101"]]


def test_blank_and_duplicate_headers_are_named():
    table = open_bytes(b"Phone,,Phone,City,State\n1,2,3,Austin,TX\n")

    assert table.headers == ["Phone", "Column 2", "Phone (2)", "City", "State"]


def test_short_rows_are_padded_and_trailing_empty_cells_are_tolerated():
    data = HEADER + "1 Main St,Austin\n2 Oak Ave,Dallas,TX,75201,,,\n"
    rows = list(open_bytes(data.encode()).rows())

    assert rows == [
        (2, ["1 Main St", "Austin", "", ""]),
        (3, ["2 Oak Ave", "Dallas", "TX", "75201"]),
    ]


def test_blank_data_rows_are_skipped_but_line_numbers_stay_true():
    data = HEADER + "\n,,,\n1 Main St,Austin,TX,78701\n"
    assert list(open_bytes(data.encode()).rows()) == [(4, ["1 Main St", "Austin", "TX", "78701"])]


def test_rows_can_be_read_twice_and_as_dicts():
    table = open_bytes((HEADER + "1 Main St,Austin,TX,78701\n").encode())

    assert list(table.rows()) == list(table.rows())
    assert list(table.dict_rows()) == [
        (2, {"Address": "1 Main St", "City": "Austin", "State": "TX", "Zip": "78701"})
    ]


def test_sample_stops_early():
    data = HEADER + "".join(f"{n} Main St,Austin,TX,78701\n" for n in range(50))
    sample = open_bytes(data.encode()).sample(3)

    assert [line for line, _ in sample] == [2, 3, 4]


def test_django_uploaded_file_is_accepted():
    upload = SimpleUploadedFile("leads.csv", (HEADER + "1 Main,Austin,TX,78701\n").encode())
    table = readers.open_table(upload, upload.name)

    assert list(table.rows()) == [(2, ["1 Main", "Austin", "TX", "78701"])]
    assert not upload.closed


def test_content_decides_not_the_extension():
    as_xlsx = open_bytes((HEADER + "1 Main,Austin,TX,78701\n").encode(), "leads.xlsx")
    as_csv = open_bytes(xlsx_bytes({"S": [["Address", "City"], ["1 Main", "Austin"]]}), "a.csv")

    assert as_xlsx.kind == "csv"
    assert as_csv.kind == "xlsx"


def test_streaming_100k_rows_keeps_memory_flat(tmp_path: Path):
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Address", "City", "State", "Zip", "Owner Name", "Phone 1"])
        for n in range(100_000):
            writer.writerow(
                [f"{n} Main Street", "Austin", "TX", "78701", "SMITH, JOHN", "5125550100"]
            )
    assert path.stat().st_size > 5_000_000

    with path.open("rb") as handle:
        tracemalloc.start()
        try:
            table = readers.open_table(handle, "big.csv")
            count = sum(1 for _ in table.rows())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert count == 100_000
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# --------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------


def test_xlsx_numbers_dates_and_booleans_become_text():
    rows = [
        ["Address", "Zip", "Phone", "Sold", "Seen", "Equity", "Tiny", "Vacant", "Big"],
        [
            "1 Main St",
            2134,
            5125550100,
            dt.date(2024, 1, 5),
            dt.datetime(2024, 1, 5, 13, 4, 5),
            0.1,
            1.5e-7,
            True,
            123456789012345,
        ],
    ]
    table = open_bytes(xlsx_bytes({"Leads": rows}), "leads.xlsx")

    assert table.kind == "xlsx"
    assert table.sample() == [
        (
            2,
            [
                "1 Main St",
                "2134",
                "5125550100",
                "2024-01-05",
                "2024-01-05 13:04:05",
                "0.1",
                "0.00000015",
                "TRUE",
                "123456789012345",
            ],
        )
    ]


def test_xlsx_header_below_title_rows_uses_excel_row_numbers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Export"
    sheet["A1"] = "PropStream export"
    sheet["A2"] = "Filters: Travis County"
    for col, name in enumerate(["Address", "City", "State", "Zip"], start=2):
        sheet.cell(row=5, column=col, value=name)
    for col, value in enumerate(["1 Main St", "Austin", "TX", 78701], start=2):
        sheet.cell(row=6, column=col, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = open_bytes(buffer.getvalue(), "x.xlsx")

    assert table.header_line == 5
    # The title in column A makes column A part of the sheet; its header cell is blank.
    assert table.headers == ["Column 1", "Address", "City", "State", "Zip"]
    assert list(table.rows()) == [(6, ["", "1 Main St", "Austin", "TX", "78701"])]


def test_xlsx_data_starting_mid_sheet_keeps_excel_row_numbers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["C4"], sheet["D4"] = "Phone", "Name"
    sheet["C5"], sheet["D5"] = 5125550100, "Ann"
    sheet["C7"], sheet["D7"] = "512-555-0101", "Bob"
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = open_bytes(buffer.getvalue(), "x.xlsx")

    assert table.header_line == 4
    assert table.headers == ["Phone", "Name"]
    assert list(table.rows()) == [(5, ["5125550100", "Ann"]), (7, ["512-555-0101", "Bob"])]


def test_xlsx_first_sheet_with_data_and_sheet_names():
    data = xlsx_bytes(
        {
            "Cover": [],
            "Secret": [["Address", "City"], ["9 Hidden Rd", "Nowhere"]],
            "Leads": [["Address", "City"], ["1 Main St", "Austin"]],
            "Other": [["Phone"], ["5125550100"]],
        },
        hidden=("Secret",),
    )
    table = open_bytes(data, "book.xlsx")

    assert table.sheet_names == ["Cover", "Secret", "Leads", "Other"]
    assert table.sheet_name == "Leads"
    assert list(table.rows()) == [(2, ["1 Main St", "Austin"])]


def test_xlsx_named_sheet():
    data = xlsx_bytes({"Leads": [["Address"], ["1 Main"]], "Other": [["Phone"], ["5125550100"]]})
    table = open_bytes(data, "book.xlsx", sheet="Other")

    assert table.sheet_name == "Other"
    assert list(table.rows()) == [(2, ["5125550100"])]


def test_xlsx_sheet_not_found():
    data = xlsx_bytes({"Leads": [["Address"], ["1 Main"]], "Other": [["Phone"], ["1"]]})
    error = rejected(data, "book.xlsx", sheet="Sheet9")

    assert error.code == RejectCode.SHEET_NOT_FOUND
    assert (
        error.message
        == "The workbook has no sheet named “Sheet9”. Its sheets are: “Leads”, “Other”."
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  as is ", "  as is "),
        (2134.0, "2134"),
        (5125550100.0, "5125550100"),
        (1e16, "10000000000000000"),
        (-5.0, "-5"),
        (12.5, "12.5"),
        (1.5e-7, "0.00000015"),
        (7, "7"),
        (False, "FALSE"),
        (float("nan"), ""),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 2, 29, 0, 0), "2024-02-29"),
        (dt.datetime(2024, 2, 29, 8, 30), "2024-02-29 08:30:00"),
        (dt.time(8, 30), "08:30:00"),
        (dt.timedelta(hours=26, minutes=5, seconds=7), "26:05:07"),
    ],
)
def test_cell_to_text(value, text):
    assert cell_to_text(value) == text


# --------------------------------------------------------------------------------------
# Rejections (exact messages)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\n  ", b"\xef\xbb\xbf", b",,,\n,,\n\n"],
    ids=["zero-bytes", "whitespace", "bom-only", "blank-rows"],
)
def test_empty_file(data):
    error = rejected(data, "leads.csv")

    assert error.code == RejectCode.EMPTY
    assert error.message == "“leads.csv” is empty: there are no rows to import."


def test_empty_workbook():
    error = rejected(xlsx_bytes({"A": [], "B": [[None, ""]]}), "book.xlsx")

    assert error.code == RejectCode.EMPTY
    assert error.message == "“book.xlsx” has no data in any sheet: there is nothing to import."


@pytest.mark.parametrize(
    "data",
    [b"Address,City,State\n", b"Title\n\nAddress,City,State\n\n,,\n"],
    ids=["header-only", "title-header-blanks"],
)
def test_header_only(data):
    error = rejected(data)

    assert error.code == RejectCode.HEADER_ONLY
    line = 1 if data.startswith(b"Address") else 3
    assert error.message == f"The file has a header row (line {line}) but no data rows below it."


def test_header_only_xlsx():
    error = rejected(xlsx_bytes({"Leads": [["Address", "City"]]}), "book.xlsx")

    assert error.code == RejectCode.HEADER_ONLY
    assert error.message == "The file has a header row (line 1) but no data rows below it."


def test_no_header_row():
    error = rejected(b"5125550100\n5125550101\n")

    assert error.code == RejectCode.NO_HEADER
    assert error.message == (
        "No header row was found in the first 20 rows. Put the column names (for example "
        "Address, City, State, Zip) in one row above the data and upload again."
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
            "This file is a PDF document, not a spreadsheet. Upload a CSV or XLSX file.",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "This file is an image (PNG), not a spreadsheet. Upload a CSV or XLSX file.",
        ),
        (
            b"\xff\xd8\xff\xe0\x00\x10JFIF",
            "This file is an image (JPEG), not a spreadsheet. Upload a CSV or XLSX file.",
        ),
        (
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
            "This file is a compressed archive (gzip), not a spreadsheet. Upload a CSV or "
            "XLSX file.",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "This file is an old Excel 97-2003 workbook (.xls) or a password-protected "
            "workbook, which cannot be read. Open it in Excel, save it as .xlsx or CSV, "
            "and upload that.",
        ),
        (
            b"<!DOCTYPE html><html><table><tr><td>1</td></tr></table></html>",
            "This file is a web page (HTML), not a spreadsheet. Open it in Excel, save it "
            "as .xlsx or CSV, and upload that.",
        ),
        (
            b"Address,City\n1 Main\x00\x01\x02,Austin\n",
            "This file contains binary data, not text, so it is not a CSV or XLSX "
            "spreadsheet. Upload a CSV or XLSX file.",
        ),
    ],
    ids=["pdf", "png", "jpeg", "gzip", "xls-ole2", "html", "nul-bytes"],
)
def test_not_a_spreadsheet(data, message):
    error = rejected(data, "leads.xlsx")

    assert error.code == RejectCode.NOT_SPREADSHEET
    assert error.message == message


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"word/document.xml": b"<w/>", "[Content_Types].xml": b"<t/>"},
            "This file is a Word document, not a spreadsheet. Upload a CSV or XLSX file.",
        ),
        (
            {"leads.csv": b"Address\n1 Main\n"},
            "This file is a ZIP archive, not a spreadsheet. Upload a CSV or XLSX file.",
        ),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
            "This file is an OpenDocument file (.ods), not a spreadsheet. Save it as .xlsx "
            "or CSV and upload that.",
        ),
    ],
    ids=["docx", "plain-zip", "ods"],
)
def test_zip_that_is_not_a_workbook(members, message):
    error = rejected(zip_bytes(members), "leads.xlsx")

    assert error.code == RejectCode.NOT_SPREADSHEET
    assert error.message == message


def test_corrupt_zip():
    error = rejected(b"PK\x03\x04" + b"\x00garbage" * 50, "leads.xlsx")

    assert error.code == RejectCode.CORRUPT_WORKBOOK
    assert error.message == (
        "This Excel file is damaged and cannot be read (it is not a valid ZIP archive). "
        "Re-save it from Excel and upload it again."
    )


def test_truncated_xlsx():
    data = xlsx_bytes({"Leads": [["Address"], ["1 Main"]]})
    error = rejected(data[: len(data) // 2], "leads.xlsx")

    assert error.code == RejectCode.CORRUPT_WORKBOOK
    assert "This Excel file is damaged and cannot be read (" in error.message


def test_zip_with_workbook_part_that_calamine_cannot_read():
    data = zip_bytes({"xl/workbook.xml": b"<not really a workbook", "[Content_Types].xml": b"?"})
    error = rejected(data, "leads.xlsx")

    assert error.code == RejectCode.CORRUPT_WORKBOOK
    assert error.message == (
        "This Excel file is damaged and cannot be read (the workbook data is unreadable). "
        "Re-save it from Excel and upload it again."
    )


def test_xlsx_bomb_by_compression_ratio():
    data = zip_bytes(
        {
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"\x00" * (20 * 1024 * 1024),
        }
    )
    assert len(data) < 100_000
    error = rejected(data, "leads.xlsx")

    assert error.code == RejectCode.XLSX_BOMB
    assert error.message.startswith(
        "This Excel file was not opened: its part xl/worksheets/sheet1.xml is compressed "
    )
    assert error.message.endswith(
        ":1, more than the 100:1 allowed. This is how decompression bombs look; if the file "
        "is genuine, save it as CSV or split it and upload again."
    )


def test_xlsx_bomb_by_total_size():
    data = zip_bytes({"xl/workbook.xml": b"<workbook/>", "xl/big.bin": bytes(range(256)) * 8192})
    error = rejected(data, "leads.xlsx", limits=ReadLimits(max_uncompressed=1024 * 1024))

    assert error.code == RejectCode.XLSX_BOMB
    assert error.message == (
        "This Excel file was not opened: it would expand to 2 MB, over the 1 MB limit. This "
        "is how decompression bombs look; if the file is genuine, save it as CSV or split it "
        "and upload again."
    )


def _understate_size(data: bytes, member: str, declared: int) -> bytes:
    """Rewrite a member's uncompressed size in the local and central headers."""
    buffer = bytearray(data)
    name = member.encode()
    local = buffer.find(b"PK\x03\x04")
    while local != -1:
        name_len = struct.unpack_from("<H", buffer, local + 26)[0]
        if bytes(buffer[local + 30 : local + 30 + name_len]) == name:
            struct.pack_into("<I", buffer, local + 22, declared)
            break
        local = buffer.find(b"PK\x03\x04", local + 4)
    central = buffer.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", buffer, central + 28)[0]
        if bytes(buffer[central + 46 : central + 46 + name_len]) == name:
            struct.pack_into("<I", buffer, central + 24, declared)
            break
        central = buffer.find(b"PK\x01\x02", central + 4)
    return bytes(buffer)


def test_xlsx_bomb_that_lies_about_its_size():
    payload = b"<row/>" * 400_000  # 2.4 MB expanded, tiny compressed
    honest = zip_bytes({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": payload})
    lying = _understate_size(honest, "xl/worksheets/sheet1.xml", 2048)
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 2048

    error = rejected(lying, "leads.xlsx")

    assert error.code == RejectCode.XLSX_BOMB
    assert error.message == (
        "This Excel file was not opened: its part xl/worksheets/sheet1.xml expands past the "
        "size its header declares. This is how decompression bombs look; if the file is "
        "genuine, save it as CSV or split it and upload again."
    )


def test_file_over_the_size_limit():
    data = (HEADER + "1 Main St,Austin,TX,78701\n" * 100).encode()
    assert len(data) == 2623
    error = rejected(data, limits=ReadLimits(max_bytes=1024))

    assert error.code == RejectCode.TOO_LARGE
    assert error.message == (
        "The file is 3 KB; the limit is 1 KB. Split it into smaller files and upload them "
        "separately."
    )


def test_file_over_the_default_size_limit_reports_megabytes():
    class Huge(io.BytesIO):
        def seek(self, offset: int, whence: int = 0) -> int:
            if whence == io.SEEK_END:
                return 0
            return super().seek(offset, whence)

        def tell(self) -> int:
            return 63 * 1024 * 1024 + 200 * 1024

    error = rejected_from(Huge(b"Address\n1 Main\n"))

    assert error.code == RejectCode.TOO_LARGE
    assert error.message == (
        "The file is 63.2 MB; the limit is 50 MB. Split it into smaller files and upload "
        "them separately."
    )


def rejected_from(fileobj) -> ImportRejected:
    with pytest.raises(ImportRejected) as info:
        readers.open_table(fileobj, "leads.csv")
    return info.value


def test_too_many_rows_names_the_line():
    data = HEADER + "".join(f"{n} Main St,Austin,TX,78701\n" for n in range(5))
    table = open_bytes(data.encode(), limits=ReadLimits(max_rows=3))

    with pytest.raises(ImportRejected) as info:
        list(table.rows())

    assert info.value.code == RejectCode.TOO_MANY_ROWS
    assert info.value.line == 5
    assert info.value.message == (
        "The file has more than 3 data rows, the most one import can take (the limit was "
        "passed at line 5). Split it into smaller files and upload them separately."
    )


def test_exactly_max_rows_is_fine():
    data = HEADER + "".join(f"{n} Main St,Austin,TX,78701\n" for n in range(3))
    assert len(list(open_bytes(data.encode(), limits=ReadLimits(max_rows=3)).rows())) == 3


def test_cell_over_the_limit_names_line_and_column():
    data = HEADER + "1 Main St,Austin,TX,78701\n2 Oak Ave," + "x" * 30 + ",TX,75201\n"
    error = rejected(data.encode(), limits=ReadLimits(max_cell_chars=20))

    assert error.code == RejectCode.CELL_TOO_LARGE
    assert error.line == 3
    assert error.message == (
        "Line 3, column “City”: a cell has 30 characters; the limit is 20 characters per "
        "cell. An unclosed quote mark can make many lines look like one cell."
    )


def test_cell_over_the_limit_in_xlsx_has_no_quote_hint():
    data = xlsx_bytes({"S": [["Address", "Notes"], ["1 Main", "y" * 25]]})
    error = rejected(data, "book.xlsx", limits=ReadLimits(max_cell_chars=20))

    assert error.message == (
        "Line 2, column “Notes”: a cell has 25 characters; the limit is 20 characters per cell."
    )


def test_huge_cell_in_title_rows_is_rejected():
    data = "z" * 50 + "\n" + HEADER + "1 Main St,Austin,TX,78701\n"
    error = rejected(data.encode(), limits=ReadLimits(max_cell_chars=20))

    assert error.code == RejectCode.CELL_TOO_LARGE
    assert error.message.startswith("Line 1: a cell has 50 characters; the limit is 20")


def test_unclosed_quote_beyond_the_csv_field_limit():
    data = HEADER + '1 Main St,"Austin,TX,78701\n' + ("more text " * 20 + "\n") * 800
    error = rejected(data.encode())

    assert error.code == RejectCode.CELL_TOO_LARGE
    assert error.message == (
        "Line 2: a cell is too long; the limit is 10,000 characters per cell. An unclosed "
        "quote mark can make many lines look like one cell."
    )


def test_ragged_row_names_the_line():
    data = HEADER + "1 Main St,Austin,TX,78701\n2 Oak Ave,Dallas,TX,75201,extra,more\n"
    error = rejected(data.encode())

    assert error.code == RejectCode.RAGGED_ROW
    assert error.line == 3
    assert error.message == (
        "Line 3 has 6 cells but the header (line 1) has only 4 columns. Check that line for "
        "an unquoted comma or a missing quote mark."
    )


def test_a_ragged_row_far_down_names_its_line_with_thousands_separators():
    data = HEADER + "1 Main St,Austin,TX,78701\n" * 1_300 + "2 Oak Ave,Dallas,TX,75201,extra\n"
    error = rejected(data.encode())

    assert error.line == 1_302
    assert error.message.startswith(
        "Line 1,302 has 5 cells but the header (line 1) has only 4 columns."
    )


def test_ragged_row_in_semicolon_file_names_the_delimiter():
    data = "A;B;C\n1;2;3\n1;2;3;4\n"
    error = rejected(data.encode())

    assert error.message.endswith(
        "Check that line for an unquoted semicolon or a missing quote mark."
    )


def test_ragged_row_in_xlsx():
    data = xlsx_bytes({"S": [["Address", "City"], ["1 Main", "Austin"], ["2 Oak", "Waco", "x"]]})
    error = rejected(data, "book.xlsx")

    assert error.code == RejectCode.RAGGED_ROW
    assert error.message == (
        "Line 3 has 3 cells but the header (line 1) has only 2 columns. Give the extra "
        "columns a header or delete them."
    )


def test_other_csv_errors_name_the_line(monkeypatch):
    real_reader = csv.reader

    def failing_reader(*args, **kwargs):
        rows = real_reader(*args, **kwargs)

        class Reader:
            line_num = 0

            def __iter__(self):
                return self

            def __next__(self):
                row = next(rows)
                self.line_num = rows.line_num
                if self.line_num == 3:
                    raise csv.Error("something odd")
                return row

        return Reader()

    data = HEADER + "1 Main St,Austin,TX,78701\n2 Oak,Waco,TX,76701\n"
    monkeypatch.setattr(readers.csv, "reader", failing_reader)
    error = rejected(data.encode())

    assert error.code == RejectCode.MALFORMED_CSV
    assert error.message == "Line 3 could not be read as CSV (something odd)."


def test_import_rejected_repr_and_str():
    error = ImportRejected(RejectCode.EMPTY, "Nothing here.")

    assert str(error) == "Nothing here."
    assert repr(error) == "ImportRejected('empty', 'Nothing here.')"
