"""Skip-trace result ingest on PostgreSQL: rows/s and the ratio to a naive save() loop
(targets: 25,000 results in under 2 s, at least 10x the loop).

25,000 provider records in Tracerfy's documented queue-record shape (owner names, mailing
address, primary phone + type, 5 emails, 5 mobiles, 3 landlines; ~85 % hits) are parsed by
the client's `TraceRecord` parser and stored by `traces.services.trace_results_store`
(match every row to exactly one submitted record, bulk insert, one transaction) against a
batch of 25,000 imported records. The naive baseline does the same matching with the same
in-memory key map, then `TraceResult(...).save()` per row in autocommit.
"""

import random
import time

from bench.common import (
    bench_database,
    bench_redis_url,
    check,
    emit,
    setup_django,
    size,
    staff_team,
    stored_import,
)

ROWS = size("BENCH_INGEST_ROWS", 25_000, 500)
NAIVE_ROWS = min(ROWS, size("BENCH_INGEST_NAIVE_ROWS", ROWS, ROWS))
TARGET_SECONDS = 2.0
TARGET_RATIO = 10


def provider_record(n: int, rng: random.Random) -> dict:
    hit = rng.random() < 0.85
    phone = f"512555{n % 100:02d}{n % 97:02d}"[:10]
    record = {
        "address": f"{1000 + n} Main St",
        "city": "Austin",
        "state": "TX",
        "mail_address": f"PO Box {n}" if hit else "",
        "mail_city": "Austin" if hit else "",
        "mail_state": "TX" if hit else "",
        "first_name": "Jane",
        "last_name": f"Doe{n}",
        "primary_phone": phone if hit else "",
        "primary_phone_type": "Mobile" if hit else "",
    }
    for i in range(1, 6):
        record[f"email_{i}"] = f"jane{n}.{i}@example.com" if hit and i <= 2 else ""
        record[f"mobile_{i}"] = phone if hit and i == 1 else ""
    for i in range(1, 4):
        record[f"landline_{i}"] = f"737555{n % 100:02d}{i:02d}" if hit and i == 1 else ""
    return record


def main() -> None:
    redis_url = bench_redis_url()
    with bench_database() as db_url:
        setup_django(db_url, redis_url)
        from django.db import connection

        from leadops.imports.models import ImportRecord
        from leadops.providers.tracerfy import TraceRecord
        from traces.models import TraceJob, TraceResult
        from traces.services import RESULT_FIELDS, match_key, record_match_key, trace_results_store
        from traces.tracerfy_steps import _result_row

        team, user = staff_team()
        batch = stored_import(team=team, user=user, rows=ROWS)
        rng = random.Random(7)
        raw = [provider_record(n, rng) for n in range(ROWS)]

        def new_job():
            return TraceJob.objects.create(
                team=team, created_by=user, batch=batch, trace_type="normal", provider="tracerfy"
            )

        # Fast path, as the ingest step runs it: the client parses the provider's page into
        # records, then their rows stream into the store (match + COPY, one transaction).
        job = new_job()
        started = time.perf_counter()
        records = [TraceRecord.from_json(r) for r in raw]
        rows = (_result_row(r) for r in records)
        stored, hits, unmatched = trace_results_store(job=job, rows=rows)
        fast = time.perf_counter() - started
        assert stored == ROWS and unmatched == 0, (stored, unmatched)
        assert TraceResult.objects.filter(job=job, record__isnull=False).count() == ROWS

        # Naive: same parsing and key map, one INSERT per row.
        naive_job = new_job()
        started = time.perf_counter()
        by_key = {
            record_match_key(values): pk
            for pk, values in ImportRecord.objects.filter(batch=batch).values_list("pk", "values")
        }
        for record in raw[:NAIVE_ROWS]:
            row = _result_row(TraceRecord.from_json(record))
            key = match_key(address=row["address"], city=row["city"], state=row["state"])
            TraceResult(
                team=team,
                job=naive_job,
                record_id=by_key.get(key),
                match_key=key,
                status="hit" if row["hit"] else "miss",
                **{f: row[f] for f in RESULT_FIELDS if f in row},
            ).save()
        naive = time.perf_counter() - started
        naive_full = naive * ROWS / NAIVE_ROWS

        emit(
            {
                "benchmark": "trace_ingest",
                "figures": {
                    "ingest_seconds": check(round(fast, 2), unit="s", under=TARGET_SECONDS),
                    "ratio_vs_naive_loop": check(
                        round(naive_full / fast, 1), unit="x", at_least=TARGET_RATIO
                    ),
                },
                "database": f"PostgreSQL {connection.pg_version // 10000}",
                "rows": ROWS,
                "hits": hits,
                "fast_seconds": round(fast, 2),
                "fast_rows_per_second": round(ROWS / fast),
                "naive_rows_measured": NAIVE_ROWS,
                "naive_seconds_for_all_rows": round(naive_full, 2),
                "naive_measured_or_extrapolated": "measured"
                if NAIVE_ROWS == ROWS
                else "extrapolated",
                "naive_rows_per_second": round(NAIVE_ROWS / naive),
                "speedup": round(naive_full / fast, 1),
            }
        )


if __name__ == "__main__":
    main()
