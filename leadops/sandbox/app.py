"""The sandbox ASGI application: ``create_app(config)``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Mount

from . import control, crm, dnc, leadbuilder, parcel, reapi, tracerfy
from .config import SandboxConfig
from .state import SandboxState

TRACERFY_PREFIX = "/tracerfy/v1/api"
REAPI_PREFIX = "/reapi/v1"
CRM_PREFIX = "/crm/v1"


def create_app(config: SandboxConfig | None = None) -> Starlette:
    config = config or SandboxConfig.from_env()
    state = SandboxState(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.close()

    tracerfy_routes = tracerfy.routes() + parcel.routes() + dnc.routes() + leadbuilder.routes()
    app = Starlette(
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
