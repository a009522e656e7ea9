"""A finished DNC scrub in the search index: the phones of one uploaded (or traced) row make
one entry with that row's property and owner; a pasted phone is an entry of its own, named
by its label."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from leadops.imports.models import ImportRecord
from leadops.imports.values import owner_name, property_parts
from leadops.search.registry import IndexRow, SearchSource

from .models import DncPhone, DncScrub, PhoneOutcome
from .models import DncSource as Kind

CHUNK = 2000


def _note(outcomes: list[str]) -> str:
    labels = dict(PhoneOutcome.choices)
    if len(outcomes) == 1:
        return labels.get(outcomes[0], outcomes[0])
    clean = sum(outcome == PhoneOutcome.CLEAN for outcome in outcomes)
    return f"{len(outcomes):,} phones, {clean:,} clean"


def index_rows(job: DncScrub) -> Iterator[IndexRow]:
    phones = DncPhone.objects.filter(job=job).exclude(outcome=PhoneOutcome.INVALID)
    if job.source == Kind.LIST:
        rows = phones.order_by("pk").values_list("pk", "phone", "label", "outcome")
        for pk, phone, label, outcome in rows.iterator(CHUNK):
            yield IndexRow(row_id=pk, phones=(phone,), owners=(label,), note=_note([outcome]))
        return
    rows = phones.exclude(record=None).order_by("record_id", "pk")
    rows = rows.values_list("record_id", "phone", "outcome")
    chunk: list[tuple] = []
    for row in rows.iterator(CHUNK):
        if len(chunk) >= CHUNK and row[0] != chunk[-1][0]:
            yield from _records(chunk)
            chunk = []
        chunk.append(row)
    yield from _records(chunk)


def _records(rows: list[tuple]) -> Iterator[IndexRow]:
    ids = {row[0] for row in rows}
    values = dict(ImportRecord.objects.filter(pk__in=ids).values_list("pk", "values"))
    for record_id, group in groupby(rows, key=lambda row: row[0]):
        group = list(group)
        row_values = values.get(record_id) or {}
        street, city, state, zip_code = property_parts(row_values)
        yield IndexRow(
            row_id=record_id,
            street=street,
            city=city,
            state=state,
            zip_code=zip_code,
            owners=(owner_name(row_values),),
            phones=tuple(phone for _, phone, _ in group),
            apn=row_values.get("apn", ""),
            note=_note([outcome for _, _, outcome in group]),
        )


SOURCE = SearchSource(
    name="dnc",
    title="DNC scrubs",
    model=DncScrub,
    rows=index_rows,
    empty="None of its phones was in a DNC scrub of your team.",
    position=2,
)
