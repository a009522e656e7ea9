"""Deterministic synthetic properties for the lead builder: geography, attributes, scores.

A geography resolves to areas (city, state, county, zips, centre). Property ``i`` of a
build is generated from a seed of (geography, filters, i), drawing each attribute inside
the ranges the filters ask for, so every delivered row matches its filters and the same
request always yields the same rows. Match counts come from a fixed sample of
unconstrained properties, so they are stable and plausible.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

from . import data

TODAY = data.TODAY


@dataclass(frozen=True)
class Area:
    city: str
    state: str
    county: str
    zips: tuple[str, ...]
    latitude: float
    longitude: float
    households: int


PLACES = (
    ("Phoenix", "AZ", "Maricopa", ("85004", "85008", "85016", "85018", "85032", "85044"),
     33.45, -112.07),
    ("Scottsdale", "AZ", "Maricopa", ("85251", "85254", "85260"), 33.49, -111.93),
    ("Austin", "TX", "Travis", ("78701", "78702", "78704", "78745", "78758"), 30.27, -97.74),
    ("Dallas", "TX", "Dallas", ("75201", "75204", "75214", "75228"), 32.78, -96.80),
    ("Houston", "TX", "Harris", ("77002", "77004", "77008", "77055"), 29.76, -95.37),
    ("Chicago", "IL", "Cook", ("60609", "60615", "60617", "60619", "60620", "60621", "60647"),
     41.88, -87.63),
    ("Tampa", "FL", "Hillsborough", ("33602", "33603", "33604", "33609", "33611"), 27.95, -82.46),
    ("West Palm Beach", "FL", "Palm Beach", ("33401", "33405", "33407", "33409"), 26.71, -80.05),
    ("Miami", "FL", "Miami-Dade", ("33130", "33133", "33135", "33142"), 25.76, -80.19),
    ("Nashville", "TN", "Davidson", ("37203", "37206", "37208", "37209"), 36.16, -86.78),
    ("Brooklyn", "NY", "Kings", ("11211", "11215", "11221", "11226"), 40.65, -73.95),
    ("Atlanta", "GA", "Fulton", ("30303", "30308", "30310", "30318"), 33.75, -84.39),
    ("Los Angeles", "CA", "Los Angeles", ("90012", "90019", "90026", "90042"), 34.05, -118.24),
    ("Denver", "CO", "Denver", ("80202", "80205", "80210", "80219"), 39.74, -104.99),
    ("Las Vegas", "NV", "Clark", ("89101", "89104", "89108", "89117"), 36.17, -115.14),
    ("Charlotte", "NC", "Mecklenburg", ("28202", "28205", "28208", "28210"), 35.23, -80.84),
    ("Cleveland", "OH", "Cuyahoga", ("44102", "44105", "44109", "44113"), 41.50, -81.69),
)  # fmt: skip
ZIP_STATES = {
    "0": "MA",
    "1": "NY",
    "2": "VA",
    "3": "FL",
    "4": "OH",
    "5": "MN",
    "6": "IL",
    "7": "TX",
    "8": "AZ",
    "9": "CA",
}
TOWN_NAMES = ("Fairview", "Riverside", "Georgetown", "Madison", "Clinton", "Franklin", "Salem")
SUNNY_STATES = {"AZ", "CA", "TX", "FL", "NV", "NM", "CO"}
LENDERS = ("Wells Fargo", "Chase", "Rocket Mortgage", "Bank of America", "US Bank", "Truist")
ROOFS = (
    ("Composition Shingle", "Gable"),
    ("Tile/Clay", "Hip"),
    ("Metal", "Gable"),
    ("Asphalt", "Hip"),
    ("Wood Shake", "Gable"),
)
PROPERTY_TYPES = (("SFR", 0.70), ("CONDO", 0.12), ("MFR", 0.10), ("MOBILE", 0.03), ("LAND", 0.05))
PROPERTY_USE = {
    "SFR": "Single Family",
    "CONDO": "Condominium",
    "MFR": "Multi-Family",
    "MOBILE": "Mobile Home",
    "LAND": "Vacant Land",
}
DOCUMENT_TYPES = ("Warranty Deed", "Grant Deed", "Quitclaim Deed", "Trustee's Deed")
SUBDIVISIONS = ("Paradise Park", "Oak Hollow", "Lakeside Estates", "Mesa Verde", "Heritage Hills")

# flag -> probability of True in the unconstrained population
FLAG_RATES = {
    "absentee_owner": 0.30, "vacant": 0.04, "pre_foreclosure": 0.02, "cash_buyer": 0.12,
    "corporate_owned": 0.08, "investor_buyer": 0.07, "mls_active": 0.04, "mls_pending": 0.015,
    "mls_cancelled": 0.03, "adjustable_rate": 0.10, "flood_zone": 0.08, "has_pool": 0.15,
    "has_garage": 0.65, "has_basement": 0.25, "has_deck": 0.30, "tax_delinquent": 0.04,
    "has_ac": 0.85,
}  # fmt: skip
# filter key -> property flag it sets
FLAG_FILTERS = {
    "absentee_owner": "absentee_owner", "vacant": "vacant", "pre_foreclosure": "pre_foreclosure",
    "cash_buyer": "cash_buyer", "corporate_owned": "corporate_owned",
    "investor_buyer": "investor_buyer", "mls_active": "mls_active", "mls_pending": "mls_pending",
    "mls_cancelled": "mls_cancelled", "adjustable_rate": "adjustable_rate",
    "flood_zone": "flood_zone", "pool": "has_pool", "garage": "has_garage",
    "basement": "has_basement", "deck": "has_deck",
}  # fmt: skip
# filter keys with no property field: selectivity only
SIGNAL_RATES = {
    "inherited": 0.03, "reo": 0.01, "auction": 0.01, "judgment": 0.03, "death": 0.02,
    "in_state_owner": 0.85, "out_of_state_owner": 0.10, "individual_owned": 0.80,
    "trust_owned": 0.06, "private_lender": 0.03, "mfh_2to4": 0.06, "mfh_5plus": 0.02,
    "assumable": 0.05, "last_sale_arms_length": 0.80,
}  # fmt: skip
# range filter stem -> property field
RANGE_FIELDS = {
    "beds": "beds", "baths": "baths", "units": "units_count", "building_size": "building_size_sqft",
    "lot_size": "lot_size_sqft", "year_built": "year_built", "stories": "stories",
    "value": "estimated_value", "assessed_value": "assessed_value",
    "estimated_equity": "estimated_equity", "properties_owned": "total_properties_owned",
    "years_owned": "years_owned", "mortgage": "open_mortgage_balance",
    "last_sale_price": "last_sale_price", "portfolio_value": "total_portfolio_value",
    "mls_days_on_market": "mls_days_on_market", "mls_listing_price": "mls_listing_price",
}  # fmt: skip


def _synthetic_area(seed_text: str, state: str, city: str | None = None) -> Area:
    seed = data.seed_of("area", seed_text)
    rng = random.Random(seed)
    town = city or rng.choice(TOWN_NAMES)
    base = rng.randrange(10000, 99000)
    zips = tuple(f"{base + i * 7:05d}" for i in range(3))
    return Area(
        town.title(),
        state,
        f"{town.title()} County",
        zips,
        round(rng.uniform(26.0, 47.0), 4),
        round(rng.uniform(-122.0, -72.0), 4),
        rng.randrange(20_000, 150_000),
    )


def _place_area(place: tuple) -> Area:
    city, state, county, zips, lat, lon = place
    households = 15_000 * len(zips) + int(data.unit(data.seed_of(city, state), "hh") * 20_000)
    return Area(city, state, county, zips, lat, lon, households)


def _zip_area(zip_code: str) -> Area:
    for place in PLACES:
        if zip_code in place[3]:
            area = _place_area(place)
            return Area(
                area.city,
                area.state,
                area.county,
                (zip_code,),
                area.latitude,
                area.longitude,
                3_000 + int(data.unit(int(zip_code), "zip") * 9_000),
            )
    synthetic = _synthetic_area(zip_code, ZIP_STATES.get(zip_code[0], "TX"))
    return Area(
        synthetic.city,
        synthetic.state,
        synthetic.county,
        (zip_code,),
        synthetic.latitude,
        synthetic.longitude,
        2_000 + int(zip_code) % 8_000,
    )


def _miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat = math.radians(lat2 - lat1)
    dlon = math.radians(lon2 - lon1)
    a = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    )
    return 3958.8 * 2 * math.asin(math.sqrt(a))


def resolve_areas(geo: dict[str, Any]) -> list[Area]:
    """Areas for a validated geography dict."""
    mode = geo["mode"]
    if mode == "zips":
        return [_zip_area(z) for z in geo["zip_codes"]]
    if mode == "city":
        areas = []
        for city in geo["cities"]:
            matches = [p for p in PLACES if p[0].lower() == city.lower() and p[1] in geo["states"]]
            areas += [_place_area(p) for p in matches] or [
                _synthetic_area(f"{city}|{geo['states'][0]}", geo["states"][0], city)
            ]
        return areas
    if mode == "counties":
        areas = []
        for county in geo["counties"]:
            name = county.lower().removesuffix(" county")
            matches = [p for p in PLACES if p[2].lower() == name and p[1] in geo["states"]]
            if matches:
                areas += [_place_area(p) for p in matches]
                areas[-1] = Area(**{**areas[-1].__dict__, "households": areas[-1].households * 4})
            else:
                synthetic = _synthetic_area(f"county|{county}|{geo['states'][0]}", geo["states"][0])
                areas.append(
                    Area(
                        synthetic.city,
                        synthetic.state,
                        county.title(),
                        synthetic.zips,
                        synthetic.latitude,
                        synthetic.longitude,
                        synthetic.households * 3,
                    )
                )
        return areas
    if mode == "states":
        areas = []
        for st in geo["states"]:
            matches = [_place_area(p) for p in PLACES if p[1] == st]
            if not matches:
                matches = [_synthetic_area(f"state|{st}|{i}", st) for i in range(3)]
            scale = 1_500_000 // sum(a.households for a in matches)
            areas += [Area(**{**a.__dict__, "households": a.households * scale}) for a in matches]
        return areas
    lat, lon, radius = geo["latitude"], geo["longitude"], geo["radius"]
    nearest = min(PLACES, key=lambda p: _miles(lat, lon, p[4], p[5]))
    base = (
        _place_area(nearest)
        if _miles(lat, lon, nearest[4], nearest[5]) < 60
        else (_synthetic_area(f"radius|{lat:.3f}|{lon:.3f}", "TX"))
    )
    households = max(50, int(1_200 * math.pi * radius * radius))
    return [Area(base.city, base.state, base.county, base.zips, lat, lon, households)]


def _bounds(filters: dict[str, Any], stem: str) -> tuple[float | None, float | None]:
    low = filters.get(f"{stem}_min")
    high = filters.get(f"{stem}_max")
    return low, high


def _draw(rng: random.Random, value: float, low: float | None, high: float | None) -> float:
    """Keep ``value`` if inside the bounds, else redraw uniformly inside them."""
    if (low is None or value >= low) and (high is None or value <= high):
        return value
    lo = low if low is not None else (high * 0.5 if high else 0)
    hi = high if high is not None else max(lo * 1.6, lo + 1)
    if lo > hi:
        lo = hi
    return rng.uniform(lo, hi)


def make_property(
    seed: int, area: Area, filters: dict[str, Any] | None = None, address: dict | None = None
) -> dict[str, Any]:
    """One property; attributes drawn inside the ranges and flags ``filters`` require."""
    filters = filters or {}
    rng = random.Random(seed)

    def flag(name: str) -> bool:
        drawn = rng.random() < FLAG_RATES[name]
        for key, target in FLAG_FILTERS.items():
            if target == name and isinstance(filters.get(key), bool):
                return filters[key]
        return drawn

    def ranged(stem: str, value: float) -> float:
        return _draw(rng, value, *_bounds(filters, stem))

    if address:
        street, city, state, zip_code = (
            address["address"],
            address["city"],
            address["state"],
            address["zip_code"],
        )
    else:
        street = (
            f"{rng.randrange(100, 9999)} {rng.choice(data.STREET_NAMES)} "
            f"{rng.choice(data.STREET_SUFFIXES)}"
        )
        city, state, zip_code = area.city, area.state, rng.choice(area.zips)
    types = filters.get("property_types") or filters.get("property_type")
    if isinstance(types, str):
        types = [t.strip().upper() for t in types.split(",") if t.strip()]
    roll, kind = rng.random(), "SFR"
    for name, share in PROPERTY_TYPES:
        if roll < share:
            kind = name
            break
        roll -= share
    if types:
        kind = kind if kind in types else types[int(rng.random() * len(types))]
    year_built = int(ranged("year_built", rng.randrange(1925, 2024)))
    beds = int(ranged("beds", rng.choice((2, 3, 3, 3, 4, 4, 5))))
    baths = round(ranged("baths", rng.choice((1.0, 1.5, 2.0, 2.0, 2.5, 3.0))) * 2) / 2
    size = int(ranged("building_size", 600 + beds * 350 + rng.randrange(0, 900)))
    lot = int(ranged("lot_size", rng.randrange(2500, 15000)))
    value = int(ranged("value", 60_000 + 940_000 * rng.random() ** 1.8) // 1000 * 1000)
    years_owned = int(ranged("years_owned", min(TODAY.year - year_built, rng.randrange(0, 35))))
    sale_date = TODAY - dt.timedelta(days=int(years_owned * 365.25) + rng.randrange(0, 300))
    sale_min, sale_max = filters.get("last_sale_date_min"), filters.get("last_sale_date_max")
    if sale_min and sale_date.isoformat() < sale_min:
        sale_date = dt.date.fromisoformat(sale_min) + dt.timedelta(days=rng.randrange(0, 60))
        sale_date = min(sale_date, TODAY)
    if sale_max and sale_date.isoformat() > sale_max:
        sale_date = dt.date.fromisoformat(sale_max) - dt.timedelta(days=rng.randrange(0, 400))
    years_owned = max(0, (TODAY - sale_date).days // 365)
    free_clear = (
        filters["free_clear"]
        if isinstance(filters.get("free_clear"), bool)
        else (rng.random() < (0.15 + min(years_owned, 30) / 60))
    )
    if free_clear:
        mortgage = 0
    else:
        mortgage = int(value * rng.uniform(0.2, 0.95) * max(0.1, 1 - years_owned / 32))
    want_high = filters.get("high_equity")
    if want_high is True and value and (value - mortgage) / value < 0.5:
        mortgage = int(value * rng.uniform(0.05, 0.45)) if not free_clear else 0
    if want_high is False and (value - mortgage) / max(value, 1) >= 0.5:
        free_clear = False
        mortgage = int(value * rng.uniform(0.55, 0.95))
    mortgage = int(ranged("mortgage", mortgage))
    equity = int(ranged("estimated_equity", value - mortgage))
    equity_percent = round(100 * equity / value, 1) if value else 0.0
    last_price = int(ranged("last_sale_price", value * rng.uniform(0.35, 0.9)) // 1000 * 1000)
    prior = rng.random() < 0.6 and years_owned < 40
    prior_date = sale_date - dt.timedelta(days=rng.randrange(700, 4000)) if prior else None
    absentee = flag("absentee_owner")
    properties_owned = int(ranged("properties_owned", rng.choice((1, 1, 1, 2, 3)) + absentee))
    roof = rng.choice(ROOFS)
    mls_active = flag("mls_active")
    mls_pending = flag("mls_pending") and not mls_active
    prop = {
        "address": street,
        "city": city,
        "state": state,
        "zip_code": zip_code,
        "county": area.county,
        "latitude": round(area.latitude + rng.uniform(-0.08, 0.08), 5),
        "longitude": round(area.longitude + rng.uniform(-0.08, 0.08), 5),
        "apn": f"{rng.randrange(100, 999)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}",
        "subdivision": rng.choice(SUBDIVISIONS),
        "property_type": kind,
        "property_use": PROPERTY_USE.get(kind, "Residential"),
        "land_use": "Vacant" if kind == "LAND" else "Residential",
        "year_built": year_built,
        "beds": beds,
        "baths": baths,
        "units_count": int(ranged("units", rng.randrange(2, 5) if kind == "MFR" else 1)),
        "stories": int(ranged("stories", rng.choice((1, 1, 2)))),
        "building_size_sqft": size,
        "lot_size_sqft": lot,
        "has_ac": flag("has_ac"),
        "has_garage": flag("has_garage"),
        "has_pool": flag("has_pool"),
        "has_basement": flag("has_basement"),
        "has_deck": flag("has_deck"),
        "estimated_value": value,
        "estimated_equity": equity,
        "equity_percent": equity_percent,
        "assessed_value": int(ranged("assessed_value", value * rng.uniform(0.6, 0.85))),
        "last_sale_date": sale_date.isoformat(),
        "last_sale_price": last_price,
        "years_owned": years_owned,
        "prior_sale_date": prior_date.isoformat() if prior_date else None,
        "prior_sale_price": int(last_price * rng.uniform(0.6, 0.95)) if prior_date else None,
        "open_mortgage_balance": mortgage,
        "lender_name": "" if mortgage == 0 else rng.choice(LENDERS),
        "estimated_mortgage_payment": int(mortgage * 0.0068) if mortgage else 0,
        "total_properties_owned": properties_owned,
        "total_portfolio_value": int(ranged("portfolio_value", value * properties_owned)),
        "cash_buyer": flag("cash_buyer"),
        "corporate_owned": flag("corporate_owned"),
        "roof_material": roof[0],
        "roof_construction": roof[1],
        "flood_zone": flag("flood_zone"),
        "document_type": rng.choice(DOCUMENT_TYPES),
        "recording_date": (sale_date + dt.timedelta(days=2)).isoformat(),
        "absentee_owner": absentee,
        "owner_occupied": not absentee,
        "vacant": flag("vacant"),
        "free_clear": mortgage == 0,
        "high_equity": equity_percent >= 50,
        "pre_foreclosure": flag("pre_foreclosure"),
        "tax_delinquent": flag("tax_delinquent"),
        "mls_active": mls_active,
        "mls_pending": mls_pending,
        "mls_cancelled": flag("mls_cancelled"),
        "mls_days_on_market": None,
        "mls_listing_price": None,
        "adjustable_rate": flag("adjustable_rate") and mortgage > 0,
        "investor_buyer": flag("investor_buyer"),
    }
    if mls_active or mls_pending or prop["mls_cancelled"]:
        prop["mls_days_on_market"] = int(ranged("mls_days_on_market", rng.randrange(3, 200)))
        prop["mls_listing_price"] = int(ranged("mls_listing_price", value * rng.uniform(0.95, 1.1)))
    prop.update(propensity(prop))
    return prop


def matches(prop: dict[str, Any], filters: dict[str, Any]) -> bool:
    """Whether an (unconstrained) property satisfies the filters it can be checked against."""
    for key, value in filters.items():
        if key in FLAG_FILTERS and isinstance(value, bool):
            if prop[FLAG_FILTERS[key]] != value:
                return False
        elif key in ("high_equity", "free_clear", "owner_occupied") and isinstance(value, bool):
            if prop[key] != value:
                return False
        elif key in ("property_type", "property_types"):
            wanted = value if isinstance(value, list) else str(value).split(",")
            if prop["property_type"] not in [w.strip().upper() for w in wanted]:
                return False
        elif key in ("last_sale_date_min", "last_sale_date_max"):
            if (key.endswith("_min") and prop["last_sale_date"] < value) or (
                key.endswith("_max") and prop["last_sale_date"] > value
            ):
                return False
        elif key.endswith(("_min", "_max")) and key[:-4] in RANGE_FIELDS:
            actual = prop[RANGE_FIELDS[key[:-4]]]
            if actual is None:
                return False
            if (key.endswith("_min") and actual < value) or (
                key.endswith("_max") and actual > value
            ):
                return False
    return True


def signal_rate(filters: dict[str, Any]) -> float:
    """Selectivity of filters that have no property field (probate, REO, ...)."""
    rate = 1.0
    for key, value in filters.items():
        if key in SIGNAL_RATES and isinstance(value, bool):
            rate *= SIGNAL_RATES[key] if value else 1 - SIGNAL_RATES[key]
        elif key.startswith(("portfolio_purchased", "rooms", "open_mortgages", "portfolio_e")):
            rate *= 0.5
        elif key in ("ltv_min", "ltv_max", "equity", "notice_type", "loan_type_code_first"):
            rate *= 0.6
        elif key == "search_range":
            rate *= {"1_MONTH": 0.25, "3_MONTH": 0.5, "6_MONTH": 0.75}.get(str(value), 1.0)
    return rate


SAMPLE_SIZE = 400


def match_rate(areas: list[Area], filters: dict[str, Any]) -> float:
    """Share of the geography's properties matching ``filters`` (from a fixed sample)."""
    area = areas[0]
    hits = 0
    for index in range(SAMPLE_SIZE):
        prop = make_property(data.seed_of("sample", area.city, area.state, index), area)
        hits += matches(prop, filters)
    return hits / SAMPLE_SIZE * signal_rate(filters)


def _factor(name: str, points: int, reason: str) -> dict[str, Any]:
    return {"name": name, "points": points, "reason": reason}


def _category(score: int) -> str:
    if score >= 70:
        return "High"
    if score >= 40:
        return "Medium"
    return "Low"


def propensity(p: dict[str, Any]) -> dict[str, Any]:
    """The five propensity scores with category and factors."""
    years, built, value = p["years_owned"], p["year_built"], p["estimated_value"]
    occupied, high_eq = p["owner_occupied"], p["high_equity"]
    sell, refi, roof, hvac, solar = [], [], [], [], []
    if occupied:
        sell.append(_factor("owner_occupied", 8, "Owner-occupied — primary residence"))
        refi.append(
            _factor("owner_occupied", 8, "Owner-occupied — primary residence refinance more likely")
        )
        roof.append(_factor("owner_occupied", 15, "Owner-occupied — decision-maker present"))
        hvac.append(_factor("owner_occupied", 18, "Owner-occupied — decision-maker present"))
        solar.append(
            _factor("owner_occupied", 20, "Owner-occupied — decision-maker for long-term install")
        )
    else:
        sell.append(_factor("absentee_owner", 8, "Absentee owner — less attached to property"))
        roof.append(
            _factor(
                "absentee_penalty", -10, "Absentee owner — investors defer discretionary projects"
            )
        )
        hvac.append(
            _factor("absentee_penalty", -10, "Absentee owner — landlords delay HVAC replacement")
        )
        solar.append(
            _factor(
                "absentee_penalty",
                -25,
                "Absentee owner — solar installs require resident decision-maker",
            )
        )
    if years >= 20:
        sell.append(
            _factor(
                "years_owned", 12, f"Owned {years} years — long tenure, high equity accumulation"
            )
        )
    elif years >= 7:
        sell.append(
            _factor("years_owned", 7, f"Owned {years} years — moderate equity accumulation")
        )
    if years >= 5:
        refi.append(_factor("years_owned", 10, f"Owned {years} years — likely has equity to tap"))
    if high_eq:
        refi.append(_factor("high_equity", 15, "High equity — strong candidate for cash-out refi"))
        roof.append(_factor("high_equity", 12, "High equity — affordability for $20K+ project"))
        hvac.append(_factor("high_equity", 12, "High equity — affordability for system upgrade"))
        solar.append(
            _factor("high_equity", 18, "High equity — financing or cash-out available for install")
        )
    if p["free_clear"]:
        sell.append(_factor("free_clear", 4, "Free and clear — no mortgage friction at sale"))
        refi.append(
            _factor("free_clear", 6, "Free and clear — could take on a new mortgage product")
        )
    if p["adjustable_rate"]:
        refi.append(_factor("adjustable_rate", 12, "Adjustable-rate mortgage — reset risk ahead"))
    if p["vacant"]:
        sell.append(_factor("vacant", 15, "Vacant — carrying costs without occupancy"))
    if p["pre_foreclosure"]:
        sell.append(_factor("pre_foreclosure", 20, "Pre-foreclosure filing — time pressure"))
    if p["tax_delinquent"]:
        sell.append(_factor("tax_delinquent", 10, "Tax delinquent — financial distress"))
    if built < 1980:
        sell.append(
            _factor("aging_property", 4, f"Built {built} — significant deferred-maintenance burden")
        )
    if built <= 2005:
        points = 14 if built < 1980 else 12
        roof.append(
            _factor("older_home", points, f"Built {built} — typical roof end-of-life window")
        )
    if built <= 2008:
        points = 16 if built < 1980 else 14
        hvac.append(
            _factor(
                "older_home", points, f"Built {built} — HVAC typically replaced every 15-20 years"
            )
        )
    if value >= 300_000:
        solar.append(
            _factor(
                "high_value_property", 18, f"Property value ${value // 1000}K — high-value home"
            )
        )
    if p["state"] in SUNNY_STATES:
        solar.append(_factor("sunny_region", 10, f"{p['state']} — high solar irradiance"))
    bases = {"sell": 10, "refi": 0, "roof_renovate": 8, "hvac_renovate": 8, "solar_renovate": 5}
    result: dict[str, Any] = {}
    for name, factors in (
        ("sell", sell),
        ("refi", refi),
        ("roof_renovate", roof),
        ("hvac_renovate", hvac),
        ("solar_renovate", solar),
    ):
        score = max(0, min(100, bases[name] + sum(f["points"] for f in factors)))
        result[f"{name}_propensity_score"] = score
        result[f"{name}_propensity_category"] = _category(score)
        result[f"{name}_propensity_factors"] = factors
    return result


def owners_and_contacts(prop: dict[str, Any], seed: int, skip_hit: bool) -> dict[str, Any]:
    """Owner names, mailing address and skip-traced contacts for a property."""
    rng = random.Random(data.seed_of(seed, "owners"))
    last = rng.choice(data.LAST_NAMES)
    owners = [{"first_name": rng.choice(data.FIRST_NAMES).upper(), "last_name": last.upper()}]
    if rng.random() < 0.35:
        owners.append(
            {"first_name": rng.choice(data.FIRST_NAMES).upper(), "last_name": last.upper()}
        )
    own = {
        "street": prop["address"],
        "city": prop["city"],
        "state": prop["state"],
        "zip": prop["zip_code"],
    }
    mail = own if prop["owner_occupied"] else data.mailing_address(rng, prop["state"])
    phones: list[dict[str, Any]] = []
    emails: list[dict[str, Any]] = []
    if skip_hit:
        person = data.person(
            data.seed_of(seed, "contact"),
            state=prop["state"],
            first_name=owners[0]["first_name"],
            last_name=last,
        )
        for phone in person["phones"]:
            flags = data.phone_flags(str(phone["number"]))
            phones.append(
                {
                    "number": phone["number"],
                    "type": phone["type"],
                    "dnc": phone["dnc"],
                    "tcpa": flags["litigator"],
                    "carrier": phone["carrier"],
                    "rank": phone["rank"],
                }
            )
        emails = list(person["emails"])
    has_contact = bool(phones or emails)
    clean = has_contact and not any(p["dnc"] or p["tcpa"] for p in phones)
    return {
        "owners": owners,
        "mailing_address": {
            "address": mail["street"],
            "city": mail["city"],
            "state": mail["state"],
            "zip": mail["zip"],
        },
        "contacts": {
            "phones": phones,
            "emails": emails,
            "litigator": any(p["tcpa"] for p in phones),
            "has_contact": has_contact,
            "contact_clean": clean,
        },
    }


ROW_PROPERTY_FIELDS = (
    "address", "city", "state", "zip_code", "county", "property_type", "year_built", "beds",
    "baths", "building_size_sqft", "lot_size_sqft", "estimated_value", "estimated_equity",
    "equity_percent", "assessed_value", "open_mortgage_balance", "lender_name",
    "estimated_mortgage_payment", "total_properties_owned", "total_portfolio_value",
    "roof_material", "roof_construction", "flood_zone", "cash_buyer", "corporate_owned",
)  # fmt: skip
ROW_FLAG_FIELDS = (
    "absentee_owner", "owner_occupied", "high_equity", "vacant", "pre_foreclosure", "free_clear",
    "last_sale_date", "last_sale_price", "prior_sale_date", "prior_sale_price", "document_type",
    "recording_date",
)  # fmt: skip
SCORE_FIELDS = tuple(
    f"{vertical}_propensity_{part}"
    for vertical in ("sell", "refi", "roof_renovate", "hvac_renovate", "solar_renovate")
    for part in ("score", "category", "factors")
)


def lead_row(prop: dict[str, Any], dossier: dict[str, Any]) -> dict[str, Any]:
    """A flat lead-list row (the documented /rows/ shape)."""
    row = {key: prop[key] for key in ROW_PROPERTY_FIELDS}
    owners = dossier["owners"]
    second = owners[1] if len(owners) > 1 else {"first_name": "", "last_name": ""}
    mail = dossier["mailing_address"]
    contacts = dossier["contacts"]
    phones = contacts["phones"]
    primary = phones[0] if phones else None
    mobiles = [p for p in phones if p["type"] == "Mobile" and p is not primary]
    mobile = mobiles[0] if mobiles else None
    emails = [e["email"] for e in contacts["emails"]] + ["", "", ""]
    row.update(
        owner_1_first_name=owners[0]["first_name"],
        owner_1_last_name=owners[0]["last_name"],
        owner_2_first_name=second["first_name"],
        owner_2_last_name=second["last_name"],
        mail_address=mail["address"],
        mail_city=mail["city"],
        mail_state=mail["state"],
        mail_zip=mail["zip"],
        primary_phone=primary["number"] if primary else "",
        primary_phone_type=primary["type"] if primary else "",
        primary_phone_carrier=primary["carrier"] if primary else "",
        primary_phone_dnc=bool(primary and primary["dnc"]),
        primary_phone_tcpa=bool(primary and primary["tcpa"]),
        mobile_1=mobile["number"] if mobile else "",
        mobile_1_dnc=bool(mobile and mobile["dnc"]),
        mobile_1_tcpa=bool(mobile and mobile["tcpa"]),
        email_1=emails[0],
        email_2=emails[1],
        email_3=emails[2],
        has_contact=contacts["has_contact"],
        contact_clean=contacts["contact_clean"],
    )
    row.update({key: prop[key] for key in ROW_FLAG_FIELDS})
    row.update({key: prop[key] for key in SCORE_FIELDS})
    return row


ROW_COLUMNS = (
    *ROW_PROPERTY_FIELDS,
    *(
        "owner_1_first_name", "owner_1_last_name", "owner_2_first_name", "owner_2_last_name",
        "mail_address", "mail_city", "mail_state", "mail_zip", "primary_phone",
        "primary_phone_type", "primary_phone_carrier", "primary_phone_dnc", "primary_phone_tcpa",
        "mobile_1", "mobile_1_dnc", "mobile_1_tcpa", "email_1", "email_2", "email_3",
        "has_contact", "contact_clean",
    ),
    *ROW_FLAG_FIELDS,
    *SCORE_FIELDS,
)  # fmt: skip
