"""The deterministic synthetic data generator."""

from __future__ import annotations

import re

from leadops.sandbox import data, properties


def test_same_address_same_owner_across_spellings():
    first = data.owner_for_address("123 Main Street", "Austin", "tx", "78701")
    second = data.owner_for_address("123  MAIN ST.", "AUSTIN", "TX", "78701-1234")
    assert first == second
    assert first != data.owner_for_address("125 Main St", "Austin", "TX", "78701")


def test_phones_and_emails_stay_in_safe_ranges():
    for index in range(300):
        person = data.owner_for_address(f"{index} Oak Ave", "Phoenix", "AZ", "85004")
        for phone in person["phones"]:
            assert re.fullmatch(r"\d{3}55501\d\d", phone["number"])
        for email in person["emails"]:
            assert email["email"].rsplit("@", 1)[1] in data.EMAIL_DOMAINS
        assert 18 <= person["age"] <= 90


def test_miss_rate_is_respected():
    seeds = [data.address_seed(f"{i} Elm St", "Dallas", "TX") for i in range(2000)]
    misses = sum(data.is_miss(seed, 0.15) for seed in seeds)
    assert 220 < misses < 380
    assert not any(data.is_miss(seed, 0.0) for seed in seeds)
    assert all(data.is_miss(seed, 1.0) for seed in seeds)


def test_phone_flags_are_a_function_of_the_number():
    flags = data.phone_flags("2125550142")
    assert flags == data.phone_flags("2125550142")
    assert flags["is_clean"] is not any(
        flags[k] for k in ("national_dnc", "state_dnc", "dma", "litigator")
    )
    assert data.normalize_phone("+1 (212) 555-0142") == "2125550142"
    assert data.normalize_phone("555-0142") is None


def test_properties_respect_filters_and_scores_have_categories():
    area = properties.resolve_areas({"mode": "city", "cities": ["Phoenix"], "states": ["AZ"]})[0]
    filters = {
        "absentee_owner": False,
        "high_equity": True,
        "year_built_max": 2000,
        "value_min": 300_000,
        "property_type": "SFR",
    }
    for index in range(200):
        prop = properties.make_property(data.seed_of("t", index), area, filters)
        assert properties.matches(prop, filters)
        for vertical in ("sell", "refi", "roof_renovate", "hvac_renovate", "solar_renovate"):
            score = prop[f"{vertical}_propensity_score"]
            assert isinstance(score, int) and 0 <= score <= 100
            expected = "High" if score >= 70 else "Medium" if score >= 40 else "Low"
            assert prop[f"{vertical}_propensity_category"] == expected
            for factor in prop[f"{vertical}_propensity_factors"]:
                assert set(factor) == {"name", "points", "reason"}


def test_geographies_are_stable():
    geo = {"mode": "radius", "latitude": 33.45, "longitude": -112.07, "radius": 5}
    assert properties.resolve_areas(geo) == properties.resolve_areas(geo)
    zips = properties.resolve_areas({"mode": "zips", "zip_codes": ["85004", "99999"]})
    assert zips[0].city == "Phoenix"
    assert zips[1].zips == ("99999",)
