"""Journey: log in, see the dashboard with the credit balance, log out."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import make_member


@pytest.fixture
def member(transactional_db):
    return make_member(
        "browser-staff",
        "Browser Team",
        credits_granted=2500,
        reason="Welcome credits",
        key="e2e-grant",
    )


def test_login_dashboard_logout(page, live_server, member, screenshot):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    page.get_by_label("Username").fill("browser-staff")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("header-credits")).to_contain_text("2,500 credits")
    expect(page.get_by_test_id("wallet-available")).to_have_text("2,500")
    expect(page.get_by_text("SANDBOX")).to_be_visible()
    expect(page.get_by_role("cell", name="Welcome credits")).to_be_visible()
    expect(page.locator("#balance-chart")).to_be_visible()
    assert screenshot("dashboard").stat().st_size > 10_000

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
