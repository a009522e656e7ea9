"""Reads the CRM pages name: a source's filters in words, a push's lists and counts.

The push screen is opened from a source page with that page's filters as a query string
(`?filters=`); `filters_in_words` reads them through the source's own filter set, so what is
described is exactly what the push would filter on (a value the filter set cannot read is
left out here as it is there).
"""

from __future__ import annotations

from django.core.validators import EMPTY_VALUES
from django.db.models import Count, QuerySet, Sum
from django.http import QueryDict
from django.urls import reverse

from .models import BatchState, CrmBatch, CrmPush, CrmRefusal, RefusalReason, SourceKind

# Query-string keys of a source page that are not filters (paging, sorting, the trace
# page's export switch and its progress poll).
NOT_FILTERS = {"page", "per_page", "sort", "phones", "results_shown"}


def _filter_set(kind: str, data: QueryDict, team):
    from .sources import SOURCES

    try:
        source = SOURCES[SourceKind(kind)]
    except ValueError:
        raise LookupError(f"no CRM source kind {kind!r}") from None
    return source.filter_set(data, team=team)


def _value_words(field, value) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    choices = dict(getattr(field, "choices", None) or ())
    if choices:
        return str(choices.get(value, choices.get(str(value), value)))
    if isinstance(value, float | int) or hasattr(value, "normalize"):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return str(value)


def filters_in_words(*, kind: str, filter_query: str, team) -> list[tuple[str, str]]:
    """The filters `filter_query` applies to a `kind` source, as (label, value) pairs in the
    order the source page shows them; [] when it applies none."""
    data = QueryDict(filter_query or "")
    found = _filter_set(kind, data, team)
    form = found.form
    if not form.is_valid():
        # The filter set filters on the values it could read; so do the words.
        cleaned = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    else:
        cleaned = form.cleaned_data
    words = []
    for name, field in form.fields.items():
        value = cleaned.get(name)
        if value in EMPTY_VALUES:
            continue
        words.append((str(field.label or name), _value_words(field, value)))
    return words


def clean_filter_query(query: QueryDict | str) -> str:
    """A source page's query string without its paging, sorting and other non-filter keys."""
    data = QueryDict(query) if isinstance(query, str) else query
    kept = QueryDict(mutable=True)
    for key, values in data.lists():
        if key in NOT_FILTERS:
            continue
        kept.setlist(key, [v for v in values if v != ""])
        if not kept.getlist(key):
            del kept[key]
    return kept.urlencode()


def push_url(*, kind: str, pk: int, filters: str = "") -> str:
    """The push screen of a source, carrying the source page's filters when there are any."""
    url = reverse("crm:new", args=[kind, pk])
    if not filters:
        return url
    query = QueryDict(mutable=True)
    query["filters"] = filters
    return f"{url}?{query.urlencode()}"


SOURCE_URLS = {
    SourceKind.TRACE: "traces:detail",
    SourceKind.DNC: "dnc:detail",
    SourceKind.LEADS: "leadbuilder:rows",
}


def source_url(push: CrmPush) -> str:
    """The page of the push's source (it may have been deleted since: the page says so)."""
    return reverse(SOURCE_URLS[push.source_kind], args=[push.source_id])


def team_pushes(*, team) -> QuerySet[CrmPush]:
    return CrmPush.objects.filter(team=team).select_related("created_by")


def push_batches(*, push: CrmPush) -> QuerySet[CrmBatch]:
    """A push's batches without their bodies (a page never shows the items)."""
    return push.batches.defer("items", "record_ids").order_by("number")


def batch_counts(*, push: CrmPush) -> dict[str, dict[str, int]]:
    """Batches and contacts per state: {"sent": {"batches": 3, "contacts": 120}, …}."""
    rows = push.batches.values("state").annotate(n=Count("pk"), people=Sum("contacts"))
    counts = {state: {"batches": 0, "contacts": 0} for state in BatchState.values}
    for row in rows:
        counts[row["state"]] = {"batches": row["n"], "contacts": row["people"] or 0}
    return counts


def push_refusals(*, push: CrmPush) -> QuerySet[CrmRefusal]:
    return push.refusals.order_by("id")


def refusal_counts(*, push: CrmPush) -> list[tuple[str, str, int]]:
    """(reason, label, count) of the push's refused records, most frequent first."""
    rows = push.refusals.values("reason").annotate(n=Count("pk")).order_by("-n", "reason")
    return [(row["reason"], RefusalReason(row["reason"]).label, row["n"]) for row in rows]
