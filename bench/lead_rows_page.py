"""The lead list rows page with 100,000 rows on PostgreSQL, through a real server.

A finished build of 100,000 Tracerfy-like rows (the sandbox's generator, stored with COPY by
tests/leadbuilder/factories.py) is read the way users read it: gunicorn serves the app
(bench/http_pages.py) and 4 HTTP/1.1 clients with their own session fetch, at the same
time, the first page, the last page and the one before it (the keyset pager's Last and
Previous links), each kind of filter (owner, equity range, category, minimum score, the DNC
status of the phone) and a sort with its last page, each page with its score chart —
BENCH_SAMPLES (200) times per case; p50/p95/max in ms. Target: p95 < 150 ms per case.

The build's chart counts over all its rows are kept on the build when its rows are stored
(`leadbuilder.services.lead_rows_store`; the factory does the same), so the unfiltered cases
read them instead of counting 100,000 rows. A filtered case counts its rows once per gunicorn
process (one query, which also gives the pager its count; the app keeps them, see
`leadbuilder.selectors.filtered_distribution`): its `first_ms` is that first, counting
request, and the samples include each other process's first one. No page is cached.
"""

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

ROWS = size("BENCH_LEAD_ROWS", 100_000, 2_000)
SAMPLES = size("BENCH_SAMPLES", 200, 20)
TARGET_P95_MS = 150


def main() -> None:
    redis_url = bench_redis_url()
    with bench_database() as db_url:
        setup_django(db_url, redis_url)
        from django.db import connection
        from django.urls import reverse

        from dnc.services import phone_status_store
        from leadbuilder.models import LeadRow
        from tests.leadbuilder.factories import lead_build

        team, user = staff_team()
        started = time.perf_counter()
        build = lead_build(team=team, user=user, rows=ROWS, seed="bench")
        seed_seconds = time.perf_counter() - started
        # The team scrubbed half of the build's phones (a few flagged).
        phones = sorted(
            set(LeadRow.objects.filter(build=build).exclude(primary_phone="").values_list(
                "primary_phone", flat=True))
        )  # fmt: skip
        when = build.created_at
        flags = {"national_dnc": False, "state_dnc": False, "dma": False, "litigator": False}
        phone_status_store(
            team_id=team.pk,
            rows=[
                (p, {**flags, "national_dnc": n % 9 == 0, "is_clean": n % 9 != 0}, "Mobile",
                 when, "bench")
                for n, p in enumerate(phones[::2])
            ],
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        cookies = session_cookies(user, CLIENTS)
        url = reverse("leadbuilder:rows", args=[build.pk]) + "?filtered=1"
        load_before = load_average()
        with serve(database_url=db_url, redis_url=redis_url) as base:
            import httpx

            path = reverse("leadbuilder:rows", args=[build.pk])
            with httpx.Client(base_url=base, cookies=cookies[0], timeout=60) as walker:
                last = path + pager_link(page_html(walker, url), "last")
                before_last = path + pager_link(page_html(walker, last), "previous")
                by_sell = f"{url}&sort=-sell_score"
                by_sell_last = path + pager_link(page_html(walker, by_sell), "last")
            cases = {
                "first page": url,
                "last page (Last link)": last,
                "page before the last (Previous link)": before_last,
                "owner: company": f"{url}&owner_type=company",
                "equity 40-80 %, absentee": f"{url}&equity_min=40&equity_max=80&absentee=true",
                "sell category Medium, has phone": f"{url}&sell_category=Medium&has_phone=true",
                "refi score >= 40, SFR": f"{url}&refi_min=40&property_type=SFR",
                "solar High": f"{url}&solar_renovate_category=High",
                "DNC: clean": f"{url}&dnc=clean",
                "DNC: not scrubbed, sell >= 30": f"{url}&dnc=not_scrubbed&sell_min=30",
                "sort: sell score, descending": by_sell,
                "sort: sell score, descending, last page": by_sell_last,
            }
            measured = measure(base, cookies, cases, samples=SAMPLES)
        load_after = load_average()
        emit(
            {
                "benchmark": "lead_rows_page",
                "figures": {
                    f"{label}: p95": check(m["p95_ms"], unit="ms", under=TARGET_P95_MS)
                    for label, m in measured.items()
                },
                "database": f"PostgreSQL {connection.pg_version // 10000}",
                "rows": build.rows_total,
                "how": f"{SERVER}, {CLIENTS} HTTP/1.1 clients at once, {SAMPLES} samples per case",
                "load_average_before_after": [load_before, load_after],
                "seed_seconds": round(seed_seconds, 1),
                "cases": measured,
            }
        )


if __name__ == "__main__":
    main()
