"""A finished CRM push in the search index: one entry per contact the CRM received (the
batches sent), with the property, the owner and the phones as sent."""

from __future__ import annotations

from collections.abc import Iterator

from leadops.search.registry import IndexRow, SearchSource

from .models import BatchState, CrmBatch, CrmContact, CrmPush


def index_rows(job: CrmPush) -> Iterator[IndexRow]:
    batches = CrmBatch.objects.filter(push=job, state=BatchState.SENT).order_by("number")
    for items in batches.values_list("items", flat=True).iterator(chunk_size=20):
        people = [item for item in items or () if item.get("type") in ("create", "update")]
        ids = dict(
            CrmContact.objects.filter(
                team_id=job.team_id, crm_id__in=[p["id"] for p in people]
            ).values_list("crm_id", "pk")
        )
        for person in people:
            if person["id"] not in ids:
                continue
            meta = person.get("meta") or {}
            name = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
            yield IndexRow(
                row_id=ids[person["id"]],
                street=str(meta.get("property_address") or ""),
                city=str(meta.get("property_city") or ""),
                state=str(meta.get("property_state") or ""),
                zip_code=str(meta.get("property_zip") or ""),
                owners=(name,),
                phones=tuple(str(p.get("number", "")) for p in meta.get("phones") or ()),
                note="Created" if person["type"] == "create" else "Updated",
            )


SOURCE = SearchSource(
    name="crm",
    title="CRM pushes",
    model=CrmPush,
    rows=index_rows,
    empty="Never sent to the CRM by your team.",
    position=4,
)
