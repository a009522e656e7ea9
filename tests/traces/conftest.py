import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadops.credits import services as credits
from leadops.imports import services as imports


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    for row in rows:
        out.write(",".join(row) + "\r\n")
    return out.getvalue().encode()


HEADER = [
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


@pytest.fixture
def stored_batch(staff, team_a):
    """Upload → map (auto) → store, through the import services, as a user would."""

    def make(rows: list[list[str]], *, job_type: str = "trace_normal", name: str = "leads.csv"):
        upload = SimpleUploadedFile(name, csv_bytes([HEADER, *rows]), content_type="text/csv")
        batch = imports.import_upload(
            team=team_a, user=staff, uploaded_file=upload, job_type=job_type
        )
        batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type=job_type)
        return imports.import_store(batch=batch)

    return make


@pytest.fixture
def funded(staff):
    credits.grant(wallet=staff.wallet, amount=500, actor=None, reason="t", idempotency_key="tr")
    staff.wallet.refresh_from_db()
    return staff
