"""Shapes every Tracerfy API area shares: the person, phone, email and mailing address of
the instant lookups, and the pagination ``Link`` header."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..parsing import JsonShape, json_field, opt_int, opt_list, opt_str


@dataclass(frozen=True)
class Phone(JsonShape):
    json_name = "phone"

    number: str
    type: str = ""
    dnc: bool | None = None
    tcpa: bool | None = None
    carrier: str = ""
    rank: int | None = None


@dataclass(frozen=True)
class Email(JsonShape):
    json_name = "email"

    email: str
    rank: int | None = None


def _street(data: Mapping[str, Any], values: dict[str, Any]) -> str:
    # Instant lookups say "street"; the lead-builder lookup says "address".
    return opt_str(data, "street") or opt_str(data, "address")


@dataclass(frozen=True)
class MailingAddress(JsonShape):
    json_name = "mailing_address"

    street: str = json_field(reader=_street)
    city: str = json_field(required=False)
    state: str = json_field(required=False)
    zip: str = json_field(required=False)


def _full_name(data: Mapping[str, Any], values: dict[str, Any]) -> str:
    return opt_str(data, "full_name") or f"{values['first_name']} {values['last_name']}".strip()


@dataclass(frozen=True)
class Person(JsonShape):
    """One person found by an instant trace or parcel lookup."""

    json_name = "person"

    first_name: str = json_field(required=False)
    last_name: str = json_field(required=False)
    full_name: str = json_field(reader=_full_name)
    dob: str = ""
    # The trace lookup sends age as "41", the parcel lookup as 51.
    age: int | None = None
    deceased: bool = False
    property_owner: bool = False
    litigator: bool = False
    mailing_address: MailingAddress | None = None
    phones: tuple[Phone, ...] = ()
    emails: tuple[Email, ...] = ()


def _persons(data: Mapping[str, Any]) -> tuple[Person, ...]:
    return tuple(Person.from_json(p) for p in opt_list(data, "persons"))


def _persons_count(data: Mapping[str, Any], values: dict[str, Any]) -> int:
    return opt_int(data, "persons_count") or len(values["persons"])


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([a-z]+)"?')


def _link_pages(header: str) -> dict[str, int]:
    """``rel -> page number`` from an RFC 8288 Link header."""
    pages = {}
    for url, rel in _LINK.findall(header):
        values = parse_qs(urlsplit(url).query).get("page")
        pages[rel] = int(values[0]) if values and values[0].isdigit() else 1
    return pages
