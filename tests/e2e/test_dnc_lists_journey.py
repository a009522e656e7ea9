"""Journey: a manager keeps the internal do-not-call list (a pasted list, a spreadsheet,
search, remove and undo) and checks phones with the DNC lookup (a clean one, an internal one,
an invalid one); a staff member sees the list read-only. Screenshots of each page."""

from playwright.sync_api import expect

from dnc.models import DncLookup, InternalDnc
from leadops.accounts.models import Membership, Role
from leadops.sandbox.data import phone_flags
from tests.factories import MembershipFactory, UserFactory
from tests.support.browser import log_in, make_member

CSV = (
    "Owner,Mobile,Home phone,Zip\n"
    "Pat Doe,(512) 555-0110,512-555-0111,78701\n"
    "Sam Roe,5125550112,n/a,78702\n"
    "Lee Poe,12345,(512) 555-0110,78703\n"
)


def clean_phone() -> str:
    for n in range(100):
        digits = f"51255501{n:02d}"
        if phone_flags(digits)["is_clean"]:
            return digits
    raise AssertionError("no clean phone")


def test_internal_list_and_lookup_pages(page, live_server, sandbox, settings, screenshot):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    manager = make_member("dnc-manager", "DNC Team", credits_granted=100, key="e2e-dnc")
    Membership.objects.filter(user=manager).update(role=Role.MANAGER)
    base = live_server.url
    log_in(page, base, manager.username)

    page.goto(f"{base}/dnc/internal/")
    expect(page.get_by_role("heading", name="Internal do-not-call list")).to_be_visible()
    expect(
        page.get_by_text("No phone is on your team's internal do-not-call list yet.")
    ).to_be_visible()
    screenshot("internal-empty")

    # Nothing valid: refused, the form keeps what was typed.
    page.get_by_label("Phone numbers").fill("12\nabc")
    page.get_by_label("Reason").fill("Asked us to stop")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.get_by_test_id("internal-add-error")).to_contain_text(
        "No valid US phone number was found in what you typed"
    )
    screenshot("internal-refused")

    page.get_by_label("Phone numbers").fill(
        "(512) 555-0101\n512.555.0102, 555-0199; +1 512 555 0103\n(512) 555-0101"
    )
    page.get_by_label("Reason").fill("Asked us to stop calling")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.get_by_role("alert")).to_contain_text("3 added, 0 already on the list, 1 invalid")
    page.get_by_label("…or a spreadsheet").set_input_files(
        files=[{"name": "complaints.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.get_by_label("Reason").fill("Complaints register, November")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.get_by_role("alert")).to_contain_text("3 added, 0 already on the list, 0 invalid")
    expect(page.get_by_text("6 phones")).to_be_visible()
    screenshot("internal-list")

    page.get_by_placeholder("Phone, reason or person").fill("512-555-0102")
    page.get_by_test_id("internal-search").get_by_role("button").click()
    expect(page.get_by_text("1 phone matching")).to_be_visible()
    screenshot("internal-search")

    page.get_by_test_id("remove-+15125550102").click()
    expect(page.get_by_test_id("internal-undo")).to_contain_text(
        "(512) 555-0102 is off the internal do-not-call list."
    )
    screenshot("internal-removed")
    page.get_by_test_id("internal-undo").get_by_role("button", name="Undo").click()
    expect(page.get_by_role("alert")).to_contain_text("(512) 555-0102 is back on the list.")
    assert InternalDnc.objects.get(phone="+15125550102").reason == "Asked us to stop calling"

    # The lookup page: empty, a clean phone, an internal phone, an invalid one.
    page.get_by_role("link", name="DNC lookup").click()
    expect(page.get_by_role("heading", name="DNC lookup")).to_be_visible()
    expect(page.get_by_text("No DNC lookups yet.")).to_be_visible()
    screenshot("lookup-empty")
    clean = clean_phone()
    page.get_by_label("Phone number").fill(clean)
    page.get_by_role("button", name="Check (5 credits)").click()
    expect(page.get_by_test_id("lookup-result")).to_contain_text("5 credits charged")
    expect(page.get_by_test_id("flag-clean")).to_have_text("Clean")
    screenshot("lookup-clean")
    page.get_by_label("Phone number").fill("(512) 555-0101")
    page.get_by_role("button", name="Check (5 credits)").click()
    expect(page.get_by_test_id("lookup-internal")).to_contain_text(
        "Internal DNC — never call, whatever the provider says."
    )
    screenshot("lookup-internal")
    page.get_by_label("Phone number").fill("555-0101")
    page.get_by_role("button", name="Check (5 credits)").click()
    expect(page.get_by_test_id("phone-error")).to_contain_text("is not a valid US phone number")
    screenshot("lookup-invalid")
    assert DncLookup.objects.count() == 2
    expect(page.get_by_test_id("header-credits")).to_contain_text("90 credits")

    # A staff member of the team sees the list but cannot change it.
    staff = UserFactory(username="dnc-staff")
    MembershipFactory(user=staff, team=Membership.objects.get(user=manager).team, role=Role.STAFF)
    page.get_by_role("button", name="Log out").click()
    log_in(page, base, staff.username)
    page.goto(f"{base}/dnc/internal/")
    expect(page.get_by_test_id("internal-refusal")).to_contain_text(
        "Only your team's admins and managers (dnc-manager) can add or remove phones"
    )
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
    screenshot("internal-read-only")
