"""Run the sandbox (or any small ASGI app) on a free loopback port in a background thread.

Used by this package's contract tests and reusable by other suites::

    with run_sandbox(SandboxConfig(speed=50)) as sandbox:
        httpx.get(f"{sandbox.base_url}/_sandbox/health")

``WebhookReceiver`` is a tiny recording endpoint for webhook deliveries, and
``wait_until`` polls a condition with a deadline instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadops.waiting import wait_until as _wait_until

from .app import base_urls, create_app
from .config import SandboxConfig

START_TIMEOUT = 10.0


class _ThreadServer(uvicorn.Server):
    """A uvicorn server that never installs signal handlers (it runs off the main thread)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class RunningServer:
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout)


@dataclass
class RunningSandbox(RunningServer):
    config: SandboxConfig = field(default_factory=SandboxConfig)

    @property
    def urls(self) -> dict[str, str]:
        return base_urls(self.base_url)

    def reset(self) -> None:
        httpx.post(f"{self.base_url}/_sandbox/reset", timeout=10).raise_for_status()


def serve_in_thread(
    app: Any, *, health_path: str = "/", log_level: str = "warning"
) -> RunningServer:
    """Start ``app`` on 127.0.0.1:<free port>; return once it answers ``health_path``."""
    # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it
    # every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level=log_level, lifespan="on", timeout_graceful_shutdown=2)
    server = _ThreadServer(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True, name=f"asgi-{port}"
    )
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    running = RunningServer(base_url=base_url, server=server, thread=thread)

    def answering() -> bool:
        if not thread.is_alive():
            raise RuntimeError("server thread exited during start-up")
        try:
            httpx.get(f"{base_url}{health_path}", timeout=1.0)
        except httpx.TransportError:
            return False
        return True

    try:
        wait_until(answering, timeout=START_TIMEOUT, message="server did not start")
    except BaseException:
        running.stop()
        sock.close()
        raise
    return running


def start_sandbox(config: SandboxConfig | None = None) -> RunningSandbox:
    config = config or SandboxConfig()
    running = serve_in_thread(create_app(config), health_path="/_sandbox/health")
    return RunningSandbox(
        base_url=running.base_url, server=running.server, thread=running.thread, config=config
    )


@contextlib.contextmanager
def run_sandbox(config: SandboxConfig | None = None) -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(config)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@contextlib.contextmanager
def run_sandbox_process(env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``python -m leadops.sandbox`` as a child process on a free port; yield its base URL.

    Use this when the load matters: a sandbox in a thread shares the GIL with the test's
    own client, which then measures mostly GIL hand-offs. The state stays in memory unless
    ``env`` sets ``SANDBOX_STATE_FILE``.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child_env = {
        **os.environ,
        # Memory only unless the caller names a state file (the CLI default is var/…).
        "SANDBOX_STATE_FILE": ":memory:",
        **(env or {}),
        "SANDBOX_HOST": "127.0.0.1",
        "SANDBOX_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "leadops.sandbox"],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"sandbox process exited with {process.returncode}")
        try:
            httpx.get(f"{base_url}/_sandbox/health", timeout=1.0)
        except httpx.TransportError:
            return False
        return True

    try:
        wait_until(answering, timeout=START_TIMEOUT, message="sandbox process did not start")
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str = "condition not met",
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds.

    The sandbox's spelling of :func:`leadops.waiting.wait_until` (which it shares: that module
    is Django-free), kept for the contract tests' ``message=`` keyword.
    """
    return _wait_until(predicate, timeout=timeout, interval=interval, what=message)


@dataclass
class ReceivedCall:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """Records every POST it receives; answers ``status`` (default 200)."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self._lock = threading.Lock()
        self._calls: list[ReceivedCall] = []
        self._server: RunningServer | None = None

    async def _receive(self, request: Request) -> Response:
        call = ReceivedCall(
            path=request.url.path,
            query=request.url.query,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
        )
        with self._lock:
            self._calls.append(call)
        return Response(status_code=self.status)

    async def _health(self, request: Request) -> Response:
        return Response("ok")

    def start(self) -> WebhookReceiver:
        app = Starlette(
            routes=[
                Route("/_health", self._health, methods=["GET"]),
                Route("/{path:path}", self._receive, methods=["POST"]),
            ]
        )
        self._server = serve_in_thread(app, health_path="/_health")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("receiver not started")
        return self._server.base_url

    def url(self, path: str = "/hook") -> str:
        return f"{self.base_url}{path}"

    @property
    def calls(self) -> list[ReceivedCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, path: str) -> list[ReceivedCall]:
        return [call for call in self.calls if call.path == path]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
