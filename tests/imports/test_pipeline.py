"""Cleaning in worker processes gives exactly what cleaning in-process gives."""

import io

import pytest

from leadops.imports import services
from leadops.imports.pipeline import CleanSpec, clean_rows, generic_reason, to_copy
from leadops.imports.readers import ImportRejected, RejectCode, open_table
from tests.support.rows import csv_upload

ROWS = "Address,City,State,Zip,Phone,Notes\n" + "".join(
    f"{n % 700} Main Street,Boston,MA,2134,617-555-{n % 10_000:04d},=n{n}\n"
    if n % 50
    else f",Boston,MA,2134,12345,row {n}\n"
    for n in range(1, 2_501)
)
SPEC = CleanSpec(
    headers=("Address", "City", "State", "Zip", "Phone", "Notes"),
    mapping=(
        ("Address", "property_address"),
        ("City", "property_city"),
        ("State", "property_state"),
        ("Zip", "property_zip"),
        ("Phone", "phone_1"),
        ("Notes", "extra"),
    ),
    job_type="trace_advanced",
)


def cleaned(workers: int, spec: CleanSpec = SPEC, data: str = ROWS) -> list:
    table = open_table(io.BytesIO(data.encode()), "leads.csv")
    return list(clean_rows(table.rows(), spec=spec, workers=workers, chunk_rows=300))


def test_workers_return_the_same_rows_in_file_order():
    single = cleaned(1)
    pooled = cleaned(2)

    assert len(single) == 2_500
    assert pooled == single
    assert [row.line for row in pooled] == list(range(2, 2_502))
    assert single[0].values["property_address"] == "1 MAIN ST"
    assert single[49].problems == [
        ("Phone", "The value is not a valid US phone number"),
        ("Address", "Is empty; an advanced trace needs it"),
    ]


def test_copy_out_encodes_in_the_worker():
    spec = CleanSpec(SPEC.headers, SPEC.mapping, SPEC.job_type, copy_out=True)
    first = cleaned(2, spec)[0]

    assert first.values == (
        b'{"property_state":"MA","property_address":"1 MAIN ST","property_city":"BOSTON",'
        b'"property_zip":"02134","phone_1":"+16175550001"}'
    )
    assert first.extras == b'{"Notes":"=n1"}'
    assert first.errors == b"[]"


def test_a_reject_while_reading_is_raised_in_the_caller():
    data = ROWS + "1 Main St,Boston,MA,2134,617-555-0100,x,surplus\n"
    with pytest.raises(ImportRejected) as info:
        cleaned(2, data=data)
    assert info.value.code == RejectCode.RAGGED_ROW


def test_to_copy_drops_nul_characters_postgresql_refuses_and_escapes_backslashes():
    assert to_copy({"a": "x\x00y"}) == b'{"a":"xy"}'
    # A backslash and a literal "u0000" after it is not a NUL: it is kept, escaped for COPY.
    assert to_copy(["\\u0000", "\x00"]) == b'["\\\\\\\\u0000",""]'
    assert to_copy(["tab\there"]) == b'["tab\\\\there"]'
    assert to_copy([]) == b"[]"
    assert to_copy({}) == b"{}"


def test_generic_reason_drops_the_value():
    assert generic_reason("“12” is not a valid ZIP code") == "The value is not a valid ZIP code"


@pytest.mark.django_db
def test_store_with_workers_counts_and_stores_the_same(team_a, staff, monkeypatch):
    def store(workers: int):
        monkeypatch.setattr(services, "PARALLEL_MIN_ROWS", 1)
        monkeypatch.setattr(services, "MAX_WORKERS", workers)
        batch = services.import_upload(
            team=team_a, user=staff, uploaded_file=csv_upload(ROWS), job_type="trace_advanced"
        )
        services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_advanced")
        return services.import_store(batch=batch)

    one, two = store(1), store(2)

    counts = ("rows_read", "rows_unusable", "rows_with_warnings", "duplicates", "unique_records")
    assert [getattr(two, name) for name in counts] == [getattr(one, name) for name in counts]
    assert (two.rows_read, two.rows_unusable, two.duplicates) == (2_500, 50, 1_764)
    fields = ("line", "values", "extras", "dedupe_key", "usable", "errors", "duplicate_of_line")
    assert list(two.records.values_list(*fields)) == list(one.records.values_list(*fields))
