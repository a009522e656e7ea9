"""Numbers in Django admin lists with thousands separators (1,285, not 1285).

Django's admin groups digits only under the global USE_THOUSAND_SEPARATOR, which LeadOps
leaves off (it would also group ids in URLs, form values and data attributes). A count or a
credit amount in a `list_display` goes through `number` instead:

    list_display = ["id", "team", number("records_sent"), number("charged_credits")]

The column keeps the field's header, its `field-<name>` CSS class and its sorting (by the
stored number, not by the text); an empty value shows the admin's empty-value dash. Ids,
years, ZIP codes and phones are not numbers in this sense: leave them as plain fields.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin


def thousands(value: Any) -> Any:
    """1285 → "1,285"; anything that is not a number (None, text) as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return f"{value:,}"


def number(field: str, description: str | None = None) -> Callable[[Any], Any]:
    """A `list_display` entry showing the model field `field` with thousands separators,
    sorted by the field. `description` is the column header (default: the field's name,
    as Django words it)."""

    @admin.display(ordering=field, description=description)
    def show(obj):
        return thousands(getattr(obj, field))

    # The changelist names the cell's class and (without a description) the header after it.
    show.__name__ = show.__qualname__ = field
    return show
