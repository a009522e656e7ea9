"""leadops.bulk.copy_lines (PostgreSQL): lines in COPY's text format go in through a writer
thread, one statement per ``statement_rows``, with foreign keys checked per statement, and
a failure on either side stops both and stores nothing."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from leadops import bulk
from leadops.imports.models import ImportBatch, ImportRecord
from leadops.imports.services import _RECORD_FIELDS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

# ImportRecord's every column, in the order the import's store writes them.
FIELDS = _RECORD_FIELDS
LINE = b"%d\t%d\t%s\t{}\t%s\tt\t[]\tf\t\\N\t[]\t%s\tf\n"


@pytest.fixture
def batch(team_a, staff):
    return ImportBatch.objects.create(
        team=team_a,
        created_by=staff,
        filename="x.csv",
        headers=["a"],
        mapping={"a": "extra"},
        job_type="trace_normal",
        kind="csv",
    )


def _line(batch_id: int, n: int, cell: str = "x", key: str = "") -> bytes:
    return LINE % (
        batch_id,
        n,
        bulk.copy_json({"n": str(n)}),
        bulk.copy_text(key),
        bulk.copy_json([cell]),
    )


def _writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "copy-writer"]


def test_lines_are_stored_across_statements_as_python_wrote_them(batch):
    awkward = 'tab\there\nnew line \\ back "quoted" \\N é \x00nul'
    key = "A\tB\\C\nD\rE"
    with transaction.atomic():
        count = bulk.copy_lines(
            ImportRecord,
            FIELDS,
            (_line(batch.pk, n, awkward, key) for n in range(1, 11)),
            statement_rows=3,
        )
    assert count == 10
    stored = list(batch.records.order_by("line").values_list("line", "values", "cells"))
    assert [line for line, _, _ in stored] == list(range(1, 11))
    # jsonb cannot hold NUL: copy_json drops it; every other character comes back.
    assert stored[0][2] == [awkward.replace("\x00", "")]
    assert stored[9][1] == {"n": "10"}
    assert set(batch.records.values_list("dedupe_key", flat=True)) == {key}
    assert not _writers()


def test_a_foreign_key_is_checked_per_statement_and_nothing_is_kept(batch):
    lines = [_line(batch.pk, n) for n in range(1, 8)] + [_line(batch.pk + 999, 8)]
    copied = []

    def store() -> None:
        with transaction.atomic():
            bulk.copy_lines(ImportRecord, FIELDS, iter(lines), statement_rows=5)
            copied.append(True)

    with pytest.raises(IntegrityError):
        store()
    assert not copied  # refused by the COPY, before the commit
    assert not ImportRecord.objects.exists()
    assert not _writers()


def test_a_failure_while_making_lines_abandons_the_copy(batch):
    def lines():
        for n in range(1, 2_000):
            yield _line(batch.pk, n, "y" * 500)
        raise RuntimeError("reader failed")

    with pytest.raises(RuntimeError, match="reader failed"), transaction.atomic():
        bulk.copy_lines(ImportRecord, FIELDS, lines(), statement_rows=700)
    assert not ImportRecord.objects.exists()
    assert not _writers()
    # The connection is usable afterwards.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_failure_on_both_sides_at_once_ends_both(batch, monkeypatch):
    """The writer fails (a bad line ends its statement), then the lines fail too before
    the caller has heard of the first failure: both end, nothing waits forever."""
    writers = []
    made = bulk._CopyWriter.__init__

    def kept(self, *args):
        made(self, *args)
        writers.append(self)

    monkeypatch.setattr(bulk._CopyWriter, "__init__", kept)

    def lines():
        yield b"not a row\n"
        deadline = time.monotonic() + 10
        while writers[0]._failure is None and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        raise RuntimeError("reader failed")

    raised = []

    def store() -> None:
        try:
            with transaction.atomic():
                bulk.copy_lines(ImportRecord, FIELDS, lines(), statement_rows=1)
        except RuntimeError as exc:
            raised.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=store, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "copy_lines never returned"
    assert writers[0]._failure is not None
    assert [str(exc) for exc in raised] == ["reader failed"]
    assert not ImportRecord.objects.exists()
    assert not _writers()


def test_a_bad_line_is_raised_in_the_caller(batch):
    lines = [_line(batch.pk, 1), b"not a row\n", _line(batch.pk, 3)]
    with pytest.raises(Exception, match=r"missing data|invalid input"), transaction.atomic():
        bulk.copy_lines(ImportRecord, FIELDS, iter(lines))
    assert not ImportRecord.objects.exists()
    assert not _writers()


def test_constraints_are_deferred_again_afterwards(batch):
    counted = []

    def store() -> None:
        with transaction.atomic():
            bulk.copy_lines(ImportRecord, FIELDS, iter([_line(batch.pk, 1)]))
            # Deferred again (Django's setting): a bad key is refused at the commit.
            ImportRecord.objects.create(batch_id=batch.pk + 999, line=2)
            counted.append(ImportRecord.objects.count())

    with pytest.raises(IntegrityError):
        store()
    assert counted == [2]
    assert not ImportRecord.objects.exists()


def test_every_column_must_be_given(batch):
    with pytest.raises(ValueError, match="needs every column"):
        bulk.copy_lines(ImportRecord, FIELDS[:-1], iter([]))
