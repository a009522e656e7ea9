"""The build screen's wiring to the rest of the lead builder: an AI suggestion applied to the
form (changes highlighted, the conversation kept), executing a previewed build (once per
form; a refusal shows the form again), building again from a build, and the lists' pages."""

import re

import pytest
from django.urls import reverse

from leadbuilder.ai import ai_assist_ask
from leadbuilder.models import AiConversation, LeadBuild
from leadbuilder.services import EXECUTE_FAMILY
from leadops import providers
from leadops.jobs.models import JobStatus
from tests.leadbuilder.factories import lead_build
from tests.leadbuilder.form_support import CITY

pytestmark = pytest.mark.django_db(transaction=True)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)" name="{name}"', html
    )
    return found.group(1) if found else ""


def preview(client, data: dict) -> str:
    response = client.post(reverse("leadbuilder:new"), data)
    assert response.status_code == 200
    return response.content.decode()


def test_an_applied_suggestion_fills_the_form_marks_its_changes_and_keeps_the_conversation(
    client, funded_staff, team_a, strategies
):
    client.force_login(funded_staff)
    turn = ai_assist_ask(
        team=team_a, user=funded_staff, prompt="Vacant homes in Springfield", conversation=None
    )
    turn = ai_assist_ask(
        team=team_a,
        user=funded_staff,
        prompt="Springfield, Illinois",
        conversation=turn.conversation,
    )
    assert not turn.needs_clarification
    response = client.post(
        reverse("leadbuilder:new"), {**CITY, "name": "Mine", "apply_turn": turn.pk}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Applied the suggestion" in html
    assert 'value="Springfield"' in html and 'value="IL"' in html
    assert "is-invalid" not in html  # a form filled for the user opens clean
    assert html.count(">changed</span>") >= 2  # the cities and the strategy at least
    assert hidden(html, "conversation") == str(turn.conversation_id)
    assert 'value="Mine"' in html  # what the user typed stays
    # The panel now compares the suggestion with the form that holds it: nothing left to apply.
    assert 'data-testid="ai-no-changes"' in html and 'data-testid="ai-apply"' not in html


def test_a_question_cannot_be_applied_and_another_teams_turn_is_a_404(
    client, funded_staff, team_a, outsider, team_b, strategies
):
    client.force_login(funded_staff)
    question = ai_assist_ask(
        team=team_a, user=funded_staff, prompt="Vacant homes in Springfield", conversation=None
    )
    response = client.post(reverse("leadbuilder:new"), {**CITY, "apply_turn": question.pk})
    assert "suggests no filters to apply" in response.content.decode()
    theirs = AiConversation.objects.create(team=team_b, created_by=outsider)
    other = theirs.turns.create(prompt="vacant homes", answer={"strategy": "vacant"})
    response = client.post(reverse("leadbuilder:new"), {**CITY, "apply_turn": other.pk})
    assert response.status_code == 404


def test_executing_a_preview_holds_its_cost_once_and_opens_the_build(
    client, funded_staff, team_a, strategies
):
    client.force_login(funded_staff)
    conversation = AiConversation.objects.create(team=team_a, created_by=funded_staff)
    form = {**CITY, "requested_count": "40", "conversation": conversation.pk}
    html = preview(client, form)
    cost = int(hidden(html, "expected_credits"))
    assert cost == 200
    post = {
        **form,
        "expected_credits": cost,
        "submit_token": hidden(html, "submit_token"),
        "preview_count": hidden(html, "preview_count"),
    }
    response = client.post(reverse("leadbuilder:execute"), post)
    build = LeadBuild.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "leadbuilder:detail", args=[build.pk]
    )
    assert build.status == JobStatus.QUEUED and build.estimated_credits == cost
    assert build.conversation_id == conversation.pk
    assert build.preview_count == int(post["preview_count"]) > 0
    assert build.name  # the form's default name when none was typed
    again = client.post(reverse("leadbuilder:execute"), post)
    assert again.url == reverse("leadbuilder:detail", args=[build.pk])
    assert LeadBuild.objects.count() == 1
    funded_staff.wallet.refresh_from_db()
    assert funded_staff.wallet.held == cost


def test_a_refused_build_shows_the_form_again_with_the_reason(
    client, funded_staff, team_a, strategies
):
    client.force_login(funded_staff)
    html = preview(client, {**CITY, "requested_count": "10"})
    limiter = providers.limiter()
    for _ in range(limiter.limits[EXECUTE_FAMILY][0].count):
        limiter.acquire(EXECUTE_FAMILY)
    post = {
        **CITY,
        "requested_count": "10",
        "expected_credits": hidden(html, "expected_credits"),
        "submit_token": hidden(html, "submit_token"),
    }
    response = client.post(reverse("leadbuilder:execute"), post)
    page = response.content.decode()
    assert response.status_code == 409
    assert "10 builds an hour and 50 a day" in page
    assert 'value="Phoenix"' in page  # the form as the user left it
    assert not LeadBuild.objects.exists()
    # A fresh preview says so before the click, instead of offering the button.
    again = preview(client, {**CITY, "requested_count": "10"})
    assert 'data-testid="execute-limit"' in again and 'data-testid="execute-button"' not in again


def test_build_again_opens_the_form_with_the_builds_search(client, staff, team_a, strategies):
    client.force_login(staff)
    build = lead_build(team=team_a, user=staff, rows=0)
    LeadBuild.objects.filter(pk=build.pk).update(
        spec={
            "strategies": ["vacant"],
            "geography": {"mode": "zips", "zip_codes": ["78701", "78702"]},
            "overrides": {"year_built_max": 1990},
            "requested_count": 250,
        }
    )
    html = client.get(reverse("leadbuilder:new"), {"from_build": build.pk}).content.decode()
    assert "78701" in html and 'value="1990"' in html and 'value="250"' in html
    assert re.search(r'value="vacant"[^>]*checked', html)


def test_the_lists_page_and_a_builds_page(client, staff, team_a, django_assert_max_num_queries):
    client.force_login(staff)
    build = lead_build(team=team_a, user=staff, rows=3, name="Austin absentee")
    LeadBuild.objects.filter(pk=build.pk).update(
        strategy_label="Vacant Homes, Tired Landlord",
        filters_sent=[
            ["vacant", {"vacant": True}],
            ["tired_landlord", {"absentee_owner": True, "years_owned_min": 7}],
        ],
    )
    for n in range(5):
        lead_build(team=team_a, user=staff, rows=0, name=f"other {n}", seed=f"s{n}")
    with django_assert_max_num_queries(12):
        index = client.get(reverse("leadbuilder:index")).content.decode()
    assert "Austin absentee" in index and "other 4" in index
    page = client.get(reverse("leadbuilder:detail", args=[build.pk])).content.decode()
    assert "Filter set 2 (combined with OR) · Tired Landlord" in page
    assert "Years owned (min)" in page and "Open the 3 rows" in page
