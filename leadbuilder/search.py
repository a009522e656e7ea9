"""A finished lead list in the search index: one entry per delivered row."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse

from leadops.fields import document_keys
from leadops.search.registry import IndexRow, SearchSource

from .models import LeadBuild, LeadRow

CHUNK = 2000
# The provider columns (in `LeadRow.data`) the index needs besides the typed ones, decoded
# from the document's text (on PostgreSQL json each ->> would parse the whole row).
_data_values = document_keys(("mobile_1", "apn", "owner_2_first_name", "owner_2_last_name"))


def index_rows(job: LeadBuild) -> Iterator[IndexRow]:
    rows = (
        LeadRow.objects.filter(build=job)
        .order_by("position")
        .annotate(data_text=Cast("data", output_field=TextField()))
        .values_list(
            "pk", "address", "city", "state", "zip_code", "owner_name", "primary_phone", "data_text"
        )
    )
    for pk, street, city, state, zip_code, owner, phone, text in rows.iterator(CHUNK):
        data = _data_values(text)
        second = " ".join(p for p in (data["owner_2_first_name"], data["owner_2_last_name"]) if p)
        yield IndexRow(
            row_id=pk,
            street=street,
            city=city,
            state=state,
            zip_code=zip_code,
            owners=(owner, second),
            phones=tuple(p for p in (phone, data["mobile_1"]) if p),
            apn=data["apn"] or "",
        )


def row_url(job_id: int, row_id: int) -> str:
    return reverse("leadbuilder:row", args=[job_id, row_id])


SOURCE = SearchSource(
    name="leads",
    title="Lead lists",
    model=LeadBuild,
    rows=index_rows,
    row_url=row_url,
    empty="In none of your team's lead lists.",
    position=3,
)
