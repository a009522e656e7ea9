"""Journey: five wrong passwords, then the right one is refused with a page saying why and until
when; the page runs under the CSP with nothing refused."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import PASSWORD, make_member


@pytest.fixture
def member(transactional_db):
    return make_member("locked-staff", "Lock Team")


def test_wrong_passwords_lock_the_login_and_the_page_says_until_when(
    page, live_server, member, screenshot
):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    base = live_server.url

    def attempt(password: str):
        page.goto(f"{base}/login/")
        page.get_by_label("Username").fill("locked-staff")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

    for _ in range(4):
        attempt("wrong")
        expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    attempt("wrong")
    attempt(PASSWORD)
    locked = page.get_by_test_id("locked-out")
    expect(locked).to_contain_text("Log-in is locked for a while.")
    expect(locked).to_contain_text("locked-staff")
    expect(locked).to_contain_text("15 minutes")
    screenshot("locked")
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login/?next=/")
    # Only the browser's own report of the 429 itself.
    assert all("429" in p for p in problems), problems
