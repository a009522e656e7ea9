"""Helpers for the sandbox contract tests: fixtures from the docs, shape checks, uploads."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx

from leadops.sandbox.testing import wait_until

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
KEY = "sandbox-key"
BEARER = {"Authorization": f"Bearer {KEY}"}


def fixture(provider: str, name: str) -> Any:
    return json.loads((FIXTURES / provider / f"{name}.json").read_text())


OPEN_OBJECTS = frozenset({"filters_applied", "filter_overrides", "geography"})
# RealEstateAPI: "key can be an integer value or a string value".
INT_OR_STR = frozenset({"key"})


def assert_shape(
    actual: Any,
    expected: Any,
    path: str = "$",
    nullable: frozenset = frozenset(),
):
    """``actual`` has the same keys (recursively) and value types as the documented example.

    A null in the example accepts any value; a null in ``actual`` is accepted only for keys
    listed in ``nullable``. Numbers: an int is accepted where the example shows a float.
    Objects whose keys depend on the request (``OPEN_OBJECTS``) are only checked as objects.
    """
    if expected is None:
        return
    key = path.rsplit(".", 1)[-1]
    if actual is None:
        assert key in nullable, f"{path}: null where the docs show {type(expected).__name__}"
        return
    if key in INT_OR_STR:
        assert isinstance(actual, int | str) and not isinstance(actual, bool), path
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        if key in OPEN_OBJECTS:
            return
        assert set(actual) == set(expected), (
            f"{path}: keys differ; missing {sorted(set(expected) - set(actual))}, "
            f"extra {sorted(set(actual) - set(expected))}"
        )
        for name, value in expected.items():
            assert_shape(actual[name], value, f"{path}.{name}", nullable)
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        if expected:
            for index, item in enumerate(actual):
                assert_shape(item, expected[min(index, len(expected) - 1)], f"{path}[]", nullable)
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), f"{path}: expected a bool, got {actual!r}"
    elif isinstance(expected, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), (
            f"{path}: expected an int, got {actual!r}"
        )
    elif isinstance(expected, float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), (
            f"{path}: expected a number, got {actual!r}"
        )
    else:
        assert isinstance(actual, type(expected)), (
            f"{path}: expected {type(expected).__name__}, got {actual!r}"
        )


def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def address_rows(count: int, *, city: str = "Austin", state: str = "TX") -> list[dict[str, str]]:
    return [
        {
            "address": f"{100 + i} Main St",
            "city": city,
            "state": state,
            "zip": "78701",
            "first_name": "Jane",
            "last_name": f"Doe{i}",
            "mail_address": f"{100 + i} Main St",
            "mail_city": city,
            "mail_state": state,
            "mailing_zip": "78701",
        }
        for i in range(count)
    ]


NORMAL_COLUMNS = {
    "address_column": "address",
    "city_column": "city",
    "state_column": "state",
    "zip_column": "zip",
    "first_name_column": "first_name",
    "last_name_column": "last_name",
    "mail_address_column": "mail_address",
    "mail_city_column": "mail_city",
    "mail_state_column": "mail_state",
    "mailing_zip_column": "mailing_zip",
}


def submit_trace(
    api: httpx.Client, rows: list[dict[str, Any]], trace_type: str = "normal", **extra: str
) -> httpx.Response:
    data = {**NORMAL_COLUMNS, "trace_type": trace_type, **extra}
    return api.post("trace/", files={"csv_file": ("records.csv", csv_bytes(rows))}, data=data)


def wait_queue_done(api: httpx.Client, queue_id: int, timeout: float = 10.0) -> dict:
    def done() -> dict | None:
        queues = api.get("queues/").json()
        match = [q for q in queues if q["id"] == queue_id]
        return match[0] if match and not match[0]["pending"] else None

    return wait_until(done, timeout=timeout, message=f"queue {queue_id} did not complete")


def control(base_url: str, path: str, payload: dict | None = None) -> dict:
    url = f"{base_url}/_sandbox/{path}"
    response = httpx.post(url, json=payload) if payload is not None else httpx.get(url)
    assert response.status_code == 200, response.text
    return response.json()
