"""The skip-trace results page and export with 100,000 results on PostgreSQL.

A job of 100,000 results (records imported through COPY, results stored by
`trace_results_store`) is read the way a user reads it: the job page's first page, its
last page (OFFSET pagination's worst case), each filter, a sort, the live progress
fragment, and the full CSV export streamed to the end. Each page is fetched 5 times through
Django's test client with a logged-in user (the whole view: middleware, scoping, the
django-tables2 table and the template); the median and worst times and the number of SQL
queries are reported.
"""

import os
import statistics
import time

from bench.common import bench_database, bench_redis_url, emit, setup_django

ROWS = int(os.environ.get("BENCH_RESULTS_ROWS", "100000"))
REPEAT = 5


def main() -> None:
    redis_url = bench_redis_url()
    with bench_database() as db_url:
        setup_django(db_url, redis_url)
        from django.db import connection, reset_queries
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from leadops.accounts.models import Membership, Role, Team
        from leadops.bulk import bulk_insert
        from leadops.imports.models import ImportBatch, ImportRecord
        from tests.factories import UserFactory
        from traces.models import TraceJob
        from traces.services import trace_results_store

        team = Team.objects.create(name="Bench")
        user = UserFactory(username="bench")
        Membership.objects.create(user=user, team=team, role=Role.STAFF)
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
        last_page = -(-ROWS // 50)
        pages = {
            "first page": detail,
            f"last page ({last_page:,})": f"{detail}?page={last_page}",
            "filter: hits": f"{detail}?status=hit",
            "filter: has mobile": f"{detail}?has_mobile=true",
            "filter: has email, page 100": f"{detail}?has_email=true&page=100",
            "filter: litigator": f"{detail}?litigator=true",
            "sort: by result, descending": f"{detail}?sort=-status",
            "live progress fragment": reverse("traces:progress", args=[job.pk]),
        }
        measured = {}
        for label, url in pages.items():
            times = []
            for _ in range(REPEAT):
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url, SERVER_NAME="localhost")
                    times.append(time.perf_counter() - started)
                assert response.status_code == 200, (label, response.status_code)
            measured[label] = {
                "median_ms": round(1000 * statistics.median(times), 1),
                "worst_ms": round(1000 * max(times), 1),
                "queries": len(queries),
            }

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
                "seed_store_seconds": round(seed_seconds, 2),
                "pages": measured,
                "csv_export_seconds": round(export_seconds, 2),
                "csv_export_rows_per_second": round(ROWS / export_seconds),
                "csv_export_mb": round(size / 1e6, 1),
            }
        )


if __name__ == "__main__":
    main()
