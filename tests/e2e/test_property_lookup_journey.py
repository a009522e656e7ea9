"""Journey: log in → property lookup → type an address → suggestions appear (debounced, free)
→ pick one: street, city, state and ZIP filled in → look up (10 credits) → the card shows the
property, owner, contacts and propensity scores → the history opens the stored card. Real
sandbox; no inline script is refused by the Content-Security-Policy on the way."""

import pytest
from playwright.sync_api import expect

from leadbuilder.models import PropertyLookup
from tests.support.browser import log_in, make_member


@pytest.fixture
def sandbox_settings():
    return {"miss_rate": 0.0}


@pytest.fixture
def lookup_app(page, live_server, sandbox, settings, rq_redis, transactional_db):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    member = make_member(
        "lookup-staff", "Lookup Team", credits_granted=50, reason="Trial", key="e2e-lookup"
    )
    log_in(page, live_server.url, member.username)
    return live_server.url


def test_property_lookup_journey(page, lookup_app, sandbox, screenshot):
    refused = []
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/autocomplete/" in r.url else None)

    page.goto(f"{lookup_app}/leads/lookup/")
    expect(page.get_by_role("heading", name="Property lookup")).to_be_visible()
    expect(page.get_by_test_id("lookup-cost")).to_contain_text(
        "10 credits if found, nothing on a miss. You have 50 credits available."
    )
    search = page.get_by_test_id("address-search")
    search.press_sequentially("742 Evergreen Terr Williamsburg NY", delay=20)
    suggestions = page.get_by_test_id("address-suggestions")
    expect(suggestions).to_be_visible()
    # Debounced: one request for the whole phrase, not one a key.
    assert len(requests) <= 2, requests
    screenshot("suggestions")

    best = suggestions.get_by_role("option").first
    zip_code, label = best.get_attribute("data-zip"), best.get_attribute("data-label")
    best.click()
    expect(suggestions).to_have_count(0)
    expect(page.get_by_label("Street address")).to_have_value("742 Evergreen Terrace")
    expect(page.get_by_label("City")).to_have_value("Brooklyn")
    expect(page.get_by_label("State")).to_have_value("NY")
    expect(page.get_by_label("ZIP")).to_have_value(zip_code)
    expect(search).to_have_value(label)
    screenshot("address-filled")

    page.get_by_test_id("lookup-submit").click()
    card = page.get_by_test_id("lookup-result")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Found · 10 credits")
    expect(card.get_by_test_id("lookup-property")).to_contain_text("Estimated value")
    expect(card.get_by_test_id("lookup-owners")).to_contain_text("Mailing address:")
    expect(card.get_by_test_id("lookup-scores")).to_contain_text("Solar")
    expect(page.get_by_test_id("header-credits")).to_contain_text("40 credits")
    lookup = PropertyLookup.objects.get()
    assert (lookup.hit, lookup.credits_charged, lookup.zip_code) == (True, 10, zip_code)
    screenshot("card")

    page.get_by_test_id("lookup-history").get_by_role("link", name="742 Evergreen Terrace").click()
    expect(page).to_have_url(f"{lookup_app}/leads/lookup/{lookup.pk}/")
    expect(page.get_by_test_id("lookup-form")).to_have_count(0)
    expect(
        page.get_by_role("heading", name=f"742 Evergreen Terrace, Brooklyn, NY {zip_code}")
    ).to_be_visible()
    expect(page.get_by_test_id("lookup-result")).to_contain_text("Found · 10 credits")
    screenshot("stored-card")
    assert refused == []
