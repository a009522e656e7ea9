"""Keyset ("cursor") paging for the tables that can reach 100,000 rows: a job's results,
a lead list's rows, a wallet's ledger, a scrub's phones, a CRM push's items.

Why not page numbers: `OFFSET 99,950` reads and throws away 99,950 rows (115 ms of the
results page's last page in issue 18), and the page-number links need `COUNT(*)` of every
row on every page (22-24 ms). Here a page is "the `per_page` rows after (or before) this
row in this order": the link carries the boundary row's sort values and id, so the
database starts reading at that row through an index whatever the depth. A sort on a
column with ties keys on (column, id), so no row is skipped or shown twice.

What the user gives up: jumping to page 1,437. They keep First / Previous / Next / Last
and "Showing 5,001-5,050 of 100,000" — the position travels in the link, and the total is
either a count the view already has (a job's counters, a chart's total) or a count capped
at COUNT_CAP ("more than 10,000"), which reads at most COUNT_CAP + 1 index entries.

The cursor is signed (django.core.signing), so a tampered one is refused rather than
read; anything unreadable, or a cursor made for another sort, shows the first page. The
cursor only positions a queryset the view has already scoped to the team: it can never
widen it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import and_, or_

from django.core import signing
from django.db.models import F, OrderBy, Q, QuerySet
from django.http import HttpRequest, QueryDict

COUNT_CAP = 10_000
SALT = "leadops.pagination.keyset"
KEY = "_keyset{}"


@dataclass(frozen=True)
class SortKey:
    """One column of the page's order: the queryset path, descending or not, and whether
    it can be NULL (NULLs sort as the largest value, PostgreSQL's default, on every
    database: ascending puts them last, descending first)."""

    path: str
    desc: bool
    nullable: bool

    def reversed(self) -> SortKey:
        return SortKey(self.path, not self.desc, self.nullable)


class BadCursor(ValueError):
    """A cursor that cannot be read (tampered, truncated, from another sort)."""


def _encode(value):
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _decode(value):
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return datetime.date.fromisoformat(value["d"])
        if "n" in value:
            return Decimal(value["n"])
        raise BadCursor("unknown value")
    if isinstance(value, list):
        raise BadCursor("unknown value")
    return value


def sort_keys(queryset: QuerySet) -> list[SortKey]:
    """The queryset's order as keys, ending with the primary key (in the first key's
    direction) so that every row has one place."""
    query = queryset.query
    names = list(query.order_by) or (
        list(queryset.model._meta.ordering) if query.default_ordering else []
    )
    keys: list[SortKey] = []
    for name in names:
        if isinstance(name, OrderBy) and isinstance(name.expression, F):
            # F("line").asc(nulls_last=True): fine when NULLs go where this module puts them.
            desc, path = name.descending, name.expression.name
            if (name.nulls_first and not desc) or (name.nulls_last and desc):
                raise ValueError(f"keyset paging puts NULLs last going up, not as {name!r}")
        elif isinstance(name, str) and name != "?":
            desc, path = name.startswith("-"), name.lstrip("-+")
        else:
            raise ValueError(f"keyset paging needs field names to order by, not {name!r}")
        if path in ("pk", queryset.model._meta.pk.name):
            keys.append(SortKey("pk", desc, False))
            break
        keys.append(SortKey(path, desc, _nullable(queryset, path)))
    if not keys or keys[-1].path != "pk":
        keys.append(SortKey("pk", keys[0].desc if keys else False, False))
    return keys


def _nullable(queryset: QuerySet, path: str) -> bool:
    """Whether `path` can read NULL: a nullable column, or any column across a relation
    (a missing related row reads as NULL)."""
    if "__" in path:
        return True
    model_field = queryset.model._meta.get_field(path)
    return bool(model_field.null)


def _later(key: SortKey, name: str, value) -> Q | None:
    """Rows after `value` in `key`'s order (None: no row can be)."""
    if key.desc:
        if value is None:
            return Q(**{f"{name}__isnull": False})
        return Q(**{f"{name}__lt": value})
    if value is None:
        return None
    later = Q(**{f"{name}__gt": value})
    return later | Q(**{f"{name}__isnull": True}) if key.nullable else later


def _equal(name: str, value) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def _after(keys: list[SortKey], values: list) -> Q:
    """Rows strictly after the row whose sort values are `values`, in the order of `keys`:
    (k0 later) OR (k0 equal AND k1 later) OR ... — plus a bound on k0 alone, which the
    database can read as an index range (the OR alone it can only filter)."""
    names = [KEY.format(i) for i in range(len(keys))]
    terms = []
    for i, key in enumerate(keys):
        later = _later(key, names[i], values[i])
        if later is None:
            continue
        terms.append(reduce(and_, [_equal(names[j], values[j]) for j in range(i)], later))
    if not terms:
        return Q(pk__in=[])
    condition = reduce(or_, terms)
    first, value = keys[0], values[0]
    if value is not None:
        bound = Q(**{f"{names[0]}__{'lte' if first.desc else 'gte'}": value})
        if first.nullable and not first.desc:
            bound |= Q(**{f"{names[0]}__isnull": True})
        condition &= bound
    elif not first.desc:
        condition &= Q(**{f"{names[0]}__isnull": True})
    return condition


def _ordered(queryset: QuerySet, keys: list[SortKey]) -> QuerySet:
    order = []
    for i, key in enumerate(keys):
        expression = F(KEY.format(i))
        if key.nullable:
            order.append(
                expression.desc(nulls_first=True) if key.desc else expression.asc(nulls_last=True)
            )
        else:
            order.append(expression.desc() if key.desc else expression.asc())
    return queryset.order_by(*order)


@dataclass
class Count:
    """The rows the table holds: exact, or only known to be more than `value`."""

    value: int
    exact: bool

    def __str__(self) -> str:
        return f"{self.value:,}" if self.exact else f"more than {self.value:,}"


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> Count:
    """COUNT over at most cap + 1 rows: exact for a small table or a narrow filter, and
    "more than 10,000" (read from at most 10,001 index entries) otherwise."""
    found = queryset.order_by()[: cap + 1].count()
    return Count(found, True) if found <= cap else Count(cap, False)


@dataclass
class KeysetPage:
    """One page: its records, where it stands, and the links to its neighbours (query
    strings carrying the page's filters and sort, `None` where there is no such page)."""

    records: list
    start: int | None
    count: Count
    first_url: str | None = None
    previous_url: str | None = None
    next_url: str | None = None
    last_url: str | None = None
    reset: bool = False  # the link's cursor could not be read: this is the first page
    object_list: object = field(default=None, repr=False)  # django-tables2's rows

    @property
    def has_next(self) -> bool:
        return self.next_url is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_url is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + len(self.records) - 1

    @property
    def summary(self) -> str:
        """ "Showing 51-100 of 100,000" — or as much of it as is known."""
        if not self.records:
            return f"No rows of {self.count}" if self.count.value else "No rows"
        if self.start is None:
            return f"Showing {len(self.records):,} of {self.count}"
        return f"Showing {self.start:,}\u2013{self.end:,} of {self.count}"


def _signature(keys: list[SortKey]) -> list:
    return [[k.path, k.desc] for k in keys]


def cursor_make(*, keys: list[SortKey], direction: str, values: list | None, start: int | None):
    return signing.dumps(
        {
            "o": _signature(keys),
            "d": direction,
            "k": None if values is None else [_encode(v) for v in values],
            "p": start,
        },
        salt=SALT,
        compress=True,
    )


def cursor_read(raw: str, *, keys: list[SortKey]) -> tuple[str, list | None, int | None]:
    """(direction, boundary values, start position) of a cursor made for `keys`."""
    try:
        data = signing.loads(raw, salt=SALT)
    except (signing.BadSignature, ValueError, UnicodeError) as error:
        raise BadCursor("unreadable") from error
    if not isinstance(data, dict) or data.get("o") != _signature(keys):
        raise BadCursor("another sort")
    direction, values, start = data.get("d"), data.get("k"), data.get("p")
    if direction not in ("next", "previous", "last"):
        raise BadCursor("direction")
    if direction != "last" and (not isinstance(values, list) or len(values) != len(keys)):
        raise BadCursor("values")
    if start is not None and (not isinstance(start, int) or isinstance(start, bool) or start < 1):
        start = None
    return direction, None if values is None else [_decode(v) for v in values], start


def keyset_paginate(
    queryset: QuerySet,
    *,
    query: QueryDict,
    per_page: int,
    param: str = "cursor",
    drop: tuple[str, ...] = ("page",),
    count: Callable[[], Count | int] | Count | int | None = None,
) -> KeysetPage:
    """The page of `queryset` (already filtered, scoped and ordered) that `query[param]`
    points at; the first page without one or when it cannot be read.

    `count`: the number of rows when the caller already knows it (an int, a Count, or a
    callable giving one); otherwise a capped count. `drop` names query parameters the
    links leave out (the old page number)."""
    keys = sort_keys(queryset)
    queryset = _ordered(
        queryset.annotate(**{KEY.format(i): F(key.path) for i, key in enumerate(keys)}), keys
    )
    reversed_keys = [key.reversed() for key in keys]
    raw = query.get(param)
    direction, values, start, reset = "first", None, 1, False
    if raw:
        try:
            direction, values, start = cursor_read(raw, keys=keys)
        except BadCursor:
            direction, values, start, reset = "first", None, 1, True

    def read(direction: str, values: list | None) -> tuple[list, bool]:
        """The page's rows in display order, and whether there are rows beyond its far
        end (after it going forward, before it going back)."""
        if direction in ("first", "next"):
            rows = queryset if values is None else queryset.filter(_after(keys, values))
        else:
            rows = _ordered(queryset, reversed_keys)
            if values is not None:
                rows = rows.filter(_after(reversed_keys, values))
        rows = list(rows[: per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page]
        if direction in ("previous", "last"):
            rows.reverse()
        return rows, more

    try:
        records, more = read(direction, values)
    except (ValueError, TypeError, ArithmeticError, signing.BadSignature):
        # A signed cursor whose values do not fit the columns (a changed model): start over.
        direction, values, start, reset = "first", None, 1, True
        records, more = read(direction, values)
    if not records and direction != "first":
        # The rows around the link are gone (or the filters changed under it).
        direction, start = "first", 1
        records, more = read(direction, None)

    if count is None:
        total = capped_count(queryset)
    else:
        total = count() if callable(count) else count
        if isinstance(total, int):
            total = Count(total, True)
    if direction in ("first", "next"):
        has_previous, has_next = direction == "next", more
    else:
        has_previous, has_next = more, direction == "previous"
        if direction == "previous" and not more:
            start = 1  # these are the very first rows
        elif direction == "last":
            start = total.value - len(records) + 1 if total.exact else None
    if not has_previous:
        start = 1

    def link(direction: str, row=None, start: int | None = None) -> str:
        params = query.copy()
        for name in (param, *drop):
            params.pop(name, None)
        if direction != "first":
            boundary = (
                None if row is None else [getattr(row, KEY.format(i)) for i in range(len(keys))]
            )
            params[param] = cursor_make(
                keys=keys, direction=direction, values=boundary, start=start
            )
        return "?" + params.urlencode()

    page = KeysetPage(records=records, start=start, count=total, reset=reset)
    if has_previous and records:
        page.first_url = link("first")
        back = start - per_page if start is not None and start - per_page >= 1 else None
        page.previous_url = link("previous", records[0], back)
    if has_next and records:
        forward = start + len(records) if start is not None else None
        page.next_url = link("next", records[-1], forward)
        page.last_url = link("last")
    return page


def request_page(
    request: HttpRequest, queryset: QuerySet, *, per_page: int, prefix: str = "", count=None
) -> KeysetPage:
    """keyset_paginate for a view: the request's query string, `<prefix>cursor`."""
    return keyset_paginate(
        queryset,
        query=request.GET,
        per_page=per_page,
        param=f"{prefix}cursor",
        drop=(f"{prefix}page",),
        count=count,
    )
