"""The AI-assist panel alone, in Chromium under the CSP (the build screen that hosts it is
another branch's): example prompts fill the box (static JS), a clarifying question is answered
in the same conversation, the proposal is shown as a diff, "New conversation" starts over."""

import pytest
from playwright.sync_api import expect

from leadbuilder.models import AiConversation
from tests.support.browser import log_in, make_member


@pytest.fixture
def ai_member(transactional_db, sandbox, settings, rq_redis):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    return make_member("ai-staff", "AI Team", credits_granted=20, reason="Trial", key="e2e-ai")


def mount_panel(page):
    """Put a stand-in #build-form and an empty #ai-panel beside it on a real page, and let
    htmx load the panel."""
    page.evaluate(
        """() => {
          const main = document.querySelector("main");
          main.innerHTML = '<div class="row"><div class="col-lg-8">'
            + '<form id="build-form" method="post"><p class="text-secondary">(the build form)</p>'
            + '<input type="hidden" name="requested_count" value="500"></form></div>'
            + '<div class="col-lg-4"><div id="ai-panel"></div></div></div>';
          htmx.ajax("GET", "/leads/ai/panel/", {target: "#ai-panel", swap: "outerHTML"});
        }"""
    )


def test_the_panel_asks_answers_and_proposes(page, live_server, ai_member, sandbox, screenshot):
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    base = live_server.url
    log_in(page, base, ai_member.username)
    page.goto(f"{base}/leads/")
    mount_panel(page)
    panel = page.get_by_test_id("ai-panel")
    expect(panel.get_by_test_id("ai-empty")).to_be_visible()
    expect(panel.get_by_test_id("ai-credits")).to_have_text("1 credit per answer · you have 20")
    screenshot("empty")

    # An example fills the box (ai-assist.js, bound from data attributes).
    panel.get_by_role("button", name="Vacant homes in Springfield, Illinois").click()
    expect(panel.locator("#ai-prompt")).to_have_value("Vacant homes in Springfield, Illinois")

    # Too short: refused in the panel, nothing sent.
    panel.locator("#ai-prompt").fill("hi")
    panel.get_by_test_id("ai-ask").click()
    expect(panel.get_by_test_id("ai-error")).to_have_text(
        "Describe the list in at least 5 characters."
    )
    assert sandbox.control.paid_requests() == []

    panel.locator("#ai-prompt").fill("Vacant homes in Springfield")
    panel.get_by_test_id("ai-ask").click()
    expect(panel.get_by_test_id("ai-question")).to_contain_text(
        "Which Springfield do you mean — Illinois, Missouri or Massachusetts?"
    )
    expect(panel.get_by_text("Your answer")).to_be_visible()
    screenshot("question")

    panel.locator("#ai-prompt").fill("Illinois, please")
    panel.locator("#ai-prompt").press("Control+Enter")
    expect(panel.get_by_test_id("ai-turn")).to_have_count(2)
    expect(panel.get_by_test_id("ai-summary")).to_have_text(
        "Vacant Homes leads in Springfield, IL."
    )
    diff = panel.get_by_test_id("ai-diff")
    expect(diff.locator('tr[data-key="cities"]')).to_contain_text("Springfield")
    expect(panel.get_by_test_id("ai-apply")).to_be_visible()
    expect(panel.get_by_test_id("ai-credits")).to_have_text("1 credit per answer · you have 18")
    expect(page.get_by_test_id("header-credits")).to_contain_text("18 credits")
    assert AiConversation.objects.count() == 1
    screenshot("proposal")

    panel.get_by_test_id("ai-new-conversation").click()
    expect(page.get_by_test_id("ai-empty")).to_be_visible()
    expect(page.get_by_test_id("ai-turn")).to_have_count(0)
    assert problems == []
