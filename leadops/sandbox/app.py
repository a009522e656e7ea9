"""The sandbox ASGI application: ``create_app(config)``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from . import control, crm, dnc, leadbuilder, parcel, reapi, tracerfy
from .common import ABORT_SCOPE_KEY
from .config import SandboxConfig
from .state import SandboxState

logger = logging.getLogger("leadops.sandbox")

TRACERFY_PREFIX = "/tracerfy/v1/api"
REAPI_PREFIX = "/reapi/v1"
CRM_PREFIX = "/crm/v1"


class SandboxApp(Starlette):
    """Starlette plus connection resets: a handler that answered ``ConnectionReset`` has
    flagged the scope; with the server's own ``send`` at hand, abort its transport."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await super().__call__(scope, receive, send)
        if scope.get("type") == "http" and scope.get(ABORT_SCOPE_KEY):
            await abort_connection(send)


async def abort_connection(send: Any) -> None:
    """Close the connection under the current request with a TCP RST and no answer.

    uvicorn hands the app its protocol cycle's bound ``send``; its ``transport`` is the
    connection. SO_LINGER 0 turns the close into a reset, which httpx reports as
    ``ReadError`` (or ``RemoteProtocolError`` when it sees a clean close first).
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        # Not uvicorn: start an answer that promises a body and never send it; the server
        # closes a connection whose answer is incomplete.
        logger.warning("connection reset: no transport; sending an incomplete answer")
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
        )
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let the server see the connection lost before it looks at the unanswered request.
    await asyncio.sleep(0)
    await asyncio.sleep(0)


def create_app(config: SandboxConfig | None = None) -> Starlette:
    config = config or SandboxConfig.from_env()
    state = SandboxState(config)
    state.resumers.update(
        trace=tracerfy.resume,
        parcel=parcel.resume,
        dnc=dnc.resume,
        lead_list=leadbuilder.resume,
        reapi=reapi.resume,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.close()

    tracerfy_routes = tracerfy.routes() + parcel.routes() + dnc.routes() + leadbuilder.routes()
    app = SandboxApp(
        routes=[
            *control.routes(),
            Mount(TRACERFY_PREFIX, routes=tracerfy_routes),
            Mount(REAPI_PREFIX, routes=reapi.routes()),
            Mount(CRM_PREFIX, routes=crm.routes()),
        ],
        lifespan=lifespan,
    )
    app.state.sandbox = state
    return app


def base_urls(root: str) -> dict[str, str]:
    root = root.rstrip("/")
    return {
        "tracerfy": f"{root}{TRACERFY_PREFIX}/",
        "reapi": f"{root}{REAPI_PREFIX}/SkipTraceBatch",
        "crm": f"{root}{CRM_PREFIX}/batch",
        "control": f"{root}/_sandbox/",
    }
