"""Pieces every provider module shares: auth, the endpoint wrapper, JSON helpers."""

from __future__ import annotations

import abc
import asyncio
import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .faults import AnswerFault, Plan
from .ratelimit import retry_after_header
from .state import SandboxState


class BadRequest(Exception):
    """Raised by handlers to answer with a provider-shaped error."""

    def __init__(self, body: dict[str, Any], status: int = 400) -> None:
        super().__init__(str(body))
        self.body = body
        self.status = status


@dataclass(frozen=True)
class Ctx:
    state: SandboxState
    api_key: str
    base_url: str


def state_of(request: Request) -> SandboxState:
    return request.app.state.sandbox


def public_base_url(request: Request) -> str:
    configured = state_of(request).config.public_base_url
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/")


def constant_time_in(candidate: str, allowed: tuple[str, ...]) -> bool:
    matched = False
    for key in allowed:
        if hmac.compare_digest(candidate.encode(), key.encode()):
            matched = True
    return matched


class Provider(abc.ABC):
    """Auth and error shapes of one provider."""

    name = "provider"

    @abc.abstractmethod
    def authenticate(self, request: Request, state: SandboxState) -> str | Response:
        """The API key the request authenticated with, or the provider's 401 response."""

    @abc.abstractmethod
    def throttled(self, retry_after: float, bucket: str | None) -> Response:
        """The provider's 429 response."""

    @abc.abstractmethod
    def unavailable(self, status: int, message: str | None) -> Response:
        """The provider's 5xx response."""

    def server_error(self, status: int) -> Response:
        """The provider's answer to a request that failed after it was processed."""
        return self.unavailable(status, None)


class TracerfyProvider(Provider):
    name = "tracerfy"
    # Django REST framework wording, which the documented errors follow.
    throttle_bodies = {
        "tracerfy.preview": {"detail": "Preview rate limit exceeded."},
        "tracerfy.autocomplete": {
            "status": 429,
            "error": "Autocomplete rate limit exceeded. Max 30 requests per minute.",
        },
    }

    def authenticate(self, request: Request, state: SandboxState) -> str | Response:
        header = request.headers.get("authorization", "")
        if not header:
            return self._unauthorized("Authentication credentials were not provided.")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return self._unauthorized("Invalid token header. No credentials provided.")
        if not constant_time_in(token, state.config.tracerfy_keys):
            return self._unauthorized("Invalid token.")
        return token

    def _unauthorized(self, detail: str) -> Response:
        return JSONResponse({"detail": detail}, 401, headers={"WWW-Authenticate": "Bearer"})

    def throttled(self, retry_after: float, bucket: str | None) -> Response:
        header = retry_after_header(retry_after)
        body = self.throttle_bodies.get(bucket or "") or {
            "detail": f"Request was throttled. Expected available in {header} seconds."
        }
        return JSONResponse(body, 429, headers={"Retry-After": header})

    def unavailable(self, status: int, message: str | None) -> Response:
        if message:
            return JSONResponse({"error": message}, status)
        return JSONResponse({"detail": "Service temporarily unavailable, try again later."}, status)

    def server_error(self, status: int) -> Response:
        if status == 500:
            return JSONResponse({"detail": "A server error occurred."}, status)
        return self.unavailable(status, None)


class ReapiProvider(Provider):
    name = "reapi"

    def authenticate(self, request: Request, state: SandboxState) -> str | Response:
        key = request.headers.get("x-api-key", "")
        if not key or not constant_time_in(key, state.config.reapi_keys):
            return self.error(401, "Unauthorized", "Missing or invalid x-api-key header.")
        return key

    @staticmethod
    def error(status: int, status_message: str, message: str) -> Response:
        body = {"statusCode": status, "statusMessage": status_message, "message": message}
        return JSONResponse(body, status)

    def throttled(self, retry_after: float, bucket: str | None) -> Response:
        response = self.error(429, "Too Many Requests", "Rate limit exceeded.")
        response.headers["Retry-After"] = retry_after_header(retry_after)
        return response

    def unavailable(self, status: int, message: str | None) -> Response:
        return self.error(status, "Service Unavailable", message or "Service unavailable.")

    def server_error(self, status: int) -> Response:
        if status == 500:
            return self.error(500, "Internal Server Error", "An unexpected error occurred.")
        return self.unavailable(status, None)


class CrmProvider(Provider):
    name = "crm"

    def authenticate(self, request: Request, state: SandboxState) -> str | Response:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() == "basic" and encoded:
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            username, sep, password = decoded.partition(":")
            config = state.config
            user_ok = hmac.compare_digest(username.encode(), config.crm_username.encode())
            pass_ok = hmac.compare_digest(password.encode(), config.crm_password.encode())
            if sep and user_ok and pass_ok:
                return username
        return JSONResponse(
            {"status": "error", "message": "Unauthorized"},
            401,
            headers={"WWW-Authenticate": 'Basic realm="crm"'},
        )

    def throttled(self, retry_after: float, bucket: str | None) -> Response:
        return JSONResponse(
            {"status": "error", "message": "Too many requests"},
            429,
            headers={"Retry-After": retry_after_header(retry_after)},
        )

    def unavailable(self, status: int, message: str | None) -> Response:
        return JSONResponse(
            {"status": "error", "message": message or "Service unavailable"}, status
        )


TRACERFY = TracerfyProvider()
REAPI = ReapiProvider()
CRM = CrmProvider()

Handler = Callable[[Request, Ctx], Awaitable[Response]]


def endpoint(
    provider: Provider,
    handler: Handler,
    *,
    bucket: str | None = None,
    unavailable: str | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with auth, request faults, rate limiting and faulted answers.

    Order: auth → faults before processing (latency, reset, 5xx, 429) → rate limit →
    handler → faults after processing (reset, 5xx, malformed or truncated body, late
    answer; only on answers below 400, i.e. when the work was done).
    """

    async def run(request: Request) -> Response:
        state = state_of(request)
        auth = provider.authenticate(request, state)
        if isinstance(auth, Response):
            return auth
        path, method = request.url.path, request.method
        plan: Plan = await state.faults.before(method, path)
        fault = plan.before
        if fault is not None:
            if fault.kind == "reset_before":
                return ConnectionReset()
            if fault.kind == "rate_limit":
                return provider.throttled(fault.retry_after, bucket)
            return provider.unavailable(fault.status, unavailable)
        if bucket is not None:
            retry_after = state.limiter.hit(auth, bucket)
            if retry_after is not None:
                return provider.throttled(retry_after, bucket)
        ctx = Ctx(state=state, api_key=auth, base_url=public_base_url(request))
        try:
            response = await handler(request, ctx)
        except BadRequest as exc:
            response = JSONResponse(exc.body, exc.status)
        if response.status_code >= 400:
            return response
        answer = state.faults.after(plan, method, path)
        if answer is None:
            return response
        faulted = faulted_answer(provider, response, answer)
        paid = getattr(request.state, "paid", None)
        if paid is not None and answer.kind is not None:
            status = None if answer.kind == "reset_after" else faulted.status_code
            state.mark_paid_answer(paid, answer.kind, status)
        elif paid is not None:
            state.mark_paid_answer(paid, "read_timeout", response.status_code)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return faulted

    run.__name__ = getattr(handler, "__name__", "endpoint")
    return run


MALFORMED_BODY = b"<html><head><title>200 OK</title></head><body>Processing&hellip;</body></html>"


def faulted_answer(provider: Provider, response: Response, answer: AnswerFault) -> Response:
    """The answer a client gets instead of ``response`` (the work was done)."""
    if answer.kind == "reset_after":
        return ConnectionReset()
    if answer.kind == "processed_error":
        return provider.server_error(answer.status)
    if answer.kind == "malformed_body":
        return Response(MALFORMED_BODY, 200, media_type="application/json")
    if answer.kind == "truncated_body":
        body = bytes(getattr(response, "body", b""))
        return Response(body[: len(body) // 2], response.status_code, media_type="application/json")
    return response


# Set in the ASGI scope by ConnectionReset; SandboxApp then aborts the connection.
ABORT_SCOPE_KEY = "leadops.sandbox.abort"


class ConnectionReset(Response):
    """No answer at all: the connection is reset (TCP RST) once the app returns.

    Sends nothing; flags the scope so that the outermost layer (``app.SandboxApp``, which
    holds the server's own ``send``) can abort the transport. Inside Starlette an exception
    would be turned into a 500 by its error middleware, which is an answer.
    """

    def __init__(self) -> None:
        super().__init__(status_code=599)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        scope[ABORT_SCOPE_KEY] = True


async def read_json(request: Request, *, error_key: str = "detail") -> Any:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest({error_key: f"JSON parse error - {exc}"}) from exc


async def read_json_object(request: Request) -> dict[str, Any]:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise BadRequest(
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
        )
    return data


def with_and_without_slash(path: str) -> tuple[str, str]:
    stripped = path.rstrip("/")
    return stripped, stripped + "/"
