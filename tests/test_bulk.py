"""leadops.bulk: rows may come from a generator that reads the database as it goes (the DNC
draft of an import reads its records through a queryset iterator while inserting), over
several COPY statements on PostgreSQL (a query while a COPY is open used to wait forever)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from dnc.models import InternalDnc, PhoneStatus
from dnc.services import STATUS_FIELDS
from leadops import bulk
from leadops.imports.models import ImportBatch, ImportRecord

pytestmark = pytest.mark.django_db


def phones(count: int) -> list[str]:
    return [f"+1512555{n:04d}" for n in range(count)]


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 7 rows: 40 rows take six COPY statements (or six batches on SQLite)."""
    monkeypatch.setattr(bulk, "COPY_CHUNK", 7)
    monkeypatch.setattr(bulk, "BATCH", 7)


@pytest.fixture
def source(team_a):
    """40 phones of team A, read back five at a time (a server-side cursor on PostgreSQL)."""
    InternalDnc.objects.bulk_create(
        [InternalDnc(team=team_a, phone=p, reason="asked") for p in phones(40)]
    )
    return InternalDnc.objects.filter(team=team_a).order_by("phone")


def test_bulk_insert_takes_rows_from_a_generator_that_queries_the_database(
    small_chunks, source, team_b
):
    def rows():
        for entry in source.iterator(chunk_size=5):
            yield (team_b.pk, entry.phone, f"copied from {entry.pk}")

    with transaction.atomic():
        count = bulk.bulk_insert(InternalDnc, ["team", "phone", "reason"], rows())

    assert count == 40
    copied = InternalDnc.objects.filter(team=team_b).order_by("phone")
    assert list(copied.values_list("phone", flat=True)) == phones(40)
    assert not copied.filter(created_at=None).exists()  # auto_now_add filled in


def test_bulk_upsert_takes_rows_from_a_generator_that_queries_the_database(
    small_chunks, source, team_a
):
    now = timezone.now()
    old = now - timedelta(days=40)
    PhoneStatus.objects.bulk_create(  # every other phone has an older result
        [
            PhoneStatus(team=team_a, phone=p, checked_at=old, source="old", is_clean=True)
            for p in phones(40)[::2]
        ]
    )

    def rows():
        for entry in source.iterator(chunk_size=5):
            # STATUS_FIELDS: team, phone, the four flags, is_clean, phone type, when, source
            yield (team_a.pk, entry.phone, True, False, False, False, False, "", now, "new")

    count = bulk.bulk_upsert(
        PhoneStatus,
        STATUS_FIELDS,
        rows(),
        unique=["team", "phone"],
        newer="checked_at",
    )

    assert count == 40
    statuses = PhoneStatus.objects.filter(team=team_a)
    assert statuses.count() == 40
    assert set(statuses.values_list("source", "national_dnc", "is_clean")) == {("new", True, False)}


def test_bulk_insert_gives_left_out_fields_what_the_model_would(team_a):
    """On every database (COPY used to leave them NULL on PostgreSQL): defaults, "" for a
    text field without one, now for auto_now_add."""
    now = timezone.now()
    bulk.bulk_insert(
        PhoneStatus, ["team", "phone", "checked_at"], [(team_a.pk, p, now) for p in phones(3)]
    )
    bulk.bulk_insert(InternalDnc, ["team", "phone"], [(team_a.pk, p) for p in phones(3)])

    statuses = PhoneStatus.objects.filter(team=team_a)
    assert set(
        statuses.values_list(
            "national_dnc", "state_dnc", "dma", "litigator", "is_clean", "phone_type", "source"
        )
    ) == {(False, False, False, False, False, "", "")}
    internal = InternalDnc.objects.filter(team=team_a)
    assert set(internal.values_list("reason", "added_by")) == {("", None)}
    assert not internal.filter(created_at__lt=now).exists()
    assert internal.exclude(created_at=None).count() == 3


def test_a_callable_default_is_called_for_each_row(team_a, staff, monkeypatch):
    """Constant defaults are made once per call (100,000 rows x six columns for a DNC
    draft); a callable one still gives each row its own value."""
    made = iter(range(100))
    field = ImportRecord._meta.get_field("errors")
    monkeypatch.setattr(field, "default", lambda: [{"n": next(made)}])
    batch = ImportBatch.objects.create(
        team=team_a, created_by=staff, filename="x.csv", kind="csv", headers=[]
    )

    bulk.bulk_insert(
        ImportRecord, ["batch", "line", "values"], [(batch.pk, n, {}) for n in (2, 3, 4)]
    )

    errors = (
        ImportRecord.objects.filter(batch=batch).order_by("line").values_list("errors", flat=True)
    )
    assert list(errors) == [[{"n": 0}], [{"n": 1}], [{"n": 2}]]


def test_bulk_upsert_keeps_and_counts_on_conflict(team_a, staff):
    from leadops.crm.models import CrmContact

    fields = ["team", "crm_id", "name", "address", "pushes", "first_pushed_at", "last_pushed_at"]
    first, later = timezone.now() - timedelta(days=3), timezone.now()

    def upsert(name, when, ids):
        return bulk.bulk_upsert(
            CrmContact,
            fields,
            [(team_a.pk, crm_id, name, "", 1, when, when) for crm_id in ids],
            unique=["team", "crm_id"],
            keep=["first_pushed_at"],
            increment="pushes",
        )

    upsert("Ann", first, ["a", "b"])
    upsert("Ann Lee", later, ["b", "c"])

    rows = {c.crm_id: c for c in CrmContact.objects.filter(team=team_a)}
    assert {k: (c.name, c.pushes) for k, c in rows.items()} == {
        "a": ("Ann", 1),
        "b": ("Ann Lee", 2),
        "c": ("Ann Lee", 1),
    }
    assert rows["b"].first_pushed_at == first and rows["b"].last_pushed_at == later
