"""The webhook intake: a plain WSGI application for `/webhooks/…`, and the checks every
provider call goes through (`accept`), shared with the full stack's view.

A provider's call carries no session, no login and no CSRF token, and its answer is an empty
200. Through Django's full stack it paid ~1.3 ms of middleware per event; through Django's
request handling with only the security middleware, still ~1 ms of request and response
objects, URL resolving and middleware calls: more than storing the event. Providers send up
to 50 events a second and bursts far beyond, so `leadops.wsgi.application` sends every
`/webhooks/…` request here, to `application`, which reads the WSGI environ itself:

- the route is `/webhooks/<provider>/<token>/` and POST only (404 and 405 otherwise);
- `accept` checks the token (constant time), the provider's own authentication, the body's
  size (413 beyond MAX_BODY, before reading it) and its JSON, then stores the event
  (`webhook_receive`: one INSERT, one Redis round trip);
- every answer is small JSON or an empty 200 with a Content-Length (keep-alive friendly),
  `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, the referrer policy and, on
  HTTPS, HSTS: what SecurityMiddleware and XFrameOptionsMiddleware gave it. No HTTPS
  redirect: a POST that came over plain HTTP has already sent its token, and providers do
  not follow redirects (TLS ends at the proxy in front of gunicorn);
- a 4xx or 5xx is logged on `django.request` as Django logs it ("Not Found: <path>"), with
  the token masked; an unexpected error is a JSON 500, logged with its traceback;
- database connections live as under Django's handler: `request_started` and
  `request_finished` are sent, so CONN_MAX_AGE and broken connections are handled; the
  per-request health check (a `SELECT 1` round trip) is skipped, because `webhook_receive`
  retries its one INSERT on a fresh connection when the kept one was dead.
"""

import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from urllib.parse import parse_qsl

from django.conf import settings
from django.core import signals
from django.db import connection

from leadops.logmasking import mask_secrets
from leadops.webhooks import registry
from leadops.webhooks.bodies import BodyRefused, load_object
from leadops.webhooks.services import webhook_receive

PATH_PREFIX = "/webhooks/"
MAX_BODY = 1024 * 1024
_ROUTE = re.compile(r"/webhooks/([-a-zA-Z0-9_]+)/([^/]+)/")
_REASONS = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}

log = logging.getLogger("django.request")


class Refused(Exception):
    """An answer other than 200: its status and the message the sender reads."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def accept(
    *,
    provider: str,
    token: str,
    headers: Mapping[str, str],
    read_body: Callable[[int], bytes],
    query: dict,
) -> None:
    """Check and store one provider call; raises Refused with the answer otherwise.

    `headers` has lower-case names; `read_body(limit)` returns at most `limit` bytes of the
    body.
    """
    spec = registry.provider(provider)
    if spec is None or not hmac.compare_digest(token.encode(), settings.WEBHOOK_TOKEN.encode()):
        raise Refused(404, "not found")  # reveals nothing and stores nothing
    if not spec.authenticate(headers):
        raise Refused(401, "webhook authentication failed")
    try:
        declared = int(headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        raise Refused(413, "body too large")
    # Never past the declared length (PEP 3333); a chunked body has none and is read up to
    # one byte beyond the limit.
    body = read_body(declared or MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise Refused(413, "body too large")
    try:
        payload = load_object(body)
    except BodyRefused as exc:
        raise Refused(400, str(exc)) from None
    # webhook_receive keeps only a few harmless headers (never the API key).
    webhook_receive(provider=provider, body=body, payload=payload, query=query, headers=headers)


def environ_headers(environ: dict) -> dict[str, str]:
    """The request's headers from a WSGI environ, by lower-case name."""
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _secure(environ: dict) -> bool:
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy and environ.get(proxy[0], "").split(",")[0].strip() == proxy[1]:
        return True
    return environ.get("wsgi.url_scheme") == "https"


def _answer_headers(environ: dict) -> list[tuple[str, str]]:
    headers = [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY")]
    if settings.SECURE_REFERRER_POLICY:
        headers.append(("Referrer-Policy", settings.SECURE_REFERRER_POLICY))
    if settings.SECURE_HSTS_SECONDS and _secure(environ):
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    return headers


def _handle(environ: dict) -> tuple[int, bytes, list[tuple[str, str]]]:
    """The answer to one request: status, body and the headers particular to it."""
    route = _ROUTE.fullmatch(environ.get("PATH_INFO", ""))
    if route is None:
        raise Refused(404, "not found")
    method = environ.get("REQUEST_METHOD", "")
    if method != "POST":
        return 405, b"", [("Allow", "POST")]
    stream = environ["wsgi.input"]
    accept(
        provider=route[1],
        token=route[2],
        headers=environ_headers(environ),
        read_body=stream.read,
        query=dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
    )
    return 200, b"", []


def application(environ: dict, start_response):
    """The WSGI application of `/webhooks/…` (leadops.wsgi routes it here)."""
    signals.request_started.send(sender=__name__, environ=environ)
    try:
        # See the module docstring: webhook_receive retries a dead connection itself.
        connection.health_check_done = True
        try:
            status, body, headers = _handle(environ)
        except Refused as refused:
            status, headers = refused.status, [("Content-Type", "application/json")]
            body = json.dumps({"error": refused.message}).encode()
        except Exception:
            log.exception("Internal Server Error: %s", _masked_path(environ))
            status, headers = 500, [("Content-Type", "application/json")]
            body = b'{"error": "server error"}'
        if 400 <= status < 500:  # a 500 was logged with its traceback above
            _log_refusal(environ, status)
        headers += _answer_headers(environ)
        headers.append(("Content-Length", str(len(body))))
        start_response(_REASONS[status], headers)
        return [body]
    finally:
        signals.request_finished.send(sender=__name__)


def _masked_path(environ: dict) -> str:
    return mask_secrets(environ.get("PATH_INFO", ""))


def _log_refusal(environ: dict, status: int) -> None:
    """As Django's handler logs a 4xx answer ("Not Found: <path>"), the token masked."""
    reason = HTTPStatus(status).phrase
    if status == 405:
        reason = f"{reason} ({environ.get('REQUEST_METHOD', '')})"
    log.warning("%s: %s", reason, _masked_path(environ))
