"""The rows page's filters. A build's `post_filters` (BuildSpec: `<vertical>_min`,
`<vertical>_category`) preset them when the page opens without filters in its query string
(`initial_data`)."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.validators import EMPTY_VALUES
from django.http import QueryDict

from leadbuilder import selectors
from leadbuilder.models import LeadRow, OwnerType
from leadbuilder.spec import CATEGORIES, VERTICALS

# Tracerfy's property types (Filter Reference, `property_types`).
PROPERTY_TYPES = [
    ("SFR", "Single family"),
    ("CONDO", "Condo"),
    ("MFR", "Multi-family"),
    ("MOBILE", "Mobile home"),
    ("LAND", "Land"),
]
YES_NO = [("true", "Yes"), ("false", "No")]
# Sent by the filter form (and the "Clear" link): filters were chosen, even if all empty,
# so the build's post-filters no longer preset them.
FILTERED = "filtered"

SELECT = "form-select form-select-sm"
NUMBER = "form-control form-control-sm"


def _yes_no(value: str):
    return {"true": True, "false": False}.get(value)


class LeadRowFilter(django_filters.FilterSet):
    owner_type = django_filters.ChoiceFilter(
        choices=OwnerType.choices, empty_label="Any owner", label="Owner"
    )
    equity_min = django_filters.NumberFilter(
        field_name="equity_percent", lookup_expr="gte", label="Equity % ≥"
    )
    equity_max = django_filters.NumberFilter(
        field_name="equity_percent", lookup_expr="lte", label="Equity % ≤"
    )
    absentee = django_filters.ChoiceFilter(
        choices=YES_NO, empty_label="Any", label="Absentee", method="filter_absentee"
    )
    property_type = django_filters.ChoiceFilter(
        choices=PROPERTY_TYPES, empty_label="Any type", label="Property type"
    )
    has_phone = django_filters.ChoiceFilter(
        choices=YES_NO, empty_label="Any", label="Has phone", method="filter_has_phone"
    )
    dnc = django_filters.ChoiceFilter(
        choices=selectors.DNC_CHOICES, empty_label="Any", label="Phone DNC", method="filter_dnc"
    )

    class Meta:
        model = LeadRow
        fields: list[str] = []

    def __init__(self, data=None, *args, team=None, **kwargs):
        self.team = team
        super().__init__(data, *args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = SELECT
            else:
                field.widget.attrs.update({"class": NUMBER, "min": "0", "max": "100"})
                field.widget.attrs.setdefault("style", "width: 6rem")

    def filter_absentee(self, queryset, name, value):
        flag = _yes_no(value)
        return queryset if flag is None else queryset.filter(absentee_owner=flag)

    def filter_has_phone(self, queryset, name, value):
        flag = _yes_no(value)
        return queryset if flag is None else queryset.filter(has_phone=flag)

    def filter_dnc(self, queryset, name, value):
        if not value:
            return queryset
        return selectors.rows_of_dnc_kind(team=self.team, rows=queryset, kind=value)


# The propensity filters: per vertical a category select and a minimum score.
for _key, _label in VERTICALS:
    LeadRowFilter.base_filters[f"{_key}_category"] = django_filters.ChoiceFilter(
        field_name=f"{_key}_category",
        choices=[(c, c) for c in CATEGORIES],
        empty_label="Any",
        label=f"{_label} category",
    )
    LeadRowFilter.base_filters[f"{_key}_min"] = django_filters.NumberFilter(
        field_name=f"{_key}_score", lookup_expr="gte", label=f"{_label} score ≥"
    )

# The DNC filter last, so its subqueries run on the rows the other filters kept.
LeadRowFilter.base_filters["dnc"] = LeadRowFilter.base_filters.pop("dnc")
FILTER_KEYS = (*LeadRowFilter.base_filters, FILTERED)


def post_filter_data(post_filters: dict) -> dict[str, str]:
    """The filter values a build's post-filters preset (unknown keys ignored)."""
    data = {}
    for key, _label in VERTICALS:
        minimum = post_filters.get(f"{key}_min")
        if minimum not in (None, ""):
            data[f"{key}_min"] = str(minimum)
        category = post_filters.get(f"{key}_category")
        if category in CATEGORIES:
            data[f"{key}_category"] = category
    return data


def filter_data(query: QueryDict, *, post_filters: dict) -> tuple[QueryDict, bool]:
    """The data the filter set reads: the query string's, or, when it names no filter at all,
    the build's post-filters (True when preset)."""
    if any(key in query for key in FILTER_KEYS):
        return query, False
    preset = post_filter_data(post_filters or {})
    if not preset:
        return query, False
    data = query.copy()
    for key, value in preset.items():
        data[key] = value
    return data, True


def filters_applied(found: LeadRowFilter) -> bool:
    """Whether any filter narrows `found.qs` (django-filter skips a filter whose cleaned value
    is empty, and one whose value is invalid): when none does, the rows are all the build's."""
    found.qs  # noqa: B018 (validates the form, as filtering does)
    return any(value not in EMPTY_VALUES for value in found.form.cleaned_data.values())


def filter_query(data: QueryDict) -> str:
    """The filters of `data` as a query string (for the export links and Send to DNC)."""
    only = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        value = data.get(key)
        if value not in (None, ""):
            only[key] = value
    only[FILTERED] = "1"
    return only.urlencode()
