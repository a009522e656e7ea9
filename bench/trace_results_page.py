"""The skip-trace results page and export with 100,000 results on PostgreSQL, through a
real server.

A job of 100,000 results (records imported through COPY, results stored by
`trace_results_store`) is read the way users read it: gunicorn serves the app (bench/
http_pages.py) and 4 HTTP/1.1 clients with their own session fetch, at the same time,
the job page's first page, its last page and the page before it (through the keyset pager's
Last and Previous links), each filter, a sort and that sort's last page, and the live
progress fragment — BENCH_SAMPLES (200) times per case; p50/p95/max in ms. Target: p95 <
150 ms per case. The full CSV export is streamed once to the end.

Baseline in the same run, on the same data: the SQL the page used to run for its last page
(COUNT(*) of the job's results + OFFSET 99,950 LIMIT 50) against the keyset query of that
page, each timed in-process (median of 20).
"""

import statistics
import time

from bench.common import (
    bench_database,
    bench_redis_url,
    check,
    emit,
    setup_django,
    size,
    staff_team,
)
from bench.http_pages import (
    CLIENTS,
    SERVER,
    load_average,
    measure,
    page_html,
    pager_link,
    serve,
    session_cookies,
)

ROWS = size("BENCH_RESULTS_ROWS", 100_000, 2_000)
SAMPLES = size("BENCH_SAMPLES", 200, 20)
TARGET_P95_MS = 150


def main() -> None:
    redis_url = bench_redis_url()
    with bench_database() as db_url:
        setup_django(db_url, redis_url)
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        from leadops.bulk import bulk_insert
        from leadops.imports.models import ImportBatch, ImportRecord
        from traces.models import TraceJob
        from traces.services import trace_results_store

        team, user = staff_team()
        batch = ImportBatch.objects.create(
            team=team,
            created_by=user,
            filename="bench.csv",
            kind="csv",
            headers=["Address", "City", "State"],
            mapping={
                "Address": "property_address",
                "City": "property_city",
                "State": "property_state",
            },
            job_type="trace_normal",
            status="stored",
            unique_records=ROWS,
        )
        bulk_insert(
            ImportRecord,
            ["batch", "line", "values", "extras", "dedupe_key", "usable", "errors", "is_duplicate"],
            (
                (
                    batch.pk,
                    n + 2,
                    {
                        "property_address": f"{1000 + n} MAIN ST",
                        "property_city": "AUSTIN",
                        "property_state": "TX",
                    },
                    {},
                    f"{1000 + n} MAIN ST|AUSTIN|TX",
                    True,
                    [],
                    False,
                )
                for n in range(ROWS)
            ),
        )
        job = TraceJob.objects.create(
            team=team,
            created_by=user,
            batch=batch,
            trace_type="normal",
            provider="tracerfy",
            status="complete",
            rows_total=ROWS,
            rows_done=ROWS,
        )

        def rows():
            for n in range(ROWS):
                hit = n % 7 != 0
                phones = [{"number": f"+1512555{n % 10000:04d}", "type": "Mobile"}] if hit else []
                yield {
                    "address": f"{1000 + n} Main St",
                    "city": "Austin",
                    "state": "TX",
                    "hit": hit,
                    "first_name": "Jane" if hit else "",
                    "last_name": f"Doe{n}" if hit else "",
                    "primary_phone": phones[0]["number"] if hit else "",
                    "primary_phone_type": "Mobile" if hit else "",
                    "phones": phones,
                    "emails": [f"jane{n}@example.com"] if hit and n % 3 else [],
                    "has_mobile": hit,
                    "has_email": hit and bool(n % 3),
                    "litigator": n % 97 == 0,
                }

        started = time.perf_counter()
        stored, hits, _unmatched = trace_results_store(job=job, rows=rows())
        seed_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        client = Client()
        client.force_login(user)
        detail = reverse("traces:detail", args=[job.pk])
        baseline = _sql_baseline(job)
        cookies = session_cookies(user, CLIENTS)
        load_before = load_average()
        with serve(database_url=db_url, redis_url=redis_url) as base:
            import httpx

            with httpx.Client(base_url=base, cookies=cookies[0], timeout=60) as walker:
                first = page_html(walker, detail)
                last = detail + pager_link(first, "last")
                before_last = detail + pager_link(page_html(walker, last), "previous")
                by_status = f"{detail}?sort=-status"
                by_status_last = detail + pager_link(page_html(walker, by_status), "last")
                email_first = page_html(walker, f"{detail}?has_email=true")
                email_second = detail + pager_link(email_first, "next")
            cases = {
                "first page": detail,
                "last page (Last link)": last,
                "page before the last (Previous link)": before_last,
                "filter: hits": f"{detail}?status=hit",
                "filter: has mobile": f"{detail}?has_mobile=true",
                "filter: has email, 2nd page": email_second,
                "filter: litigator": f"{detail}?litigator=true",
                "sort: by result, descending": by_status,
                "sort: by result, descending, last page": by_status_last,
                "live progress fragment": reverse("traces:progress", args=[job.pk]),
            }
            measured = measure(base, cookies, cases, samples=SAMPLES)
        load_after = load_average()

        started = time.perf_counter()
        response = client.get(
            reverse("traces:export", args=[job.pk, "csv"]), SERVER_NAME="localhost"
        )
        size = sum(len(chunk) for chunk in response.streaming_content)
        export_seconds = time.perf_counter() - started

        emit(
            {
                "benchmark": "trace_results_page",
                "database": f"PostgreSQL {connection.pg_version // 10000}",
                "results": stored,
                "hits": hits,
                "figures": {
                    f"{label}: p95": check(m["p95_ms"], unit="ms", under=TARGET_P95_MS)
                    for label, m in measured.items()
                },
                "how": f"{SERVER}, {CLIENTS} HTTP/1.1 clients at once, {SAMPLES} samples per case",
                "load_average_before_after": [load_before, load_after],
                "seed_store_seconds": round(seed_seconds, 2),
                "pages": measured,
                "baseline_last_page_sql_ms": baseline,
                "csv_export_seconds": round(export_seconds, 2),
                "csv_export_rows_per_second": round(ROWS / export_seconds),
                "csv_export_mb": round(size / 1e6, 1),
            }
        )


def _sql_baseline(job) -> dict:
    """The last page's SQL before keyset paging (COUNT(*) + OFFSET) and now (the keyset
    query the Last link runs), in-process, median ms of 20 on the same data."""
    from django.db import connection
    from django.http import QueryDict

    from leadops.pagination import keyset_paginate
    from traces.selectors import trace_results

    results = trace_results(job=job)
    offset = max(0, ROWS - 50)

    def old():
        results.count()
        list(results[offset : offset + 50])

    first = keyset_paginate(results, query=QueryDict(), per_page=50, count=ROWS)
    last_query = QueryDict(first.last_url[1:]) if first.last_url else QueryDict()

    def new():
        keyset_paginate(results, query=last_query, per_page=50, count=ROWS)

    figures = {}
    for label, run in (("count_plus_offset", old), ("keyset", new)):
        times = []
        for _ in range(20):
            started = time.perf_counter()
            run()
            times.append(1000 * (time.perf_counter() - started))
        figures[f"{label}_median_ms"] = round(statistics.median(times), 1)
    connection.close()
    return figures


if __name__ == "__main__":
    main()
