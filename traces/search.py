"""A finished trace in the search index: one entry per record it traced, hit or not (the
property and the uploaded owner are worth finding even when the provider found nobody)."""

from __future__ import annotations

from collections.abc import Iterator

from leadops.imports.values import owner_name, property_parts
from leadops.search.registry import IndexRow, SearchSource

from .models import MatchStatus, TraceJob, TraceResult

CHUNK = 2000
_PARCEL_KEYS = ("property_address", "property_city", "property_state", "property_zip")


def index_rows(job: TraceJob) -> Iterator[IndexRow]:
    fields = ["pk", "status", "first_name", "last_name", "phones", "record__values"]
    if job.is_parcel:
        fields.append("raw")
    results = TraceResult.objects.filter(job=job).order_by("pk").values_list(*fields)
    labels = dict(MatchStatus.choices)
    for pk, status, first, last, phones, values, *raw in results.iterator(CHUNK):
        values = values or {}
        place = property_parts(values)
        found = raw[0] if raw and raw[0] else {}
        if not place[0] and found:  # a parcel trace: the provider says where it is
            place = tuple(str(found.get(key) or "") for key in _PARCEL_KEYS)
        traced = " ".join(p for p in (first, last) if p)
        yield IndexRow(
            row_id=pk,
            street=place[0],
            city=place[1],
            state=place[2],
            zip_code=place[3],
            owners=(traced, owner_name(values)),
            phones=tuple(str(p.get("number", "")) for p in phones or () if p.get("number")),
            apn=values.get("apn", "") or str(found.get("apn") or ""),
            note=labels.get(status, status),
        )


SOURCE = SearchSource(
    name="trace",
    title="Skip traces",
    model=TraceJob,
    rows=index_rows,
    related=("batch",),
    empty="Never skip traced by your team: trace it to find the owner's phones.",
    position=1,
)
