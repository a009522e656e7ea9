"""City and state from a ZIP code, offline.

A list often has the street and the ZIP but no city or state column (or empty cells in
them); the ZIP names both. The data is the ``zipcodes`` package's own copy of the USPS
ZIP list, shipped inside its wheel: nothing is fetched at run time. Values filled this way
are marked inferred on the record (``ImportRecord.inferred``) so the preview and the record
say "from ZIP".
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import zipcodes

__all__ = ["ZipPlace", "place_for_zip"]


class ZipPlace(NamedTuple):
    city: str
    state: str


@functools.lru_cache(maxsize=16_384)
def place_for_zip(zip_code: str) -> ZipPlace | None:
    """The USPS default city and the state of a 5-digit ZIP (``12345`` or ``12345-6789``),
    or None for a ZIP the list does not know."""
    digits = zip_code[:5]
    if len(digits) != 5 or not digits.isdigit():
        return None
    try:
        found = zipcodes.matching(digits)
    except (TypeError, ValueError):
        return None
    if not found:
        return None
    place = found[0]
    city, state = str(place.get("city") or ""), str(place.get("state") or "")
    if not city or not state:
        return None
    return ZipPlace(city=city, state=state)
