"""Webhook intake under gunicorn on PostgreSQL: requests/s, p50/p99 latency, stored-once check.

Sends N distinct Tracerfy trace-completion events plus D exact duplicates, C at a time, to the
real view served by gunicorn (4 sync workers), then counts what was stored: every distinct
event exactly once, every duplicate counted on its original.
"""

import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.common import ROOT, bench_database, bench_redis_url, emit, free_port, setup_django
from leadops.waiting import wait_until

EVENTS = int(os.environ.get("BENCH_WEBHOOK_EVENTS", "3000"))
DUPLICATES = int(os.environ.get("BENCH_WEBHOOK_DUPLICATES", "300"))
CONCURRENCY = int(os.environ.get("BENCH_WEBHOOK_CONCURRENCY", "16"))
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
TOKEN = "bench-webhook-token"


def payload(n: int) -> bytes:
    return json.dumps(
        {
            "id": 100_000 + n,
            "created_at": "2025-07-13T18:55:02Z",
            "pending": False,
            "download_url": f"https://example.com/{n}.csv",
            "rows_uploaded": 12,
            "credits_deducted": 12,
            "queue_type": "api",
            "trace_type": "normal",
            "credits_per_lead": 1,
        }
    ).encode()


CLIENT_PROCS = int(os.environ.get("BENCH_CLIENT_PROCS", "2"))


def _send_share(args: tuple[str, list[int], int]) -> tuple[list[float], list[int]]:
    url, numbers, threads = args
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    local = threading.local()

    def send(n: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            # TCP_NODELAY: httpx writes headers and body separately, and Nagle + delayed ACK
            # would otherwise add ~40 ms to every request, measuring the client, not the view.
            transport = httpx.HTTPTransport(
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            )
            client = local.client = httpx.Client(timeout=10, transport=transport)
        t0 = time.perf_counter()
        status = client.post(
            url, content=payload(n), headers={"Content-Type": "application/json"}
        ).status_code
        elapsed = time.perf_counter() - t0
        with lock:
            latencies.append(elapsed)
            if status != 200:
                errors.append(status)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, numbers))
    return latencies, errors


def _fan_out(url: str, numbers: list[int]) -> tuple[list[float], list[int]]:
    shares = [numbers[i::CLIENT_PROCS] for i in range(CLIENT_PROCS)]
    threads = max(1, CONCURRENCY // CLIENT_PROCS)
    with multiprocessing.get_context("spawn").Pool(CLIENT_PROCS) as pool:
        results = pool.map(_send_share, [(url, share, threads) for share in shares])
    return [x for r in results for x in r[0]], [x for r in results for x in r[1]]


def main() -> None:
    redis_url = bench_redis_url()
    with bench_database() as db_url:
        setup_django(db_url, redis_url)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "WEBHOOK_TOKEN": TOKEN,
            "DJANGO_SETTINGS_MODULE": "leadops.settings",
            "LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "leadops.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(GUNICORN_WORKERS),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            url = f"{base}/webhooks/tracerfy/{TOKEN}/"

            def up():
                try:
                    return httpx.get(f"{base}/login/", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(up, timeout=30, what="gunicorn")
            # Distinct events first, then their duplicates (as a retrying sender would), from
            # CLIENT_PROCS processes so the load generator is not one GIL-bound process.
            started = time.perf_counter()
            first = _fan_out(url, list(range(EVENTS)))
            second = _fan_out(url, list(range(DUPLICATES)))
            wall = time.perf_counter() - started
            latencies = first[0] + second[0]
            errors = first[1] + second[1]
            bodies = [None] * (EVENTS + DUPLICATES)
        finally:
            server.terminate()
            server.wait(timeout=30)

        from django.db.models import Sum

        from leadops.webhooks.models import WebhookEvent

        stored = WebhookEvent.objects.count()
        dup_counted = WebhookEvent.objects.aggregate(s=Sum("duplicates"))["s"] or 0
        latencies.sort()
        result = {
            "benchmark": "webhook_intake",
            "server": f"gunicorn {GUNICORN_WORKERS} sync workers, PostgreSQL, Redis",
            "requests": len(bodies),
            "concurrency": CONCURRENCY,
            "client_processes": CLIENT_PROCS,
            "non_200": len(errors),
            "requests_per_second": round(len(bodies) / wall, 1),
            "latency_ms_p50": round(statistics.median(latencies) * 1000, 2),
            "latency_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
            "distinct_events_sent": EVENTS,
            "events_stored": stored,
            "duplicates_sent": DUPLICATES,
            "duplicates_counted": dup_counted,
            "stored_exactly_once": stored == EVENTS and dup_counted == DUPLICATES,
        }
        emit(result)
        if not result["stored_exactly_once"] or errors:
            raise SystemExit("webhook intake benchmark: count check FAILED")


if __name__ == "__main__":
    main()
