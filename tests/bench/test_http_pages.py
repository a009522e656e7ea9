"""bench/http_pages.py against a real server (pytest-django's live server): sessions that
log the clients in, the pager's links followed, p50/p95 from every sample."""

import httpx
import pytest
from django.urls import reverse

from bench.http_pages import measure, page_html, pager_link, percentile, session_cookies
from tests.leadbuilder.factories import lead_build

pytestmark = pytest.mark.django_db(transaction=True)


def test_percentile_reads_the_sorted_samples():
    assert percentile([5, 1, 4, 2, 3], 0.5) == 3
    assert percentile(list(range(1, 101)), 0.95) == 95


def test_measure_fetches_each_case_with_every_client(live_server, team_a, staff):
    build = lead_build(team=team_a, user=staff, rows=12)
    url = reverse("leadbuilder:rows", args=[build.pk]) + "?filtered=1&per_page=5"
    cookies = session_cookies(staff, 2)
    with httpx.Client(base_url=live_server.url, cookies=cookies[0]) as walker:
        first = page_html(walker, url)
        assert "Showing 1\u20135 of 12" in first
        last = reverse("leadbuilder:rows", args=[build.pk]) + pager_link(first, "last")
        assert "Showing 8\u201312 of 12" in page_html(walker, last)
    measured = measure(live_server.url, cookies, {"first": url, "last": last}, samples=6)
    assert set(measured) == {"first", "last"}
    for figures in measured.values():
        assert figures["samples"] == 6
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]
    anonymous = [{"sessionid": "nope"}]
    with pytest.raises(RuntimeError, match="answered 302"):
        measure(live_server.url, anonymous, {"first": url}, samples=1)
