"""Journey: a finished lead list (rows from the factory) → its rows page with the score
chart → its pages (Next, Last, First) → filter by a category → open a row's factors →
export the filtered rows."""

from playwright.sync_api import expect

from leadbuilder.models import LeadRow
from tests.leadbuilder.factories import lead_build
from tests.support.browser import log_in, make_member


def test_lead_rows_journey(page, live_server, transactional_db, screenshot):
    member = make_member("lead-staff", "Lead Team")
    team = member.membership.team
    build = lead_build(team=team, user=member, rows=120, seed="e2e")
    medium = LeadRow.objects.filter(build=build, sell_category="Medium").count()
    assert 0 < medium < 50
    log_in(page, live_server.url, member.username)

    page.goto(f"{live_server.url}/leads/{build.pk}/rows/")
    expect(page.get_by_test_id("score-chart")).to_be_visible()
    expect(page.locator("#score-chart")).to_be_visible()
    expect(page.get_by_test_id("row-link")).to_have_count(50)
    page.get_by_test_id("score-vertical").select_option("roof_renovate")
    screenshot("rows")
    expect(page.get_by_test_id("pager-summary")).to_have_text("Showing 1\u201350 of 120")
    page.get_by_test_id("pager-next").click()
    expect(page.get_by_test_id("pager-summary")).to_have_text("Showing 51\u2013100 of 120")
    page.get_by_test_id("pager-last").click()
    expect(page.get_by_test_id("pager-summary")).to_have_text("Showing 71\u2013120 of 120")
    expect(page.get_by_test_id("row-link")).to_have_count(50)
    whole = screenshot("rows-last-page")
    page.get_by_test_id("pager").screenshot(path=str(whole.with_name(f"pager-{whole.name}")))
    page.get_by_test_id("pager-first").click()
    expect(page.get_by_test_id("pager-summary")).to_have_text("Showing 1\u201350 of 120")

    page.get_by_label("Sell category").select_option("Medium")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("row-link")).to_have_count(medium)
    expect(page.get_by_test_id("score-chart")).to_contain_text(f"{medium} row")
    screenshot("sell-medium")

    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    lines = download_info.value.path().read_text(encoding="utf-8-sig").strip().splitlines()
    assert lines[0].startswith("address,city,state,zip_code")
    assert lines[0].endswith("leadops_dnc_status")
    assert len(lines) == medium + 1

    page.get_by_test_id("row-link").first.click()
    expect(page.get_by_test_id("row-scores")).to_be_visible()
    expect(page.get_by_test_id("factors-sell")).to_be_visible()
    expect(page.get_by_text("Sale history")).to_be_visible()
    screenshot("row-factors")
