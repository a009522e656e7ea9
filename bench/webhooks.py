"""Webhook intake through a real gunicorn on PostgreSQL: requests/s, p50/p95/p99, 0 lost.

N distinct Tracerfy trace-completion events plus D exact redeliveries are POSTed to
`/webhooks/tracerfy/<token>/` by a load generator that is not the bottleneck: LOAD_PROCS
processes, each with CONNECTIONS/LOAD_PROCS asyncio connections on raw sockets, writing
prebuilt HTTP/1.1 requests and reading the answers (keep-alive when the server keeps the
connection open, a new connection when it says `Connection: close`). Each connection sends
its next request when the previous answer arrived (closed loop), so the latency of every
request is measured, from the first byte written to the last byte read.

Two servers, each on a fresh table, in the same run:

- `intake` (the figures): gunicorn.conf.py at the repository root in its `webhooks` role
  (gthread, keep-alive; leadops.wsgi, whose `/webhooks/` requests go to the plain WSGI
  intake), as production runs it;
- `baseline_full_stack`: what served the intake before: Django's plain WSGI application
  (every middleware of settings.MIDDLEWARE) under 4 sync workers, one connection per request.
  It runs the same intake service (one INSERT … ON CONFLICT, one Redis round trip): the
  baseline isolates the handler, not the service.

After each run the stored events are counted: every distinct event exactly once (lost =
distinct sent - stored) and every redelivery counted on its original.
"""

import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time

from bench.common import (
    ROOT,
    bench_database,
    bench_redis_url,
    check,
    emit,
    free_port,
    setup_django,
    size,
)
from leadops.waiting import wait_until

EVENTS = size("BENCH_WEBHOOK_EVENTS", 20_000, 600)
DUPLICATES = size("BENCH_WEBHOOK_DUPLICATES", 2_000, 60)
CONNECTIONS = size("BENCH_WEBHOOK_CONNECTIONS", 16, 8)
LOAD_PROCS = size("BENCH_LOAD_PROCS", 2, 2)
# Requests before timing starts (connections opened, workers warm): not counted.
WARMUP = size("BENCH_WEBHOOK_WARMUP", 500, 50)
BASELINE = os.environ.get("BENCH_WEBHOOK_BASELINE", "1") != "0"
TOKEN = "bench-webhook-token"
PATH = f"/webhooks/tracerfy/{TOKEN}/"


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


def request(port: int, n: int) -> bytes:
    body = payload(n)
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: leadops-bench\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


# --- the load generator ------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, keep-alive) of one HTTP/1.1 response, its body read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep, chunked = 0, True, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            keep = value != "close"
        elif name == "transfer-encoding":
            chunked = value == "chunked"
    if chunked:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    elif length:
        await reader.readexactly(length)
    return status, keep


async def _connection(port: int, requests: list[bytes], latencies: list, statuses: dict) -> None:
    reader = writer = None
    for raw in requests:
        for attempt in range(3):
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            started = time.perf_counter()
            try:
                writer.write(raw)
                status, keep = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server closed an idle keep-alive connection just as we wrote: the
                # request was not read, so it is sent again on a new connection.
                writer.close()
                writer = None
                if attempt == 2:
                    raise
                continue
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if not keep:
                writer.close()
                writer = None
            break
    if writer is not None:
        writer.close()


async def _load(port: int, shares: list[list[bytes]]) -> tuple[list, dict, float, float, float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, share, latencies, statuses) for share in shares))
    return latencies, statuses, started, time.perf_counter(), time.process_time() - cpu


def _load_process(args: tuple[int, list[list[bytes]]]) -> tuple[list, dict, float, float]:
    port, shares = args
    return asyncio.run(_load(port, shares))


def generate(port: int, numbers: list[int], *, connections: int, procs: int) -> dict:
    """Send request(n) for every n, over `connections` connections in `procs` processes."""
    prebuilt = [request(port, n) for n in numbers]
    per_conn = [prebuilt[i::connections] for i in range(connections)]
    work = [(port, per_conn[p::procs]) for p in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        results = pool.map(_load_process, work)
    latencies = sorted(x for r in results for x in r[0])
    statuses: dict[int, int] = {}
    for r in results:
        for status, count in r[1].items():
            statuses[status] = statuses.get(status, 0) + count
    wall = max(r[3] for r in results) - min(r[2] for r in results)
    cpu = sum(r[4] for r in results)
    return {"latencies": latencies, "statuses": statuses, "wall": wall, "cpu": cpu}


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and its children (gunicorn's master
    and workers): what the server costs per request, whatever else the machine runs."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


# --- one server, one run -----------------------------------------------------------------------


def serve(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env)


def measure(name: str, command: list[str], env: dict, port: int, offset: int) -> dict:
    from django.db.models import Sum

    from leadops.webhooks.models import WebhookEvent

    server = serve(command, env)
    try:

        def up() -> bool:
            try:
                return _probe(port) > 0
            except (OSError, EOFError, TimeoutError, ValueError):
                return False

        wait_until(up, timeout=60, what=f"gunicorn ({name})")
        # Warm-up events have numbers of their own, and are left out of the count below.
        warm = list(range(offset + 10_000_000, offset + 10_000_000 + WARMUP))
        generate(port, warm, connections=CONNECTIONS, procs=LOAD_PROCS)
        numbers = [offset + n for n in range(EVENTS)] + [offset + n for n in range(DUPLICATES)]
        server_cpu = process_tree_cpu(server.pid)
        run = generate(port, numbers, connections=CONNECTIONS, procs=LOAD_PROCS)
        server_cpu = process_tree_cpu(server.pid) - server_cpu
    finally:
        server.terminate()
        server.wait(timeout=30)
    measured = WebhookEvent.objects.exclude(
        dedupe_key__in=[f"tracerfy:trace:{100_000 + n}:done" for n in warm]
    )
    stored = measured.count()
    duplicates = measured.aggregate(s=Sum("duplicates"))["s"] or 0
    latencies = run["latencies"]
    sent = len(numbers)
    return {
        "requests": sent,
        "answered": len(latencies),
        "statuses": {str(k): v for k, v in sorted(run["statuses"].items())},
        "seconds": round(run["wall"], 2),
        "requests_per_second": round(sent / run["wall"], 1),
        # CPU per request, independent of what else the machine runs (PostgreSQL's and
        # Redis's share comes on top): what bounds req/s on a quiet 2-core host.
        "server_cpu_ms_per_request": round(server_cpu / sent * 1000, 3),
        "load_generator_cpu_ms_per_request": round(run["cpu"] / sent * 1000, 3),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 2),
            "p95": round(percentile(latencies, 0.95), 2),
            "p99": round(percentile(latencies, 0.99), 2),
            "max": round(latencies[-1] * 1000, 2),
        },
        "distinct_events_sent": EVENTS,
        "events_stored": stored,
        "lost_events": EVENTS - stored,
        "duplicates_sent": DUPLICATES,
        "duplicates_counted": duplicates,
    }


def _probe(port: int) -> int:
    """The status of one request to the server (a blocking socket: the caller may be in a
    thread that already runs an event loop, as under pytest after a Playwright test)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"GET /webhooks/x/y/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1024)
            if not chunk:
                raise EOFError("closed before answering")
            head += chunk
    return int(head.split(b" ", 2)[1])


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    redis_url = bench_redis_url()
    with bench_database() as db_url:
        setup_django(db_url, redis_url)
        import django_rq

        from leadops.webhooks.models import WebhookEvent

        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "WEBHOOK_TOKEN": TOKEN,
            "DJANGO_SETTINGS_MODULE": "leadops.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-secret-key-" + "x" * 40,
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
        runs = {}
        servers = {
            "intake": ["-c", str(ROOT / "gunicorn.conf.py")],  # GUNICORN_ROLE=webhooks
            # The old setup: the full stack, 4 sync workers (a connection per request).
            "baseline_full_stack": [
                "django.core.wsgi:get_wsgi_application()",
                "-w",
                "4",
                "-k",
                "sync",
                "-c",
                os.devnull,
            ],
        }
        if not BASELINE:
            del servers["baseline_full_stack"]
        load_before = load_average()
        for offset, (name, args) in enumerate(servers.items()):
            django_rq.get_connection("default").flushdb()
            WebhookEvent.objects.all().delete()
            port = free_port()
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                *args,
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ]
            runs[name] = {
                "server": " ".join(["gunicorn", *args])
                + (" (GUNICORN_ROLE=webhooks)" if name == "intake" else ""),
                "load_average_before": load_average(),
            }
            role = {"GUNICORN_ROLE": "webhooks"} if name == "intake" else {}
            runs[name].update(measure(name, command, {**env, **role}, port, offset * 1_000_000))
        intake = runs["intake"]
        ok_statuses = intake["statuses"] == {"200": intake["requests"]}
        result = {
            "benchmark": "webhook_intake",
            "figures": {
                "requests_per_second": check(
                    intake["requests_per_second"], unit="req/s", at_least=1000
                ),
                "p99_ms": check(intake["latency_ms"]["p99"], unit="ms", under=50),
                "lost_events": check(intake["lost_events"], unit="events", under=1),
                "uncounted_duplicates": check(
                    DUPLICATES - intake["duplicates_counted"], unit="events", under=1
                ),
                "non_200_answers": check(
                    intake["requests"] - intake["statuses"].get("200", 0), unit="answers", under=1
                ),
            },
            "what": (
                "POSTs of distinct Tracerfy events then redeliveries, through a real gunicorn "
                "(PostgreSQL, Redis), closed loop over keep-alive connections; req/s over the "
                "whole timed run, latency per request from the first byte written to the last "
                "byte read"
            ),
            "load_generator": (
                f"{LOAD_PROCS} processes x {CONNECTIONS // LOAD_PROCS} asyncio raw-socket "
                f"connections ({CONNECTIONS} in all), prebuilt requests, {WARMUP} warm-up "
                "requests not timed"
            ),
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "runs": runs,
        }
        emit(result)
        if not ok_statuses or intake["lost_events"]:
            raise SystemExit("webhook intake benchmark: count check FAILED")


if __name__ == "__main__":
    main()
