"""The free preview against the sandbox: counts, cost and its dollars next to the user's
credits, the hourly allowance (ours and Tracerfy's 429), a 400 shown where it belongs, and
a Tracerfy that does not answer."""

from __future__ import annotations

import json
import threading

import pytest
from django.urls import reverse

from leadbuilder.forms import BuildForm
from leadbuilder.preview import UNAVAILABLE, lead_preview
from leadbuilder.spec import BuildSpec
from leadbuilder.strategies import CACHE_KEY
from leadops import providers
from leadops.jobs.models import SubmitToken
from leadops.jobs.queueing import redis_connection
from leadops.providers.ratelimit import Limit
from leadops.providers.tracerfy import TracerfyClient
from tests.leadbuilder.form_support import CITY
from tests.support.sandbox import SANDBOX_KEY

pytestmark = pytest.mark.django_db


PREVIEW_PATH = "/tracerfy/v1/api/lead-builder/preview"
PHOENIX = {"mode": "city", "cities": ["Phoenix"], "states": ["AZ"]}
BUILD = {
    **CITY,
    "strategies": ["tired_landlord", "vacant"],
    "f_year_built_max": "2000",
    "requested_count": "300",
}


@pytest.fixture
def tracerfy(lb_sandbox):
    """A client of our own to ask the sandbox what the page should show."""
    with TracerfyClient(base_url=lb_sandbox.urls["tracerfy"], api_key=SANDBOX_KEY) as client:
        yield client


@pytest.fixture
def preview_limit(monkeypatch, lb_sandbox):
    """Replace the hourly preview allowance with `Limit(count, seconds)`."""

    def set_limit(count: int, seconds: float) -> None:
        monkeypatch.setitem(
            providers.limiter().limits, "tracerfy.preview", (Limit(count, seconds),)
        )

    return set_limit


def post(client, data=None):
    return client.post(reverse("leadbuilder:new"), data or BUILD).content.decode()


def test_preview_counts_cost_and_dollars(funded_staff, team_a, tracerfy):
    spec = BuildSpec(
        strategies=("tired_landlord", "vacant"),
        geography=PHOENIX,
        overrides={"year_built_max": 2000},
        requested_count=300,
    )
    outcome = lead_preview(team=team_a, user=funded_staff, spec=spec)
    expected = tracerfy.lead_preview(**spec.provider_body())
    assert outcome.ok and outcome.error == ""
    assert outcome.preview.count == expected.count > 300
    assert outcome.preview.capped_count == 300
    assert outcome.max_credit_cost == 1500 == 300 * outcome.credits_per_row
    assert outcome.max_cost_usd == 30.0
    assert outcome.available_credits == 10_000 and outcome.short_by == 0
    assert outcome.preview.strategy_label == "Tired Landlord, Vacant Homes"


def test_the_page_shows_the_preview_and_the_execute_button(client, funded_staff, strategies):
    client.force_login(funded_staff)
    html = post(client, {**BUILD, "conversation": "42"})
    assert 'data-testid="preview-capped">300<' in html
    assert 'data-testid="preview-cost">1,500<' in html
    assert 'data-testid="preview-usd">($30.00)<' in html
    assert 'data-testid="preview-available">10,000<' in html
    assert f'formaction="{reverse("leadbuilder:execute")}"' in html
    assert 'name="expected_credits" value="1500"' in html
    token = SubmitToken.objects.get(user=funded_staff)
    assert token.scope == "leads:new" and token.used_at is None
    assert f'name="submit_token" value="{token.key}"' in html
    # What was previewed stays in the form (the AI conversation too).
    assert 'value="tired_landlord" id="strategy-tired_landlord" checked' in html
    assert 'name="f_year_built_max" value="2000"' in html
    assert 'name="conversation" value="42"' in html


def test_too_few_credits_shows_how_many_are_missing(client, staff, strategies):
    client.force_login(staff)
    html = post(client)
    assert 'data-testid="preview-short"' in html and "<strong>1,500</strong> more credits" in html
    assert 'data-testid="execute-button"' not in html


def test_nothing_matches(client, funded_staff, strategies):
    client.force_login(funded_staff)
    html = post(client, {**BUILD, "f_year_built_min": "2100", "f_year_built_max": "2100"})
    assert 'data-testid="preview-empty"' in html
    assert 'data-testid="execute-button"' not in html


def test_an_invalid_form_is_not_sent(client, funded_staff, lb_sandbox):
    client.force_login(funded_staff)
    lb_sandbox.control.faults(error_rate=1.0, paths=[PREVIEW_PATH])
    html = post(client, {**BUILD, "geo_cities": ""})
    assert 'data-testid="form-invalid"' in html
    assert lb_sandbox.control.fault_count("error") == 0, "Tracerfy was not asked"


def test_the_allowance_is_shown_when_nearly_used_and_enforced_before_calling(
    client, funded_staff, lb_sandbox, preview_limit
):
    preview_limit(5, 3600)
    client.force_login(funded_staff)
    for _ in range(3):
        html = post(client)
        assert 'data-testid="preview-result"' in html
        assert 'data-testid="preview-usage"' not in html
    html = post(client)  # the 4th of 5: 80 %
    assert "4 of 5 previews used this hour." in html
    assert "5 of 5 previews used this hour." in post(client)
    # The 6th is refused here: Tracerfy is not asked (it would fail) and the page says when.
    lb_sandbox.control.faults(error_rate=1.0, paths=[PREVIEW_PATH])
    html = post(client)
    assert 'data-testid="preview-error"' in html
    assert "You have used this hour&#x27;s preview allowance (5 previews per hour)." in html
    # The limiter keeps the hour 0.1 % longer (its clock-drift allowance, 3.6 s): the page
    # says when it will really let the next preview through.
    assert "The next preview is possible in 61 minutes." in html
    assert 'data-testid="next-preview"' in html
    assert 'data-testid="execute-button"' not in html
    assert lb_sandbox.control.fault_count("error") == 0


def test_a_refused_preview_is_possible_again_when_the_window_slides(
    client, funded_staff, lb_sandbox, preview_limit
):
    preview_limit(1, 0.5)
    client.force_login(funded_staff)
    assert 'data-testid="preview-result"' in post(client)
    html = post(client)
    assert "The next preview is possible in 1 second." in html
    threading.Event().wait(0.8)
    assert 'data-testid="preview-result"' in post(client)


def test_tracerfys_own_429_is_shown_with_its_retry_after(client, funded_staff, lb_sandbox):
    lb_sandbox.control.faults(rate_limit_rate=1, retry_after_seconds=40, paths=[PREVIEW_PATH])
    client.force_login(funded_staff)
    html = post(client)
    assert (
        "Tracerfy refused the preview: Preview rate limit exceeded. "
        "The next preview is possible in 40 seconds."
    ) in html
    assert lb_sandbox.control.fault_count("rate_limit") == 1
    # The 429 pauses the family for everyone: the next preview is refused before calling.
    html = post(client)
    assert "You have used this hour&#x27;s preview allowance" in html
    assert lb_sandbox.control.fault_count("rate_limit") == 1


def test_a_refused_geography_is_named(funded_staff, team_a, lb_sandbox):
    spec = BuildSpec(geography={"mode": "states", "states": ["ZZZ"]})
    outcome = lead_preview(team=team_a, user=funded_staff, spec=spec)
    assert not outcome.ok
    assert outcome.section_errors == {"geography": ["Invalid state abbreviation(s): ZZZ."]}
    assert outcome.error.startswith("Tracerfy refused this search:")


def test_a_provider_400_is_shown_next_to_the_section_it_names(client, funded_staff, lb_sandbox):
    # The cached strategies still list a preset Tracerfy has since retired: the form accepts
    # it, Tracerfy refuses it, and the page says so on the strategies.
    from leadops.sandbox.strategies import STRATEGIES

    retired = {"key": "retired_preset", "label": "Retired", "description": "Gone."}
    cached = [*STRATEGIES, {**retired, "default_filters": {"vacant": True}}]
    redis_connection().set(CACHE_KEY, json.dumps(cached), ex=60)
    client.force_login(funded_staff)
    html = post(client, {**BUILD, "strategies": ["retired_preset"]})
    assert 'data-testid="provider-error-strategy"' in html
    assert "Tracerfy: Unknown strategy &#x27;retired_preset&#x27;" in html
    assert 'data-testid="strategies-section"' in html and "border-danger" in html
    assert 'data-testid="execute-button"' not in html


def test_tracerfy_not_answering(client, funded_staff, lb_sandbox, strategies):
    lb_sandbox.control.faults(error_rate=1.0, error_status=503, paths=[PREVIEW_PATH])
    client.force_login(funded_staff)
    html = post(client)
    assert UNAVAILABLE.replace("'", "&#x27;") in html
    assert 'data-testid="execute-button"' not in html


def test_a_timeout_is_not_answering(settings, funded_staff, team_a, lb_sandbox):
    settings.PROVIDER_PAGE_TIMEOUT = 0.3
    lb_sandbox.control.faults(read_timeout_rate=1.0, read_timeout_seconds=2, paths=[PREVIEW_PATH])
    outcome = lead_preview(
        team=team_a, user=funded_staff, spec=BuildSpec(geography=PHOENIX, requested_count=5)
    )
    assert outcome.error == UNAVAILABLE


@pytest.mark.parametrize(
    ("fields", "geography"),
    [
        ({"geo_mode": "zips", "geo_zip_codes": "78701, 78702"},
         {"mode": "zips", "zip_codes": ["78701", "78702"]}),
        ({"geo_mode": "city", "geo_cities": "Phoenix, Mesa", "geo_states": "AZ"},
         {"mode": "city", "cities": ["Phoenix", "Mesa"], "states": ["AZ"]}),
        ({"geo_mode": "counties", "geo_counties": "Maricopa", "geo_states": "AZ"},
         {"mode": "counties", "counties": ["Maricopa"], "states": ["AZ"]}),
        ({"geo_mode": "states", "geo_states": "AZ, TX"},
         {"mode": "states", "states": ["AZ", "TX"]}),
        ({"geo_mode": "radius", "geo_latitude": "33.45", "geo_longitude": "-112.07",
          "geo_radius": "5"},
         {"mode": "radius", "latitude": 33.45, "longitude": -112.07, "radius": 5}),
    ],
)  # fmt: skip
def test_every_geography_mode_previews_against_the_sandbox(
    funded_staff, team_a, strategies, tracerfy, fields, geography
):
    form = BuildForm({**fields, "requested_count": "100"}, strategies=strategies)
    assert form.is_valid(), form.errors
    spec = form.build_spec()
    assert spec.geography == geography
    outcome = lead_preview(team=team_a, user=funded_staff, spec=spec)
    assert outcome.ok, outcome.error
    assert outcome.preview.count == tracerfy.lead_preview(**spec.provider_body()).count > 0
