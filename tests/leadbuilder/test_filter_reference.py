"""The Filter Reference as data: exactly the keys Tracerfy accepts, each with a kind."""

from leadbuilder import filter_reference as ref
from leadops.sandbox.strategies import ACCEPTED_KEYS, BOOLEAN_KEYS, DATE_KEYS, STRATEGIES


def test_the_keys_are_exactly_what_tracerfy_accepts():
    assert set(ref.FILTERS) == set(ACCEPTED_KEYS)


def test_every_key_has_a_group_a_label_and_a_known_kind():
    groups = {slug for slug, _ in ref.GROUPS}
    for item in ref.FILTERS.values():
        assert item.group in groups, item.key
        assert item.label and item.label != item.key, item.key
        assert item.kind in ref.KINDS, item.key
        if item.kind in (ref.ENUM, ref.CHOICES):
            assert item.choices, item.key


def test_booleans_and_dates_match_the_sandbox():
    assert {k for k, f in ref.FILTERS.items() if f.kind == ref.BOOL} == set(BOOLEAN_KEYS)
    assert {k for k, f in ref.FILTERS.items() if f.kind == ref.DATE} == set(DATE_KEYS)


def test_ranges_pair_min_and_max_including_the_portfolio_expansions():
    assert ref.RANGES["portfolio_purchased_last12_min"] == "portfolio_purchased_last12_max"
    assert ref.RANGES["year_built_min"] == "year_built_max"
    assert "mls_listing_price_min" not in ref.RANGES  # documented without a max
    for low, high in ref.RANGES.items():
        assert ref.FILTERS[low].kind == ref.FILTERS[high].kind
    paired = set(ref.RANGES) | set(ref.RANGES.values())
    unpaired = [k for k in ref.FILTERS if k.endswith(("_min", "_max")) and k not in paired]
    assert unpaired == ["mls_listing_price_min"]


def test_enumerations():
    values = {k: [v for v, _ in f.choices] for k, f in ref.FILTERS.items() if f.choices}
    assert values["property_type"] == ["SFR", "CONDO", "MFR", "MOBILE", "LAND"]
    assert values["property_types"] == values["property_type"]
    assert values["search_range"] == ["1_MONTH", "3_MONTH", "6_MONTH", "12_MONTH"]
    assert values["equity_operator"] == ["gte", "lte"]
    assert {"notice_type", "loan_type_code_first", "flood_zone_type"} <= set(values)


def test_every_preset_default_is_a_known_key_with_an_allowed_value():
    for strategy in STRATEGIES:
        for key, value in strategy["default_filters"].items():
            item = ref.FILTERS[key]
            if item.kind == ref.ENUM:
                assert value in dict(item.choices), (strategy["key"], key)


def test_values_in_words():
    assert ref.describe("absentee_owner", False) == ("Absentee owner", "no")
    assert ref.describe("value_min", 300000) == ("Estimated value (min)", "$300,000")
    assert ref.describe("year_built_max", 2015) == ("Year built (max)", "2015")
    assert ref.describe("search_range", "6_MONTH") == ("Filed within", "Last 6 months")
    assert ref.describe("property_types", ["SFR", "MFR"])[1] == "Single-family, Multi-family"
    assert ref.describe("not_a_key", 1) == ("not_a_key", "1")
