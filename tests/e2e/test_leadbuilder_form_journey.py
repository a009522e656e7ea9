"""Journey: the build screen. Pick two strategies, a city, a range override and an owner
override; the merged filter panel follows live; preview the count and cost; save the search
and open it again. Screenshots of each step."""

from playwright.sync_api import expect

from leadbuilder.strategies import strategies_forget
from tests.support.browser import log_in, make_member


def test_build_form_preview_and_saved_search(
    page, live_server, sandbox, rq_redis, settings, screenshot
):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    strategies_forget()
    member = make_member("lb-staff", "Lead Team", credits_granted=5000, key="e2e-lb-form")
    base = live_server.url
    log_in(page, base, member.username)
    page.set_viewport_size({"width": 1440, "height": 1000})

    page.goto(f"{base}/leads/new/")
    expect(page.get_by_role("heading", name="New lead list")).to_be_visible()
    expect(page.locator(".is-invalid")).to_have_count(0)
    screenshot("empty")

    page.get_by_test_id("strategy-tired_landlord").check()
    page.get_by_test_id("strategy-vacant").check()
    page.locator("label[for=geo-mode-city]").click()
    page.get_by_role("textbox", name="Cities").fill("Phoenix")
    page.get_by_role("textbox", name="States").fill("AZ")
    page.locator('[data-bs-target="#filters-property"]').click()
    page.locator("#id_f_year_built_max").fill("2000")
    page.locator('[data-bs-target="#filters-ownership"]').click()
    page.locator("label[for=id_f_absentee_owner_2]").click()  # "No"

    merged = page.get_by_test_id("merged-panel")
    expect(merged.get_by_test_id("merged-vacant-year_built_max")).to_have_attribute(
        "data-status", "added"
    )
    expect(merged.get_by_test_id("merged-tired_landlord-absentee_owner")).to_have_attribute(
        "data-status", "overridden"
    )
    expect(merged.get_by_test_id("merged-tired_landlord-years_owned_min")).to_have_attribute(
        "data-status", "default"
    )
    screenshot("filled")

    # The radius mode shows its own fields.
    page.locator("label[for=geo-mode-radius]").click()
    expect(page.get_by_role("spinbutton", name="Latitude")).to_be_visible()
    expect(page.get_by_role("textbox", name="Cities")).to_be_hidden()
    # A suggestion of the address autocomplete (its fragment, as leadbuilder:autocomplete
    # answers) fills the centre when clicked.
    page.evaluate(
        """document.getElementById("geo-address-results").innerHTML =
        '<button type="button" class="list-group-item list-group-item-action" data-lat="33.4484"'
        + ' data-lon="-112.074" data-label="1 N Central Ave, Phoenix, AZ">'
        + '1 N Central Ave</button>'"""
    )
    page.get_by_role("button", name="1 N Central Ave").click()
    expect(page.locator("#id_geo_latitude")).to_have_value("33.4484")
    expect(page.locator("#id_geo_longitude")).to_have_value("-112.074")
    expect(page.get_by_test_id("geo-address")).to_have_value("1 N Central Ave, Phoenix, AZ")
    expect(page.get_by_role("button", name="1 N Central Ave")).to_have_count(0)
    page.locator("label[for=geo-mode-city]").click()
    expect(page.get_by_role("textbox", name="Cities")).to_be_visible()

    page.get_by_test_id("preview-button").click()
    result = page.get_by_test_id("preview-result")
    expect(result).to_be_visible()
    expect(page.get_by_test_id("preview-capped")).to_have_text("500")
    expect(page.get_by_test_id("preview-cost")).to_have_text("2,500")
    expect(page.get_by_test_id("preview-usd")).to_have_text("($50.00)")
    expect(page.get_by_test_id("preview-available")).to_have_text("5,000")
    expect(page.get_by_test_id("execute-button")).to_be_visible()
    # What was previewed is still in the form, and its sections are open.
    expect(page.locator("#id_f_year_built_max")).to_have_value("2000")
    expect(page.get_by_test_id("strategy-vacant")).to_be_checked()
    screenshot("previewed")
    # Changing the search after its preview: the build button waits for a new preview.
    page.locator("#id_f_year_built_max").fill("1995")
    expect(page.get_by_test_id("execute-button")).to_be_disabled()
    expect(page.get_by_test_id("preview-stale")).to_be_visible()

    # A minimum above its maximum: the error is on the field, nothing is sent.
    page.locator("#id_f_year_built_min").fill("2010")
    page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("error-f_year_built_min")).to_contain_text("above the maximum")
    expect(page.get_by_test_id("form-invalid")).to_be_visible()
    screenshot("invalid")
    page.locator("#id_f_year_built_min").fill("")

    page.locator("#id_search_name").fill("Phoenix landlords and vacants")
    page.get_by_test_id("save-search").click()
    expect(page.get_by_test_id("opened-search")).to_contain_text("Phoenix landlords and vacants")
    expect(page.locator("#id_f_year_built_max")).to_have_value("1995")
    page.goto(f"{base}/leads/searches/")
    expect(page.get_by_test_id("open-search")).to_have_text("Phoenix landlords and vacants")
    screenshot("searches")
