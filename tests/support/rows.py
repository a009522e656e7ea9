"""Rows to upload and the CSV / XLSX bodies and uploads that carry them."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from leadops.providers.tracerfy import TraceColumns

# -- dict rows (provider clients and the sandbox's Tracerfy API) --------------------------


def csv_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """A CSV with a header row taken from the first row's keys."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def address_rows(count: int, *, city: str = "Austin", state: str = "TX") -> list[dict[str, str]]:
    return [
        {
            "address": f"{100 + i} Main St",
            "city": city,
            "state": state,
            "zip": "78701",
            "first_name": "Jane",
            "last_name": f"Doe{i}",
            "mail_address": f"{100 + i} Main St",
            "mail_city": city,
            "mail_state": state,
            "mailing_zip": "78701",
        }
        for i in range(count)
    ]


OWNERS = address_rows(12)

# The column parameters of a normal trace, for CSVs written from OWNERS / address_rows.
NORMAL = TraceColumns(
    address="address",
    city="city",
    state="state",
    zip="zip",
    first_name="first_name",
    last_name="last_name",
    mail_address="mail_address",
    mail_city="mail_city",
    mail_state="mail_state",
    mailing_zip="mailing_zip",
)

# -- list rows (uploads into the app's import pipeline) -----------------------------------


def table_csv(rows: list[list[str]]) -> bytes:
    """Rows joined with commas as they are (no quoting), CRLF line ends."""
    out = io.StringIO()
    for row in rows:
        out.write(",".join(row) + "\r\n")
    return out.getvalue().encode()


OWNER_HEADER = [
    "Property Address",
    "City",
    "State",
    "Zip",
    "Owner First Name",
    "Owner Last Name",
    "Mailing Address",
    "Mailing City",
    "Mailing State",
    "Mailing Zip",
    "Notes",
]


def owner_rows(n: int, *, start: int = 100) -> list[list[str]]:
    """Rows under OWNER_HEADER."""
    return [
        [
            f"{start + i} Oak Ave",
            "Springfield",
            "IL",
            "62701",
            "Pat",
            f"Owner{i}",
            f"{start + i} Oak Ave",
            "Springfield",
            "IL",
            "62701",
            f"=note {i}",
        ]
        for i in range(n)
    ]


PARCEL_HEADER = ["Parcel Number", "County", "State", "Notes"]


def parcel_rows(n: int, *, start: int = 0) -> list[list[str]]:
    """Rows under PARCEL_HEADER."""
    return [
        [f"#00-4241-09-{start + i:05d}", "Palm Beach County", "FL", f"=lot {i}"] for i in range(n)
    ]


# -- uploads -------------------------------------------------------------------------------


def csv_upload(text: str | bytes, name: str = "leads.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_bytes(sheets: dict[str, list[list[object]]], *, hidden: tuple[str, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_upload(sheets: dict[str, list[list[object]]], name: str = "leads.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(sheets))


def stored_files(media_root: Path) -> list:
    """Files on disk under ``media_root`` (uploads go to the database unless configured)."""
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def stored_uploads() -> list[str]:
    """Names of the uploads kept in the database (``leadops.imports.storage``)."""
    from leadops.imports.models import StoredUpload

    return sorted(StoredUpload.objects.values_list("name", flat=True))
