"""Journey: describe a list to AI assist → answer its clarifying question → apply the
suggestion to the form → preview (free) → build → follow its stages → rows with the score
chart → export. Real sandbox, webhooks, RQ worker, Chromium; screenshots of every step."""

import pytest
from playwright.sync_api import expect

from leadbuilder.models import AiConversation, LeadBuild, LeadRow
from leadbuilder.strategies import strategies_forget
from tests.support.browser import log_in, make_member
from tests.support.jobs import assert_credits_balance


@pytest.fixture
def lead_app(page, live_server, sandbox, worker, settings):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    sandbox.control.webhook_url(f"{live_server.url}/webhooks/tracerfy/{settings.WEBHOOK_TOKEN}/")
    strategies_forget()
    member = make_member("lead-staff", "Lead Team", credits_granted=5000, key="e2e-leads")
    log_in(page, live_server.url, member.username)
    page.set_viewport_size({"width": 1440, "height": 1000})
    return member


def test_ai_assist_to_exported_rows(page, live_server, lead_app, screenshot):
    page.goto(f"{live_server.url}/leads/")
    expect(page.get_by_test_id("builds-table")).to_contain_text("No lead lists yet")
    screenshot("index-empty")
    page.get_by_test_id("new-build").click()
    expect(page.get_by_role("heading", name="New lead list")).to_be_visible()

    # AI assist asks which Springfield; the answer continues the same conversation.
    panel = page.get_by_test_id("ai-panel")
    panel.get_by_label("Describe the list").fill("Vacant homes in Springfield")
    panel.get_by_role("button", name="Ask").click()
    expect(panel).to_contain_text("Which Springfield do you mean")
    screenshot("ai-question")
    panel.get_by_label("Your answer").fill("Springfield, Illinois")
    panel.get_by_role("button", name="Ask").click()
    apply = panel.get_by_test_id("ai-apply")
    expect(apply).to_be_visible()
    expect(panel).to_contain_text("Springfield")
    conversation = AiConversation.objects.get()
    assert conversation.turns.count() == 2 and conversation.conversation_id
    screenshot("ai-suggestion")

    # Applied: the form holds the suggestion, its changed fields marked.
    apply.click()
    expect(page.get_by_text("Applied the suggestion")).to_be_visible()
    expect(page.get_by_role("textbox", name="Cities")).to_have_value("Springfield")
    expect(page.get_by_role("textbox", name="States")).to_have_value("IL")
    expect(page.get_by_test_id("strategy-vacant")).to_be_checked()
    expect(page.locator(".badge", has_text="changed").first).to_be_visible()
    screenshot("applied")

    # Preview (free), then build 120 rows.
    page.get_by_label("Rows", exact=True).fill("120")
    page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("preview-count")).to_be_visible()
    cost = int(page.get_by_test_id("preview-cost").inner_text().replace(",", ""))
    assert 0 < cost <= 600
    screenshot("preview")
    page.get_by_test_id("execute-button").click()

    expect(page.get_by_text("is queued")).to_be_visible()
    expect(page.get_by_test_id("build-stages")).to_be_visible()
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=60_000)
    build = LeadBuild.objects.get()
    assert build.conversation_id == conversation.pk
    assert build.spec["geography"] == {"mode": "city", "cities": ["Springfield"], "states": ["IL"]}
    expect(page.get_by_test_id("open-rows")).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("build-conversation")).to_contain_text("Springfield, Illinois")
    screenshot("build-complete")

    page.get_by_test_id("open-rows").click()
    rows = LeadRow.objects.filter(build=build).count()
    assert rows == build.rows_done > 0
    expect(page.locator("[data-testid=row-link]").first).to_be_visible()
    screenshot("rows")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    lines = download_info.value.path().read_text(encoding="utf-8-sig").strip().splitlines()
    assert lines[0].startswith("address,")
    assert len(lines) == rows + 1

    build.refresh_from_db()
    assert build.charged_credits == rows * 5
    assert_credits_balance(lead_app.wallet)
