"""Journey: an administrator opens Settings → "Check connections" asks Tracerfy,
RealEstateAPI and the CRM (the real sandbox) and shows each answer and how long it took; the
last webhook event per provider and the rate limiter's usage are on the page; the mapping
presets page renames a preset."""

from playwright.sync_api import expect

from leadops import providers
from leadops.accounts.models import Membership, Role
from leadops.imports.models import MappingPreset
from leadops.webhooks.models import EventStatus, WebhookEvent
from tests.support.browser import log_in, make_member
from tests.support.crm import point_crm_at


def test_settings_operations_journey(
    page, live_server, sandbox, rq_redis, transactional_db, settings, screenshot
):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    settings.REAPI_BASE_URL = sandbox.urls["reapi"].rsplit("/", 1)[0] + "/"
    point_crm_at(sandbox, settings)
    admin = make_member("ops-admin", "Ops Team")
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    membership = Membership.objects.get(user=admin)
    membership.role = Role.ADMIN
    membership.save(update_fields=["role"])
    MappingPreset.objects.create(
        team=membership.team, name="County export", created_by=admin,
        headers=["Owner", "Addr"], mapping={"Owner": "owner_name", "Addr": "property_address"},
    )  # fmt: skip
    WebhookEvent.objects.create(
        provider="tracerfy", kind="queue_complete", dedupe_key="e2e-1", body="{}",
        status=EventStatus.PROCESSED,
    )  # fmt: skip
    for _ in range(4):
        providers.limiter().acquire("tracerfy.trace")

    log_in(page, live_server.url, "ops-admin")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_text("Not checked yet")).to_be_visible()
    expect(page.get_by_test_id("rate-tracerfy.trace")).to_contain_text("4 / 10")
    last = page.get_by_test_id("last-event")
    expect(last.first).to_contain_text("queue_complete, processed")
    expect(last.nth(1)).to_contain_text("Last event received: never")

    page.get_by_test_id("check-connections").click()
    for provider in ("tracerfy", "reapi", "crm"):
        row = page.get_by_test_id(f"check-{provider}")
        expect(row).to_have_attribute("data-state", "ok")
        expect(row).to_contain_text(" ms")
    expect(page.get_by_test_id("check-reapi")).to_contain_text("the key was accepted")
    screenshot("checked")
    assert sandbox.control.paid()["count"] == 0

    # A wrong RealEstateAPI key: the provider's refusal, in words.
    settings.REAPI_API_KEY = "wrong"
    page.get_by_test_id("check-connections").click()
    expect(page.get_by_test_id("check-reapi")).to_have_attribute("data-state", "failed")
    expect(page.get_by_test_id("check-reapi")).to_contain_text("refused the credentials")
    expect(page.get_by_test_id("check-tracerfy")).to_have_attribute("data-state", "ok")
    screenshot("wrong-key")

    page.get_by_test_id("presets-link").click()
    expect(page.get_by_role("heading", name="Mapping presets")).to_be_visible()
    page.get_by_test_id("rename-preset").click()
    page.get_by_label("New name").fill("Travis County export")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_text("Renamed the preset to “Travis County export”.")).to_be_visible()
    screenshot("presets")
