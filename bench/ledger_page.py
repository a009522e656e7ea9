"""The dashboard's credit ledger with 100,000 entries in one wallet on PostgreSQL, through a
real server.

A wallet with 100,000 ledger entries (grants and captures over a year, written with COPY:
the seed is data, not a test of the credits services) is read the way its owner reads it:
gunicorn serves the app (bench/http_pages.py) and 4 HTTP/1.1 clients with their own
session fetch, at the same time, the dashboard (its ledger's first page), the ledger's last
page and the one before it (the keyset pager's Last and Previous links), and a sort by
change with its last page — BENCH_SAMPLES (200) times per case; p50/p95/max in ms. Target:
p95 < 150 ms per case. The dashboard's other panels (balance chart, team figures) are part
of what is measured: they are what the user waits for too.
"""

import datetime
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

ENTRIES = size("BENCH_LEDGER_ENTRIES", 100_000, 2_000)
SAMPLES = size("BENCH_SAMPLES", 200, 20)
TARGET_P95_MS = 150


def main() -> None:
    redis_url = bench_redis_url()
    with bench_database() as db_url:
        setup_django(db_url, redis_url)
        from django.db import connection
        from django.urls import reverse
        from django.utils import timezone

        from leadops.bulk import bulk_insert
        from leadops.credits.models import CreditEntry, Wallet
        from leadops.credits.services import wallet_for

        team, user = staff_team()
        wallet = wallet_for(user=user, team=team)
        started = time.perf_counter()
        start = timezone.now() - datetime.timedelta(days=365)
        step = datetime.timedelta(days=365) / ENTRIES

        def entries():
            balance = 0
            for n in range(ENTRIES):
                grant = n % 10 == 0
                amount = 500 if grant else -(n % 45 + 1)
                if balance + amount < 0:
                    amount = -balance
                balance += amount
                yield (
                    wallet.pk,
                    "grant" if grant else "capture",
                    amount,
                    0,
                    balance,
                    0,
                    f"bench-{n}",
                    f"job-{n // 50}",
                    "Admin grant" if grant else f"Skip trace #{n // 50}",
                    start + n * step,
                )

        bulk_insert(
            CreditEntry,
            [
                "wallet",
                "kind",
                "amount",
                "held_delta",
                "balance_after",
                "held_after",
                "idempotency_key",
                "reference",
                "reason",
                "created_at",
            ],
            entries(),
        )
        last_balance = CreditEntry.objects.filter(wallet=wallet).order_by("-id").first()
        Wallet.objects.filter(pk=wallet.pk).update(available=last_balance.balance_after)
        seed_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        cookies = session_cookies(user, CLIENTS)
        home = reverse("dashboard")
        load_before = load_average()
        with serve(database_url=db_url, redis_url=redis_url) as base:
            import httpx

            with httpx.Client(base_url=base, cookies=cookies[0], timeout=60) as walker:
                last = home + pager_link(page_html(walker, home), "last")
                before_last = home + pager_link(page_html(walker, last), "previous")
                by_change = f"{home}?sort=-amount"
                by_change_last = home + pager_link(page_html(walker, by_change), "last")
            cases = {
                "dashboard, ledger first page": home,
                "ledger last page (Last link)": last,
                "ledger page before the last (Previous link)": before_last,
                "ledger sorted by change, descending": by_change,
                "ledger sorted by change, last page": by_change_last,
            }
            measured = measure(base, cookies, cases, samples=SAMPLES)
        load_after = load_average()
        emit(
            {
                "benchmark": "ledger_page",
                "figures": {
                    f"{label}: p95": check(m["p95_ms"], unit="ms", under=TARGET_P95_MS)
                    for label, m in measured.items()
                },
                "database": f"PostgreSQL {connection.pg_version // 10000}",
                "entries": ENTRIES,
                "how": f"{SERVER}, {CLIENTS} HTTP/1.1 clients at once, {SAMPLES} samples per case",
                "load_average_before_after": [load_before, load_after],
                "seed_seconds": round(seed_seconds, 1),
                "cases": measured,
            }
        )


if __name__ == "__main__":
    main()
