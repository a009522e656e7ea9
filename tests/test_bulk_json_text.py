"""leadops.bulk: JSON given as text (``JsonText``) is stored as it is, and the binary COPY
(``binary=True``, PostgreSQL) stores what the text COPY stores."""

import json

import pytest
from django.db import connection, transaction

from dnc.models import InternalDnc
from leadbuilder.models import LeadRow
from leadbuilder.services import ROW_FIELDS, row_values
from leadops import bulk
from leadops.providers.tracerfy import LeadRow as ProviderLeadRow
from tests.leadbuilder.factories import lead_build, provider_rows

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.postgres


def _values(build, rows, *, text: bool) -> list[tuple]:
    values = []
    for n, (row, raw) in enumerate(rows, start=1):
        *columns, data = row_values(build.team_id, build.pk, n, ProviderLeadRow.from_json(row))
        values.append((*columns, bulk.JsonText(raw) if text else data))
    return values


def _stored(build) -> list[tuple]:
    fields = [f.attname for f in LeadRow._meta.concrete_fields]
    fields = [f for f in fields if f not in ("id", "build_id")]
    return list(LeadRow.objects.filter(build=build).order_by("position").values_list(*fields))


@pytest.fixture
def builds(team_a, staff):
    return lead_build(team=team_a, user=staff), lead_build(team=team_a, user=staff)


@pytest.fixture
def rows() -> list[tuple[dict, str]]:
    """Provider rows with the text a provider's body held for each (indented, escapes and
    all: not what orjson would write)."""
    found = list(provider_rows(12, seed="bulk-json"))
    found[1]["a column added later"] = {"nested": [1, 2.5, None, 'tab\there "quoted" \\ é']}
    return [(row, json.dumps(row, indent=1)) for row in found]


def test_json_text_is_stored_as_the_json_it_is(builds, rows):
    as_text, as_objects = builds
    with transaction.atomic():
        bulk.bulk_insert(LeadRow, ROW_FIELDS, _values(as_text, rows, text=True))
        bulk.bulk_insert(LeadRow, ROW_FIELDS, _values(as_objects, rows, text=False))
    assert _stored(as_text) == _stored(as_objects)
    stored = LeadRow.objects.get(build=as_text, position=2).data
    assert stored["a column added later"]["nested"][3] == 'tab\there "quoted" \\ é'


def test_the_binary_copy_stores_what_the_text_copy_stores(builds, rows):
    binary, text = builds
    with transaction.atomic():
        bulk.bulk_insert(LeadRow, ROW_FIELDS, _values(binary, rows, text=True), binary=True)
        bulk.bulk_insert(LeadRow, ROW_FIELDS, _values(text, rows, text=True))
        objects = _values(binary, rows, text=False)  # JSON as objects, positions 101 on
        bulk.bulk_insert(
            LeadRow, ROW_FIELDS, [(*v[:2], 100 + v[2], *v[3:]) for v in objects], binary=True
        )
    stored = _stored(binary)
    assert stored[:12] == _stored(text)
    assert [(r[0], r[1] - 100, *r[2:]) for r in stored[12:]] == _stored(text)


@postgres_only
def test_the_binary_copy_is_binary_on_postgresql(builds, rows):
    """A binary COPY takes each value as its column's own type: text for a number fails
    where the text COPY (which parses it) takes it."""
    build, _ = builds
    values = _values(build, rows[:1], text=True)
    wrong = [(*v[:2], str(v[2]), *v[3:]) for v in values]  # the position as text
    with transaction.atomic():
        bulk.bulk_insert(LeadRow, ROW_FIELDS, wrong)
    assert LeadRow.objects.filter(build=build).count() == 1
    with pytest.raises(Exception, match="int"), transaction.atomic():
        bulk.bulk_insert(LeadRow, ROW_FIELDS, wrong, binary=True)


@postgres_only
def test_a_table_with_another_column_type_is_copied_as_text(team_a):
    with transaction.atomic():
        with connection.cursor() as cursor:  # a type the binary COPY does not write
            cursor.execute("ALTER TABLE dnc_internaldnc ALTER COLUMN reason TYPE char(20)")
        bulk.bulk_insert(
            InternalDnc,
            ["team", "phone", "reason"],
            [(team_a.pk, "+15125550100", "asked")],
            binary=True,
        )
        assert InternalDnc.objects.get(team=team_a).reason.strip() == "asked"
        transaction.set_rollback(True)
