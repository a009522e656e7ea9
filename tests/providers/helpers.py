"""Small helpers for the provider client tests: documented fixtures, CSV bodies, waiting."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from leadops.providers.tracerfy import TraceColumns
from leadops.sandbox.testing import wait_until

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
T = TypeVar("T")


def fixture(provider: str, name: str) -> Any:
    return json.loads((FIXTURES / provider / f"{name}.json").read_text())


def csv_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def eventually(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Call ``read`` until ``done(result)``; return that result (waits without sleeping)."""
    box: list[T] = []

    def check() -> bool:
        box[:] = [read()]
        return done(box[0])

    wait_until(check, timeout=timeout, message="provider state not reached")
    return box[0]


# The column parameters of a normal trace, for CSVs written from OWNERS.
NORMAL = TraceColumns(
    address="address",
    city="city",
    state="state",
    zip="zip",
    first_name="first_name",
    last_name="last_name",
    mail_address="mail_address",
    mail_city="mail_city",
    mail_state="mail_state",
    mailing_zip="mailing_zip",
)

OWNERS = [
    {
        "address": f"{100 + i} Main St",
        "city": "Austin",
        "state": "TX",
        "zip": "78701",
        "first_name": "Jane",
        "last_name": f"Doe{i}",
        "mail_address": f"{100 + i} Main St",
        "mail_city": "Austin",
        "mail_state": "TX",
        "mailing_zip": "78701",
    }
    for i in range(12)
]
