"""Tracerfy's Filter Reference as data: every key `filter_overrides` accepts, its group, the
words people use for it, and what kind of value it takes.

The reference (docs/providers/tracerfy-api.md, "Filter Reference") lists the keys by group
and nothing more; Tracerfy refuses an unknown key with a 400. The build form is generated
from `FILTERS`, so it can only ever send a documented key. Three more keys (`inherited`,
`judgment`, `death`) are used by Tracerfy's own strategy presets and are accepted too.

Kinds: `bool` (true/false, or absent: "any"), `int`, `money` (whole dollars), `float`, `date`
(ISO YYYY-MM-DD), `enum` (one of `choices`), `text` (free text) and `choices` (a list of
`choices`, sent as a JSON list). A range is two keys, `<stem>_min` and `<stem>_max`
(`RANGES`): the form refuses a minimum above its maximum.

Enumerations the reference names no values for are LeadOps' choices, documented here:

- `property_type` / `property_types`: SFR, CONDO, MFR, MOBILE, LAND (the property types the
  sandbox and the List Filters presets use; `property_types` is several of them, OR).
- `search_range`: 1_MONTH, 3_MONTH, 6_MONTH, 12_MONTH (how far back a distress filing counts;
  the presets use 6_MONTH).
- `equity_operator`: `gte` (at least) or `lte` (at most); it says how the single values
  `estimated_equity` (dollars) and `equity` (percent of value) compare. LeadOps' choice.
- `notice_type`: the foreclosure notice recorded: NOD (notice of default), LIS (lis pendens),
  NTS (notice of trustee's sale), NFS (notice of foreclosure sale). LeadOps' choice.
- `loan_type_code_first`: the first mortgage's loan type: CNV (conventional), FHA, VA, USDA,
  REV (reverse), HEL (home equity), PP (private party), CON (construction). LeadOps' choice.
- `flood_zone_type`: FEMA flood zone designations A, AE, AH, AO, V, VE, X, D. LeadOps'
  choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BOOL, INT, MONEY, FLOAT, DATE, ENUM, TEXT, CHOICES = (
    "bool",
    "int",
    "money",
    "float",
    "date",
    "enum",
    "text",
    "choices",
)
KINDS = (BOOL, INT, MONEY, FLOAT, DATE, ENUM, TEXT, CHOICES)

GROUPS: tuple[tuple[str, str], ...] = (
    ("property", "Property"),
    ("value", "Value & Equity"),
    ("ownership", "Ownership"),
    ("portfolio", "Portfolio signals"),
    ("distress", "Distress"),
    ("mls", "MLS"),
    ("mortgage", "Mortgage"),
    ("sale", "Sale history"),
    ("mailing", "Mailing address"),
    ("environment", "Environment"),
    ("presets", "Signals used by strategy presets"),
)
GROUP_LABELS = dict(GROUPS)

PROPERTY_TYPES = (
    ("SFR", "Single-family"),
    ("CONDO", "Condo"),
    ("MFR", "Multi-family"),
    ("MOBILE", "Mobile home"),
    ("LAND", "Land"),
)
SEARCH_RANGES = (
    ("1_MONTH", "Last month"),
    ("3_MONTH", "Last 3 months"),
    ("6_MONTH", "Last 6 months"),
    ("12_MONTH", "Last 12 months"),
)
EQUITY_OPERATORS = (("gte", "At least"), ("lte", "At most"))
NOTICE_TYPES = (
    ("NOD", "Notice of default"),
    ("LIS", "Lis pendens"),
    ("NTS", "Notice of trustee's sale"),
    ("NFS", "Notice of foreclosure sale"),
)
LOAN_TYPES = (
    ("CNV", "Conventional"),
    ("FHA", "FHA"),
    ("VA", "VA"),
    ("USDA", "USDA"),
    ("REV", "Reverse mortgage"),
    ("HEL", "Home equity loan"),
    ("PP", "Private party"),
    ("CON", "Construction"),
)
FLOOD_ZONES = (
    ("A", "A (1% annual chance)"),
    ("AE", "AE (base flood elevation set)"),
    ("AH", "AH (shallow flooding)"),
    ("AO", "AO (sheet flow)"),
    ("V", "V (coastal)"),
    ("VE", "VE (coastal, elevation set)"),
    ("X", "X (minimal risk)"),
    ("D", "D (undetermined)"),
)


@dataclass(frozen=True)
class FilterKey:
    """One accepted key. `minimum` is the lowest value the form accepts (None: any number);
    `unit` is shown beside number inputs ("$", "sq ft", "%")."""

    key: str
    group: str
    label: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float | None = 0
    maximum: float | None = None
    unit: str = ""
    help: str = ""

    @property
    def field_name(self) -> str:
        return f"f_{self.key}"

    @property
    def group_label(self) -> str:
        return GROUP_LABELS[self.group]

    @property
    def is_number(self) -> bool:
        return self.kind in (INT, MONEY, FLOAT)

    def display(self, value: Any) -> str:
        """The value in words (merged filter panel, saved searches)."""
        if self.kind == BOOL:
            return "yes" if value else "no"
        labels = dict(self.choices)
        if self.kind == ENUM:
            return labels.get(value, str(value))
        if self.kind == CHOICES:
            items = value if isinstance(value, list | tuple) else str(value).split(",")
            return ", ".join(labels.get(v, str(v)) for v in items)
        if self.kind == MONEY and isinstance(value, int | float):
            return f"${value:,.0f}"
        if self.kind == INT and isinstance(value, int) and self.unit != "year":
            return f"{value:,}"
        if self.unit == "%":
            return f"{value}%"
        return str(value)


_FILTERS: list[FilterKey] = []


def _add(group: str, key: str, label: str, kind: str, **extra: Any) -> None:
    _FILTERS.append(FilterKey(key=key, group=group, label=label, kind=kind, **extra))


def _range(group: str, stem: str, label: str, kind: str, **extra: Any) -> None:
    _add(group, f"{stem}_min", f"{label} (min)", kind, **extra)
    _add(group, f"{stem}_max", f"{label} (max)", kind, **extra)


def _flag(group: str, key: str, label: str, help: str = "") -> None:
    _add(group, key, label, BOOL, help=help)


# Property
_add("property", "property_type", "Property type", ENUM, choices=PROPERTY_TYPES)
_add(
    "property",
    "property_types",
    "Property types (any of)",
    CHOICES,
    choices=PROPERTY_TYPES,
    help="Several types at once; matches any of them.",
)
_range("property", "beds", "Bedrooms", INT, maximum=50)
_range("property", "baths", "Bathrooms", FLOAT, maximum=50)
_range("property", "units", "Units", INT)
_range("property", "building_size", "Building size", INT, unit="sq ft")
_range("property", "lot_size", "Lot size", INT, unit="sq ft")
_range("property", "year_built", "Year built", INT, minimum=1600, maximum=2100, unit="year")
_range("property", "stories", "Stories", INT, maximum=200)
_range("property", "rooms", "Rooms", INT, maximum=500)
_flag("property", "pool", "Pool")
_flag("property", "garage", "Garage")
_flag("property", "basement", "Basement")
_flag("property", "deck", "Deck")
_flag("property", "mfh_2to4", "Multi-family, 2 to 4 units")
_flag("property", "mfh_5plus", "Multi-family, 5+ units")
# Value & Equity
_range("value", "value", "Estimated value", MONEY, unit="$")
_range("value", "assessed_value", "Assessed value", MONEY, unit="$")
_add(
    "value",
    "estimated_equity",
    "Estimated equity",
    MONEY,
    minimum=None,
    unit="$",
    help="Compared with the equity comparison below (at least / at most).",
)
_range("value", "estimated_equity", "Estimated equity", MONEY, minimum=None, unit="$")
_add(
    "value",
    "equity",
    "Equity",
    FLOAT,
    maximum=100,
    unit="%",
    help="Percent of value; compared with the equity comparison below.",
)
_add(
    "value",
    "equity_operator",
    "Equity comparison",
    ENUM,
    choices=EQUITY_OPERATORS,
    help="How estimated equity and equity % compare: at least (gte) or at most (lte).",
)
_flag("value", "high_equity", "High equity")
_flag("value", "free_clear", "Free & clear (no mortgage)")
_range("value", "ltv", "Loan-to-value", FLOAT, maximum=1000, unit="%")
# Ownership
_flag("ownership", "absentee_owner", "Absentee owner")
_flag("ownership", "in_state_owner", "In-state owner")
_flag("ownership", "out_of_state_owner", "Out-of-state owner")
_flag("ownership", "individual_owned", "Owned by an individual")
_flag("ownership", "trust_owned", "Owned by a trust")
_flag("ownership", "corporate_owned", "Owned by a company")
_flag("ownership", "cash_buyer", "Cash buyer")
_flag("ownership", "investor_buyer", "Investor buyer")
_flag("ownership", "private_lender", "Private lender")
_range("ownership", "properties_owned", "Properties owned", INT)
_range("ownership", "years_owned", "Years owned", INT, maximum=200)
# Portfolio signals
_range("portfolio", "portfolio_value", "Portfolio value", MONEY, unit="$")
_range("portfolio", "portfolio_equity", "Portfolio equity", MONEY, minimum=None, unit="$")
_range("portfolio", "portfolio_mortgage_balance", "Portfolio mortgage balance", MONEY, unit="$")
_range("portfolio", "portfolio_purchased_last6", "Purchased in the last 6 months", INT)
_range("portfolio", "portfolio_purchased_last12", "Purchased in the last 12 months", INT)
# Distress
_flag("distress", "vacant", "Vacant")
_flag("distress", "pre_foreclosure", "Pre-foreclosure")
_range("distress", "pre_foreclosure_date", "Pre-foreclosure filed", DATE)
_flag("distress", "auction", "Scheduled for auction")
_flag("distress", "reo", "REO / bank-owned")
_add("distress", "notice_type", "Notice type", ENUM, choices=NOTICE_TYPES)
_add(
    "distress",
    "search_range",
    "Filed within",
    ENUM,
    choices=SEARCH_RANGES,
    help="How recent a distress filing must be.",
)
# MLS
_flag("mls", "mls_active", "Listed (active)")
_flag("mls", "mls_pending", "Listed (pending)")
_flag("mls", "mls_cancelled", "Listing cancelled / expired")
_range("mls", "mls_days_on_market", "Days on market", INT)
_add("mls", "mls_listing_price_min", "Listing price (min)", MONEY, unit="$")
# Mortgage
_range("mortgage", "mortgage", "Mortgage balance", MONEY, unit="$")
_flag("mortgage", "adjustable_rate", "Adjustable rate")
_flag("mortgage", "assumable", "Assumable")
_add("mortgage", "loan_type_code_first", "First loan type", ENUM, choices=LOAN_TYPES)
_range("mortgage", "open_mortgages", "Open mortgages", INT, maximum=50)
# Sale history
_range("sale", "last_sale_date", "Last sale date", DATE)
_range("sale", "last_sale_price", "Last sale price", MONEY, unit="$")
_flag("sale", "last_sale_arms_length", "Arm's-length sale")
# Mailing address
_add("mailing", "mail_city", "Mailing city", TEXT)
_add("mailing", "mail_state", "Mailing state", TEXT, help="Two-letter code, e.g. TX.")
_add("mailing", "mail_zip", "Mailing ZIP", TEXT, help="Five digits.")
_add("mailing", "mail_county", "Mailing county", TEXT)
# Environment
_flag("environment", "flood_zone", "In a flood zone")
_add("environment", "flood_zone_type", "Flood zone type", ENUM, choices=FLOOD_ZONES)
# Used by the presets (probate_inherited, judgment_lien, owner_deceased), not in the reference.
_flag("presets", "inherited", "Inherited")
_flag("presets", "judgment", "Court judgment")
_flag("presets", "death", "Owner deceased")

FILTERS: dict[str, FilterKey] = {f.key: f for f in _FILTERS}
assert len(FILTERS) == len(_FILTERS), "a key is listed twice"
# min key -> max key, for every documented pair.
RANGES: dict[str, str] = {
    key: f"{key[:-4]}_max"
    for key in FILTERS
    if key.endswith("_min") and f"{key[:-4]}_max" in FILTERS
}
RANGE_OF_MAX = {high: low for low, high in RANGES.items()}


def filters_by_group() -> list[tuple[str, str, list[FilterKey]]]:
    """(group slug, label, its keys) in the reference's order."""
    return [(slug, label, [f for f in _FILTERS if f.group == slug]) for slug, label in GROUPS]


def describe(key: str, value: Any) -> tuple[str, str]:
    """(label, value in words) for a filter key; an unknown key is shown as is."""
    found = FILTERS.get(key)
    if found is None:
        return key, str(value)
    return found.label, found.display(value)
