"""The one way a view pages a django-tables2 table: `table_configure(request, table, per_page=25)`.

django-tables2's RequestConfig passes `?per_page=` to Django's Paginator as given: -1 makes
every page empty and its own recovery raise again (a 500), and 10**9 renders the whole
table. Here the page size is clamped to 1..MAX_PER_PAGE (anything unreadable means the
view's default) and the page number to a page that exists, so no query string can break a
table page. tests/test_tables.py checks that no view calls RequestConfig itself.
"""

from decimal import Decimal

import django_tables2 as tables
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import HttpRequest
from django_tables2 import Table
from django_tables2.rows import BoundRows

from leadops.pagination import request_page

MAX_PER_PAGE = 500


def _whole_number(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def page_size(raw: str | None, *, default: int) -> int:
    """The page size asked for in `raw`, within 1..MAX_PER_PAGE; `default` if unreadable."""
    wanted = _whole_number(raw)
    if wanted is None or wanted < 1:
        return default
    return min(wanted, MAX_PER_PAGE)


def table_configure(request: HttpRequest, table: Table, *, per_page: int) -> Table:
    """Order and page `table` from the query string (`sort`, `page`, `per_page`, prefixed
    as the table says), never failing on what the query string holds."""
    table.request = request
    order_by = request.GET.getlist(table.prefixed_order_by_field)
    if order_by:
        table.order_by = order_by
    size = page_size(request.GET.get(table.prefixed_per_page_field), default=per_page)
    if getattr(table, "keyset", False):
        return _keyset_configure(request, table, per_page=size)
    number = max(1, _whole_number(request.GET.get(table.prefixed_page_field)) or 1)
    try:
        table.paginate(per_page=size, page=number)
    except PageNotAnInteger:
        table.page = table.paginator.page(1)
    except EmptyPage:
        table.page = table.paginator.page(table.paginator.num_pages)
    return table


def _keyset_configure(request: HttpRequest, table: Table, *, per_page: int) -> Table:
    """Page `table` by keyset: `table.page` is a KeysetPage whose `object_list` holds the
    page's bound rows, so django-tables2 renders it as any page (`paginated_rows`)."""
    page = request_page(
        request,
        table.data.data,
        per_page=per_page,
        prefix=table.prefix,
        count=getattr(table, "keyset_count", None),
    )
    page.object_list = BoundRows(data=page.records, table=table)
    table.page = page
    table.paginator = page
    return table


NUM_ATTRS = {"td": {"class": "num"}, "th": {"class": "num"}}


class NumberColumn(tables.Column):
    """A count or amount: right-aligned, with thousands separators (1,285)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM_ATTRS)
        super().__init__(*args, **kwargs)

    def render(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return value
        return f"{value:,}"
