"""The build form: every filter kind, every geography mode, the spec it builds and the
prefill from a spec; the merged filter set and what the user changed in it."""

from __future__ import annotations

import threading

import pytest
from django.urls import resolve, reverse

from leadbuilder import filter_reference as ref
from leadbuilder.forms import BuildForm, spec_from_data
from leadbuilder.merged import ADDED, DEFAULT, OVERRIDDEN, merged_sets
from leadbuilder.spec import BuildSpec, spec_diff
from leadbuilder.strategies import strategies_forget
from leadbuilder.views import changed_field_names
from leadops.providers.tracerfy import Strategy
from leadops.sandbox.strategies import STRATEGIES
from tests.leadbuilder.form_support import CITY

# Tracerfy's published presets, as the filters endpoint lists them.
PRESETS = tuple(Strategy(**s) for s in STRATEGIES)


def form(**data):
    return BuildForm({**CITY, **data}, strategies=PRESETS)


def errors(**data) -> dict:
    bound = form(**data)
    assert not bound.is_valid()
    return bound.errors


def overrides(**data) -> dict:
    bound = form(**data)
    assert bound.is_valid(), bound.errors
    return bound.build_spec().overrides


# --- filter kinds -------------------------------------------------------------------------


def test_booleans_are_any_yes_or_no():
    assert overrides(f_absentee_owner="true", f_vacant="false", f_pool="") == {
        "absentee_owner": True,
        "vacant": False,
    }
    assert "f_vacant" in errors(f_vacant="maybe")


def _inverted(key: str) -> tuple[str, str]:
    """A minimum and a maximum below it, each valid on its own."""
    if ref.FILTERS[key].kind == ref.DATE:
        return "2024-05-01", "2024-01-01"
    return ("2001", "2000") if key.startswith("year_built") else ("4", "2")


@pytest.mark.parametrize("stem", ["beds", "year_built", "value", "baths", "last_sale_date"])
def test_a_range_minimum_above_its_maximum_is_refused_on_the_field(stem):
    low, high = _inverted(f"{stem}_min")
    found = errors(**{f"f_{stem}_min": low, f"f_{stem}_max": high})
    assert list(found) == [f"f_{stem}_min"]
    assert "is above the maximum" in found[f"f_{stem}_min"][0]
    same = overrides(**{f"f_{stem}_min": high, f"f_{stem}_max": high})
    assert set(same) == {f"{stem}_min", f"{stem}_max"}


def test_every_documented_range_pair_is_checked():
    for low, high in ref.RANGES.items():
        a, b = _inverted(low)
        assert list(errors(**{f"f_{low}": a, f"f_{high}": b})) == [f"f_{low}"], low


def test_numbers():
    assert overrides(f_beds_min="3", f_baths_min="1.5", f_value_max="450000") == {
        "beds_min": 3,
        "baths_min": 1.5,
        "value_max": 450000,
    }
    assert "f_beds_min" in errors(f_beds_min="-1")
    assert "f_value_min" in errors(f_value_min="lots")
    assert "f_year_built_max" in errors(f_year_built_max="1200")
    assert overrides(f_estimated_equity_min="-20000") == {"estimated_equity_min": -20000}


def test_enumerations_and_lists():
    assert overrides(
        f_property_type="CONDO", f_search_range="3_MONTH", f_equity_operator="gte"
    ) == {
        "property_type": "CONDO",
        "search_range": "3_MONTH",
        "equity_operator": "gte",
    }
    assert "f_property_type" in errors(f_property_type="CASTLE")
    assert "f_search_range" in errors(f_search_range="2_MONTH")
    assert overrides(f_property_types=["SFR", "MFR"]) == {"property_types": ["SFR", "MFR"]}
    assert "f_property_types" in errors(f_property_types=["SFR", "IGLOO"])


def test_dates_are_iso():
    assert overrides(f_last_sale_date_min="2025-01-31") == {"last_sale_date_min": "2025-01-31"}
    found = errors(f_pre_foreclosure_date_min="01/31/2025")
    assert found["f_pre_foreclosure_date_min"] == ["Enter a date as YYYY-MM-DD."]


def test_mailing_address_text():
    assert overrides(f_mail_state="texas", f_mail_zip="78701", f_mail_city="Austin") == {
        "mail_state": "TX",
        "mail_zip": "78701",
        "mail_city": "Austin",
    }
    assert "f_mail_state" in errors(f_mail_state="Narnia")
    assert "f_mail_zip" in errors(f_mail_zip="7870")


def test_propensity_post_filters():
    bound = form(pf_sell_min="70", pf_solar_renovate_category="High", pf_refi_min="")
    assert bound.is_valid(), bound.errors
    spec = bound.build_spec()
    assert spec.post_filters == {"sell_min": 70, "solar_renovate_category": "High"}
    assert spec.overrides == {}, "post-filters are never sent to Tracerfy"
    assert "pf_roof_renovate_min" in errors(pf_roof_renovate_min="101")
    assert "pf_hvac_renovate_min" in errors(pf_hvac_renovate_min="-5")
    assert "pf_refi_category" in errors(pf_refi_category="Extreme")


def test_unknown_keys_cannot_be_sent():
    spec = form(f_not_a_filter="1", f_absentee_owner="true", bogus="x").build_spec()
    assert spec.overrides == {"absentee_owner": True}


def test_only_the_filters_set_are_sent():
    spec = form().build_spec()
    assert spec == BuildSpec(
        strategies=("custom",),
        geography={"mode": "city", "cities": ["Phoenix"], "states": ["AZ"]},
    )


# --- strategies, count, name --------------------------------------------------------------


def test_strategies_are_combined_and_none_is_custom():
    spec = form(strategies=["vacant", "tired_landlord"]).build_spec()
    assert spec.strategies == ("vacant", "tired_landlord")
    assert spec.strategy_param == "vacant,tired_landlord"
    assert form(strategies=["custom"]).build_spec().strategies == ("custom",)
    assert "strategies" in errors(strategies=["not_a_real_strategy"])


def test_requested_count():
    assert BuildForm(strategies=PRESETS)["requested_count"].value() == 500
    assert form(requested_count="25000").build_spec().requested_count == 25000
    assert "requested_count" in errors(requested_count="0")
    assert "requested_count" in errors(requested_count="25001")
    assert errors(requested_count="25001")["requested_count"] == ["Ask for at most 25,000 rows."]
    assert "requested_count" in errors(requested_count="")


def test_default_name_from_strategies_and_area():
    bound = form(strategies=["vacant", "reo_bank_owned"])
    assert bound.is_valid()
    assert bound.default_name == "Vacant Homes + REO / Bank-Owned · Phoenix (AZ)"


# --- geography ----------------------------------------------------------------------------

VALID_GEOGRAPHY = [
    (
        {"geo_mode": "zips", "geo_zip_codes": "85001, 85004\n85004 85006"},
        {"mode": "zips", "zip_codes": ["85001", "85004", "85006"]},
    ),
    (
        {"geo_mode": "city", "geo_cities": "Phoenix, Mesa", "geo_states": "az"},
        {"mode": "city", "cities": ["Phoenix", "Mesa"], "states": ["AZ"]},
    ),
    (
        {"geo_mode": "counties", "geo_counties": "Maricopa", "geo_states": "Arizona, TX"},
        {"mode": "counties", "counties": ["Maricopa"], "states": ["AZ", "TX"]},
    ),
    ({"geo_mode": "states", "geo_states": "AZ, TX"}, {"mode": "states", "states": ["AZ", "TX"]}),
    (
        {
            "geo_mode": "radius",
            "geo_latitude": "33.45",
            "geo_longitude": "-112.07",
            "geo_radius": "5",
        },
        {"mode": "radius", "latitude": 33.45, "longitude": -112.07, "radius": 5.0},
    ),
]


@pytest.mark.parametrize(("data", "geography"), VALID_GEOGRAPHY, ids=lambda v: str(v)[:30])
def test_each_geography_mode(data, geography):
    bound = BuildForm({"requested_count": "10", **data}, strategies=PRESETS)
    assert bound.is_valid(), bound.errors
    assert bound.build_spec().geography == geography


def radius(latitude: str, longitude: str, miles: str) -> dict:
    return {
        "geo_mode": "radius",
        "geo_latitude": latitude,
        "geo_longitude": longitude,
        "geo_radius": miles,
    }


INVALID_GEOGRAPHY = [
    ({"geo_mode": "zips", "geo_zip_codes": ""}, "geo_zip_codes"),
    ({"geo_mode": "zips", "geo_zip_codes": "85001, 8500A, 123456"}, "geo_zip_codes"),
    ({"geo_mode": "city", "geo_cities": "", "geo_states": "AZ"}, "geo_cities"),
    ({"geo_mode": "city", "geo_cities": "Phoenix", "geo_states": ""}, "geo_states"),
    ({"geo_mode": "counties", "geo_counties": "Maricopa", "geo_states": "ZZ"}, "geo_states"),
    ({"geo_mode": "counties", "geo_counties": " , ", "geo_states": "AZ"}, "geo_counties"),
    ({"geo_mode": "states", "geo_states": "AZ, Atlantis"}, "geo_states"),
    (radius("91", "0", "5"), "geo_latitude"),
    (radius("0", "-181", "5"), "geo_longitude"),
    (radius("0", "0", "0"), "geo_radius"),
    (radius("0", "0", "101"), "geo_radius"),
    (radius("", "0", "5"), "geo_latitude"),
    ({"geo_mode": "moon"}, "geo_mode"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "field"), INVALID_GEOGRAPHY, ids=lambda v: str(v)[:40])
def test_each_geography_mode_refuses_what_tracerfy_would(data, field):
    bound = BuildForm({"requested_count": "10", **data}, strategies=PRESETS)
    assert not bound.is_valid()
    assert field in bound.errors, bound.errors


def test_fields_of_other_modes_are_ignored():
    bound = form(geo_zip_codes="not a zip", geo_latitude="500")
    assert bound.is_valid() is False  # they still have to be well-formed...
    bound = form(geo_counties="Maricopa", geo_radius="7")
    assert bound.is_valid()
    assert bound.build_spec().geography == VALID_GEOGRAPHY[1][1] | {"cities": ["Phoenix"]}


# --- spec_from_data and the prefill -------------------------------------------------------


def test_spec_from_data_leaves_out_what_does_not_validate():
    spec = spec_from_data(
        {
            "strategies": ["vacant"],
            "geo_mode": "zips",
            "geo_zip_codes": "850",
            "f_year_built_min": "2010",
            "f_year_built_max": "2000",
            "f_absentee_owner": "true",
            "f_beds_min": "-3",
            "requested_count": "",
        },
        strategies=PRESETS,
    )
    assert spec.strategies == ("vacant",)
    assert spec.geography == {}
    assert spec.overrides == {"year_built_max": 2000, "absentee_owner": True}
    assert spec.requested_count == 500


def _data_of(bound: BuildForm) -> dict:
    """What a browser posts for a form rendered with its initial values."""
    data = {}
    for name in bound.fields:
        value = bound[name].value()
        if value is None or value == "":
            continue
        data[name] = value if isinstance(value, list) else str(value)
    return data


SPEC = BuildSpec(
    strategies=("tired_landlord", "vacant"),
    geography={"mode": "counties", "counties": ["Maricopa", "Pima"], "states": ["AZ"]},
    overrides={
        "absentee_owner": False,
        "year_built_max": 2005,
        "baths_min": 1.5,
        "property_types": ["SFR", "CONDO"],
        "last_sale_date_min": "2024-03-01",
        "search_range": "12_MONTH",
        "mail_state": "TX",
    },
    requested_count=1200,
    post_filters={"sell_min": 70, "refi_category": "High"},
)


def test_a_spec_prefills_the_form_and_comes_back_unchanged():
    shown = BuildForm(strategies=PRESETS, initial_spec=SPEC)
    assert not shown.is_bound and not shown.errors
    posted = BuildForm(_data_of(shown), strategies=PRESETS)
    assert posted.is_valid(), posted.errors
    assert posted.build_spec() == SPEC
    assert BuildForm.from_spec(SPEC, strategies=PRESETS).initial["geo_counties"] == "Maricopa, Pima"


def test_a_radius_spec_prefills_the_form():
    spec = BuildSpec(
        geography={"mode": "radius", "latitude": 33.4, "longitude": -112.1, "radius": 3}
    )
    posted = BuildForm(
        _data_of(BuildForm(strategies=PRESETS, initial_spec=spec)), strategies=PRESETS
    )
    assert posted.is_valid(), posted.errors
    assert posted.build_spec().geography == {**spec.geography, "radius": 3.0}


def test_keys_outside_the_reference_are_dropped_from_a_prefill():
    shown = BuildForm(
        strategies=PRESETS, initial_spec=SPEC.replace(overrides={"vacant": True, "zodiac": "leo"})
    )
    assert shown.dropped_keys == ["zodiac"]
    assert shown["f_vacant"].value() == "true"


# --- merged filters -----------------------------------------------------------------------


def test_merged_sets_mark_defaults_additions_and_overrides():
    spec = form(
        strategies=["tired_landlord", "vacant"], f_absentee_owner="false", f_beds_min="3"
    ).build_spec()
    tired, vacant = merged_sets(spec, PRESETS)
    assert (tired.key, tired.label, vacant.key) == ("tired_landlord", "Tired Landlord", "vacant")
    status = {f.key: (f.status, f.value, f.default) for f in tired.filters}
    assert status == {
        "absentee_owner": (OVERRIDDEN, "no", "yes"),
        "years_owned_min": (DEFAULT, "7", ""),
        "properties_owned_min": (DEFAULT, "2", ""),
        "beds_min": (ADDED, "3", ""),
    }
    assert {f.key: f.status for f in vacant.filters} == {
        "vacant": DEFAULT,
        "absentee_owner": ADDED,
        "beds_min": ADDED,
    }
    assert (tired.changed_count, vacant.changed_count) == (2, 2)


def test_an_override_equal_to_the_default_is_not_a_change():
    spec = form(strategies=["vacant"], f_vacant="true").build_spec()
    (vacant,) = merged_sets(spec, PRESETS)
    assert [(f.key, f.status) for f in vacant.filters] == [("vacant", DEFAULT)]


def test_custom_is_the_overrides_alone():
    (custom,) = merged_sets(form(f_pool="true").build_spec(), PRESETS)
    assert (custom.key, custom.label) == ("custom", "Custom")
    assert [(f.key, f.status) for f in custom.filters] == [("pool", ADDED)]


pytestmark = pytest.mark.django_db


def test_the_merged_panel_follows_the_form(client, staff, strategies):
    client.force_login(staff)
    html = client.post(
        reverse("leadbuilder:merged"),
        {**CITY, "strategies": ["high_equity_absentee", "vacant"], "f_absentee_owner": "false"},
    ).content.decode()
    assert 'data-testid="merged-set-high_equity_absentee"' in html
    assert 'data-testid="merged-set-vacant"' in html
    assert html.count("<mark>") == 2
    assert 'data-status="overridden"' in html and "overrides yes" in html
    assert 'data-status="added"' in html


# --- the page -----------------------------------------------------------------------------


def test_the_build_screen_opens_clean(client, staff, strategies):
    client.force_login(staff)
    response = client.get(reverse("leadbuilder:new"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "is-invalid" not in html and "invalid-feedback" not in html
    assert 'id="build-form"' in html
    for s in strategies:
        if s.key != "custom":
            assert f'data-testid="strategy-{s.key}"' in html
    assert "Tired Landlord" in html and "Years owned (min): 7" in html
    for item in ref.FILTERS.values():
        assert f'name="{item.field_name}"' in html, item.key
    for vertical in ("sell", "refi", "roof_renovate", "hvac_renovate", "solar_renovate"):
        assert f'name="pf_{vertical}_min"' in html and f'name="pf_{vertical}_category"' in html
    assert "they filter the rows LeadOps stores" in html
    assert 'data-testid="ai-panel"' in html and 'data-testid="ai-empty"' in html
    assert 'value="500"' in html


def test_errors_show_next_to_their_fields_and_open_their_section(client, staff, strategies):
    client.force_login(staff)
    html = client.post(
        reverse("leadbuilder:new"),
        {**CITY, "geo_states": "Atlantis", "f_beds_min": "4", "f_beds_max": "2"},
    ).content.decode()
    assert 'data-testid="error-geo_states"' in html
    assert 'data-testid="error-f_beds_min"' in html
    assert 'data-testid="form-invalid"' in html
    assert 'id="filters-property" class="accordion-collapse collapse show"' in html
    assert 'id="filters-mls" class="accordion-collapse collapse"' in html
    assert 'data-testid="preview-result"' not in html


def test_changed_fields_are_highlighted(rf, staff, team_a, strategies):
    from leadbuilder.views import build_screen

    before = form(strategies=["vacant"]).build_spec()
    after = before.replace(
        overrides={"year_built_max": 1990}, strategies=("vacant", "reo_bank_owned")
    )
    changes = spec_diff(before, after)
    assert changed_field_names(changes) == {"f_year_built_max", "strategies"}
    request = rf.get("/leads/new/")
    request.user, request.team = staff, team_a
    request.resolver_match = resolve(reverse("leadbuilder:new"))
    bound = BuildForm(strategies=strategies, initial_spec=after)
    html = build_screen(request, bound, strategies=strategies, changes=changes).content.decode()
    assert html.count(">changed</span>") == 2
    assert "filter-line changed" in html


def test_strategies_are_cached_for_an_hour(client, staff, lb_sandbox):
    from leadbuilder.strategies import CACHE_KEY, STRATEGIES_TTL
    from leadops.jobs.queueing import redis_connection

    client.force_login(staff)
    path = "/tracerfy/v1/api/lead-builder/filters"
    assert (
        'data-testid="strategy-vacant"' in client.get(reverse("leadbuilder:new")).content.decode()
    )
    assert STRATEGIES_TTL - 5 < redis_connection().ttl(CACHE_KEY) <= STRATEGIES_TTL
    # From now on Tracerfy fails every filters call: the cache answers, Tracerfy is not asked.
    lb_sandbox.control.faults(error_rate=1.0, paths=[path])
    html = client.get(reverse("leadbuilder:new")).content.decode()
    assert 'data-testid="strategy-vacant"' in html
    assert lb_sandbox.control.fault_count("error") == 0
    # Expired: Tracerfy is asked again, fails, and the custom form still works.
    redis_connection().pexpire(CACHE_KEY, 1)
    threading.Event().wait(0.02)
    response = client.get(reverse("leadbuilder:new"))
    html = response.content.decode()
    assert response.status_code == 200
    assert lb_sandbox.control.fault_count("error") >= 1
    assert 'data-testid="strategies-problem"' in html
    assert "You can still build a custom search" in html
    assert 'name="geo_mode"' in html and 'name="f_absentee_owner"' in html
    assert redis_connection().get(CACHE_KEY) is None, "a failure is never cached"
    strategies_forget()


def test_strategies_still_come_when_redis_is_unreachable(lb_sandbox, monkeypatch):
    """The cache is a convenience: Redis down means asking Tracerfy, not a broken page."""
    import redis

    from leadbuilder import strategies as cache

    class Down:
        def get(self, key):
            raise redis.ConnectionError("Connection refused")

        def set(self, *args, **kwargs):
            raise redis.ConnectionError("Connection refused")

        def delete(self, key):  # the fixture's clean-up, once the test is over
            return 0

    monkeypatch.setattr(cache, "redis_connection", lambda: Down())
    found = cache.strategies_list()
    assert "tired_landlord" in {s.key for s in found}
