"""Rule-based stand-ins for TraceAI (AI assist) and address autocomplete."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from . import data, properties
from .strategies import BY_KEY

STATE_FIPS = {
    "AZ": "04", "CA": "06", "CO": "08", "FL": "12", "GA": "13", "IL": "17", "MA": "25",
    "MN": "27", "NC": "37", "NV": "32", "NY": "36", "OH": "39", "TN": "47", "TX": "48",
    "VA": "51",
}  # fmt: skip
SUFFIXES = {
    "ST": "Street", "STREET": "Street", "AVE": "Avenue", "AVENUE": "Avenue", "TER": "Terrace",
    "TERR": "Terrace", "TERRACE": "Terrace", "DR": "Drive", "DRIVE": "Drive",
    "BLVD": "Boulevard", "BOULEVARD": "Boulevard", "RD": "Road", "ROAD": "Road", "LN": "Lane",
    "LANE": "Lane", "CT": "Court", "COURT": "Court", "PL": "Place", "PLACE": "Place",
    "WAY": "Way",
}  # fmt: skip
# neighbourhood -> USPS city, state
NEIGHBORHOODS = {
    "williamsburg": ("Brooklyn", "NY"), "park slope": ("Brooklyn", "NY"),
    "highland park": ("Los Angeles", "CA"), "south side chicago": ("Chicago", "IL"),
    "downtown nashville": ("Nashville", "TN"),
}  # fmt: skip
NEIGHBORHOOD_ZIPS = {
    "south side chicago": ["60609", "60615", "60617", "60619", "60620", "60621"],
    "downtown nashville": ["37203", "37219", "37201"],
}


@dataclass(frozen=True)
class Option:
    """One answer a clarifying question offers: the place it stands for and what names it."""

    label: str  # as the question names it: "Illinois"
    means: str  # what the place is taken to be: "Springfield, IL"
    mode: str  # "city" or "states"
    cities: tuple[str, ...]
    states: tuple[str, ...]
    names: tuple[str, ...]  # lower-case words or phrases that pick this option
    code: str | None  # postal code that picks it; None where it is the ambiguous word itself

    def geography(self) -> dict[str, Any]:
        if self.mode == "states":
            return {"mode": "states", "states": list(self.states)}
        return {"mode": "city", "cities": list(self.cities), "states": list(self.states)}

    def hint(self) -> str:
        return f"{self.label} ({self.code})" if self.code else self.label


@dataclass(frozen=True)
class Ambiguity:
    """A place name TraceAI will not guess at, its question and the options the question names."""

    name: str
    question: str
    options: tuple[Option, ...]

    def valid_answers(self) -> str:
        hints = [option.hint() for option in self.options]
        return ", ".join(hints[:-1]) + " or " + hints[-1]


def _city_option(city: str, state_name: str, code: str) -> Option:
    return Option(
        label=state_name,
        means=f"{city}, {code}",
        mode="city",
        cities=(city,),
        states=(code,),
        names=(state_name.lower(),),
        code=code,
    )


# lower-case word in the prompt -> what the sandbox asks; every option each question names
# resolves once the user names it (full state name, postal code, "<City>, XX").
AMBIGUOUS = {
    "springfield": Ambiguity(
        "Springfield",
        "Which Springfield do you mean — Illinois, Missouri or Massachusetts?",
        (
            _city_option("Springfield", "Illinois", "IL"),
            _city_option("Springfield", "Missouri", "MO"),
            _city_option("Springfield", "Massachusetts", "MA"),
        ),
    ),
    "la": Ambiguity(
        "LA",
        "Do you mean Los Angeles, California, or the state of Louisiana?",
        (
            Option(
                label="Los Angeles, California",
                means="Los Angeles, CA",
                mode="city",
                cities=("Los Angeles",),
                states=("CA",),
                names=("los angeles", "california"),
                code="CA",
            ),
            # "LA" is itself Louisiana's postal code, so only the name picks it.
            Option(
                label="the state of Louisiana",
                means="the state of Louisiana",
                mode="states",
                cities=(),
                states=("LA",),
                names=("louisiana",),
                code=None,
            ),
        ),
    ),
    "portland": Ambiguity(
        "Portland",
        "Which Portland do you mean — Oregon or Maine?",
        (_city_option("Portland", "Oregon", "OR"), _city_option("Portland", "Maine", "ME")),
    ),
    "columbus": Ambiguity(
        "Columbus",
        "Which Columbus do you mean — Ohio or Georgia?",
        (_city_option("Columbus", "Ohio", "OH"), _city_option("Columbus", "Georgia", "GA")),
    ),
}
KEYWORDS = (
    (("probate", "inherit"), "probate_inherited"),
    (("pre-foreclosure", "preforeclosure", "foreclosure"), "pre_foreclosure_motivated"),
    (("tired landlord",), "tired_landlord"),
    (("vacant",), "vacant"),
    (("cash buyer",), "cash_buyer_investor"),
    (("free and clear", "free & clear"), "free_and_clear"),
    (("auction",), "auction_property"),
    (("reo", "bank-owned", "bank owned"), "reo_bank_owned"),
    (("judgment", "lien"), "judgment_lien"),
    (("deceased",), "owner_deceased"),
    (("flipper",), "active_flipper"),
    (("expired",), "expired_mls"),
    (("solar",), "solar_owner_occupied_high_value"),
    (("roof",), "roofing_older_home_high_equity"),
    (("hvac",), "hvac_older_home_owner_occupied"),
)
CONCEPT = re.compile(r"^\s*(what is|what's|what are|explain|define)\b", re.IGNORECASE)


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9&%+\- ]", " ", text.lower()) + " "


def _phrase(text: str) -> str:
    """Lower-case words separated by single spaces, padded: " springfield il "."""
    return " " + " ".join(_words(text).split()) + " "


def _names_option(turn: str, key: str, option: Option) -> bool:
    """Whether one prompt names ``option``: its full name ("Illinois", "the Missouri one"),
    its postal code in capitals ("IL please", "Springfield, IL") or after the place name
    ("springfield, il"). (A prompt has at least 5 characters, so a bare "IL" is a 400.)"""
    lowered = _phrase(turn)
    if any(f" {name} " in lowered for name in option.names):
        return True
    if option.code is None:
        return False
    return (
        re.search(rf"\b{option.code}\b", turn) is not None
        or f" {key} {option.code.lower()} " in lowered
    )


def _choose(turns: list[str], key: str, ambiguity: Ambiguity) -> Option | None:
    """The option the latest prompt naming exactly one of them picked, from the prompt that
    first named the place on (a prompt naming two options settles nothing)."""
    first = next((i for i, turn in enumerate(turns) if f" {key} " in _phrase(turn)), None)
    if first is None:
        return None
    chosen = None
    for turn in turns[first:]:
        named = [option for option in ambiguity.options if _names_option(turn, key, option)]
        if len(named) == 1:
            chosen = named[0]
    return chosen


def _find_geography(
    turns: list[str],
) -> tuple[dict[str, Any] | None, Ambiguity | None, tuple[str, str] | None]:
    """(geography, the ambiguity still to settle, (ambiguous name, what it was taken as))
    from the prompts."""
    text = " ".join(turns)
    lowered = _words(text)
    for name, zips in NEIGHBORHOOD_ZIPS.items():
        if f" {name} " in lowered:
            return {"mode": "zips", "zip_codes": zips}, None, None
    zips = re.findall(r"\b\d{5}\b", text)
    if zips:
        return {"mode": "zips", "zip_codes": list(dict.fromkeys(zips))}, None, None
    for name, (city, state) in NEIGHBORHOODS.items():
        if f" {name} " in lowered:
            return {"mode": "city", "cities": [city], "states": [state]}, None, None
    pending = None
    for key, ambiguity in AMBIGUOUS.items():
        if f" {key} " in lowered:
            option = _choose(turns, key, ambiguity)
            if option is not None:
                return option.geography(), None, (ambiguity.name, option.means)
            pending = pending or ambiguity
    for place in properties.PLACES:
        if f" {place[0].lower()} " in lowered:
            return {"mode": "city", "cities": [place[0]], "states": [place[1]]}, None, None
    return None, pending, None


def _asked_before(turns: list[str], ambiguity: Ambiguity) -> bool:
    """Whether the answer to the previous prompt was this ambiguity's question."""
    if len(turns) < 2:
        return False
    previous = turns[:-1]
    geography, pending, _ = _find_geography(previous)
    return geography is None and pending is ambiguity and not CONCEPT.match(previous[-1])


def _find_intent(text: str) -> tuple[str, dict[str, Any]]:
    lowered = _words(text)
    strategy = "custom"
    for words, key in KEYWORDS:
        if any(word in lowered for word in words):
            strategy = key
            break
    overrides: dict[str, Any] = {}
    if "absentee" in lowered:
        if "equity" in lowered and strategy == "custom":
            strategy = "high_equity_absentee"
        elif strategy != "high_equity_absentee":
            overrides["absentee_owner"] = True
    if "plumbing" in lowered and strategy == "custom":
        overrides.update(property_type="SFR", year_built_max=2000, absentee_owner=False)
    built = re.search(r"built (?:before|prior to) (\d{4})", lowered)
    if built:
        overrides["year_built_max"] = int(built.group(1))
    if re.search(r"\d{2}\s*%\+?\s*equity|high equity", lowered) and strategy == "custom":
        overrides["high_equity"] = True
    return strategy, overrides


def interpret(turns: list[str]) -> dict[str, Any]:
    """Answer for a conversation (all prompts so far, latest last)."""
    text = " ".join(turns)
    latest = turns[-1]
    geography, ambiguity, place = _find_geography(turns)
    strategy, overrides = _find_intent(text)
    label = BY_KEY[strategy]["label"]
    pending_geo = {"mode": "city", "cities": ["(pending)"]}
    base = {
        "strategy": strategy,
        "strategy_label": label,
        "filter_overrides": overrides,
        "rationale": {"summary": "", "steps": [], "assumptions": [], "warnings": []},
    }
    if CONCEPT.match(latest):
        base.update(geography=pending_geo, confidence=0.3, needs_clarification=True)
        base["rationale"]["summary"] = (
            f"{label}: {BY_KEY[strategy]['description']} Tell me where you want to target "
            "before I search."
        )
        base["clarifying_question"] = "Which city, county or ZIP codes should I target?"
        return base
    if geography is None:
        base.update(geography=pending_geo, confidence=0.3, needs_clarification=True)
        base["clarifying_question"] = "Which city, county or ZIP codes should I target?"
        base["rationale"]["summary"] = "I need to know where to search before I can build a list."
        if ambiguity is not None:
            base["clarifying_question"] = ambiguity.question
            if _asked_before(turns, ambiguity):
                valid = ambiguity.valid_answers()
                base["clarifying_question"] += f" Please answer with one of: {valid}."
                base["rationale"]["summary"] = (
                    f"That doesn't tell me which {ambiguity.name} you mean. Valid answers: {valid}."
                )
        return base
    if strategy == "custom" and not overrides:
        where = geography.get("cities", geography.get("zip_codes", ["that area"]))[0]
        base.update(geography=pending_geo, confidence=0.3, needs_clarification=True)
        base["rationale"]["summary"] = (
            f"I can help find leads in {where}, but I need to know what kind. Investors, "
            "distressed sellers, homeowners for a service, or something else?"
        )
        base["clarifying_question"] = (
            "What kind of leads are you looking for? Are you targeting investors, distressed "
            "sellers, or homeowners for a specific service?"
        )
        return base
    warnings = []
    if "year_built_max" in overrides:
        warnings.append(f"Applied Year Built \u2264 {overrides['year_built_max']}.")
    base.update(geography=geography, confidence=0.88, needs_clarification=False)
    base["clarifying_question"] = None
    base["rationale"]["summary"] = f"{label} leads matching: {latest.strip()}"
    base["rationale"]["warnings"] = warnings
    if place is not None:
        ambiguous, means = place
        base["rationale"]["summary"] = f"{label} leads in {means}."
        base["rationale"]["assumptions"] = [f"{ambiguous} taken as {means}."]
    return base


def _canonical_street(words: list[str], rng: random.Random) -> str:
    if words and words[-1].upper().rstrip(".") in SUFFIXES:
        suffix = SUFFIXES[words[-1].upper().rstrip(".")]
        words = words[:-1]
    else:
        suffix = rng.choice(("Street", "Avenue", "Drive", "Lane"))
    return " ".join(w.capitalize() for w in [*words, suffix])


def autocomplete_results(query: str, miss_rate: float) -> list[dict[str, Any]]:
    match = re.match(r"^(\d+)\s+(.+)$", query)
    if not match:
        return []
    house, rest = match.group(1), match.group(2).replace(",", " ")
    seed = data.seed_of("autocomplete", house, rest)
    if data.is_miss(seed, miss_rate):
        return []
    rng = random.Random(seed)
    lowered = _words(rest)
    words = rest.split()
    city = state = None
    for name, (canon, st) in NEIGHBORHOODS.items():
        if f" {name} " in lowered:
            city, state = canon, st
            words = [w for w in words if w.lower() not in name.split()]
    for place in properties.PLACES:
        if city is None and f" {place[0].lower()} " in lowered:
            city, state = place[0], place[1]
            words = [w for w in words if w.lower() not in place[0].lower().split()]
    words = [w for w in words if not (len(w) == 2 and w.isalpha() and w.upper() == w)]
    if not words:
        return []
    street = _canonical_street(words, rng)
    candidates = []
    if city is not None:
        candidates.append(next(p for p in properties.PLACES if p[0] == city and p[1] == state))
    extra = rng.randrange(0, 3)
    others = [p for p in properties.PLACES if p[0] != city]
    candidates += rng.sample(others, extra if city is not None else extra + 1)
    results = []
    for place in candidates[:10]:
        name, st, county, zips, lat, lon = place
        zip_code = rng.choice(zips)
        latitude = round(lat + rng.uniform(-0.05, 0.05), 4)
        longitude = round(lon + rng.uniform(-0.05, 0.05), 4)
        state_fips = STATE_FIPS.get(st, "48")
        county_fips = f"{(data.seed_of(county, st) % 400) * 2 + 1:03d}"
        full = f"{house} {street}, {name}, {st}, {zip_code}"
        results.append(
            {
                "title": full,
                "address": full,
                "street_address": f"{house} {street}",
                "house": house,
                "street": street,
                "city": name,
                "state": st,
                "zip": zip_code,
                "county": f"{county} County",
                "state_fips": state_fips,
                "county_fips": county_fips,
                "fips": f"{state_fips}{county_fips}",
                "apn": f"{rng.randrange(10000, 99999):05d}-{rng.randrange(1, 9999):04d}",
                "latitude": latitude,
                "longitude": longitude,
                "location": f"POINT ({longitude} {latitude})",
            }
        )
    return results
