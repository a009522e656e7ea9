"""Result-file downloads: real files from the sandbox's download route, and (with respx) the cases
the sandbox cannot produce: redirects, signed query strings, size caps, broken streams."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterable, Iterator

import httpx
import pytest
import respx

from leadops.providers.base import USER_AGENT, Timeouts
from leadops.providers.downloads import DOWNLOAD_MAX_BYTES
from leadops.providers.errors import (
    DownloadExpired,
    InvalidRequest,
    MalformedResponse,
    ProviderUnavailable,
)
from leadops.providers.reapi import ReapiClient
from leadops.providers.tracerfy import TraceRecord, TracerfyClient
from tests.support.rows import NORMAL, OWNERS, csv_bytes
from tests.support.sandbox import FAST_RETRY, SANDBOX_KEY, TEST_TIMEOUTS, eventually, tracerfy_url

PARCELS = [
    {"parcel_id": f"#0042410900000{7550 + i}", "county": "Palm Beach", "state": "FL"}
    for i in range(6)
]

FILE_HOST = "files.example.test"
FILE_PATH = "/tracerfy/9a584124.csv"
SIGNATURE = "deadbeefcafe0123"
SIGNED = f"https://{FILE_HOST}{FILE_PATH}?X-Amz-Expires=3600&X-Amz-Signature={SIGNATURE}"
API_KEY = "secret-api-key-123"
SIMPLE = b"address,city\r\n1 Main St,Austin\r\n2 Oak Ave,Dallas\r\n"


def offline(**kwargs) -> TracerfyClient:
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("timeouts", TEST_TIMEOUTS)
    return TracerfyClient(base_url="https://tracerfy.test/v1/api/", api_key=API_KEY, **kwargs)


def provider_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "leadops.providers"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Chunks(httpx.SyncByteStream):
    """A response body sent in the given chunks (no Content-Length), optionally breaking off
    with ``error`` afterwards, like a connection dropped mid-file."""

    def __init__(self, chunks: Iterable[bytes], error: Exception | None = None) -> None:
        self.chunks = list(chunks)
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error


def pieces(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def file_route() -> respx.Route:
    return respx.get(host=FILE_HOST, path=FILE_PATH)


def finished_trace(client: TracerfyClient, owners: list[dict[str, str]]):
    accepted = client.trace_csv(csv_file=csv_bytes(owners), columns=NORMAL)
    page = eventually(client.list_queues, lambda p: not p.queues[0].pending)
    (queue,) = page.queues
    assert queue.id == accepted.queue_id
    assert queue.download_url
    return queue


# -- real files from the sandbox ------------------------------------------------------------------


def test_a_finished_trace_downloads_the_records_get_queue_returns(tracerfy):
    queue = finished_trace(tracerfy, OWNERS)
    rows = list(tracerfy.download_csv(queue.download_url))
    records = tracerfy.get_queue(queue.id)
    assert len(rows) == len(records) == len(OWNERS)
    assert [row["address"] for row in rows] == [owner["address"] for owner in OWNERS]
    assert all(isinstance(value, str) for row in rows for value in row.values())
    parsed = tuple(TraceRecord.from_json(row) for row in rows)
    assert parsed == records
    assert any(record.hit for record in parsed)


def test_a_parcel_queue_downloads_one_row_per_parcel(tracerfy):
    accepted = tracerfy.parcel_trace(
        csv_file=csv_bytes(PARCELS),
        parcel_id_column="parcel_id",
        county_column="county",
        state_column="state",
    )
    queue = eventually(
        lambda: tracerfy.parcel_queue(accepted.parcel_queue_id), lambda q: not q.pending
    )
    rows = list(tracerfy.download_csv(queue.download_url))
    assert [row["parcel_id"] for row in rows] == [p["parcel_id"] for p in PARCELS]
    assert list(rows[0])[:4] == ["parcel_id", "county", "state", "hit"]
    assert {(row["county"], row["state"]) for row in rows} == {("Palm Beach", "FL")}
    assert {row["hit"] for row in rows} <= {"true", "false"}
    hits = [row for row in rows if row["hit"] == "true"]
    assert len(hits) == queue.rows_hit
    assert all(row["full_name"] for row in hits)
    assert all(row["full_name"] == "" for row in rows if row["hit"] == "false")


def test_a_slow_download_completes_past_the_api_read_timeout(sandbox, control):
    with TracerfyClient(
        base_url=tracerfy_url(sandbox),
        api_key=SANDBOX_KEY,
        timeouts=Timeouts(connect=2.0, read=0.5, write=5.0, pool=2.0),
        retry=FAST_RETRY,
    ) as client:
        queue = finished_trace(client, OWNERS)
        control.faults(download_delay_ms=400, download_bytes_per_second=4000)
        # The stall really is longer than the API's read timeout...
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(queue.download_url, timeout=httpx.Timeout(5.0, read=0.5))
        started = time.perf_counter()
        rows = list(client.download_csv(queue.download_url))
        elapsed = time.perf_counter() - started
        # ...yet the download waits it out and reads every row.
        assert elapsed > 0.5
        assert tuple(TraceRecord.from_json(row) for row in rows) == client.get_queue(queue.id)


def test_an_unknown_file_is_expired_or_gone_not_permanent(sandbox, tracerfy, caplog):
    caplog.set_level(logging.INFO, "leadops.providers")
    with pytest.raises(DownloadExpired) as caught:
        list(tracerfy.download_csv(f"{sandbox.base_url}/files/trace-0123456789abcdef.csv"))
    error = caught.value
    assert error.status == 404
    assert not error.permanent
    assert error.provider == "tracerfy"
    assert "expired or its file is gone" in error.message
    assert "read the job's status again for a fresh link" in error.message
    assert [r.status for r in provider_records(caplog)] == [404]  # not retried


def test_an_unreachable_host_is_retried_then_unavailable_not_sent(caplog):
    caplog.set_level(logging.INFO, "leadops.providers")
    url = f"http://127.0.0.1:{free_port()}/files/trace-1.csv"
    with offline() as client, pytest.raises(ProviderUnavailable) as caught:
        list(client.download_csv(url))
    error = caught.value
    assert error.request_sent is False
    assert error.transient
    assert "could not be reached" in error.message
    assert [r.failure for r in provider_records(caplog)] == ["ConnectError"] * 3


# -- what reaches the download host, and the logs (respx) ------------------------------------


@pytest.mark.parametrize(
    ("make", "secret_header"),
    [
        (lambda: offline(), "authorization"),
        (
            lambda: ReapiClient(base_url="https://reapi.test/v1/", api_key=API_KEY),
            "x-api-key",
        ),
    ],
)
@respx.mock
def test_the_api_credentials_never_reach_the_download_host(make, secret_header):
    route = file_route().respond(200, content=SIMPLE)
    with make() as client:
        assert secret_header in client._http.headers  # the API client does carry it
        rows = list(client.download_csv(SIGNED))
    assert len(rows) == 2
    request = route.calls.last.request
    assert secret_header not in request.headers
    assert "authorization" not in request.headers
    assert API_KEY not in str(request.headers)
    assert request.headers["user-agent"] == USER_AGENT
    assert set(request.headers) <= {"host", "user-agent", "accept", "accept-encoding", "connection"}
    assert request.url.params["X-Amz-Signature"] == SIGNATURE  # the link itself is sent whole
    assert len(respx.calls) == 1


@respx.mock
def test_reads_wait_at_least_a_minute_and_connects_use_the_client_timeout():
    route = file_route().respond(200, content=SIMPLE)
    with offline() as client:
        list(client.download_csv(SIGNED))
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout["read"] == 60.0
    assert timeout["connect"] == TEST_TIMEOUTS.connect


@respx.mock
def test_the_signature_is_never_logged_but_the_path_is(caplog):
    caplog.set_level(logging.DEBUG)
    file_route().respond(200, content=SIMPLE, headers={"x-amzn-requestid": "req-42"})
    with offline() as client:
        list(client.download_csv(SIGNED))
    (record,) = provider_records(caplog)
    assert record.endpoint == f"https://{FILE_HOST}{FILE_PATH}"
    assert (record.method, record.status, record.request_id) == ("GET", 200, "req-42")
    assert f"https://{FILE_HOST}{FILE_PATH} -> 200" in record.getMessage()
    for logged in caplog.records:
        text = logged.getMessage() + repr(vars(logged))
        assert SIGNATURE not in text
        assert "X-Amz" not in text


@respx.mock
def test_errors_do_not_carry_the_signature():
    file_route().respond(500)
    with offline() as client, pytest.raises(ProviderUnavailable) as caught:
        list(client.download_csv(SIGNED))
    assert caught.value.status == 500
    assert SIGNATURE not in caught.value.message
    assert SIGNATURE not in repr(caught.value)


# -- redirects ----------------------------------------------------------------------------------


@respx.mock
def test_a_redirect_to_another_host_is_followed_without_credentials(caplog):
    caplog.set_level(logging.INFO, "leadops.providers")
    moved = "https://files.example.test/real.csv?sig=second-secret"
    file_route().respond(302, headers={"Location": moved})
    target = respx.get(host="files.example.test", path="/real.csv").respond(200, content=SIMPLE)
    with offline() as client:
        rows = list(client.download_csv(SIGNED))
    assert [row["city"] for row in rows] == ["Austin", "Dallas"]
    request = target.calls.last.request
    assert "authorization" not in request.headers
    assert request.url.params["sig"] == "second-secret"
    assert [(r.endpoint, r.status) for r in provider_records(caplog)] == [
        (f"https://{FILE_HOST}{FILE_PATH}", 302),
        ("https://files.example.test/real.csv", 200),
    ]
    assert not any("second-secret" in r.getMessage() for r in caplog.records)


@respx.mock
def test_a_relative_redirect_is_resolved_against_the_link():
    file_route().respond(307, headers={"Location": "/moved/file.csv?sig=x"})
    moved = respx.get(host=FILE_HOST, path="/moved/file.csv").respond(200, content=SIMPLE)
    with offline() as client:
        assert len(list(client.download_csv(SIGNED))) == 2
    assert moved.called


@respx.mock
def test_more_than_three_redirects_are_refused():
    for hop in range(4):
        respx.get(host=FILE_HOST, path=f"/hop{hop}.csv").respond(
            302, headers={"Location": f"https://{FILE_HOST}/hop{hop + 1}.csv"}
        )
    last = respx.get(host=FILE_HOST, path="/hop4.csv").respond(200, content=SIMPLE)
    with offline() as client, pytest.raises(MalformedResponse) as caught:
        list(client.download_csv(f"https://{FILE_HOST}/hop0.csv"))
    assert caught.value.permanent
    assert "more than 3 times" in caught.value.message
    assert not last.called
    assert len(respx.calls) == 4  # the link and three redirects, each tried once

    respx.reset()
    with offline() as client:  # three redirects are fine
        assert len(list(client.download_csv(f"https://{FILE_HOST}/hop1.csv"))) == 2


@respx.mock
def test_a_redirect_to_a_non_http_scheme_is_refused():
    file_route().respond(302, headers={"Location": "file:///etc/passwd"})
    with offline() as client, pytest.raises(MalformedResponse) as caught:
        list(client.download_csv(SIGNED))
    assert caught.value.permanent
    assert "no usable http(s) location" in caught.value.message
    assert len(respx.calls) == 1


# -- statuses -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 404, 410])
@respx.mock
def test_an_expired_or_missing_link_is_not_permanent(status):
    route = file_route().respond(status, text="<Error><Code>AccessDenied</Code></Error>")
    with offline() as client, pytest.raises(DownloadExpired) as caught:
        list(client.download_csv(SIGNED))
    assert caught.value.status == status
    assert caught.value.transient
    assert "fresh link" in caught.value.message
    assert route.call_count == 1


@respx.mock
def test_a_5xx_is_retried_and_a_later_success_is_read():
    route = file_route().mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, content=SIMPLE)]
    )
    with offline() as client:
        assert len(list(client.download_csv(SIGNED))) == 2
    assert route.call_count == 3


@respx.mock
def test_a_lasting_5xx_is_unavailable_after_the_retries():
    route = file_route().respond(503)
    with offline() as client, pytest.raises(ProviderUnavailable) as caught:
        list(client.download_csv(SIGNED))
    assert (caught.value.status, caught.value.request_sent) == (503, False)
    assert caught.value.transient
    assert route.call_count == FAST_RETRY.attempts


@respx.mock
def test_another_4xx_is_permanent_with_its_status():
    route = file_route().respond(400)
    with offline() as client, pytest.raises(InvalidRequest) as caught:
        list(client.download_csv(SIGNED))
    assert (caught.value.status, caught.value.permanent) == (400, True)
    assert "HTTP 400" in caught.value.message
    assert route.call_count == 1


# -- links refused before any request -----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("file:///etc/passwd", "'file:' links"),
        ("ftp://files.example.test/x.csv", "'ftp:' links"),
        ("javascript:alert(1)", "'javascript:' links"),
        ("/files/trace-1.csv", "relative links"),
        ("", "link is empty"),
        ("   ", "link is empty"),
    ],
)
@respx.mock
def test_a_link_that_is_not_absolute_http_is_refused_at_call_time(url, words):
    with offline() as client, pytest.raises(InvalidRequest) as caught:
        client.download_csv(url)  # raised by the call itself, before iterating
    assert caught.value.permanent
    assert words in caught.value.message
    assert not respx.calls


# -- size cap -----------------------------------------------------------------------------------


@respx.mock
def test_a_file_declared_larger_than_the_default_cap_is_refused_unread():
    huge = str(DOWNLOAD_MAX_BYTES + 1)
    route = file_route().mock(
        return_value=httpx.Response(200, headers={"Content-Length": huge}, stream=Chunks([SIMPLE]))
    )
    with offline() as client:
        rows = client.download_csv(SIGNED)
        with pytest.raises(MalformedResponse) as caught:
            next(rows)
    assert caught.value.message == "Tracerfy download is larger than 512 MB; refused."
    assert caught.value.permanent
    assert route.call_count == 1


@respx.mock
def test_content_length_over_max_bytes_is_refused_before_any_row():
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Length": str(len(SIMPLE))}
        return httpx.Response(200, headers=headers, stream=Chunks(pieces(SIMPLE, 8)))

    file_route().mock(side_effect=answer)
    seen: list[dict[str, str]] = []
    with offline() as client:
        with pytest.raises(MalformedResponse) as caught:
            seen.extend(client.download_csv(SIGNED, max_bytes=len(SIMPLE) - 1))
        assert len(list(client.download_csv(SIGNED, max_bytes=len(SIMPLE)))) == 2
    assert seen == []  # refused on the header, not after streaming rows up to the cap
    assert f"larger than {len(SIMPLE) - 1} bytes; refused" in caught.value.message


@respx.mock
def test_a_stream_growing_past_max_bytes_is_refused_while_reading():
    body = b"n\r\n" + b"".join(f"{i:05d}\r\n".encode() for i in range(400))
    route = file_route().mock(
        side_effect=lambda request: httpx.Response(200, stream=Chunks(pieces(body, 100)))
    )
    seen: list[dict[str, str]] = []
    with offline() as client, pytest.raises(MalformedResponse) as caught:
        seen.extend(client.download_csv(SIGNED, max_bytes=1000))
    assert caught.value.permanent
    assert "larger than 1000 bytes; refused" in caught.value.message
    assert 100 < len(seen) < 200  # refused while streaming, once 1,000 bytes had arrived
    assert route.call_count == 1


# -- CSV content --------------------------------------------------------------------------------


@respx.mock
def test_a_quoted_field_with_newlines_is_one_row_across_any_chunking():
    body = (
        'name,note,city\r\n"Doe, Jane","line one\nline two\r\nline three",Austin\r\n'
        'Bob,"",Zürich\r\n'
    ).encode()
    for size in (1, 2, 7, len(body)):
        file_route().mock(
            side_effect=lambda request, size=size: httpx.Response(
                200, stream=Chunks(pieces(body, size))
            )
        )
        with offline() as client:
            rows = list(client.download_csv(SIGNED))
        assert rows == [
            {"name": "Doe, Jane", "note": "line one\nline two\r\nline three", "city": "Austin"},
            {"name": "Bob", "note": "", "city": "Zürich"},
        ], size


@respx.mock
def test_a_bom_is_stripped_and_values_are_kept_as_written():
    body = "\ufeffaddress,zip, note \r\n 1 Main St ,00501,  \r\n".encode()
    for size in (1, len(body)):
        file_route().mock(
            side_effect=lambda request, size=size: httpx.Response(
                200, stream=Chunks(pieces(body, size))
            )
        )
        with offline() as client:
            (row,) = client.download_csv(SIGNED)
        assert row == {"address": " 1 Main St ", "zip": "00501", " note ": "  "}


@respx.mock
def test_a_last_line_without_newline_and_blank_lines_and_short_rows():
    file_route().respond(200, content=b"a,b,c\n\n1,2,3\n4\n5,6,7")
    with offline() as client:
        rows = list(client.download_csv(SIGNED))
    assert rows == [
        {"a": "1", "b": "2", "c": "3"},
        {"a": "4", "b": "", "c": ""},
        {"a": "5", "b": "6", "c": "7"},
    ]


@respx.mock
def test_an_empty_file_has_no_rows():
    file_route().respond(200, content=b"")
    with offline() as client:
        assert list(client.download_csv(SIGNED)) == []


@respx.mock
def test_bytes_that_are_not_utf8_are_malformed():
    file_route().respond(200, content=b"name,city\r\nJos\xe9,Austin\r\n")
    with offline() as client, pytest.raises(MalformedResponse) as caught:
        list(client.download_csv(SIGNED))
    assert caught.value.permanent
    assert "not UTF-8" in caught.value.message


@respx.mock
def test_a_row_wider_than_the_header_is_malformed():
    file_route().respond(200, content=b"a,b\r\n1,2\r\n1,2,3\r\n")
    seen: list[dict[str, str]] = []
    with offline() as client, pytest.raises(MalformedResponse) as caught:
        seen.extend(client.download_csv(SIGNED))
    assert "3 fields on line 3, more than its 2 columns" in caught.value.message
    assert seen == [{"a": "1", "b": "2"}]


@respx.mock
def test_a_wide_row_far_down_is_named_with_thousands_separators():
    file_route().respond(200, content=b"a,b\r\n" + b"1,2\r\n" * 1_283 + b"1,2,3\r\n")
    with offline() as client, pytest.raises(MalformedResponse) as caught:
        list(client.download_csv(SIGNED))
    assert "3 fields on line 1,285, more than its 2 columns" in caught.value.message


@respx.mock
def test_a_header_repeating_a_column_is_malformed():
    file_route().respond(200, content=b"phone,phone\r\n1,2\r\n")
    with offline() as client, pytest.raises(MalformedResponse) as caught:
        list(client.download_csv(SIGNED))
    assert "repeats a column name" in caught.value.message


# -- broken streams -----------------------------------------------------------------------------


@respx.mock
def test_a_disconnect_after_rows_were_yielded_is_unavailable_and_not_retried(caplog):
    caplog.set_level(logging.INFO, "leadops.providers")
    body = b"address,city\r\n1 Main St,Austin\r\n2 Oak Ave,Dallas\r\n3 Elm"
    route = file_route().mock(
        side_effect=lambda request: httpx.Response(
            200, stream=Chunks([body], httpx.RemoteProtocolError("peer closed connection"))
        )
    )
    seen: list[dict[str, str]] = []
    with offline() as client, pytest.raises(ProviderUnavailable) as caught:
        seen.extend(client.download_csv(SIGNED))
    error = caught.value
    assert [row["address"] for row in seen] == ["1 Main St", "2 Oak Ave"]
    assert error.transient
    assert error.request_sent is False
    assert "broke off after 2 rows" in error.message
    assert "discard the rows read so far" in error.message
    assert route.call_count == 1  # a restart would hand the caller duplicate rows
    assert [r.status or r.failure for r in provider_records(caplog)] == [
        200,
        "RemoteProtocolError",
    ]


@respx.mock
def test_a_disconnect_before_the_first_row_is_retried():
    broken = httpx.Response(
        200, stream=Chunks([b"address,city\r\n1 Ma"], httpx.ReadError("connection reset"))
    )
    route = file_route().mock(side_effect=[broken, httpx.Response(200, content=SIMPLE)])
    with offline() as client:
        rows = list(client.download_csv(SIGNED))
    assert [row["address"] for row in rows] == ["1 Main St", "2 Oak Ave"]
    assert route.call_count == 2


@respx.mock
def test_a_read_timeout_before_any_row_is_retried_then_unavailable():
    route = file_route().mock(side_effect=httpx.ReadTimeout("timed out"))
    with offline() as client, pytest.raises(ProviderUnavailable) as caught:
        list(client.download_csv(SIGNED))
    assert caught.value.timed_out
    assert caught.value.request_sent is False
    assert "sent nothing for 60 s" in caught.value.message
    assert route.call_count == FAST_RETRY.attempts
