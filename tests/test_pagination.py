"""Keyset paging (leadops/pagination.py): every row exactly once, in order, forward and
back, under each sort and filter (ties and NULLs included); a cursor never widens what the
view scoped; an unreadable cursor shows the first page; deep pages cost what the first does."""

import html
import re

import pytest
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadbuilder.models import LeadRow
from leadops.pagination import COUNT_CAP, Count, capped_count, keyset_paginate
from tests.leadbuilder.factories import lead_build

pytestmark = pytest.mark.django_db

ROWS = 23


@pytest.fixture
def build(team_a, staff):
    """23 rows whose scores tie in threes, some NULL, and whose values are often NULL."""
    build = lead_build(team=team_a, user=staff, rows=ROWS)
    for n, row in enumerate(build.rows.order_by("position")):
        LeadRow.objects.filter(pk=row.pk).update(
            sell_score=None if n % 5 == 0 else n % 3 * 10,
            estimated_value=None if n % 2 else 100_000 + n % 4,
            owner_name=["Ann", "Bob", ""][n % 3],
        )
    return build


def _expected(queryset, field: str, desc: bool) -> list[int]:
    """The order by `field` then id, NULLs counted as the largest value (as PostgreSQL)."""
    rows = list(queryset.values_list(field, "pk"))
    present = sorted((r for r in rows if r[0] is not None), reverse=desc)
    absent = sorted((r for r in rows if r[0] is None), reverse=desc)
    ordered = absent + present if desc else present + absent
    return [pk for _value, pk in ordered]


def _walk(queryset, *, per_page: int, count=None):
    """Follow Next from the first page to the end, then Previous back to the start."""
    query, forward, starts = QueryDict(), [], []
    while True:
        page = keyset_paginate(queryset, query=query, per_page=per_page, count=count)
        forward.extend(row.pk for row in page.records)
        starts.append(page.start)
        if not page.next_url:
            break
        query = QueryDict(page.next_url[1:])
    backward = [row.pk for row in page.records]
    while page.previous_url:
        page = keyset_paginate(
            queryset, query=QueryDict(page.previous_url[1:]), per_page=per_page, count=count
        )
        backward = [row.pk for row in page.records] + backward
    return forward, backward, starts, page


@pytest.mark.parametrize(
    "order",
    ["position", "-position", "sell_score", "-sell_score", "estimated_value", "-owner_name"],
)
@pytest.mark.parametrize("per_page", [1, 4, 23])
def test_paging_shows_every_row_once_in_order_both_ways(build, order, per_page):
    rows = LeadRow.objects.filter(build=build).order_by(order)
    expected = _expected(rows, order.lstrip("-"), order.startswith("-"))
    forward, backward, starts, first = _walk(rows, per_page=per_page)
    assert forward == expected
    assert backward == expected
    assert starts == list(range(1, ROWS + 1, per_page))
    assert first.start == 1 and first.previous_url is None


@pytest.mark.parametrize("order", ["sell_score", "-sell_score", "-estimated_value"])
def test_paging_a_filtered_sort_with_ties(build, order):
    rows = LeadRow.objects.filter(build=build, owner_name__in=["Ann", ""]).order_by(order)
    expected = _expected(rows, order.lstrip("-"), order.startswith("-"))
    assert len(expected) == 15
    forward, backward, _starts, _page = _walk(rows, per_page=3)
    assert forward == backward == expected


def test_a_null_line_order_expression_pages_as_the_scrub_orders_it(build):
    rows = LeadRow.objects.filter(build=build).order_by(F("sell_score").asc(nulls_last=True), "id")
    forward, backward, _starts, _page = _walk(rows, per_page=5)
    assert forward == backward == _expected(rows, "sell_score", False)


def test_the_last_page_and_its_position(build):
    rows = LeadRow.objects.filter(build=build).order_by("position")
    first = keyset_paginate(rows, query=QueryDict(), per_page=10)
    assert first.summary == "Showing 1\u201310 of 23"
    last = keyset_paginate(rows, query=QueryDict(first.last_url[1:]), per_page=10)
    assert [r.position for r in last.records] == list(range(14, 24))
    assert (last.start, last.end, last.next_url, last.last_url) == (14, 23, None, None)
    back = keyset_paginate(rows, query=QueryDict(last.previous_url[1:]), per_page=10)
    assert [r.position for r in back.records] == list(range(4, 14))
    assert back.summary == "Showing 4\u201313 of 23"
    # Previous from there reaches the start, which knows it is the start.
    start = keyset_paginate(rows, query=QueryDict(back.previous_url[1:]), per_page=10)
    assert [r.position for r in start.records] == [1, 2, 3]
    assert start.start == 1 and start.previous_url is None and start.first_url is None


def test_a_capped_count_says_more_than(build):
    rows = LeadRow.objects.filter(build=build)
    assert capped_count(rows) == Count(ROWS, True)
    assert capped_count(rows, cap=20) == Count(20, False)
    assert str(Count(COUNT_CAP, False)) == "more than 10,000"
    page = keyset_paginate(rows.order_by("position"), query=QueryDict(), per_page=5, count=None)
    assert page.summary == "Showing 1\u20135 of 23"


def test_links_keep_the_filters_and_sort_and_drop_the_page_number(build):
    rows = LeadRow.objects.filter(build=build).order_by("-sell_score")
    query = QueryDict("filtered=1&sort=-sell_score&owner_type=company&page=7")
    page = keyset_paginate(rows, query=query, per_page=5)
    following = QueryDict(page.next_url[1:])
    assert following["filtered"] == "1" and following["sort"] == "-sell_score"
    assert following["owner_type"] == "company" and "page" not in following
    assert QueryDict(page.last_url[1:])["sort"] == "-sell_score"


@pytest.mark.parametrize("cursor", ["garbage", "", "a" * 500, "eyJvIjpbXX0:abc:def"])
def test_an_unreadable_cursor_shows_the_first_page(build, cursor):
    rows = LeadRow.objects.filter(build=build).order_by("position")
    page = keyset_paginate(rows, query=QueryDict(f"cursor={cursor}"), per_page=5)
    assert [r.position for r in page.records] == [1, 2, 3, 4, 5]
    assert page.reset is bool(cursor)


def test_a_cursor_made_for_another_sort_shows_the_first_page(build):
    by_score = LeadRow.objects.filter(build=build).order_by("sell_score")
    second = keyset_paginate(by_score, query=QueryDict(), per_page=5).next_url
    by_position = LeadRow.objects.filter(build=build).order_by("position")
    page = keyset_paginate(by_position, query=QueryDict(second[1:]), per_page=5)
    assert [r.position for r in page.records] == [1, 2, 3, 4, 5]


def _pager_links(response) -> dict[str, str]:
    assert response.status_code == 200
    text = response.content.decode()
    return {
        name: html.unescape(href)
        for href, name in re.findall(r'href="([^"]+)"[^>]*data-testid="pager-(\w+)"', text)
    }


def _row_positions(response) -> list[int]:
    found = re.findall(r'<td class="text-secondary">([\d,]+)</td>', response.content.decode())
    return [int(n.replace(",", "")) for n in found]


def test_the_rows_page_walks_a_sort_through_its_links(staff_client, build):
    url = reverse("leadbuilder:rows", args=[build.pk])
    response = staff_client.get(f"{url}?filtered=1&sort=-sell_score&per_page=4")
    assert "Showing 1\u20134 of 23" in response.content.decode()
    by_pk = dict(LeadRow.objects.filter(build=build).values_list("pk", "position"))
    expected = [
        by_pk[pk] for pk in _expected(LeadRow.objects.filter(build=build), "sell_score", desc=True)
    ]
    seen = _row_positions(response)
    while "next" in _pager_links(response):
        response = staff_client.get(url + _pager_links(response)["next"])
        seen += _row_positions(response)
    assert seen == expected
    assert "Showing 21\u201323 of 23" in response.content.decode()


def test_another_teams_cursor_never_shows_its_rows(staff_client, build, team_b, outsider):
    theirs = lead_build(team=team_b, user=outsider, rows=30, seed="theirs")
    client = Client()
    client.force_login(outsider)
    their_url = reverse("leadbuilder:rows", args=[theirs.pk])
    their_next = _pager_links(client.get(f"{their_url}?filtered=1&per_page=4"))["next"]
    # A cursor signed for team B's list, replayed on team A's list: only A's rows.
    ours = reverse("leadbuilder:rows", args=[build.pk])
    response = staff_client.get(ours + their_next)
    positions = _row_positions(response)
    assert positions == [5, 6, 7, 8]
    mine = set(LeadRow.objects.filter(build=build).values_list("position", flat=True))
    assert set(positions) <= mine
    text = response.content.decode()
    assert not any(row.owner_name in text for row in theirs.rows.exclude(owner_name="")[:5])
    # And team B's list is not reachable by team A at all, cursor or not.
    assert staff_client.get(their_url + their_next).status_code == 404


def test_a_tampered_cursor_on_a_page_shows_the_first_page_with_a_note(staff_client, build):
    url = reverse("leadbuilder:rows", args=[build.pk])
    next_link = _pager_links(staff_client.get(f"{url}?filtered=1&per_page=4"))["next"]
    tampered = next_link.replace("cursor=", "cursor=x")
    response = staff_client.get(url + tampered)
    assert _row_positions(response) == [1, 2, 3, 4]
    assert "That page link no longer applies" in response.content.decode()


def test_a_deep_page_costs_the_queries_of_the_first(staff_client, build):
    url = reverse("leadbuilder:rows", args=[build.pk])
    response = staff_client.get(f"{url}?filtered=1&per_page=2")
    with CaptureQueriesContext(connection) as first:
        staff_client.get(f"{url}?filtered=1&per_page=2")
    for _ in range(5):
        response = staff_client.get(url + _pager_links(response)["next"])
    with CaptureQueriesContext(connection) as deep:
        response = staff_client.get(url + _pager_links(response)["next"])
    assert "Showing 13\u201314 of 23" in response.content.decode()
    assert len(deep) == len(first)
    assert not any("OFFSET" in q["sql"] for q in deep.captured_queries)
