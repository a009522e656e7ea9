"""Webhook processing on PostgreSQL with ONE forking RQ worker: events handled per second.

The events are RealEstateAPI per-item results (the heaviest handler: lock the job, attach the
result to its record, count it) for a real submitted trace job, built by the sandbox's own
result generator. Three measurements in one run, each with a fresh worker process
(`manage.py rqworker high default webhooks low`, as the Procfile runs it):

- drained: EVENTS stored events, processed by the batch drain (what intake queues now);
- baseline: EVENTS stored events, one RQ job each (what intake queued before the drain);
- sustained: events arriving at RATE per second for SECONDS (RealEstateAPI documents up to 50
  a second per batch) while the worker runs; the lag from receipt to processed, p50/p99/max.

The figures count from the worker's start to the last event processed (the whole wait,
worker start-up included), and per second of steady processing.
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid

from bench.common import (
    ROOT,
    bench_database,
    bench_redis_url,
    check,
    emit,
    setup_django,
    size,
    staff_team,
    stored_import,
)
from leadops.waiting import wait_until

EVENTS = size("BENCH_WEBHOOK_PROCESS_EVENTS", 2_000, 100)
RATE = float(os.environ.get("BENCH_WEBHOOK_RATE", "50"))
SECONDS = float(size("BENCH_WEBHOOK_SECONDS", 20, 2))
TARGET_LAG_SECONDS = 2.0  # at RATE events a second, none waits longer to be processed


def _worker(db_url: str, redis_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "leadops.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench",
        "WEBHOOK_TOKEN": "bench",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "high", "default", "webhooks", "low"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    redis_url = bench_redis_url()
    with bench_database() as db_url:
        setup_django(db_url, redis_url)
        import django_rq
        from django.db import connection
        from django.db.models import Max, Min

        from leadops.imports.models import ImportRecord
        from leadops.jobs.queueing import enqueue_step
        from leadops.sandbox import reapi as sandbox_reapi
        from leadops.sandbox.state import ReapiBatch as SandboxBatch
        from leadops.webhooks import registry
        from leadops.webhooks.models import EventStatus, WebhookEvent
        from leadops.webhooks.services import PROCESS_TASK, QUEUE, webhook_receive
        from traces.models import ReapiBatch, TraceJob
        from traces.reapi_steps import skip_request

        django_rq.get_connection("default").flushdb()
        team, user = staff_team()
        total = 2 * EVENTS + int(RATE * SECONDS)

        batch = stored_import(team=team, user=user, rows=total)
        job = TraceJob.objects.create(
            team=team,
            created_by=user,
            batch=batch,
            trace_type="normal",
            provider="reapi",
            status="submitted",
            records_sent=total,
            rows_total=total,
        )
        batch_id = str(uuid.uuid4())
        ReapiBatch.objects.create(job=job, chunk=0, batch_id=batch_id, keys=total)
        items = [
            skip_request(pk, values).as_json(None)
            for pk, values in ImportRecord.objects.filter(batch=batch)
            .order_by("pk")
            .values_list("pk", "values")
        ]
        fake = SandboxBatch(
            batch_id=batch_id,
            api_key="bench",
            items=items,
            request_ids={str(i["key"]): str(uuid.uuid4()) for i in items},
            webhook_url=None,
            webcomplete_url=None,
        )
        payloads = [sandbox_reapi.item_result(fake, item, 0.15) for item in items]

        def store(payload: dict, *, queue_per_event: bool) -> int:
            body = json.dumps(payload).encode()
            if not queue_per_event:
                return webhook_receive(
                    provider="reapi", body=body, payload=payload, query={}, headers={}
                )[0]
            described = registry.provider("reapi").describe(payload, {})
            event = WebhookEvent.objects.create(
                provider="reapi",
                kind=described.kind,
                ref=described.ref,
                dedupe_key=described.dedupe_key,
                body=body.decode(),
            )
            enqueue_step(PROCESS_TASK, event.pk, job_id=f"webhook-{event.pk}", queue=QUEUE)
            return event.pk

        def measure(ids: list[int]) -> dict:
            started = time.perf_counter()
            worker = _worker(db_url, redis_url)
            try:
                wait_until(
                    lambda: (
                        not WebhookEvent.objects.filter(
                            pk__in=ids, status=EventStatus.PENDING
                        ).exists()
                    ),
                    timeout=600,
                    interval=0.2,
                    what="every event processed",
                )
                wall = time.perf_counter() - started
            finally:
                worker.terminate()
                worker.wait(timeout=30)
            done = WebhookEvent.objects.filter(pk__in=ids)
            span = done.aggregate(a=Min("processed_at"), b=Max("processed_at"))
            steady = (span["b"] - span["a"]).total_seconds() or 1e-9
            bad = done.exclude(status=EventStatus.PROCESSED).count()
            assert bad == 0, f"{bad} events not processed"
            return {
                "events": len(ids),
                "wall_seconds_from_worker_start": round(wall, 2),
                "events_per_second_whole_wait": round(len(ids) / wall, 1),
                "events_per_second_steady": round((len(ids) - 1) / steady, 1),
            }

        drained = measure([store(p, queue_per_event=False) for p in payloads[:EVENTS]])
        baseline = measure([store(p, queue_per_event=True) for p in payloads[EVENTS : 2 * EVENTS]])

        # Sustained arrivals at RATE per second while one worker runs.
        live = payloads[2 * EVENTS :]
        worker = _worker(db_url, redis_url)
        ids: list[int] = []
        try:
            time.sleep(3)  # the worker is up before the first event, as in production

            def arrive():
                from django.db import connection as thread_connection

                start = time.perf_counter()
                for n, payload in enumerate(live):
                    delay = start + n / RATE - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    ids.append(store(payload, queue_per_event=False))
                thread_connection.close()

            sender = threading.Thread(target=arrive)
            sender.start()
            sender.join()
            wait_until(
                lambda: (
                    not WebhookEvent.objects.filter(pk__in=ids, status=EventStatus.PENDING).exists()
                ),
                timeout=600,
                interval=0.2,
                what="every live event processed",
            )
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        lags = sorted(
            (e.processed_at - e.received_at).total_seconds()
            for e in WebhookEvent.objects.filter(pk__in=ids)
        )
        job.refresh_from_db()
        emit(
            {
                "benchmark": "webhook_processing",
                "figures": {
                    "sustained_lag_seconds_max": check(
                        round(lags[-1], 3), unit="s", under=TARGET_LAG_SECONDS
                    )
                },
                "database": f"PostgreSQL {connection.pg_version // 10000}",
                "worker": "one forking RQ worker (manage.py rqworker high default webhooks low)",
                "event": "RealEstateAPI per-item result for a submitted trace job",
                "drained_in_batches": drained,
                "baseline_one_rq_job_per_event": baseline,
                "speedup_whole_wait": round(
                    drained["events_per_second_whole_wait"]
                    / baseline["events_per_second_whole_wait"],
                    1,
                ),
                "sustained": {
                    "arrival_rate_per_second": RATE,
                    "events": len(ids),
                    "lag_seconds_p50": round(statistics.median(lags), 3),
                    "lag_seconds_p99": round(lags[int(len(lags) * 0.99) - 1], 3),
                    "lag_seconds_max": round(lags[-1], 3),
                },
                "results_stored": job.rows_done,
            }
        )


if __name__ == "__main__":
    main()
