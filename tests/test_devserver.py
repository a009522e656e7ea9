"""`make run`'s supervisor (`python -m leadops.devserver supervise`), with real processes.

A small Procfile of our own proves the supervisor's rules (restart the dead one, keep the
others serving, back off, stop everything, Redis last); one test runs the repository's own
Procfile, the whole stack on free ports and a temporary `var`, and kills the worker and the
redis-server under it.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import redis
from rq import Queue, Worker

from leadops.devserver import STOP_TIMEOUT, read_dotenv, read_procfile
from leadops.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
STARTED = re.compile(r"\| (\S+) started \(pid (\d+)\)$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str, body: str | None = None) -> bool:
    try:
        response = httpx.get(url)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and (body is None or response.text == body)


def gone(pgid: int) -> bool:
    """No live process is left in the process group.

    A zombie is not alive: once its parent is dead only init can reap it, and some
    containers' init never does.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    if not Path("/proc").is_dir():
        return False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue
        if int(group) == pgid and state != "Z":
            return False
    return True


def all_gone(pids: list[int]) -> bool:
    return all(gone(pid) for pid in pids)


class Supervised:
    """The supervisor as a child process; its output collected line by line."""

    def __init__(self, procfile: Path, *, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "leadops.devserver", "supervise", str(procfile)],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def pids(self, name: str) -> list[int]:
        """Every pid `name` was started with, in order."""
        return [
            int(m[2]) for line in list(self.lines) if (m := STARTED.search(line)) and m[1] == name
        ]

    def pid(self, name: str, *, other_than: int | None = None) -> int:
        def current():
            pids = self.pids(name)
            return pids and pids[-1] != other_than and pids[-1]

        return wait_until(current, timeout=10, what=f"{name} (re)started\n{self.output()}")

    def line(self, pattern: str, timeout: float = 10) -> str:
        def find():
            return next((line for line in list(self.lines) if re.search(pattern, line)), None)

        return wait_until(find, timeout=timeout, what=f"a line matching {pattern!r}")

    def terminate(self, timeout: float = 15) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        return code

    def cleanup(self) -> None:
        """After a failed test: nothing of ours may outlive it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for line in list(self.lines):
            if m := STARTED.search(line):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(int(m[2]), signal.SIGKILL)


class Poller:
    """GET a URL every 50 ms in a thread; remember every failure."""

    def __init__(self, url: str) -> None:
        self.url, self.failures, self.answers = url, [], 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=2) as client:
            while not self.done.wait(0.05):
                try:
                    response = client.get(self.url)
                    if response.status_code == 200:
                        self.answers += 1
                    else:
                        self.failures.append(response.status_code)
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=5)


@pytest.fixture
def supervise():
    started = []

    def start(procfile: Path, *, cwd: Path | None = None, **env: str) -> Supervised:
        base = {
            k: v
            for k, v in os.environ.items()
            if k
            not in {
                "DATABASE_URL",
                "REDIS_URL",
                "DJANGO_SETTINGS_MODULE",
                "DJANGO_ALLOW_ASYNC_UNSAFE",
            }
        }
        supervised = Supervised(procfile, cwd=cwd or procfile.parent, env={**base, **env})
        started.append(supervised)
        return supervised

    yield start
    for supervised in started:
        supervised.cleanup()


@pytest.mark.django_db
def test_healthz_answers_anyone_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_procfile_is_read_in_order_without_comments(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "# the services\nredis: redis-server --port 0\n\n"
        "web: a && exec b ${WEB_PORT:-8000}\nnot a process line\n"
    )
    assert read_procfile(procfile) == {
        "redis": "redis-server --port 0",
        "web": "a && exec b ${WEB_PORT:-8000}",
    }
    procfile.write_text("web: a\nweb: b\n")
    with pytest.raises(ValueError, match="process 'web' is listed twice"):
        read_procfile(procfile)


def test_dotenv_beside_the_procfile_is_read_like_honcho(tmp_path):
    (tmp_path / ".env").write_text("WEB_PORT=8001\nexport IGNORED=1\nGREETING='hello world'\n")
    assert read_dotenv(tmp_path / ".env") == {"WEB_PORT": "8001", "GREETING": "hello world"}
    assert read_dotenv(tmp_path / "absent") == {}


def test_a_killed_process_comes_back_while_the_other_keeps_serving(tmp_path, supervise):
    port = free_port()
    (tmp_path / "Procfile").write_text(
        f"web: {sys.executable} -m http.server {port} --bind 127.0.0.1\n"
        "loop: while true; do echo tick; sleep 0.2; done\n"
    )
    run = supervise(tmp_path / "Procfile")
    web, loop = run.pid("web"), run.pid("loop")
    run.line(r"loop +\| tick$")
    url = f"http://127.0.0.1:{port}/"
    wait_until(lambda: answers(url), timeout=10, what="the web process")
    poller = Poller(url)

    os.kill(loop, signal.SIGKILL)
    new_loop = run.pid("loop", other_than=loop)
    assert run.line(
        rf"loop \(pid {loop}\) was killed by SIGKILL after [\d.]+s; restarting it in 1s"
    )
    wait_until(lambda: gone(loop), timeout=5, what="the killed loop's group to be gone")
    poller.stop()
    assert poller.failures == []
    assert poller.answers > 0
    assert run.pids("web") == [web]

    os.kill(web, signal.SIGKILL)
    new_web = run.pid("web", other_than=web)
    wait_until(lambda: answers(url), timeout=10, what="the web back")
    assert run.pids("loop") == [loop, new_loop]

    assert run.terminate() == 0
    assert "SIGTERM received: stopping all" in run.output()
    wait_until(lambda: all_gone([web, loop, new_web, new_loop]), timeout=5, what="no leftovers")


def test_a_process_that_keeps_crashing_is_restarted_ever_more_slowly(tmp_path, supervise):
    (tmp_path / "Procfile").write_text("crash: echo starting; exit 3\nidle: sleep 60\n")
    run = supervise(tmp_path / "Procfile")
    run.line(r"restarting it in 2s$", timeout=15)
    crashes = [line for line in run.lines if "crash (pid" in line]
    assert re.search(r"exited with code 3 after [\d.]+s; restarting it in 1s$", crashes[0])
    assert re.search(r"exited with code 3 after [\d.]+s; restarting it in 2s$", crashes[1])
    assert len(run.pids("crash")) == 2
    assert len(run.pids("idle")) == 1
    assert run.terminate() == 0


STOPPER = """
import signal, sys, time
name, delay, log = sys.argv[1], float(sys.argv[2]), sys.argv[3]
def stop(*_):
    time.sleep(delay)
    with open(log, "a") as f:
        f.write(name + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print(name, "ready", flush=True)
while True:
    time.sleep(1)
"""


def test_sigterm_stops_everything_and_redis_last(tmp_path, supervise):
    (tmp_path / "stopper.py").write_text(STOPPER)
    log = tmp_path / "stopped.log"
    stopper = f"{sys.executable} {tmp_path / 'stopper.py'}"
    (tmp_path / "Procfile").write_text(
        f"redis: {stopper} redis 0 {log}\nworker: {stopper} worker 0.5 {log}\n"
    )
    run = supervise(tmp_path / "Procfile")
    run.line(r"redis +\| redis ready")
    run.line(r"worker +\| worker ready")

    assert run.terminate(timeout=10) == 0
    # Without the ordering, redis (no delay) would finish first.
    assert log.read_text().split() == ["worker", "redis"]
    wait_until(
        lambda: all_gone(run.pids("redis") + run.pids("worker")), timeout=5, what="none left"
    )


STUBBORN = "stubborn: trap '' TERM; echo deaf; while true; do sleep 0.1; done\n"


def test_a_process_deaf_to_sigterm_is_killed_after_the_stop_timeout(tmp_path, supervise):
    (tmp_path / "Procfile").write_text(STUBBORN)
    run = supervise(tmp_path / "Procfile")
    run.line(r"stubborn +\| deaf$")
    started = time.monotonic()
    assert run.terminate(timeout=15) == 0
    assert STOP_TIMEOUT <= time.monotonic() - started < STOP_TIMEOUT + 5
    assert "stubborn is still running: SIGKILL" in run.output()
    assert re.search(r"stubborn \(pid \d+\) was killed by SIGKILL$", run.output(), re.M)
    wait_until(lambda: all_gone(run.pids("stubborn")), timeout=5, what="the group gone")


def test_a_second_signal_kills_at_once(tmp_path, supervise):
    (tmp_path / "Procfile").write_text(STUBBORN)
    run = supervise(tmp_path / "Procfile")
    run.line(r"stubborn +\| deaf$")
    started = time.monotonic()
    run.proc.send_signal(signal.SIGINT)
    run.line(r"SIGINT received: stopping all$")
    assert run.terminate(timeout=STOP_TIMEOUT) == 0  # the second signal
    assert time.monotonic() - started < STOP_TIMEOUT
    assert "stubborn is still running: SIGKILL" in run.output()
    wait_until(lambda: all_gone(run.pids("stubborn")), timeout=5, what="the group gone")


def test_the_real_stack_survives_a_killed_worker_and_redis(tmp_path, supervise):
    """The repository's Procfile, as `make run` starts it, on free ports and a temporary var."""
    var = tmp_path / "var"
    var.mkdir()
    web_port, sandbox_port = free_port(), free_port()
    env = {
        "VAR_DIR": str(var),
        "WEB_PORT": str(web_port),
        "SANDBOX_PORT": str(sandbox_port),
        "SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
    }
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    migrate = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr

    run = supervise(ROOT / "Procfile", cwd=ROOT, **env)
    health = f"http://127.0.0.1:{web_port}/healthz"

    wait_until(lambda: answers(health, "ok\n"), timeout=30, what=f"/healthz\n{run.output()}")
    poller = Poller(health)
    store = redis.Redis.from_url(f"unix://{var / 'redis.sock'}?db=0")

    def worker_pids():
        try:
            return {w.pid for w in Worker.all(connection=store)}
        except redis.RedisError:
            return set()

    def job_runs():
        job = Queue("default", connection=store).enqueue("leadops.jobs.tasks.reconcile")
        wait_until(lambda: job.get_status() == "finished", timeout=20, what="a job to run")

    (worker,) = wait_until(worker_pids, timeout=20, what=f"the worker\n{run.output()}")
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: worker_pids() - {worker}, timeout=10, what=f"a new worker\n{run.output()}")

    redis_pid = store.info("server")["process_id"]
    assert run.pids("redis")[-1] == redis_pid  # the Procfile process is redis-server itself
    os.kill(redis_pid, signal.SIGKILL)

    def new_redis():
        try:
            return store.info("server")["process_id"] != redis_pid
        except redis.RedisError:
            return False

    wait_until(new_redis, timeout=10, what=f"a new redis-server\n{run.output()}")
    job_runs()  # and the worker serves the new Redis

    poller.stop()
    assert poller.failures == [], run.output()
    assert poller.answers > 0

    assert run.terminate(timeout=20) == 0
    stopped = [m[1] for line in run.lines if (m := re.search(r"\| (\w+) \(pid \d+\) ", line))]
    assert stopped[-1] == "redis", run.output()
    everyone = [
        pid for name in ("redis", "sandbox", "worker", "cron", "web") for pid in run.pids(name)
    ]
    assert len(everyone) >= 7, run.output()  # five started, the worker and redis again
    wait_until(lambda: all_gone(everyone), timeout=5, what="every process to be gone")
