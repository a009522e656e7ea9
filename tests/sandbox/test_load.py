"""It holds up at default settings: 200 concurrent lookups, a 10,000-row trace."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from leadops.sandbox.app import base_urls
from leadops.sandbox.testing import run_sandbox_process
from tests.support.rows import address_rows, parse_csv
from tests.support.sandbox import BEARER, submit_trace, wait_queue_done


@pytest.fixture(scope="module")
def tracerfy_url() -> Iterator[str]:
    """``python -m leadops.sandbox`` with default settings, in its own process."""
    with run_sandbox_process() as base_url:
        yield base_urls(base_url)["tracerfy"]


def test_200_concurrent_lookups(tracerfy_url):
    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(
            base_url=tracerfy_url, headers=BEARER, timeout=30, limits=limits
        ) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "trace/lookup/",
                        json={"address": f"{i} Pine Rd", "city": "Tampa", "state": "FL"},
                    )
                    for i in range(200)
                )
            )

    # In its own thread: pytest-playwright's sync API keeps an event loop running in the
    # main thread for the rest of the session once a browser test has run.
    with ThreadPoolExecutor(1) as pool:
        responses = pool.submit(asyncio.run, run()).result()
    assert [r.status_code for r in responses] == [200] * 200
    hits = sum(r.json()["hit"] for r in responses)
    assert 100 < hits < 200  # the default miss rate is 15%
    with httpx.Client(base_url=tracerfy_url, headers=BEARER) as api:
        assert api.get("analytics/").json()["balance"] == 100_000 - 5 * hits


def test_10000_row_trace(tracerfy_url):
    with httpx.Client(base_url=tracerfy_url, headers=BEARER, timeout=30) as api:
        response = submit_trace(api, address_rows(10_000), trace_type="advanced")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rows_uploaded"] == 10_000
        assert body["estimated_wait_seconds"] <= 10
        queue = wait_queue_done(api, body["queue_id"], timeout=body["estimated_wait_seconds"] + 10)
        assert queue["rows_uploaded"] == 10_000
        records = api.get(f"queue/{body['queue_id']}").json()
        assert len(records) == 10_000
        hits = sum(1 for r in records if r["first_name"])
        assert queue["credits_deducted"] == 2 * hits
        rows = parse_csv(httpx.get(queue["download_url"], timeout=30).text)
        assert len(rows) == 10_000
