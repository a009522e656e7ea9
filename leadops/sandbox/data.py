"""Deterministic synthetic people, phones and DNC flags.

Everything is seeded by a SHA-256 of the normalized input, so the same address always
yields the same owner, across runs and processes. Phones are only ever 555-01xx numbers
and emails only use example.com / example.net / example.org.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
from functools import lru_cache

TODAY = dt.date(2026, 1, 15)

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty",
    "Mark", "Sandra", "Steven", "Ashley", "Paul", "Kimberly", "Andrew", "Donna", "Joshua",
    "Emily", "Kevin", "Carol", "Brian", "Michelle", "Janet", "Gloria", "Victor", "Rosa",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Morris", "Reed", "Cook", "Bell",
)  # fmt: skip
STREET_NAMES = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park",
    "Walnut", "Sunset", "Lincoln", "Jackson", "Highland", "Ridge", "Willow", "Church",
    "Mill", "River", "Spring", "Meadow", "Forest", "Cherry", "Madison", "Franklin",
)  # fmt: skip
STREET_SUFFIXES = ("St", "Ave", "Blvd", "Dr", "Ln", "Rd", "Ct", "Way", "Pl", "Ter")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
MOBILE_CARRIERS = ("T-MOBILE USA INC.", "VERIZON WIRELESS", "AT&T MOBILITY", "US CELLULAR")
LANDLINE_CARRIERS = ("AT&T", "CENTURYLINK", "FRONTIER COMMUNICATIONS", "WINDSTREAM")

AREA_CODES = {
    "AZ": ("480", "602", "623"), "TX": ("512", "214", "713", "210"), "FL": ("561", "813", "305"),
    "IL": ("312", "773"), "NY": ("212", "718", "347"), "CA": ("213", "310", "415", "619"),
    "GA": ("404", "678"), "TN": ("615", "901"), "CO": ("303", "720"), "NV": ("702",),
    "NC": ("704", "919"), "OH": ("216", "614"), "IN": ("317",), "WA": ("206",),
    "PA": ("215", "412"), "MI": ("313",), "MA": ("617",), "NJ": ("201",), "MO": ("314",),
}  # fmt: skip
# state -> (city, zip) pairs used for mailing addresses
MAIL_CITIES = {
    "AZ": (("Phoenix", "85004"), ("Scottsdale", "85251"), ("Mesa", "85201")),
    "TX": (("Austin", "78702"), ("Dallas", "75201"), ("Houston", "77002")),
    "FL": (("West Palm Beach", "33401"), ("Tampa", "33602"), ("Miami", "33130")),
    "IL": (("Chicago", "60609"), ("Evanston", "60201")),
    "NY": (("Brooklyn", "11211"), ("New York", "10001"), ("Queens", "11375")),
    "CA": (("Los Angeles", "90012"), ("San Diego", "92101"), ("Oakland", "94607")),
    "GA": (("Atlanta", "30303"), ("Marietta", "30060")),
    "TN": (("Nashville", "37203"), ("Memphis", "38103")),
}  # fmt: skip
FALLBACK_MAIL = (("Springfield", "62701"), ("Columbus", "43215"), ("Denver", "80202"))

_SUFFIX_ALIASES = {
    "STREET": "ST", "AVENUE": "AVE", "BOULEVARD": "BLVD", "DRIVE": "DR", "LANE": "LN",
    "ROAD": "RD", "COURT": "CT", "PLACE": "PL", "TERRACE": "TER", "TERR": "TER",
    "CIRCLE": "CIR", "PARKWAY": "PKWY", "HIGHWAY": "HWY", "NORTH": "N", "SOUTH": "S",
    "EAST": "E", "WEST": "W", "APARTMENT": "APT", "SUITE": "STE",
}  # fmt: skip
_NON_WORD = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r"\s+")


def normalize_text(value: object) -> str:
    text = _NON_WORD.sub(" ", str(value or "").upper())
    words = [_SUFFIX_ALIASES.get(word, word) for word in _SPACES.split(text.strip()) if word]
    return " ".join(words)


def normalize_zip(value: object) -> str:
    digits = re.sub(r"\D", "", str(value or ""))
    if not digits:
        return ""
    return digits[:5].zfill(5)


def normalize_phone(value: object) -> str | None:
    """Strip formatting and a leading 1; return 10 digits or None."""
    digits = re.sub(r"\D", "", str(value or ""))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01":
        return None
    return digits


def seed_of(*parts: object) -> int:
    joined = "|".join(normalize_text(part) for part in parts)
    return int.from_bytes(hashlib.sha256(joined.encode()).digest()[:8], "big")


def unit(seed: int, salt: str) -> float:
    """A stable number in [0, 1) derived from a seed and a purpose."""
    digest = hashlib.sha256(f"{seed}:{salt}".encode()).digest()
    return int.from_bytes(digest[:7], "big") / float(1 << 56)


def address_seed(address: object, city: object, state: object, zip_code: object = "") -> int:
    return seed_of(address, city, state, normalize_zip(zip_code))


def is_miss(seed: int, miss_rate: float) -> bool:
    return unit(seed, "miss") < miss_rate


@lru_cache(maxsize=65536)
def _phone_flags(number: str) -> tuple[tuple[str, object], ...]:
    return tuple(_compute_phone_flags(number).items())


def phone_flags(number: str) -> dict[str, object]:
    """DNC flags, type and carrier for one phone; a pure function of the number."""
    return dict(_phone_flags(number))


def _compute_phone_flags(number: str) -> dict[str, object]:
    seed = seed_of("phone", number)
    mobile = unit(seed, "type") < 0.65
    carriers = MOBILE_CARRIERS if mobile else LANDLINE_CARRIERS
    national = unit(seed, "national") < 0.22
    state = unit(seed, "state") < 0.08
    dma = unit(seed, "dma") < 0.05
    litigator = unit(seed, "litigator") < 0.03
    return {
        "national_dnc": national,
        "state_dnc": state,
        "dma": dma,
        "litigator": litigator,
        "phone_type": "Mobile" if mobile else "Landline",
        "carrier": carriers[int(unit(seed, "carrier") * len(carriers))],
        "is_clean": not (national or state or dma or litigator),
    }


def synthetic_phone(rng: random.Random, state: str) -> str:
    codes = AREA_CODES.get(state.upper(), ("212", "305", "415"))
    return f"{rng.choice(codes)}55501{rng.randrange(100):02d}"


def mailing_address(rng: random.Random, state: str) -> dict[str, str]:
    state = state.upper() if state else "TX"
    city, zip_code = rng.choice(MAIL_CITIES.get(state, FALLBACK_MAIL))
    if rng.random() < 0.2:
        street = f"PO Box {rng.randrange(100, 9999)}"
    else:
        street = (
            f"{rng.randrange(100, 9999)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"
        )
    return {"street": street, "city": city, "state": state, "zip": zip_code}


def person(
    seed: int,
    *,
    state: str,
    first_name: str | None = None,
    last_name: str | None = None,
    property_owner: bool = True,
    property_mail: dict[str, str] | None = None,
) -> dict[str, object]:
    """One person with phones and emails.

    ``property_mail`` is the property's own address: owner-occupants receive mail there.
    """
    rng = random.Random(seed)
    first = (first_name or rng.choice(FIRST_NAMES)).strip().title()
    last = (last_name or rng.choice(LAST_NAMES)).strip().title()
    age = rng.randrange(24, 88)
    born = TODAY.replace(year=TODAY.year - age) - dt.timedelta(days=rng.randrange(1, 360))
    age = TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))
    deceased = rng.random() < 0.03
    if property_mail is not None and rng.random() < 0.6:
        mail = dict(property_mail)
    else:
        mail = mailing_address(rng, state)
    phones: list[dict[str, object]] = []
    seen: set[str] = set()
    for _ in range(rng.randrange(1, 7)):
        number = synthetic_phone(rng, state)
        if number in seen:
            continue
        seen.add(number)
        flags = phone_flags(number)
        phones.append(
            {
                "number": number,
                "type": flags["phone_type"],
                "dnc": bool(flags["national_dnc"] or flags["state_dnc"]),
                "carrier": flags["carrier"],
                "rank": len(phones) + 1,
            }
        )
    emails = []
    handle = re.sub(r"[^a-z]", "", first.lower()) + "." + re.sub(r"[^a-z]", "", last.lower())
    for index in range(rng.randrange(0, 4)):
        suffix = "" if index == 0 else str(rng.randrange(10, 99))
        domain = EMAIL_DOMAINS[(seed + index) % len(EMAIL_DOMAINS)]
        emails.append({"email": f"{handle}{suffix}@{domain}", "rank": index + 1})
    litigator = any(phone_flags(str(p["number"]))["litigator"] for p in phones)
    return {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}",
        "dob": born.isoformat(),
        "age": age,
        "deceased": deceased,
        "property_owner": property_owner,
        "litigator": litigator,
        "mailing_address": mail,
        "phones": phones,
        "emails": emails,
    }


def owner_for_address(address: str, city: str, state: str, zip_code: str = "") -> dict[str, object]:
    seed = address_seed(address, city, state, zip_code)
    own_mail = {
        "street": str(address).strip(),
        "city": str(city).strip(),
        "state": str(state).strip().upper(),
        "zip": normalize_zip(zip_code),
    }
    return person(seed, state=str(state), property_mail=own_mail)


def trace_record(
    row: dict[str, str], *, trace_type: str, miss_rate: float
) -> tuple[dict[str, str], bool]:
    """One queue record (the documented record shape) and whether it was a hit."""
    seed = address_seed(row["address"], row["city"], row["state"], row.get("zip", ""))
    hit = not is_miss(seed, miss_rate)
    record = {
        "address": row["address"],
        "city": row["city"],
        "state": row["state"],
        "mail_address": row.get("mail_address", ""),
        "mail_city": row.get("mail_city", ""),
        "mail_state": row.get("mail_state", ""),
        "first_name": row.get("first_name", "") if trace_type == "normal" else "",
        "last_name": row.get("last_name", "") if trace_type == "normal" else "",
        "primary_phone": "",
        "primary_phone_type": "",
    }
    for index in range(1, 6):
        record[f"email_{index}"] = ""
    for index in range(1, 6):
        record[f"mobile_{index}"] = ""
    for index in range(1, 4):
        record[f"landline_{index}"] = ""
    if not hit:
        return record, False
    owner = owner_for_address(row["address"], row["city"], row["state"], row.get("zip", ""))
    if trace_type == "advanced":
        mail = owner["mailing_address"]
        record.update(
            first_name=str(owner["first_name"]),
            last_name=str(owner["last_name"]),
            mail_address=mail["street"],
            mail_city=mail["city"],
            mail_state=mail["state"],
        )
    phones = owner["phones"]
    if phones:
        record["primary_phone"] = str(phones[0]["number"])
        record["primary_phone_type"] = str(phones[0]["type"])
    mobiles = [p["number"] for p in phones if p["type"] == "Mobile"][:5]
    landlines = [p["number"] for p in phones if p["type"] == "Landline"][:3]
    for index, number in enumerate(mobiles, start=1):
        record[f"mobile_{index}"] = str(number)
    for index, number in enumerate(landlines, start=1):
        record[f"landline_{index}"] = str(number)
    for email in owner["emails"][:5]:
        record[f"email_{email['rank']}"] = str(email["email"])
    return record, True
