"""Journey: the admin grants credits in Django admin; the staff user sees the new balance."""

from playwright.sync_api import expect

from leadops.credits.models import CreditEntry
from tests.support.browser import log_in


def test_admin_grants_and_staff_sees_balance(page, live_server, transactional_db, screenshot):
    from django.core.management import call_command

    call_command("seed_demo")
    base = live_server.url

    log_in(page, base, "admin", "admin-demo-pass")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Users").click()
    staff_row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name="staff", exact=True)
    )
    staff_row.get_by_role("link", name="Grant / revoke").click()
    expect(page.get_by_text("5,000 available")).to_be_visible()
    page.get_by_label("Amount").fill("750")
    page.get_by_label("Reason").fill("November allowance")
    screenshot("admin-form")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Available now 5,750.")).to_be_visible()
    page.goto(f"{base}/")
    page.get_by_role("button", name="Log out").click()

    log_in(page, base, "staff", "staff-demo-pass")
    expect(page.get_by_test_id("header-credits")).to_contain_text("5,750 credits")
    expect(page.get_by_role("cell", name="November allowance")).to_be_visible()
    screenshot("staff-dashboard")
    entry = CreditEntry.objects.get(reason="November allowance")
    assert entry.amount == 750
    assert entry.actor.username == "admin"
