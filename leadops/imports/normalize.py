"""Clean the values of one imported row: addresses, names, states, ZIPs, phones, emails.

Providers charge per row and match on exact text, so the same property must look the
same however it was typed ("123 North Main Street" and "123 N. Main St" are one trace),
and a ZIP that Excel turned into 2134 must get its leading zero back before it costs a
credit. Nothing is dropped silently: a value that cannot be cleaned comes back with an
error naming it, and :func:`leadops.imports.rows.normalize_row` decides whether the row
is still usable for the chosen job.

Addresses follow USPS Publication 28 abbreviations in upper case; names are title-cased
only when they arrived all upper or all lower case (a deliberate "McDonald" is kept).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import NamedTuple

import phonenumbers

__all__ = [
    "Cleaned",
    "dedupe_key_for_address",
    "dedupe_key_of_cleaned",
    "is_company_name",
    "normalize_address",
    "normalize_apn",
    "normalize_city",
    "normalize_company",
    "normalize_county",
    "normalize_email",
    "normalize_first_name",
    "normalize_full_name",
    "normalize_last_name",
    "normalize_phone",
    "normalize_phone_type",
    "normalize_state",
    "normalize_unit",
    "normalize_zip",
    "quoted",
    "split_full_name",
    "zip5",
]


# Cities, states, ZIPs, phone types, first and last names and units repeat down a list,
# and a mailing address often repeats the property address on the same row; their cleaned
# values are immutable, so a small per-process cache saves much of the work on big imports.
_repeated = functools.lru_cache(maxsize=8192)

# Compiled once: these run several times per row on 250k-row imports.
_STATE_PUNCT_RE = re.compile(r"[.,]")
_FLOAT_TAIL_RE = re.compile(r"\.0+$")
# A whole number a spreadsheet stored as a float ("5125550100.0"): only digits before it, so
# "512.207.0000" (a phone written with dots) keeps its last four digits.
_NUMBER_FLOAT_TAIL_RE = re.compile(r"^(\+?\d+)\.0+$")
_ZIP9_RE = re.compile(r"\d{8,9}")
_ADDRESS_JUNK_RE = re.compile(r"[^A-Z0-9#&/'\-\s]")
_HASH_RE = re.compile(r"\s*#\s*")
_ALNUM_RE = re.compile(r"[A-Z0-9]")
_PO_BOX_RE = re.compile(r"^(?:POST OFFICE BOX|P O BOX|P O B|POB)\b")
_NUMERIC_CITY_RE = re.compile(r"[\d\s\-#]+")
_COUNTY_WORD_RE = re.compile(r"\s+(?:COUNTY|CNTY|PARISH)$")
_NAME_JOINER_RE = re.compile(r"([-'])")
_MC_RE = re.compile(r"^Mc[a-z]")
_NAME_JUNK_RE = re.compile(r"[^\w'\- ]|[\d_]")  # letters of any alphabet: MÜLLER, JOSÉ
_OWNER_SPLIT_RE = re.compile(r"\s*(?:&|\bAND\b|/|;|\+)\s*", re.IGNORECASE)
_NAME_SPLIT_RE = re.compile(r"[\s,]+")
_NON_LETTER_RE = re.compile(r"[^A-Za-z ]")


class Cleaned(NamedTuple):
    """A cleaned value; ``error`` (a sentence naming the value) when it is not usable.

    ``derived`` carries values a cleaner can fill for other fields — a full name gives
    a first and a last name. A tuple: immutable (the cleaners' caches share them) and made
    in a fraction of a frozen dataclass's time, for the 100,000s a big import makes.
    """

    value: str
    error: str | None = None
    derived: Mapping[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def quoted(value: str) -> str:
    return f"“{value.strip()}”"


# --------------------------------------------------------------------------------------
# States
# --------------------------------------------------------------------------------------

_STATE_NAMES = {
    "ALABAMA": "AL",
    "ALASKA": "AK",
    "ARIZONA": "AZ",
    "ARKANSAS": "AR",
    "CALIFORNIA": "CA",
    "COLORADO": "CO",
    "CONNECTICUT": "CT",
    "DELAWARE": "DE",
    "DISTRICT OF COLUMBIA": "DC",
    "WASHINGTON DC": "DC",
    "FLORIDA": "FL",
    "GEORGIA": "GA",
    "HAWAII": "HI",
    "IDAHO": "ID",
    "ILLINOIS": "IL",
    "INDIANA": "IN",
    "IOWA": "IA",
    "KANSAS": "KS",
    "KENTUCKY": "KY",
    "LOUISIANA": "LA",
    "MAINE": "ME",
    "MARYLAND": "MD",
    "MASSACHUSETTS": "MA",
    "MICHIGAN": "MI",
    "MINNESOTA": "MN",
    "MISSISSIPPI": "MS",
    "MISSOURI": "MO",
    "MONTANA": "MT",
    "NEBRASKA": "NE",
    "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH",
    "NEW JERSEY": "NJ",
    "NEW MEXICO": "NM",
    "NEW YORK": "NY",
    "NORTH CAROLINA": "NC",
    "NORTH DAKOTA": "ND",
    "OHIO": "OH",
    "OKLAHOMA": "OK",
    "OREGON": "OR",
    "PENNSYLVANIA": "PA",
    "RHODE ISLAND": "RI",
    "SOUTH CAROLINA": "SC",
    "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN",
    "TEXAS": "TX",
    "UTAH": "UT",
    "VERMONT": "VT",
    "VIRGINIA": "VA",
    "WASHINGTON": "WA",
    "WEST VIRGINIA": "WV",
    "WISCONSIN": "WI",
    "WYOMING": "WY",
    "PUERTO RICO": "PR",
    "US VIRGIN ISLANDS": "VI",
    "VIRGIN ISLANDS": "VI",
    "GUAM": "GU",
    "AMERICAN SAMOA": "AS",
    "NORTHERN MARIANA ISLANDS": "MP",
    "ARMED FORCES AMERICAS": "AA",
    "ARMED FORCES EUROPE": "AE",
    "ARMED FORCES PACIFIC": "AP",
}
STATE_CODES = frozenset(_STATE_NAMES.values())


@_repeated
def normalize_state(value: str) -> Cleaned:
    """Two-letter USPS code from a code or a full name ("Texas", "tx", "N.Y.")."""
    text = " ".join(_STATE_PUNCT_RE.sub("", value).upper().split())
    if not text:
        return Cleaned("")
    if text in STATE_CODES:
        return Cleaned(text)
    code = _STATE_NAMES.get(text)
    if code is not None:
        return Cleaned(code)
    return Cleaned(value.strip(), f"{quoted(value)} is not a US state or territory")


# --------------------------------------------------------------------------------------
# ZIP codes
# --------------------------------------------------------------------------------------

# The three-digit prefixes of ZIPs that start with 0, by state (USPS). Only these can
# lose leading zeros when a spreadsheet stores the ZIP as a number. NY owns 005 (the
# IRS in Holtsville) and 063 (Fishers Island, 06390); MA owns 055 (IRS Andover).
_ZERO_ZIP_PREFIXES: dict[str, frozenset[str]] = {
    "MA": frozenset({f"{n:03d}" for n in range(10, 28)} | {"055"}),
    "RI": frozenset({"028", "029"}),
    "NH": frozenset({f"{n:03d}" for n in range(30, 39)}),
    "ME": frozenset({f"{n:03d}" for n in range(39, 50)}),
    "VT": frozenset({f"{n:03d}" for n in (*range(50, 55), *range(56, 60))}),
    "CT": frozenset({f"{n:03d}" for n in range(60, 70)}),
    "NJ": frozenset({f"{n:03d}" for n in range(70, 90)}),
    "AE": frozenset({f"{n:03d}" for n in range(90, 99)}),
    "PR": frozenset({"006", "007", "009"}),
    "VI": frozenset({"008"}),
    "NY": frozenset({"005", "063"}),
}
_ALL_ZERO_PREFIXES = frozenset().union(*_ZERO_ZIP_PREFIXES.values())
_ZIP_RE = re.compile(r"^(\d{3,5})(?:[\s-]?(\d{4}))?$")
_SCIENTIFIC_RE = re.compile(r"^\d(?:\.\d+)?E\+?\d+$", re.IGNORECASE)


@_repeated
def normalize_zip(value: str, *, state: str = "") -> Cleaned:
    """``12345`` or ``12345-6789``, restoring leading zeros a spreadsheet dropped.

    A 4-digit value is a 5-digit ZIP that lost its zero (no ZIP has 4 digits); a
    3-digit one lost two (Puerto Rico 006xx, Virgin Islands 008xx, NY 005xx). With a
    state the restored prefix must belong to it: ``2134`` in MA becomes ``02134`` but
    in TX it is an error, since Texas ZIPs never start with 0.
    """
    text = value.strip()
    if not text:
        return Cleaned("")
    text = _FLOAT_TAIL_RE.sub("", text)  # 2134.0 from a float column
    if _ZIP9_RE.fullmatch(text):
        text = f"{text[:-4]}-{text[-4:]}"
    match = _ZIP_RE.match(text)
    if match is None:
        return Cleaned(value.strip(), f"{quoted(value)} is not a valid ZIP code")
    digits, plus4 = match.group(1), match.group(2)
    state = state.strip().upper()
    if len(digits) < 5:
        restored = digits.zfill(5)
        allowed = _ZERO_ZIP_PREFIXES.get(state) if state in STATE_CODES else None
        if state in STATE_CODES and allowed is None:
            return Cleaned(
                value.strip(),
                f"{quoted(value)} has only {len(digits)} digits, and {state} ZIP codes do "
                "not start with 0",
            )
        prefixes = allowed if allowed is not None else _ALL_ZERO_PREFIXES
        if restored[:3] not in prefixes:
            where = f" in {state}" if allowed is not None else ""
            return Cleaned(
                value.strip(),
                f"{quoted(value)} is not a valid ZIP code{where}, even with its leading "
                "zeros restored",
            )
        digits = restored
    if digits[:3] in {"000", "001", "002", "003", "004"}:
        return Cleaned(value.strip(), f"{quoted(value)} is not a valid ZIP code")
    return Cleaned(f"{digits}-{plus4}" if plus4 else digits)


def zip5(value: str) -> str:
    """The 5-digit part of a cleaned ZIP."""
    return value[:5]


# --------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------

_SUFFIXES = {
    "ALLEY": "ALY",
    "ALLY": "ALY",
    "ANNEX": "ANX",
    "AVENUE": "AVE",
    "AV": "AVE",
    "AVEN": "AVE",
    "AVENU": "AVE",
    "AVN": "AVE",
    "AVNUE": "AVE",
    "BAYOU": "BYU",
    "BEND": "BND",
    "BLUFF": "BLF",
    "BOULEVARD": "BLVD",
    "BOUL": "BLVD",
    "BOULV": "BLVD",
    "BRANCH": "BR",
    "BRIDGE": "BRG",
    "BROOK": "BRK",
    "BYPASS": "BYP",
    "CANYON": "CYN",
    "CAUSEWAY": "CSWY",
    "CENTER": "CTR",
    "CENTRE": "CTR",
    "CIRCLE": "CIR",
    "CIRC": "CIR",
    "CIRCL": "CIR",
    "CRCL": "CIR",
    "CLIFF": "CLF",
    "COMMON": "CMN",
    "COMMONS": "CMNS",
    "CORNER": "COR",
    "COURSE": "CRSE",
    "COURT": "CT",
    "COVE": "CV",
    "CREEK": "CRK",
    "CRESCENT": "CRES",
    "CREST": "CRST",
    "CROSSING": "XING",
    "DRIVE": "DR",
    "DRIV": "DR",
    "DRV": "DR",
    "ESTATE": "EST",
    "ESTATES": "ESTS",
    "EXPRESSWAY": "EXPY",
    "EXTENSION": "EXT",
    "FALLS": "FLS",
    "FERRY": "FRY",
    "FIELD": "FLD",
    "FIELDS": "FLDS",
    "FOREST": "FRST",
    "FORK": "FRK",
    "FREEWAY": "FWY",
    "GARDEN": "GDN",
    "GARDENS": "GDNS",
    "GATEWAY": "GTWY",
    "GLEN": "GLN",
    "GREEN": "GRN",
    "GROVE": "GRV",
    "HARBOR": "HBR",
    "HAVEN": "HVN",
    "HEIGHTS": "HTS",
    "HIGHWAY": "HWY",
    "HIWAY": "HWY",
    "HWAY": "HWY",
    "HILL": "HL",
    "HILLS": "HLS",
    "HOLLOW": "HOLW",
    "ISLAND": "IS",
    "JUNCTION": "JCT",
    "KNOLL": "KNL",
    "LAKE": "LK",
    "LAKES": "LKS",
    "LANDING": "LNDG",
    "LANE": "LN",
    "LOOP": "LOOP",
    "MANOR": "MNR",
    "MEADOW": "MDW",
    "MEADOWS": "MDWS",
    "MILL": "ML",
    "MOUNT": "MT",
    "MOUNTAIN": "MTN",
    "ORCHARD": "ORCH",
    "OVAL": "OVAL",
    "PARKWAY": "PKWY",
    "PARKWY": "PKWY",
    "PKY": "PKWY",
    "PASSAGE": "PSGE",
    "PIKE": "PIKE",
    "PINES": "PNES",
    "PLACE": "PL",
    "PLAIN": "PLN",
    "PLAINS": "PLNS",
    "PLAZA": "PLZ",
    "POINT": "PT",
    "POINTE": "PT",
    "PORT": "PRT",
    "PRAIRIE": "PR",
    "RANCH": "RNCH",
    "RIDGE": "RDG",
    "RIVER": "RIV",
    "ROAD": "RD",
    "ROUTE": "RTE",
    "SHORE": "SHR",
    "SHORES": "SHRS",
    "SPRING": "SPG",
    "SPRINGS": "SPGS",
    "SQUARE": "SQ",
    "STATION": "STA",
    "STREET": "ST",
    "STR": "ST",
    "STRT": "ST",
    "SUMMIT": "SMT",
    "TERRACE": "TER",
    "TERR": "TER",
    "TRACE": "TRCE",
    "TRAIL": "TRL",
    "TRAILS": "TRL",
    "TRL": "TRL",
    "TURNPIKE": "TPKE",
    "VALLEY": "VLY",
    "VIEW": "VW",
    "VILLAGE": "VLG",
    "VILLE": "VL",
    "VISTA": "VIS",
    "WALK": "WALK",
    "WAY": "WAY",
    "WELLS": "WLS",
}
_SUFFIX_CODES = frozenset(_SUFFIXES.values()) | {"ST", "AVE", "RD", "DR", "LN", "CT", "PL"}
_DIRECTIONALS = {
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
}
_DIRECTIONAL_CODES = frozenset(_DIRECTIONALS.values())
# Secondary unit designators (USPS Pub 28 C2) that take a number: "APT 4", "STE 200".
_UNIT_DESIGNATORS = {
    "APARTMENT": "APT",
    "APT": "APT",
    "BUILDING": "BLDG",
    "BLDG": "BLDG",
    "DEPARTMENT": "DEPT",
    "DEPT": "DEPT",
    "FLOOR": "FL",
    "FL": "FL",
    "HANGAR": "HNGR",
    "KEY": "KEY",
    "LOT": "LOT",
    "PIER": "PIER",
    "ROOM": "RM",
    "RM": "RM",
    "SLIP": "SLIP",
    "SPACE": "SPC",
    "SPC": "SPC",
    "STOP": "STOP",
    "SUITE": "STE",
    "STE": "STE",
    "TRAILER": "TRLR",
    "TRLR": "TRLR",
    "UNIT": "UNIT",
    "#": "#",
}
# Designators that stand alone: "123 MAIN ST REAR".
_UNIT_WORDS = {
    "BASEMENT": "BSMT",
    "BSMT": "BSMT",
    "FRONT": "FRNT",
    "FRNT": "FRNT",
    "LOBBY": "LBBY",
    "LOWER": "LOWR",
    "LOWR": "LOWR",
    "OFFICE": "OFC",
    "OFC": "OFC",
    "PENTHOUSE": "PH",
    "PH": "PH",
    "REAR": "REAR",
    "SIDE": "SIDE",
    "UPPER": "UPPR",
    "UPPR": "UPPR",
}


def _clean_text(value: str) -> str:
    """Upper case, periods dropped, commas and stray punctuation to spaces, # spaced."""
    text = value.upper().replace(".", "")
    text = _ADDRESS_JUNK_RE.sub(" ", text)
    text = _HASH_RE.sub(" # ", text)
    return " ".join(text.split())


def _split_unit(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Split street tokens from the secondary unit ("APT 4", "# 4", "REAR")."""
    for index in range(2, len(tokens)):
        token = tokens[index]
        if token in _UNIT_DESIGNATORS and index + 1 < len(tokens):
            return tokens[:index], tokens[index:]
        if token in _UNIT_WORDS and index == len(tokens) - 1:
            return tokens[:index], tokens[index:]
    return tokens, []


def _format_unit(tokens: list[str]) -> list[str]:
    if not tokens:
        return []
    head, rest = tokens[0], [t for t in tokens[1:] if t != "#"]
    if head in _UNIT_WORDS:
        return [_UNIT_WORDS[head], *rest]
    designator = _UNIT_DESIGNATORS.get(head, head)
    return [designator, *rest]


def _format_street(tokens: list[str]) -> list[str]:
    if not tokens:
        return tokens
    tokens = list(tokens)
    has_number = any(ch.isdigit() for ch in tokens[0])
    first_name = 1 if has_number else 0
    # Post-directional: "123 MAIN ST NORTH" -> "123 MAIN ST N".
    last = len(tokens) - 1
    if last - first_name >= 2 and tokens[last] in _DIRECTIONALS:
        tokens[last] = _DIRECTIONALS[tokens[last]]
    suffix_at = last - 1 if tokens[last] in _DIRECTIONAL_CODES and last - 1 > first_name else last
    # Suffix: only the last word of the street name, so "PARK AVENUE" keeps PARK.
    if suffix_at > first_name and tokens[suffix_at] in _SUFFIXES:
        tokens[suffix_at] = _SUFFIXES[tokens[suffix_at]]
    # Pre-directional: "123 NORTH MAIN ST" -> "123 N MAIN ST", but "123 NORTH ST" keeps
    # NORTH, which is the street's name there.
    if first_name < len(tokens) and tokens[first_name] in _DIRECTIONALS:
        after = tokens[first_name + 1 :]
        if len(after) >= 2 or (len(after) == 1 and after[0] not in _SUFFIX_CODES):
            tokens[first_name] = _DIRECTIONALS[tokens[first_name]]
    return tokens


# A street line that starts with a house number made of ASCII digits, then whitespace.
_HOUSE_NUMBER_RE = re.compile(r"\s*([0-9]+)\s+(\S.*)", re.DOTALL)
# One that ends with a number after whitespace ("PO Box 4512", "Main St Apt 12").
_LAST_NUMBER_RE = re.compile(r"(.*\S)\s+([0-9]+)\s*", re.DOTALL)


def normalize_address(value: str) -> Cleaned:
    """A street line in USPS style: "123 North Main Street, Apt #4" -> "123 N MAIN ST APT 4".

    Nearly every address differs from the others only by its house number (or its box or
    unit number), so a cache of whole addresses never hits; the rest repeats down a list.
    Every rule below treats an all-digit token the same whatever its digits (it is kept
    as it is, it is never a unit word, a PO box or a street word, and a leading one makes
    the next token the street's name), so the rest is cleaned once around a stand-in
    number "1" and the real number is put back (a test checks this against the
    whole-address path)."""
    match = _HOUSE_NUMBER_RE.match(value)
    if match is not None:
        number, street = match.groups()
        cleaned = _address_after_one(street)
        return Cleaned(number + cleaned.value[1:])
    match = _LAST_NUMBER_RE.fullmatch(value)
    if match is not None:
        head, number = match.groups()
        cleaned = _address_before_one(head)
        # The stand-in is the last token unless the rest cleaned to nothing around it.
        if cleaned.value.endswith(" 1"):
            return Cleaned(cleaned.value[:-1] + number)
    return _normalize_address(value)


@_repeated
def _address_after_one(street: str) -> Cleaned:
    return _normalize_address("1 " + street)


@_repeated
def _address_before_one(head: str) -> Cleaned:
    return _normalize_address(head + " 1")


@_repeated
def _normalize_address(value: str) -> Cleaned:
    if not value.strip():
        return Cleaned("")
    text = _clean_text(value)
    if not _ALNUM_RE.search(text):
        return Cleaned(value.strip(), f"{quoted(value)} is not an address")
    text = _PO_BOX_RE.sub("PO BOX", text)
    tokens = text.split()
    if tokens[:2] == ["PO", "BOX"]:
        return Cleaned(" ".join(t for t in tokens if t != "#"))
    street, unit = _split_unit(tokens)
    return Cleaned(" ".join([*_format_street(street), *_format_unit(unit)]))


@_repeated
def normalize_unit(value: str) -> Cleaned:
    """A unit column ("Apt 4", "#4", "4B") in the form appended to the street line."""
    text = _clean_text(value)
    if not text:
        return Cleaned("")
    tokens = text.split()
    if tokens[0] in _UNIT_DESIGNATORS or tokens[0] in _UNIT_WORDS:
        return Cleaned(" ".join(_format_unit(tokens)))
    return Cleaned(" ".join(["#", *tokens]))


@_repeated
def normalize_city(value: str) -> Cleaned:
    """Upper case without periods: "St. Louis" -> "ST LOUIS"."""
    text = _clean_text(value).replace(" # ", " ")
    if not text:
        return Cleaned("")
    if _NUMERIC_CITY_RE.fullmatch(text):
        return Cleaned(value.strip(), f"{quoted(value)} is a number, not a city")
    return Cleaned(text)


@_repeated
def normalize_county(value: str) -> Cleaned:
    """County name without the word "County" ("Palm Beach County" -> "PALM BEACH").

    Tracerfy's parcel endpoints take the bare name, as in its 'Palm Beach' example.
    """
    text = _clean_text(value)
    text = _COUNTY_WORD_RE.sub("", text)
    return Cleaned(text)


def normalize_apn(value: str) -> Cleaned:
    """A parcel number as text; one Excel shortened to 1.23E+11 has lost its digits."""
    text = " ".join(value.split()).upper().lstrip("#").strip()
    if not text:
        return Cleaned("")
    if "E" in text and _SCIENTIFIC_RE.match(text):
        return Cleaned(
            value.strip(),
            f"{quoted(value)} was shortened to scientific notation by a spreadsheet, so its "
            "digits are lost; format the column as text and export again",
        )
    return Cleaned(text)


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------

_NAME_SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV", "V", "MD", "ESQ", "PHD", "DDS"})
_UPPER_SUFFIXES = _NAME_SUFFIXES - {"JR", "SR"}
_SURNAME_PARTICLES = frozenset({"DE", "DEL", "DELA", "LA", "LE", "VAN", "VON", "DA", "DI", "ST"})
_ENTITY_WORDS = frozenset(
    {
        "LLC",
        "LC",
        "INC",
        "INCORPORATED",
        "CORP",
        "CORPORATION",
        "CO",
        "COMPANY",
        "LP",
        "LLP",
        "LTD",
        "PLLC",
        "TRUST",
        "TR",
        "TRS",
        "TRUSTEE",
        "TRUSTEES",
        "ESTATE",
        "EST",
        "BANK",
        "HOLDINGS",
        "PROPERTIES",
        "PROPERTY",
        "INVESTMENTS",
        "INVESTMENT",
        "REALTY",
        "CHURCH",
        "ASSOCIATION",
        "ASSN",
        "HOA",
        "PARTNERS",
        "PARTNERSHIP",
        "GROUP",
        "FOUNDATION",
        "MINISTRIES",
        "FUND",
        "CAPITAL",
        "VENTURES",
        "ENTERPRISES",
        "DEVELOPMENT",
        "HOMES",
        "CITY",
        "COUNTY",
        "AUTHORITY",
        "HOUSING",
        "REVOCABLE",
        "UNIVERSITY",
    }
)


def _name_case(text: str) -> str:
    """Title-case an all-caps or all-lower name; keep a deliberately mixed-case one."""
    if text != text.upper() and text != text.lower():
        return text
    words = []
    for word in text.split():
        if word.upper().strip(".") in _UPPER_SUFFIXES:
            words.append(word.upper())
            continue
        parts = _NAME_JOINER_RE.split(word.lower())
        cased = "".join(part.capitalize() for part in parts)
        if _MC_RE.match(cased):
            cased = "Mc" + cased[2].upper() + cased[3:]
        words.append(cased)
    return " ".join(words)


def _name_tokens(text: str) -> list[str]:
    return _NAME_JUNK_RE.sub(" ", text.upper()).split()


def _is_entity(text: str) -> bool:
    return any(token in _ENTITY_WORDS for token in _name_tokens(text))


def is_company_name(value: str) -> bool:
    """Whether a name cell holds a company, trust or other entity ("SMITH FAMILY TRUST")."""
    return _is_entity(" ".join(value.split()))


@_repeated
def normalize_company(value: str) -> Cleaned:
    """A company or trust owner's name, upper case as county rolls write it."""
    return Cleaned(" ".join(value.split()).upper())


def split_full_name(value: str) -> tuple[str, str] | None:
    """``(first, last)`` from one owner-name cell, or None for a company or a lone word.

    "SMITH, JOHN A" -> (JOHN, SMITH); "John A Smith" -> (John, Smith); county rolls'
    "SMITH JOHN A" (trailing middle initial, no comma) -> (JOHN, SMITH). With two owners
    ("SMITH, JOHN & JANE", "JOHN & JANE SMITH") the first one is kept.
    """
    text = " ".join(value.split())
    if not text or _is_entity(text):
        return None
    return _split_person(text)


def _split_person(text: str) -> tuple[str, str] | None:
    first_owner = _OWNER_SPLIT_RE.split(text)[0]
    if "," in first_owner:
        last_part, _, first_part = first_owner.partition(",")
        last_tokens = [t for t in _name_tokens(last_part) if t not in _NAME_SUFFIXES]
        first_tokens = [t for t in _name_tokens(first_part) if t not in _NAME_SUFFIXES]
        if not last_tokens or not first_tokens:
            return None
        return first_tokens[0], " ".join(last_tokens)
    tokens = [t for t in _name_tokens(first_owner) if t not in _NAME_SUFFIXES]
    if len(tokens) == 1:
        # "JOHN & JANE SMITH": the surname is on the last owner.
        whole = [t for t in _name_tokens(text) if t not in _NAME_SUFFIXES]
        if len(whole) >= 2 and whole[-1] != tokens[0]:
            return tokens[0], whole[-1]
        return None
    if not tokens:
        return None
    if len(tokens) >= 3 and len(tokens[-1]) == 1:
        return tokens[1], tokens[0]
    last_start = len(tokens) - 1
    while last_start - 1 >= 1 and tokens[last_start - 1] in _SURNAME_PARTICLES:
        last_start -= 1
    return tokens[0], " ".join(tokens[last_start:])


def _clean_name(value: str) -> str:
    return _name_case(" ".join(value.replace(",", " ").split()))


@_repeated
def normalize_first_name(value: str) -> Cleaned:
    return Cleaned(_clean_name(value))


@_repeated
def normalize_last_name(value: str) -> Cleaned:
    return Cleaned(_clean_name(value))


def normalize_full_name(value: str) -> Cleaned:
    """A display name, plus first/last when the cell holds one person's name.

    A company or trust keeps its name as written (upper case), with nothing derived.
    """
    text = " ".join(value.split())
    if not text:
        return Cleaned("")
    if _is_entity(text):
        return Cleaned(text.upper())
    parts = _split_person(text)
    if parts is None:
        return Cleaned(_name_case(text))
    mixed = text != text.upper() and text != text.lower()
    first, last = parts
    if mixed:
        # Keep the user's casing: find the tokens as written.
        written = {token.upper(): token for token in _NAME_SPLIT_RE.split(text)}
        first, last = (
            written.get(first, first),
            " ".join(written.get(part, part) for part in last.split()),
        )
    first, last = _name_case(first), _name_case(last)
    return Cleaned(
        f"{first} {last}",
        derived={"owner_first_name": first, "owner_last_name": last},
    )


# --------------------------------------------------------------------------------------
# Phones and emails
# --------------------------------------------------------------------------------------


_PLAIN_PHONE_RE = re.compile(r"\+?[\d\s().\-]+")
_NON_DIGIT_RE = re.compile(r"\D")
_PHONE_PUNCTUATION = str.maketrans("", "", " ().-")


@functools.lru_cache(maxsize=65_536)
def _nanp_prefix_valid(prefix: str) -> bool:
    """Whether ``phonenumbers`` accepts 10-digit NANP numbers starting with ``prefix``.

    Parsing costs ~80 µs a number, the bulk of cleaning a row. libphonenumber's NANP
    patterns decide on the area code and exchange (the first six digits) and accept any
    last four, so the verdict is cached per NPA-NXX; a test checks this against the slow
    path on random numbers.
    """
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(prefix + "5555"))
    return phonenumbers.is_valid_number(number)


def normalize_phone(value: str) -> Cleaned:
    """E.164 (``+15125550100``) for a valid US/NANP number; otherwise an error saying why."""
    text = value.strip()
    if not text:
        return Cleaned("")
    # The checks below are skipped when they cannot apply: a list of 100,000 phones runs
    # this once a cell, and each regex substitution costs as much as the rest.
    if ("E" in text or "e" in text) and _SCIENTIFIC_RE.match(text):
        return Cleaned(
            text,
            f"{quoted(value)} was shortened to scientific notation by a spreadsheet, so "
            "its digits are lost",
        )
    if "." in text:
        text = _NUMBER_FLOAT_TAIL_RE.sub(r"\1", text)
    # Digits with the usual punctuation (what _PLAIN_PHONE_RE accepts, but for whitespace
    # other than a space) are read without a regex: str.translate is one C call.
    digits = (text[1:] if text[:1] == "+" else text).translate(_PHONE_PUNCTUATION)
    if digits.isdecimal() or _PLAIN_PHONE_RE.fullmatch(text):
        if not digits.isdecimal():
            digits = _NON_DIGIT_RE.sub("", text)
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        elif text.startswith("+"):
            digits = ""  # +44…: not NANP, let phonenumbers judge it below
        if len(digits) == 10:
            if _nanp_prefix_valid(digits[:6]):
                return Cleaned("+1" + digits)
            return Cleaned(text, f"{quoted(value)} is not a valid US phone number")
    return _phone_by_library(text, value)


@_repeated
def _phone_by_library(text: str, value: str) -> Cleaned:
    """What libphonenumber makes of a cell the fast path above cannot read (~80 µs): kept
    per value, as a list's unreadable phones ("555-1234", "N/A") repeat."""
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return Cleaned(text, f"{quoted(value)} is not a phone number")
    if number.country_code != 1:
        return Cleaned(text, f"{quoted(value)} is not a US phone number")
    if not phonenumbers.is_valid_number(number):
        return Cleaned(text, f"{quoted(value)} is not a valid US phone number")
    return Cleaned(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


_PHONE_TYPES = {
    "MOBILE": "mobile",
    "CELL": "mobile",
    "CELLULAR": "mobile",
    "WIRELESS": "mobile",
    "M": "mobile",
    "C": "mobile",
    "LANDLINE": "landline",
    "LAND LINE": "landline",
    "RESIDENTIAL": "landline",
    "WIRED": "landline",
    "L": "landline",
    "VOIP": "voip",
    "TOLL FREE": "toll_free",
    "TOLLFREE": "toll_free",
}


@_repeated
def normalize_phone_type(value: str) -> Cleaned:
    """``mobile``, ``landline``, ``voip``, ``toll_free``; other labels kept in lower case."""
    text = " ".join(_NON_LETTER_RE.sub(" ", value).upper().split())
    if not text:
        return Cleaned("")
    return Cleaned(_PHONE_TYPES.get(text, text.lower()))


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)*\.[a-z]{2,}$")


def normalize_email(value: str) -> Cleaned:
    text = value.strip().lower()
    if not text:
        return Cleaned("")
    text = text.removeprefix("mailto:")
    if not _EMAIL_RE.match(text):
        return Cleaned(value.strip(), f"{quoted(value)} is not a valid email address")
    return Cleaned(text)


# --------------------------------------------------------------------------------------
# Dedupe
# --------------------------------------------------------------------------------------

_CITY_KEY_WORDS = {"SAINT": "ST", "FORT": "FT", "MOUNT": "MT", "SAINTE": "STE"}


def address_word(word: str) -> str:
    """The USPS form of one upper-case address word ("STREET" -> "ST", "NORTH" -> "N",
    "APARTMENT" -> "APT"); any other word as given. Search uses it on the words people type."""
    return (
        _SUFFIXES.get(word)
        or _DIRECTIONALS.get(word)
        or _UNIT_DESIGNATORS.get(word)
        or _UNIT_WORDS.get(word)
        or word
    )


def is_unit_word(word: str) -> bool:
    """Whether an upper-case word designates a secondary unit that takes a number ("APT",
    "UNIT", "#"): the property key writes every such designator as "#"."""
    return word in _UNIT_DESIGNATORS


def dedupe_key_for_address(address: str, city: str, state: str, zip_code: str) -> str:
    """A stable key for "the same property", whatever the spelling.

    Addresses normalise as above, any unit designator becomes "#" (APT 4, UNIT 4 and #4
    are one door), "SAINT"/"ST" and similar city spellings agree, and only the 5-digit
    ZIP counts. Returns "" when there is no street address to key on.
    """
    state_clean = normalize_state(state)
    state_code = state_clean.value if state_clean.ok else state.strip().upper()
    zip_clean = normalize_zip(zip_code, state=state_code)
    return dedupe_key_of_cleaned(
        normalize_address(address).value,
        normalize_city(city).value,
        state_code,
        zip_clean.value if zip_clean.ok else "",
    )


def dedupe_key_of_cleaned(street: str, city: str, state: str, zip_code: str) -> str:
    """The key from values already cleaned (rows.normalize_row has them at hand)."""
    if not street:
        return ""
    base, unit = _split_unit(street.split())
    if unit:
        rest = [t for t in unit[1:] if t != "#"]
        unit = [_UNIT_WORDS[unit[0]], *rest] if unit[0] in _UNIT_WORDS else ["#", *rest]
    return "|".join([" ".join([*base, *unit]), _city_key(city), state, zip5(zip_code)])


@_repeated
def _city_key(city: str) -> str:
    return " ".join(_CITY_KEY_WORDS.get(t, t) for t in city.split())
