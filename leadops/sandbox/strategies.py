"""Lead Builder strategies (as listed by ``GET /lead-builder/filters/``) and filter keys."""

from __future__ import annotations

from typing import Any


def _strategy(key: str, label: str, description: str, **defaults: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "description": description, "default_filters": defaults}


STRATEGIES: list[dict[str, Any]] = [
    _strategy("pre_foreclosure_motivated", "Pre-Foreclosure",
              "Active pre-foreclosure filings in the last 6 months.",
              pre_foreclosure=True, search_range="6_MONTH"),
    _strategy("probate_inherited", "Probate / Inherited",
              "Inherited properties — high-intent probate leads.", inherited=True),
    _strategy("vacant", "Vacant Homes", "Vacant properties — no one residing at the address.",
              vacant=True),
    _strategy("high_equity_absentee", "High Equity Absentee",
              "Absentee owners with the high-equity flag — motivated seller candidates.",
              absentee_owner=True, high_equity=True),
    _strategy("tired_landlord", "Tired Landlord",
              "Absentee owners who have held 7+ years and own 2+ properties.",
              absentee_owner=True, years_owned_min=7, properties_owned_min=2),
    _strategy("reo_bank_owned", "REO / Bank-Owned",
              "Bank-owned (REO) properties — post-foreclosure distressed inventory.", reo=True),
    _strategy("cash_buyer_investor", "Cash Buyer",
              "Recent cash buyers — wholesaling dispo list candidates.", cash_buyer=True),
    _strategy("free_and_clear", "Free & Clear",
              "Properties owned outright with no active mortgage.", free_clear=True),
    _strategy("auction_property", "Auction Properties",
              "Properties scheduled for auction — distressed seller opportunity.", auction=True),
    _strategy("judgment_lien", "Judgment / Lien",
              "Properties with court judgments — financially distressed owners.", judgment=True),
    _strategy("owner_deceased", "Owner Deceased",
              "Properties where the owner of record is deceased — estate sale candidates.",
              death=True),
    _strategy("active_flipper", "Active Flipper",
              "Investors who bought 2+ properties in the last 12 months.",
              investor_buyer=True, portfolio_purchased_last12_min=2),
    _strategy("expired_mls", "Expired MLS Listings",
              "Properties that were listed for sale but failed to sell — motivated seller "
              "candidates for agents.", mls_cancelled=True),
    _strategy("recent_homeowner", "Recent Homeowner",
              "Bought in the last 6 months — home improvement, refi, warranty cross-sell.",
              last_sale_date_min="2025-11-06", absentee_owner=False),
    _strategy("long_term_owner_listing_opportunity", "Long-Term Owner",
              "Owner-occupied 10+ years — potential listing leads.",
              years_owned_min=10, absentee_owner=False),
    _strategy("high_equity_refi_candidate", "High Equity Refi",
              "Owner-occupied with the high-equity flag — refinance leads.",
              absentee_owner=False, high_equity=True),
    _strategy("solar_owner_occupied_high_value", "Solar (Owner-Occupied, High Value)",
              "SFRs built before 2015, owner-occupied, high equity, $300k+ value.",
              property_type="SFR", absentee_owner=False, value_min=300000, year_built_max=2015,
              high_equity=True),
    _strategy("roofing_older_home_high_equity", "Roofing (Older Home, High Equity)",
              "SFRs built before 2005, owner-occupied, high equity.",
              property_type="SFR", year_built_max=2005, high_equity=True, absentee_owner=False),
    _strategy("hvac_older_home_owner_occupied", "HVAC (Older Home, Owner-Occupied)",
              "SFRs built before 2000, owner-occupied. Aging HVAC replacement market.",
              property_type="SFR", year_built_max=2000, absentee_owner=False),
    _strategy("custom", "Custom",
              "Blank slate — configure every filter manually or via AI prompt."),
]  # fmt: skip
BY_KEY = {strategy["key"]: strategy for strategy in STRATEGIES}


def _expand(spec: str) -> list[str]:
    keys = []
    for part in spec.split(","):
        part = part.strip()
        if part.endswith("_min/max"):
            stem = part[: -len("_min/max")]
            keys += [f"{stem}_min", f"{stem}_max"]
        elif part:
            keys.append(part)
    return keys


# The Filter Reference, group by group, exactly as published.
FILTER_KEYS = frozenset(
    _expand(
        "property_type, property_types, beds_min, beds_max, baths_min, baths_max, units_min, "
        "units_max, building_size_min, building_size_max, lot_size_min, lot_size_max, "
        "year_built_min, year_built_max, stories_min, stories_max, rooms_min, rooms_max, pool, "
        "garage, basement, deck, mfh_2to4, mfh_5plus"
    )
    + _expand(
        "value_min, value_max, assessed_value_min, assessed_value_max, estimated_equity, "
        "estimated_equity_min, estimated_equity_max, equity, equity_operator, high_equity, "
        "free_clear, ltv_min, ltv_max"
    )
    + _expand(
        "absentee_owner, in_state_owner, out_of_state_owner, individual_owned, trust_owned, "
        "corporate_owned, cash_buyer, investor_buyer, private_lender, properties_owned_min, "
        "properties_owned_max, years_owned_min, years_owned_max"
    )
    + _expand(
        "portfolio_value_min/max, portfolio_equity_min/max, portfolio_mortgage_balance_min/max, "
        "portfolio_purchased_last6_min/max, portfolio_purchased_last12_min/max"
    )
    + _expand(
        "vacant, pre_foreclosure, pre_foreclosure_date_min, pre_foreclosure_date_max, auction, "
        "reo, notice_type, search_range"
    )
    + _expand(
        "mls_active, mls_pending, mls_cancelled, mls_days_on_market_min, "
        "mls_days_on_market_max, mls_listing_price_min"
    )
    + _expand(
        "mortgage_min, mortgage_max, adjustable_rate, assumable, loan_type_code_first, "
        "open_mortgages_min, open_mortgages_max"
    )
    + _expand(
        "last_sale_date_min, last_sale_date_max, last_sale_price_min, last_sale_price_max, "
        "last_sale_arms_length"
    )
    + _expand("mail_city, mail_state, mail_zip, mail_county")
    + _expand("flood_zone, flood_zone_type")
)
# Strategy presets use three keys the Filter Reference does not list; they are accepted too.
STRATEGY_ONLY_KEYS = frozenset({"inherited", "judgment", "death"})
ACCEPTED_KEYS = FILTER_KEYS | STRATEGY_ONLY_KEYS

BOOLEAN_KEYS = frozenset(
    {
        "pool", "garage", "basement", "deck", "mfh_2to4", "mfh_5plus", "high_equity",
        "free_clear", "absentee_owner", "in_state_owner", "out_of_state_owner",
        "individual_owned", "trust_owned", "corporate_owned", "cash_buyer", "investor_buyer",
        "private_lender", "vacant", "pre_foreclosure", "auction", "reo", "mls_active",
        "mls_pending", "mls_cancelled", "adjustable_rate", "assumable", "last_sale_arms_length",
        "flood_zone", "inherited", "judgment", "death",
    }
)  # fmt: skip
DATE_KEYS = frozenset(
    {"last_sale_date_min", "last_sale_date_max", "pre_foreclosure_date_min",
     "pre_foreclosure_date_max"}
)  # fmt: skip
