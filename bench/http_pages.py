"""Page speed through a real server: gunicorn on the bench database, concurrent clients.

What a user waits for is a page served by the production server while other users load
pages too, not one view called in-process. `serve()` starts gunicorn with the production
settings (gunicorn.conf.py; DEBUG off, static files collected, the bench's database and
Redis) and `measure()` fetches each case's URL with CLIENTS threads, each an HTTP/1.1 client
(keep-alive when the server offers it) logged in with its own session cookie, SAMPLES times
per case in all, and reports p50/p95/max in ms (wall time from the request to the last
byte). Each case is warmed once first (`first_ms`); no page is cached, but what the app
itself keeps is kept as for any user (a lead rows filter's counts, per gunicorn process:
up to 4 of the other processes count them again within the samples).
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from bench.common import ROOT, free_port

CLIENTS = 4
CONF = str(ROOT / "gunicorn.conf.py")
SERVER = f"gunicorn -c gunicorn.conf.py ({2 * (os.cpu_count() or 1) + 1} sync workers, DEBUG off)"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def serve(*, database_url: str, redis_url: str):
    """gunicorn as production runs it (gunicorn.conf.py at the repository root) serving the
    app on 127.0.0.1; yields its base URL."""
    from django.conf import settings

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-static-") as static_root:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "leadops.settings",
            "DEBUG": "false",
            # The bench's own key: the sessions it made for its clients must hold there.
            "SECRET_KEY": settings.SECRET_KEY,
            "WEBHOOK_TOKEN": "bench-only-webhook-token",
            # Plain HTTP on 127.0.0.1 (TLS ends at the proxy in front of gunicorn).
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "STATIC_ROOT": static_root,
            "PYTHONPATH": str(ROOT),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        log = Path(static_root) / "gunicorn.log"
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--log-level", "warning", "-c", CONF],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_up(f"http://127.0.0.1:{port}/", server, log)
                yield f"http://127.0.0.1:{port}"
            finally:
                server.terminate()
                server.wait(timeout=30)


def _wait_up(url: str, server: subprocess.Popen, log: Path) -> None:
    import httpx

    from leadops.waiting import wait_until

    def answers() -> bool:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=2)
        except httpx.TransportError:
            return False
        return True

    wait_until(answers, timeout=60, interval=0.2, what="gunicorn to answer")


def session_cookies(user, n: int) -> list[dict]:
    """`n` logged-in sessions of `user` (one per client, as n browsers would have)."""
    from django.conf import settings
    from django.test import Client

    cookies = []
    for _ in range(n):
        client = Client()
        client.force_login(user)
        cookies.append(
            {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
        )
    return cookies


def measure(base: str, cookies: list[dict], cases: dict[str, str], *, samples: int) -> dict:
    """p50/p95/max ms per case: len(cookies) threads share `samples` requests of the case,
    all threads running at once; every answer must be a 200."""
    import httpx

    clients = [httpx.Client(base_url=base, cookies=c, timeout=60) for c in cookies]
    try:
        results = {}
        for label, url in cases.items():
            first = time.perf_counter()
            response = clients[0].get(url)  # warm
            first_ms = 1000 * (time.perf_counter() - first)
            if response.status_code != 200:
                raise RuntimeError(f"{label}: {url} answered {response.status_code}")
            share = [samples // len(clients)] * len(clients)
            for i in range(samples % len(clients)):
                share[i] += 1
            started = time.perf_counter()
            with ThreadPoolExecutor(len(clients)) as pool:
                answers = list(pool.map(_fire, clients, [url] * len(clients), share))
            elapsed = time.perf_counter() - started
            times = [t for mine, _failed in answers for t in mine]
            failures = [f for _mine, failed in answers for f in failed]
            if failures:
                raise RuntimeError(f"{label}: {len(failures)} answers were not 200: {failures[:3]}")
            results[label] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "max_ms": round(max(times), 1),
                "first_ms": round(first_ms, 1),
                "samples": len(times),
                "pages_per_second": round(len(times) / elapsed, 1),
                "bytes": len(response.content),
            }
        return results
    finally:
        for client in clients:
            client.close()


def _fire(client, url: str, count: int) -> tuple[list[float], list[int]]:
    """`count` requests of `url` one after another: their ms, and any status but 200."""
    times, failures = [], []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        times.append(1000 * (time.perf_counter() - started))
        if response.status_code != 200:
            failures.append(response.status_code)
    return times, failures


def page_html(client, url: str) -> str:
    """The page at `url`, which must answer 200."""
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return response.text


def pager_link(html: str, which: str) -> str:
    """The href of the page's keyset pager link `which` (first, previous, next, last)."""
    import html as html_lib
    import re

    found = re.search(rf'href="([^"]+)"[^>]*data-testid="pager-{which}"', html)
    if not found:
        raise RuntimeError(f"no {which} link on the page")
    return html_lib.unescape(found.group(1))


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"
