"""The store's fast path (``RowPlan`` compiled once per file, orjson, one streamed COPY)
gives exactly what the general path (``normalize_row`` per row, as the DNC draft and the
preview call it) gives, on a file as messy as real list exports."""

import csv
import io
import json
import random
from unittest import mock

import pytest

from leadops.imports import services
from leadops.imports.columns import RowMapper, auto_map
from leadops.imports.pipeline import CleanSpec, _dedupe_key, clean_rows, generic_reason
from leadops.imports.readers import open_table
from leadops.imports.registry import is_kind, kind
from leadops.imports.rows import RowPlan, normalize_row
from tests.support.rows import csv_upload

HEADERS = [
    "Property Address",
    "Unit",
    "City",
    "State",
    "Zip",
    "County",
    "APN",
    "Owner Name",
    "Owner First Name",
    "Owner Last Name",
    "Company",
    "Mailing Address",
    "Mailing Unit",
    "Mailing City",
    "Mailing State",
    "Mailing Zip",
    "Phone 1",
    "Phone 1 Type",
    "Phone 2",
    "Email",
    "Notes",
]
# Values each column takes at random: clean ones, and every kind of mess the cleaners and
# the row rules treat specially (empty and blank cells, a repeated city, lost leading zeros,
# a state that contradicts its ZIP, companies where a person's name goes, bad phones…).
POOLS = {
    "Property Address": [
        "123 North Main Street",
        "45 Oak Ave, Boston",
        "9 Elm Rd Apt 4",
        "PO Box 12",
        "1 Park Avenue #5",
        "!!!",
        "",
        "  ",
        "77 Sunset Terrace, Saint Louis",
        "12 W 5th St Rear",
    ],
    "Unit": ["", "Apt 4", "#4", "4B", "Suite 200", "", ""],
    "City": ["Boston", "St. Louis", "Austin", "", "12345", "Saint Louis", "boston"],
    "State": ["MA", "Texas", "tx", "", "Texass", "N.Y.", "MO", "Massachusetts"],
    "Zip": ["2134", "02134", "78701", "78701-1234", "787011234", "", "123", "ABCDE", "2134.0"],
    "County": ["Suffolk", "Palm Beach County", "", "Travis"],
    "APN": ["00-4241-09-00001", "1.23E+11", "", "#12-34", "APN 5"],
    "Owner Name": ["SMITH, JOHN A", "John Smith", "SMITH FAMILY TRUST", "Cher", "", "ACME LLC"],
    "Owner First Name": ["JOHN", "mary", "McDonald", "", "Jane"],
    "Owner Last Name": ["SMITH", "o'brien", "", "ACME HOLDINGS LLC", "van der berg"],
    "Company": ["", "", "Acme LLC", "SMITH REVOCABLE TRUST"],
    "Mailing Address": ["123 North Main Street", "PO Box 9", "", "P.O. Box 7", "5 Oak Ln, Austin"],
    "Mailing Unit": ["", "Apt 2", ""],
    "Mailing City": ["Boston", "Austin", "", "99"],
    "Mailing State": ["MA", "TX", "", "Nowhere"],
    "Mailing Zip": ["02134", "78701", "", "7102", "00123"],
    "Phone 1": [
        "(617) 555-0100",
        "512.207.0000",
        "5125550100.0",
        "555-1234",
        "+44 20 7946 0958",
        "5.12555E+09",
        "",
        "1-512-555-0199",
        "call me",
    ],
    "Phone 1 Type": ["Mobile", "landline", "", "VOIP", "Wireless", "other thing"],
    "Phone 2": ["", "", "(212) 555-0143", "123"],
    "Email": ["a@b.com", "MAILTO:X@Y.ORG", "not an email", "", "x@y"],
    "Notes": ["", "=SUM(A1)", "line\nbreak", "tab\there", "é ü", "C:\\new \\N \\\\"],
}
JOB_TYPES = ["trace_normal", "trace_advanced", "apn", "dnc"]


# Valid values for the most part, so most rows are plain (RowPlan.normalize_rows finishes
# them without the row rules), and every case those rules change: a unit to append, a city
# repeated after a comma, a city or state to fill from a ZIP, a company or a full name
# where a person's name goes, a missing requirement. Each place's city, state and ZIP agree.
PLACES = [("Boston", "MA", "02134"), ("Austin", "TX", "78701"), ("Saint Louis", "MO", "63101")]
TIDY_POOLS = {
    "Property Address": ["1 Main St", "22 North Oak Avenue", "5 Elm Rd, Boston", "PO Box 9"]
    + ["7 Pine St"] * 8
    + [""],
    "Unit": ["", "", "", "", "", "", "", "Apt 4"],
    "County": ["Suffolk", ""],
    "APN": ["00-4241-09", "12-34", ""],
    "Owner Name": ["", "", "", "", "", "", "", "", "", "John Smith"],
    "Owner First Name": ["John", "Mary", "Jane", "John", "Mary", "Jane", ""],
    "Owner Last Name": ["Smith", "O'Brien", "Smith", "van der berg", "Doe", "ACME HOLDINGS LLC"],
    "Company": ["", "", "", "", "", "", "", "Acme LLC"],
    "Mailing Address": ["123 North Main Street", "PO Box 9", "9 Oak Ln"] * 3
    + ["5 Oak Ln, Austin", ""],
    "Mailing Unit": ["", "", "", "", "", "", "Apt 2"],
    "Phone 1": ["(617) 555-0100", "512-555-0199", ""],
    "Phone 1 Type": ["Mobile", "landline", ""],
    "Phone 2": ["", "(212) 555-0143"],
    "Email": ["a@b.com", "x@y.org", ""],
    "Notes": ["", "x"],
}


def tidy_csv(rows: int = 600, seed: int = 18) -> str:
    rng = random.Random(seed)
    body = []
    for _ in range(rows):
        row = {header: rng.choice(pool) for header, pool in TIDY_POOLS.items()}
        for prefix in ("", "Mailing "):
            city, state, zip_code = rng.choice(PLACES)
            blank = rng.random()  # now and then a city, a state or a ZIP is left out
            row[f"{prefix}City"] = "" if 0.9 < blank <= 0.93 else city
            row[f"{prefix}State"] = "" if 0.93 < blank <= 0.96 else state
            row[f"{prefix}Zip"] = "" if blank > 0.96 else zip_code
        body.append([row[header] for header in HEADERS])
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, *body])
    return out.getvalue()


def messy_csv(rows: int = 600, seed: int = 18) -> str:
    rng = random.Random(seed)
    body = [[rng.choice(POOLS[header]) for header in HEADERS] for _ in range(rows)]
    out = io.StringIO()
    writer = csv.writer(out)
    # An exact repeat of an earlier row at the end: a duplicate for every kind.
    writer.writerows([HEADERS, *body, body[4]])
    return out.getvalue()


def _table(text: str):
    return open_table(io.BytesIO(text.encode()), "messy.csv")


def _mappings(headers: list[str]) -> list[dict[str, str]]:
    """The auto-mapping, and one without the state and unit columns (ZIPs alone restore
    zeros, one-line addresses keep their city)."""
    full = auto_map(headers)
    thin = dict(full)
    for header in ("State", "Mailing State", "Unit", "County"):
        thin[header] = "extra"
    return [full, thin]


@pytest.mark.parametrize("tidy", [False, True], ids=["messy", "tidy"])
@pytest.mark.parametrize("job_type", JOB_TYPES)
def test_the_plan_cleans_every_row_as_normalize_row_does(job_type, tidy):
    table = _table(tidy_csv() if tidy else messy_csv())
    rows = list(table.rows())
    unusable = finished = 0
    for mapping in _mappings(table.headers):
        mapper = RowMapper(table.headers, mapping)
        plan = RowPlan(mapper.field_columns, job_type, columns=mapper.source_columns)
        # Column by column, in chunks of an odd size (a chunk of one row included).
        with mock.patch.object(RowPlan, "_finish", autospec=True, side_effect=RowPlan._finish) as f:
            by_columns = [
                row
                for start in range(0, len(rows), 97)
                for row in plan.normalize_rows(rows[start : start + 97])
            ]
        finished += f.call_count
        assert plan.normalize_rows([]) == []
        for (line, cells), in_columns in zip(rows, by_columns, strict=True):
            general = normalize_row(
                mapper.values(cells), job_type, line=line, columns=mapper.source_columns
            )
            assert plan.normalize(cells, line=line) == general, line
            assert in_columns == general, line
            unusable += not general.usable
    # The file exercises both verdicts for every kind.
    assert 0 < unusable < 2 * len(rows)
    if tidy:
        # Both ways of finishing a row were taken, each for 50 rows or more.
        checked = len(rows) * len(_mappings(table.headers))
        assert 50 < finished < checked - 50


def _uncopy(field: bytes) -> bytes:
    """A JSON field of a COPY text line back to JSON: COPY escaped only its backslashes."""
    return field.replace(b"\\\\", b"\\")


def _general_row(spec: CleanSpec, line: int, cells: list[str]) -> dict:
    """What the store kept for a row before the plan, from normalize_row."""
    mapper = RowMapper(spec.headers, dict(spec.mapping))
    columns = mapper.source_columns
    mapped = mapper.values(cells)
    row = normalize_row(mapped, spec.job_type, line=line, columns=columns)
    alternative = spec.import_kind.alternative
    column_field = {header: fid for fid, header in columns.items()}
    invalid = {column_field.get(error.column, "") for error in row.errors}
    values = {fid: value for fid, value in row.values.items() if value and fid not in invalid}
    return {
        "line": line,
        "values": values,
        "extras": {h: v for h, v in mapper.extras(cells).items() if v},
        "dedupe_key": _dedupe_key(spec.import_kind, row, values),
        "usable": row.usable,
        "errors": [{"column": e.column, "value": e.value, "reason": e.reason} for e in row.errors],
        "problems": []
        if row.usable
        else [(e.column, generic_reason(e.reason)) for e in row.errors],
        "inferred": row.inferred,
        "cells": list(cells),
        "alternative_ok": not row.usable
        and bool(alternative)
        and is_kind(alternative)
        and normalize_row(mapped, kind(alternative), line=line).usable,
    }


@pytest.mark.parametrize("copy_out", [False, True])
@pytest.mark.parametrize("job_type", JOB_TYPES)
def test_cleaned_rows_are_what_the_general_path_gives(job_type, copy_out):
    table = _table(messy_csv())
    spec = CleanSpec(
        tuple(table.headers), tuple(auto_map(table.headers).items()), job_type, copy_out=copy_out
    )
    json_fields = ("values", "extras", "errors", "inferred", "cells")
    rows = list(table.rows())
    for row, (line, cells) in zip(clean_rows(rows, spec=spec), rows, strict=True):
        got = row._asdict()
        if copy_out:
            assert all(isinstance(got[name], bytes) for name in json_fields)
            got.update({name: json.loads(_uncopy(got[name])) for name in json_fields})
        want = _general_row(spec, line, cells)
        assert got.pop("has_errors") == bool(want["errors"])
        assert got == want, line


@pytest.mark.django_db
@pytest.mark.parametrize("job_type", ["trace_normal", "dnc"])
def test_the_store_keeps_what_the_general_path_gives(team_a, staff, job_type):
    """Stored through bulk_insert (a binary COPY on PostgreSQL, INSERTs on SQLite)."""
    text = messy_csv()
    batch = services.import_upload(
        team=team_a, user=staff, uploaded_file=csv_upload(text), job_type=job_type
    )
    services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type=job_type)
    batch = services.import_store(batch=batch)

    spec = CleanSpec(tuple(batch.headers), tuple(batch.mapping.items()), job_type)
    want = [_general_row(spec, line, cells) for line, cells in _table(text).rows()]
    fields = ("line", "values", "extras", "dedupe_key", "usable", "errors", "inferred", "cells")
    stored = list(batch.records.order_by("line").values(*fields, "alternative_ok"))
    assert len(stored) == len(want) == batch.rows_read == 601
    for record, row in zip(stored, want, strict=True):
        expected = {name: row[name] for name in fields}
        expected["alternative_ok"] = row["alternative_ok"]
        assert record == expected, row["line"]
    usable = [row for row in want if row["usable"]]
    assert batch.rows_unusable == len(want) - len(usable)
    keys = [row["dedupe_key"] for row in usable if row["dedupe_key"]]
    assert batch.duplicates == len(keys) - len(set(keys)) >= 1


def test_an_address_around_a_number_is_cleaned_as_the_whole_line_is():
    """normalize_address cleans the street after a house number (or before a last number,
    a box's or a unit's) once for every number; the result is the whole-line path's, on
    lines made of the words its rules look at."""
    from leadops.imports.normalize import (
        _address_after_one,
        _address_before_one,
        _normalize_address,
        normalize_address,
    )

    _address_after_one.cache_clear()
    _address_before_one.cache_clear()

    words = [
        *("123", "0", "0042", "12a", "1/2", "١٢", "#", "#5", "-", "&", "!!", ",", "."),
        *("N.", "North", "NORTH", "Main", "Street", "St", "Ave.", "Way", "Park", "Avenue"),
        *("Apt", "Unit", "STE", "200", "B", "Rear", "PO", "Box", "P.O.", "O'Hara", "é", "Boston"),
    ]
    rng = random.Random(18)
    for _ in range(20_000):
        line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.7:
            lead, gap = rng.choice(["", " "]), rng.choice([" ", "  ", "\t", "\n"])
            line = f"{lead}{rng.randint(0, 99_999)}{gap}{line}"
        if rng.random() < 0.5:
            gap, tail = rng.choice([" ", "  ", "\t", "\n"]), rng.choice(["", " ", "\n"])
            line = f"{line}{gap}{rng.randint(0, 99_999):0{rng.randint(1, 5)}d}{tail}"
        assert normalize_address(line) == _normalize_address(line), line
    # Both stand-ins were used, not only the whole-line path.
    assert _address_after_one.cache_info().misses > 1_000
    assert _address_before_one.cache_info().misses > 1_000
