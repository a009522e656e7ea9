"""The job page's results table is keyset-paged: Next walks every result of a filter or a
sort (ties on the result included) exactly once in order, the count comes from the page's
own counts, and a deep page runs the queries of the first, without OFFSET."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadops.credits import services as credits
from tests.support.jobs import partial_trace
from tests.support.pager import pager_link
from tests.support.rows import owner_rows
from traces.models import TraceResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(stored_batch, staff):
    """60 results: 30 hits, 18 misses, 12 without a result."""
    credits.grant(wallet=staff.wallet, amount=100, actor=None, reason="t", idempotency_key="rp")
    return partial_trace(
        batch=stored_batch(owner_rows(60)), user=staff, hits=30, misses=18, no_result=12
    )


def _lines(response) -> list[int]:
    assert response.status_code == 200
    table = response.content.decode().split('id="job-results"', 1)[1]
    return [int(n.replace(",", "")) for n in re.findall(r'<td class="num">([\d,]+)</td>', table)]


def _walk(client, url: str) -> tuple[list[int], list[str]]:
    response = client.get(url)
    lines, summaries = _lines(response), []
    while True:
        text = response.content.decode()
        summaries.append(re.search(r'data-testid="pager-summary">([^<]*)<', text).group(1))
        if (
            'data-testid="pager-next"' not in text
            or "href" not in text.split('data-testid="pager-next"')[0].rsplit("<a", 1)[1]
        ):
            return lines, summaries
        response = client.get(url.split("?")[0] + pager_link(response, "next"))
        lines += _lines(response)


@pytest.mark.parametrize(
    ("query", "order", "where"),
    [
        ("", ("id",), {}),
        ("status=hit", ("id",), {"status": "hit"}),
        ("sort=-status", ("-status", "-id"), {}),
        ("sort=status&has_mobile=false", ("status", "id"), {"has_mobile": False}),
    ],
)
def test_next_walks_every_result_once_in_order(staff_client, job, query, order, where):
    url = reverse("traces:detail", args=[job.pk]) + f"?per_page=7&{query}"
    expected = list(
        TraceResult.objects.filter(job=job, **where)
        .order_by(*order)
        .values_list("record__line", flat=True)
    )
    lines, summaries = _walk(staff_client, url)
    assert lines == expected
    assert summaries[0] == f"Showing 1\u2013{min(7, len(expected))} of {len(expected)}"


def test_the_unfiltered_count_is_the_page_counts_one_aggregate(staff_client, job):
    url = reverse("traces:detail", args=[job.pk])
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(url)
    assert "Showing 1\u201350 of 60" in response.content.decode()
    sql = [q["sql"] for q in queries.captured_queries if "traces_traceresult" in q["sql"]]
    # No COUNT(*) of the table for the pager (neither whole nor capped): the facts' one
    # aggregate, which counts the hits, misses and all results, gives it.
    assert not any(
        q.startswith("SELECT COUNT(*)") and q.endswith(f'."job_id" = {job.pk}') for q in sql
    )
    assert not any("LIMIT 10001" in q for q in sql)
    assert sum('COUNT("traces_traceresult"."id") AS "results"' in q for q in sql) == 1


def test_a_deep_page_runs_the_queries_of_the_first(staff_client, job):
    url = reverse("traces:detail", args=[job.pk])
    with CaptureQueriesContext(connection) as first:
        response = staff_client.get(f"{url}?per_page=5&status=hit")
    for _ in range(3):
        response = staff_client.get(url + pager_link(response, "next"))
    with CaptureQueriesContext(connection) as deep:
        response = staff_client.get(url + pager_link(response, "next"))
    assert "Showing 21\u201325 of 30" in response.content.decode()
    assert len(deep) == len(first)
    assert not any("OFFSET" in q["sql"] for q in deep.captured_queries)
    last = staff_client.get(url + pager_link(response, "last"))
    assert "Showing 26\u201330 of 30" in last.content.decode()


def test_a_finished_jobs_counts_are_kept_until_the_job_changes(staff_client, job):
    url = reverse("traces:detail", args=[job.pk])

    def aggregates() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(url).status_code == 200
        return sum('AS "results"' in q["sql"] for q in queries.captured_queries)

    assert job.is_terminal
    assert aggregates() == 1
    assert aggregates() == 0  # kept: its results no longer change
    TraceResult.objects.filter(job=job, status="miss").update(status="hit")
    job.save(update_fields=["updated_at"])  # any change to the job counts again
    assert aggregates() == 1
    assert 'data-testid="count-hits">48<' in staff_client.get(url).content.decode()
    type(job).objects.filter(pk=job.pk).update(status="ingesting")
    assert aggregates() == 1 and aggregates() == 1  # a running job: counted on every page
