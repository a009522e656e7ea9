"""Streaming CSV downloads from a provider's signed result links (``download_url``).

Providers deliver finished batches as a CSV behind a signed, time-limited URL on a CDN host,
not on the API host. ``CsvDownload`` is what ``ProviderClient.download_csv`` runs:

- its own ``httpx.Client`` carrying only our User-Agent: the API's Authorization or
  ``x-api-key`` header never reaches the download host (nor any host it redirects to);
- ``http``/``https`` links only, at most ``MAX_REDIRECTS`` redirects, each target checked;
- one log line per request in ``ProviderClient._log``'s shape, with ``scheme://host/path``
  only: the query string carries the signature and is never logged nor put in an error;
- the body streamed and parsed row by row (never held whole), capped at ``max_bytes``;
- transport failures and 5xx retried per the client's ``RetryPolicy`` until the first row
  is handed out; after that a failure is raised, never papered over by a silent restart.
"""

from __future__ import annotations

import codecs
import csv
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Protocol

import httpx

from .errors import (
    DownloadExpired,
    InvalidRequest,
    MalformedResponse,
    ProviderUnavailable,
)
from .wire import USER_AGENT, RetryPolicy, Timeouts, request_id

DOWNLOAD_MAX_BYTES = 512 * 1024 * 1024
# Result files can be large and CDNs slow to start them: a read waits at least this long.
DOWNLOAD_READ_TIMEOUT = 60.0
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# What a CDN answers for an expired signature (403) or a file that is no longer there.
GONE_STATUSES = frozenset({403, 404, 410})
# 4xx that a later attempt can fix; every other 4xx is permanent.
TRANSIENT_STATUSES = frozenset({408, 425, 429})
SCHEMES = ("http", "https")


def loggable(url: httpx.URL) -> str:
    """``scheme://host[:port]/path``: no user info, no query string, no fragment."""
    path = url.raw_path.split(b"?", 1)[0].decode("ascii")
    return f"{url.scheme}://{url.netloc.decode('ascii')}{path}"


def size_text(limit: int) -> str:
    mib = 1024 * 1024
    return f"{limit / mib:g} MB" if limit >= mib else f"{limit} bytes"


class DownloadingClient(Protocol):
    """What a download borrows from the API client that asked for it (``base.ProviderClient``
    is one): its names for messages, its timeouts and retry policy, its pause between
    attempts and its log line. Never its ``httpx.Client``, which carries the credentials."""

    provider: str
    display_name: str
    timeouts: Timeouts
    retry: RetryPolicy
    _pause: threading.Event

    def _log(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        attempt: int,
        request_id: str | None,
        failure: str | None,
    ) -> None: ...


class CsvDownload:
    """One CSV file at ``url``, read as ``dict`` rows by ``rows()``. The link is checked on
    construction (``InvalidRequest``); everything else happens while the rows are read."""

    def __init__(
        self, client: DownloadingClient, url: str, *, max_bytes: int | None = None
    ) -> None:
        self.client = client
        self.name = f"{client.display_name} download"
        self.max_bytes = DOWNLOAD_MAX_BYTES if max_bytes is None else max_bytes
        if self.max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.url = self._checked_link(url)
        self.yielded = 0

    # -- the link ------------------------------------------------------------------------

    def _checked_link(self, url: str) -> httpx.URL:
        if not isinstance(url, str) or not url.strip():
            raise InvalidRequest(
                f"{self.name} link is empty; a finished job's status carries it.",
                provider=self.client.provider,
            )
        try:
            parsed = httpx.URL(url.strip())
        except httpx.InvalidURL as exc:
            raise InvalidRequest(
                f"{self.name} link is not a valid URL.", provider=self.client.provider
            ) from exc
        if parsed.scheme not in SCHEMES or not parsed.host:
            shown = f"'{parsed.scheme}:' links" if parsed.scheme else "relative links"
            raise InvalidRequest(
                f"{self.name} link must be an absolute http(s) URL; {shown} are refused.",
                provider=self.client.provider,
            )
        return parsed

    def _redirect_target(self, response: httpx.Response) -> httpx.URL:
        location = response.headers.get("location", "").strip()
        try:
            target = response.url.join(location) if location else None
        except httpx.InvalidURL:
            target = None
        if target is None or target.scheme not in SCHEMES or not target.host:
            raise MalformedResponse(
                f"{self.name} redirected (HTTP {response.status_code}) to no usable "
                "http(s) location.",
                permanent=True,
                request_sent=False,
                provider=self.client.provider,
                status=response.status_code,
            )
        return target

    # -- the rows ------------------------------------------------------------------------

    def rows(self) -> Iterator[dict[str, str]]:
        """Yield the rows; retry a failed attempt only while no row has been handed out."""
        client, policy = self.client, self.client.retry
        t = client.timeouts
        timeout = httpx.Timeout(
            connect=t.connect, read=max(t.read, DOWNLOAD_READ_TIMEOUT), write=t.write, pool=t.pool
        )
        # Deliberately not ``client._http``: that one carries the API's credentials.
        with httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            follow_redirects=False,
        ) as http:
            attempt = 0
            while True:
                attempt += 1
                try:
                    for row in self._attempt(http, attempt):
                        self.yielded += 1
                        yield row
                    return
                except ProviderUnavailable as error:
                    if self.yielded or error.permanent or attempt >= policy.attempts:
                        raise
                client._pause.wait(policy.delay(attempt - 1))

    def _attempt(self, http: httpx.Client, attempt: int) -> Iterator[dict[str, str]]:
        url = self.url
        for _hop in range(MAX_REDIRECTS + 1):
            started = time.perf_counter()
            try:
                with http.stream("GET", url) as response:
                    self._log(url, response.status_code, started, attempt, response, None)
                    if response.status_code in REDIRECT_STATUSES:
                        url = self._redirect_target(response)
                        continue
                    self._check(response)
                    yield from self._parse(response.iter_bytes(), response.status_code)
                    return
            except httpx.TransportError as exc:
                self._log(url, None, started, attempt, None, type(exc).__name__)
                raise self._transport_error(exc) from exc
            except httpx.DecodingError as exc:
                raise MalformedResponse(
                    f"{self.name} could not be decoded ({exc.__class__.__name__}).",
                    permanent=True,
                    request_sent=False,
                    provider=self.client.provider,
                ) from exc
        raise MalformedResponse(
            f"{self.name} redirected more than {MAX_REDIRECTS} times; refused.",
            permanent=True,
            request_sent=False,
            provider=self.client.provider,
        )

    def _check(self, response: httpx.Response) -> None:
        status, provider = response.status_code, self.client.provider
        if status in GONE_STATUSES:
            raise DownloadExpired(
                f"{self.name} link has expired or its file is gone (HTTP {status}); "
                "read the job's status again for a fresh link.",
                provider=provider,
                status=status,
            )
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise ProviderUnavailable(
                f"{self.name} host answered HTTP {status}.",
                request_sent=False,
                provider=provider,
                status=status,
            )
        if 400 <= status < 500:
            raise InvalidRequest(
                f"{self.name} host refused the request (HTTP {status}).",
                provider=provider,
                status=status,
            )
        if not response.is_success:
            raise MalformedResponse(
                f"{self.name} host answered HTTP {status}, not a file.",
                permanent=True,
                request_sent=False,
                provider=provider,
                status=status,
            )
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(status)

    def _too_large(self, status: int) -> MalformedResponse:
        return MalformedResponse(
            f"{self.name} is larger than {size_text(self.max_bytes)}; refused.",
            permanent=True,
            request_sent=False,
            provider=self.client.provider,
            status=status,
        )

    def _parse(self, chunks: Iterable[bytes], status: int) -> Iterator[dict[str, str]]:
        reader = csv.reader(self._lines(chunks, status))
        try:
            header = next(reader, None)
            if header is None:
                return
            if len(set(header)) != len(header):
                raise self._malformed("repeats a column name in its header row", status)
            width = len(header)
            for fields in reader:
                if not fields:
                    continue  # a blank line
                if len(fields) > width:
                    raise self._malformed(
                        f"has {len(fields):,} fields on line {reader.line_num:,}, "
                        f"more than its {width:,} columns",
                        status,
                    )
                if len(fields) < width:
                    fields = fields + [""] * (width - len(fields))
                yield dict(zip(header, fields, strict=True))
        except csv.Error as exc:
            what = f"is not readable CSV at line {reader.line_num:,} ({exc})"
            raise self._malformed(what, status) from exc

    def _lines(self, chunks: Iterable[bytes], status: int) -> Iterator[str]:
        """Text lines that keep their line endings (so ``csv.reader`` joins quoted fields
        spanning lines), decoded incrementally as UTF-8 with an optional BOM."""
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        received = 0
        parts: list[str] = []

        def decode(data: bytes, final: bool = False) -> str:
            try:
                return decoder.decode(data, final)
            except UnicodeDecodeError as exc:
                raise self._malformed("is not UTF-8 text", status) from exc

        for chunk in chunks:
            received += len(chunk)
            if received > self.max_bytes:
                raise self._too_large(status)
            text = decode(chunk)
            start = 0
            while (end := text.find("\n", start)) != -1:
                parts.append(text[start : end + 1])
                yield "".join(parts)
                parts.clear()
                start = end + 1
            if start < len(text):
                parts.append(text[start:])
        parts.append(decode(b"", final=True))
        if any(parts):
            yield "".join(parts)

    def _malformed(self, what: str, status: int) -> MalformedResponse:
        return MalformedResponse(
            f"{self.name} {what}; refused.",
            permanent=True,
            request_sent=False,
            provider=self.client.provider,
            status=status,
        )

    # -- failures and logging --------------------------------------------------------------

    def _transport_error(self, exc: httpx.TransportError) -> ProviderUnavailable:
        name = self.name
        timed_out = isinstance(exc, httpx.TimeoutException)
        if self.yielded:
            message = (
                f"{name} broke off after {self.yielded:,} rows ({type(exc).__name__}); "
                "discard the rows read so far and download again."
            )
        elif isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            message = f"{name} host could not be reached in time (connect timeout)."
        elif isinstance(exc, httpx.ConnectError):
            message = f"{name} host could not be reached (connection failed)."
        elif timed_out:
            read = max(self.client.timeouts.read, DOWNLOAD_READ_TIMEOUT)
            message = f"{name} host sent nothing for {read:g} s."
        else:
            message = f"{name} host closed the connection before the file was complete."
        return ProviderUnavailable(
            message, timed_out=timed_out, request_sent=False, provider=self.client.provider
        )

    def _log(
        self,
        url: httpx.URL,
        status: int | None,
        started: float,
        attempt: int,
        response: httpx.Response | None,
        failure: str | None,
    ) -> None:
        rid = request_id(response) if response is not None else None
        self.client._log("GET", loggable(url), status, started, attempt, rid, failure)
