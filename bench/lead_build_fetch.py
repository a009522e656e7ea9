"""Fetching and storing a 50,000-row lead build from the sandbox: rows/s and the ratio to a
naive loop measured in the same run.

Tracerfy caps one build at 25,000 rows (``requested_count`` 1-25000), so the 50,000 rows are
two builds of 25,000 executed against the sandbox (run as its own process, so its serving
does not share our GIL) and fetched one after the other. The figure is what the build's
ingest step costs — what a user waits for between "Tracerfy finished" and the rows page —
measured end to end: every ``GET lead-builder/<id>/rows/`` page over HTTP (500 rows a page,
the documented maximum), parsing by the client's ``LeadRowsPage`` (rows split as raw JSON),
and ``leadbuilder.services.lead_rows_store`` (a binary COPY per chunk of 10,000 rows, each
row's JSON stored as it came, progress updated per chunk), with the next pages fetched
while earlier ones are stored (``tracerfy_steps.row_pages``).
The sandbox builds the lists before the clock starts (SANDBOX_SPEED is raised so that takes
seconds, not the contract's minutes).

Naive baseline, same run, same server: the documented default page size (100), the same
parsing and row mapping (``row_values``: each row's ``data`` decoded whole, as a model
instance holds it), and ``LeadRow(...).save()`` per row in autocommit, on NAIVE_ROWS
rows of the first list (at least 10 % of the total), extrapolated linearly to all rows
(reported as extrapolated).

Database: a fresh PostgreSQL database (BENCH_PG_URL's server) dropped afterwards. Redis:
REDIS_URL, else a private embedded server. Sizes: BENCH_LEAD_ROWS (50000), BENCH_LEAD_NAIVE_ROWS
(5000).
"""

from __future__ import annotations

import os
import time

import httpx

from bench.common import (
    bench_database,
    bench_redis_url,
    check,
    emit,
    setup_django,
    size,
    staff_team,
)

ROWS = size("BENCH_LEAD_ROWS", 50_000, 600)
NAIVE_ROWS = size("BENCH_LEAD_NAIVE_ROWS", max(1, ROWS // 10), max(1, ROWS // 10))
PER_LIST = 25_000
TARGET_RATIO = 10


def main() -> None:
    from leadops.sandbox.testing import run_sandbox_process, wait_until

    redis_url = bench_redis_url()
    with (
        bench_database() as db_url,
        run_sandbox_process({"SANDBOX_SPEED": "50", "SANDBOX_MISS_RATE": "0.2"}) as sandbox,
    ):
        os.environ["TRACERFY_BASE_URL"] = f"{sandbox}/tracerfy/v1/api/"
        setup_django(db_url, redis_url)
        from django.db import connection

        from leadbuilder.models import LeadBuild, LeadRow
        from leadbuilder.services import ROW_FIELDS, lead_rows_store, row_values
        from leadbuilder.spec import BuildSpec
        from leadbuilder.tracerfy_steps import row_pages
        from leadops import providers

        httpx.post(f"{sandbox}/_sandbox/account", json={"balance": ROWS * 10}).raise_for_status()
        team, user = staff_team()
        sizes = [PER_LIST] * (ROWS // PER_LIST) + ([ROWS % PER_LIST] if ROWS % PER_LIST else [])
        refs = []
        with providers.tracerfy_client() as client:
            for n, count in enumerate(sizes):
                spec = BuildSpec(
                    strategies=("custom",),
                    geography={"mode": "states", "states": ["TX", "FL", "AZ"][n % 3 :][:1]},
                    requested_count=count,
                )
                refs.append(client.lead_execute(**spec.provider_body(), name=f"bench {n}").id)
            for ref in refs:
                wait_until(
                    lambda ref=ref: client.lead_status(ref).is_complete,
                    timeout=600,
                    interval=0.5,
                    message=f"sandbox lead list {ref} did not complete",
                )

        def new_build(ref: int) -> LeadBuild:
            return LeadBuild.objects.create(
                team=team, created_by=user, provider="tracerfy", name="bench", provider_ref=ref
            )

        # Fast path: what LeadSteps.ingest does, list after list.
        stored = 0
        started = time.perf_counter()
        with providers.tracerfy_client() as client:
            for ref in refs:
                build = new_build(ref)

                stored += lead_rows_store(job=build, pages=row_pages(client, ref)).rows
        fast = time.perf_counter() - started
        assert LeadRow.objects.count() == stored

        # Naive: default page size, one save() per row, on NAIVE_ROWS rows of the first list.
        naive_build = new_build(refs[0])
        done = 0
        started = time.perf_counter()
        with providers.tracerfy_client() as client:
            page = 1
            while done < NAIVE_ROWS:
                got = client.lead_rows(refs[0], page=page, per_page=100)
                for row in got.rows:
                    if done >= NAIVE_ROWS:
                        break
                    done += 1
                    fields = row_values(team.pk, naive_build.pk, done, row)
                    values = dict(zip(ROW_FIELDS, fields, strict=True))
                    values["team_id"] = values.pop("team")
                    values["build_id"] = values.pop("build")
                    LeadRow(**values).save()
                page += 1
        naive = time.perf_counter() - started
        naive_full = naive * stored / done
        ratio = naive_full / fast
        emit(
            {
                "benchmark": "lead_build_fetch",
                "figures": {
                    "ratio_vs_naive_loop": check(round(ratio, 1), unit="x", at_least=TARGET_RATIO)
                },
                "database": f"PostgreSQL {connection.pg_version // 10000}",
                "rows": stored,
                "lists": len(refs),
                "note": "two lists of 25,000 (Tracerfy's maximum per build), fetched in turn",
                "seconds": round(fast, 2),
                "rows_per_second": round(stored / fast),
                "naive_rows_measured": done,
                "naive_measured_or_extrapolated": "measured" if done == stored else "extrapolated",
                "naive_seconds_for_all_rows": round(naive_full, 2),
                "naive_rows_per_second": round(done / naive),
                "speedup": round(ratio, 1),
            }
        )


if __name__ == "__main__":
    main()
