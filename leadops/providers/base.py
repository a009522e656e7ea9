"""The one doorway to every provider: HTTP client, timeouts, logging, retries, error mapping.

Provider modules subclass ``ProviderClient`` and only add endpoints (and, where a provider
words things its own way, a ``classify`` hook). Everything that must be the same for every
provider lives here, so it is right once:

- explicit connect/read/write/pool timeouts and our User-Agent on every call;
- one log line per attempt (provider, method, path, status, ms, the provider's request id)
  and never the key, the Authorization header or a request body;
- the rate limiter consulted before a limited call (its slot counted from the call's end),
  and penalised on a 429;
- transport failures and 5xx answers turned into ``ProviderUnavailable`` saying whether
  the provider may have processed the request (``request_sent``; a paid POST that may have
  been processed must be reconciled, never resent);
- idempotent reads retried on connect errors and 5xx with short jittered backoff; paid
  POSTs never retried.

What "may have been processed" means (``ProviderUnavailable.request_sent``):

- ``request_sent=False``, *not processed, safe to send again*: what a provider or a gateway
  in front of it tells us it did not process (HTTP 502, 503, 504: the gateway or the
  service refused or gave up before the application answered), and connections that never
  carried the request (connect errors, connect and pool timeouts);
- ``request_sent=True``, *may have been processed*: HTTP 500 and every other 5xx (the
  application failed, possibly after doing the work), 408 and 425, read timeouts, a
  connection closed or reset after the request was sent, and a 2xx whose body we cannot
  read (``MalformedResponse``).

Callers that create paid work decide per call on this flag: resend later only when it is
False; otherwise look for the work at the provider (or wait for its webhooks) first.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import httpx
import orjson

from .downloads import CsvDownload
from .errors import (
    AuthFailed,
    InsufficientCredits,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    NotReady,
    ParseError,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from .ratelimit import RateLimiter, Slot
from .wire import NO_RETRIES, USER_AGENT, RetryPolicy, Timeouts, request_id

logger = logging.getLogger("leadops.providers")

DEFAULT_RETRY_AFTER = 60.0

# 5xx statuses a gateway or the service sends when the request was not processed: a bad
# gateway, a service refusing work, a gateway that gave up waiting. Every other 5xx may
# come after the work was done.
NOT_PROCESSED_STATUSES = frozenset({502, 503, 504})

T = TypeVar("T")

# Status -> error class, for statuses every provider means the same way.
STATUS_ERRORS: dict[int, type[ProviderError]] = {
    400: InvalidRequest,
    401: AuthFailed,
    402: InsufficientCredits,
    403: AuthFailed,
    404: NotFound,
    409: NotReady,
    413: InvalidRequest,
    422: InvalidRequest,
}


class EncodedJson(bytes):
    """A JSON request body already encoded (its size checked, say): sent as it is."""


class ProviderClient:
    """Base of the provider clients. Subclasses set ``provider`` and ``display_name``,
    provide ``auth_headers`` (or an ``httpx.Auth``) and add endpoint methods."""

    provider: ClassVar[str] = "provider"
    display_name: ClassVar[str] = "Provider"
    # 4xx statuses that retrying later can fix; every other 4xx is permanent.
    transient_statuses: ClassVar[frozenset[int]] = frozenset({409, 429})

    def __init__(
        self,
        *,
        base_url: str,
        timeouts: Timeouts | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not base_url:
            raise ValueError(f"{self.display_name}: base_url is required")
        self.timeouts = timeouts or Timeouts()
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self._pause = threading.Event()
        self._http = httpx.Client(
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=self.timeouts.as_httpx(),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            auth=auth,
            transport=transport,
            follow_redirects=False,
        )

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    # -- the call ----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        family: str | None = None,
        idempotent: bool = False,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one logical call and return a 2xx response, or raise a ``ProviderError``.

        ``family`` names the rate-limit family (also penalised on a 429); ``idempotent``
        allows retries on connect errors, timeouts and 5xx. Never pass ``idempotent`` for a
        call that creates paid work.
        """
        policy = self.retry if idempotent else NO_RETRIES
        attempt = 0
        while True:
            attempt += 1
            slot = self._take_slot(family)
            try:
                try:
                    response = self._send(method, path, attempt, params, json_body, data, files)
                finally:
                    self._end_slot(slot)
            except ProviderUnavailable:
                if self._may_retry(attempt, policy):
                    self._pause.wait(policy.delay(attempt - 1))
                    continue
                raise
            if response.is_success:
                return response
            error = self.error_for(response)
            if isinstance(error, RateLimited) and family and self.limiter is not None:
                self.limiter.penalize(family, error.retry_after)
            if isinstance(error, ProviderUnavailable) and self._may_retry(attempt, policy):
                self._pause.wait(policy.delay(attempt - 1))
                continue
            raise error

    @staticmethod
    def _may_retry(attempt: int, policy: RetryPolicy) -> bool:
        return attempt < policy.attempts

    def _take_slot(self, family: str | None) -> Slot | None:
        """A slot for one attempt, held in flight for as long as the attempt may last (every
        timeout phase at its longest) and ended by ``_end_slot`` when the answer is in."""
        if family is None or self.limiter is None:
            return None
        t = self.timeouts
        slot = self.limiter.take(family, hold=t.pool + t.connect + t.write + t.read)
        if not slot.taken:
            raise RateLimited(
                f"{self.display_name} rate limit reached for {family}; "
                f"next slot in {math.ceil(slot.wait)} s.",
                retry_after=slot.wait,
                local=True,
                family=family,
                provider=self.provider,
            )
        return slot

    def _end_slot(self, slot: Slot | None) -> None:
        if slot is not None and self.limiter is not None:
            self.limiter.finish(slot)

    def _send(
        self,
        method: str,
        path: str,
        attempt: int,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, Any] | None,
        files: Mapping[str, Any] | None,
    ) -> httpx.Response:
        started = time.perf_counter()
        body: dict[str, Any] = {"json": json_body}
        if isinstance(json_body, EncodedJson):
            body = {"content": bytes(json_body), "headers": {"Content-Type": "application/json"}}
        try:
            response = self._http.request(
                method, path, params=params, data=data, files=files, **body
            )
        except httpx.TransportError as exc:
            error = self._transport_error(exc)
            self._log(method, path, None, started, attempt, None, type(exc).__name__)
            raise error from exc
        self._log(method, path, response.status_code, started, attempt, request_id(response), None)
        return response

    def _log(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        attempt: int,
        request_id: str | None,
        failure: str | None,
    ) -> None:
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        level = logging.INFO if status is not None and status < 500 else logging.WARNING
        logger.log(
            level,
            "%s %s %s -> %s in %d ms (attempt %d, request id %s)",
            self.provider,
            method,
            path,
            status if status is not None else failure,
            elapsed_ms,
            attempt,
            request_id or "-",
            extra={
                "provider": self.provider,
                "method": method,
                "endpoint": path,
                "status": status,
                "latency_ms": elapsed_ms,
                "attempt": attempt,
                "request_id": request_id,
                "failure": failure,
            },
        )

    def _transport_error(self, exc: httpx.TransportError) -> ProviderUnavailable:
        name = self.display_name
        read = self.timeouts.read
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return ProviderUnavailable(
                f"{name} could not be reached in time (connect timeout).",
                timed_out=True,
                request_sent=False,
                provider=self.provider,
            )
        if isinstance(exc, httpx.ConnectError):
            return ProviderUnavailable(
                f"{name} could not be reached (connection failed).",
                request_sent=False,
                provider=self.provider,
            )
        if isinstance(exc, httpx.TimeoutException):
            return ProviderUnavailable(
                f"{name} did not answer within {read:g} s; the request may have been accepted.",
                timed_out=True,
                request_sent=True,
                provider=self.provider,
            )
        return ProviderUnavailable(
            f"{name} closed the connection before answering; the request may have been accepted.",
            request_sent=True,
            provider=self.provider,
        )

    # -- result files ------------------------------------------------------------------

    def download_csv(self, url: str, *, max_bytes: int | None = None) -> Iterator[dict[str, str]]:
        """Stream the CSV at a provider's ``download_url`` and yield one dict per row.

        The header row gives the keys (a UTF-8 BOM is dropped); values are strings exactly
        as the provider wrote them (no stripping, no type conversion; a short row is padded
        with ""). The file is decoded as UTF-8 and parsed while it streams, never held
        whole; quoted fields may span lines.

        Security: the link is fetched by a separate HTTP client that sends only our
        User-Agent, so the API's Authorization / ``x-api-key`` never reaches the download
        host or a host it redirects to (at most 3 redirects, each to http(s) only). Logs
        and error messages show ``scheme://host/path`` only: the query string carries the
        link's signature and is never logged.

        The link is checked when this is called; everything else is raised while iterating:

        - ``InvalidRequest`` (permanent): empty, relative or non-http(s) link (at call
          time); any other 4xx from the download host;
        - ``DownloadExpired`` (not permanent): HTTP 403/404/410, the signed link expired or
          the file is gone; read the job's status again for a fresh link;
        - ``ProviderUnavailable(request_sent=False)`` (not permanent): connect/read
          failures and 5xx, retried per ``self.retry`` while no row has been yielded; a
          failure after rows were yielded is raised at once;
        - ``MalformedResponse`` (permanent): larger than ``max_bytes`` (default
          ``downloads.DOWNLOAD_MAX_BYTES``, 512 MB; by Content-Length or while streaming),
          not UTF-8, unreadable CSV, a row wider than the header, too many redirects.

        A download can fail after some rows were yielded: store the rows in one
        transaction and roll it back on any error, so partial results are discarded.
        Reads wait at least 60 s (files can be slow); connects use ``self.timeouts``.
        """
        return CsvDownload(self, url, max_bytes=max_bytes).rows()

    # -- errors ------------------------------------------------------------------------

    def error_for(self, response: httpx.Response) -> ProviderError:
        """The typed error for a non-2xx response, with the provider's own message."""
        status = response.status_code
        body = _json_or_none(response)
        message = self.error_message(body) or f"{self.display_name} answered HTTP {status}."
        kwargs: dict[str, Any] = {"provider": self.provider, "status": status}
        cls = self.classify(status, body, message)
        if cls is None:
            if status == 429:
                cls = RateLimited
            elif status >= 500 or status in (408, 425):
                cls = ProviderUnavailable
            else:
                cls = STATUS_ERRORS.get(status, InvalidRequest)
        if cls is RateLimited:
            return RateLimited(message, retry_after=retry_after_seconds(response), **kwargs)
        if cls is ProviderUnavailable:
            return ProviderUnavailable(
                message, request_sent=status not in NOT_PROCESSED_STATUSES, **kwargs
            )
        if issubclass(cls, InvalidRequest):
            error: ProviderError = cls(message, detail=body, **kwargs)
        else:
            error = cls(message, **kwargs)
        if status in self.transient_statuses:
            error.permanent = False
        return error

    def classify(self, status: int, body: Any, message: str) -> type[ProviderError] | None:
        """Provider-specific mapping from a failed response to an error class, or None for
        the common status mapping. Override where a provider's words beat its status."""
        return None

    def error_message(self, body: Any) -> str:
        """The provider's own message from an error body (Django REST framework shapes by
        default: ``error``, ``detail``, ``message``, field errors)."""
        return error_text(body)

    # -- parsing -----------------------------------------------------------------------

    def parse(
        self, response: httpx.Response, parser: Callable[[Any], T], *, raw: bool = False
    ) -> T:
        """Decode and parse a 2xx body; an unreadable body becomes ``MalformedResponse``.
        ``raw=True``: `parser` takes the body's bytes and decodes them itself (a lead-list
        page splits its rows without decoding them), raising what decoding raises."""
        try:
            if raw:
                return parser(response.content)
            # orjson: a 500-row lead-list page is 1.7 MB, decoded three times faster.
            payload = orjson.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedResponse(
                f"{self.display_name} answered HTTP {response.status_code} with a body "
                "that is not JSON.",
                provider=self.provider,
                status=response.status_code,
            ) from exc
        except ParseError as exc:
            raise self._unexpected_shape(response, exc) from exc
        try:
            return parser(payload)
        except ParseError as exc:
            raise self._unexpected_shape(response, exc) from exc

    def _unexpected_shape(self, response: httpx.Response, exc: ParseError) -> MalformedResponse:
        return MalformedResponse(
            f"{self.display_name} answered with an unexpected shape: {exc}.",
            provider=self.provider,
            status=response.status_code,
        )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def error_text(body: Any) -> str:
    """Best human-readable message in a JSON error body; "" when there is none."""
    if isinstance(body, str):
        return body.strip()
    if isinstance(body, list):
        return " ".join(filter(None, (error_text(item) for item in body)))
    if not isinstance(body, Mapping):
        return ""
    for key in ("error", "detail", "message"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    parts = []
    for key, value in body.items():
        text = error_text(value)
        if text and key not in ("status", "statusCode", "statusMessage", "matches"):
            parts.append(text if key == "non_field_errors" else f"{key}: {text}")
    return " ".join(parts)


def retry_after_seconds(response: httpx.Response) -> float:
    """``Retry-After`` as seconds (delta or HTTP date); a safe default when absent."""
    raw = response.headers.get("retry-after", "").strip()
    if not raw:
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max(0.0, moment.timestamp() - time.time())
