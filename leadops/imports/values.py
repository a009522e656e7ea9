"""Reading one stored record's cleaned values (`ImportRecord.values`, keyed by field id) the
way every app needs them: the property address and the owner."""

from __future__ import annotations

from collections.abc import Mapping

from .normalize import split_full_name

PROPERTY_FIELDS = ("property_address", "property_city", "property_state", "property_zip")
MAILING_FIELDS = ("mailing_address", "mailing_city", "mailing_state", "mailing_zip")


def property_parts(values: Mapping[str, str]) -> tuple[str, str, str, str]:
    """(street, city, state, zip) of the property ("" for a part not given)."""
    return tuple(values.get(key, "") for key in PROPERTY_FIELDS)  # type: ignore[return-value]


def mailing_parts(values: Mapping[str, str]) -> tuple[str, str, str, str]:
    return tuple(values.get(key, "") for key in MAILING_FIELDS)  # type: ignore[return-value]


def owner_parts(values: Mapping[str, str]) -> tuple[str, str, str]:
    """(first, last, company): a full-name cell is split when it holds one person, else it
    is taken as a company or trust."""
    first, last = values.get("owner_first_name", ""), values.get("owner_last_name", "")
    company = values.get("owner_company", "")
    if not (first or last) and values.get("owner_full_name"):
        split = split_full_name(values["owner_full_name"])
        if split:
            first, last = split
        else:
            company = company or values["owner_full_name"]
    return first, last, company


def owner_name(values: Mapping[str, str]) -> str:
    """ "John Smith", or the company when no person is named."""
    first, last, company = owner_parts(values)
    return " ".join(p for p in (first, last) if p) or company
