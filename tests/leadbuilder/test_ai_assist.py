"""AI assist against the sandbox: a proposal costs 1 credit through a hold (hold = capture +
release); a clarifying question is answered in the same Tracerfy conversation; a short prompt
is refused before anything is sent or held; a provider error is kept on the turn and charges
nothing; a proposal is a diff against the build form, unknown filter keys left out; the panel's
views are scoped to the team."""

from html import unescape

import pytest
import respx

from leadbuilder.ai import (
    AiRefused,
    ai_apply_to_form,
    ai_assist_ask,
    ai_dropped_keys,
    ai_proposal,
    ai_turn_for_team,
    diff_rows,
)
from leadbuilder.models import AiConversation, AiTurn
from leadbuilder.spec import BuildSpec, Change, spec_diff
from leadops.credits import services as credits
from leadops.credits.errors import InsufficientCredits
from leadops.credits.models import CreditHold
from leadops.sandbox.state import row_fingerprint
from tests.support.jobs import assert_credits_balance

pytestmark = pytest.mark.django_db(transaction=True)

ASK = "/leads/ai/ask/"
PANEL = "/leads/ai/panel/"
PLUMBING = "plumbing leads in South Side Chicago"
SOUTH_SIDE_ZIPS = ["60609", "60615", "60617", "60619", "60620", "60621"]


@pytest.fixture
def tracerfy(sandbox, settings, rq_redis):
    """The sandbox as Tracerfy (Redis emptied: no cached strategies, a fresh limiter)."""
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    return sandbox


@pytest.fixture
def funded_client(client, funded, tracerfy):
    client.force_login(funded)
    return client


def sent(control) -> list[dict]:
    """What each AI-assist call sent ({conversation_id, prompt} fingerprints), in order."""
    return [r["row_fingerprints"] for r in control.paid("ai_assist", rows=True)["requests"]]


def fingerprint(conversation_id: str, prompt: str) -> list[str]:
    return [row_fingerprint({"conversation_id": conversation_id, "prompt": prompt})]


def answered(**answer) -> AiTurn:
    """An unsaved proposal turn with this answer."""
    return AiTurn(answer={"needs_clarification": False, **answer})


# --- asking -----------------------------------------------------------------------------


def test_a_proposal_costs_one_credit_through_a_settled_hold(funded, team_a, tracerfy):
    turn = ai_assist_ask(team=team_a, user=funded, prompt=f"  {PLUMBING} ", conversation=None)
    assert (turn.prompt, turn.error, turn.needs_clarification, turn.credits_charged) == (
        PLUMBING,
        "",
        False,
        1,
    )
    # The whole answer is kept, and the conversation has Tracerfy's id.
    assert turn.answer["geography"] == {"mode": "zips", "zip_codes": SOUTH_SIDE_ZIPS}
    assert turn.answer["filter_overrides"] == {
        "property_type": "SFR",
        "year_built_max": 2000,
        "absentee_owner": False,
    }
    assert turn.answer["rationale"]["warnings"] == ["Applied Year Built \u2264 2000."]
    assert turn.answer["confidence"] == 0.88 and turn.answer["credits_deducted"] == 1
    conversation = AiConversation.objects.get()
    assert conversation.team == team_a and conversation.created_by == funded
    assert len(conversation.conversation_id) == 36
    assert sent(tracerfy.control) == [fingerprint(conversation.conversation_id, PLUMBING)]
    # One credit: held, captured; the ledger balances.
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (99, 0)
    hold = CreditHold.objects.get()
    assert hold.reference.startswith("ai-assist:")
    assert (hold.amount, hold.captured, hold.released) == (1, 1, 0)
    assert_credits_balance(funded.wallet)


def test_springfield_is_asked_about_then_answered_in_the_same_conversation(
    funded, team_a, tracerfy
):
    first = ai_assist_ask(
        team=team_a, user=funded, prompt="Vacant homes in Springfield", conversation=None
    )
    assert first.needs_clarification and first.credits_charged == 1
    assert first.answer["clarifying_question"] == (
        "Which Springfield do you mean — Illinois, Missouri or Massachusetts?"
    )
    conversation = first.conversation
    conversation_id = conversation.conversation_id
    with pytest.raises(ValueError):
        ai_proposal(BuildSpec(), first)

    reply = ai_assist_ask(
        team=team_a, user=funded, prompt="Springfield, Illinois", conversation=conversation
    )
    assert reply.conversation_id == conversation.pk and not reply.needs_clarification
    conversation.refresh_from_db()
    assert conversation.conversation_id == conversation_id
    # Both calls carried the one Tracerfy conversation (the second one sent its id).
    assert sent(tracerfy.control) == [
        fingerprint(conversation_id, "Vacant homes in Springfield"),
        fingerprint(conversation_id, "Springfield, Illinois"),
    ]
    proposal = ai_proposal(BuildSpec(requested_count=800), reply)
    assert proposal == BuildSpec(
        strategies=("vacant",),
        geography={"mode": "city", "cities": ["Springfield"], "states": ["IL"]},
        overrides={},
        requested_count=800,
    )
    assert reply.answer["rationale"]["assumptions"] == ["Springfield taken as Springfield, IL."]
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 98
    assert_credits_balance(funded.wallet)


@pytest.mark.parametrize("prompt", ["", "hey", "   hi    ", "\n\tab c\n"])
def test_a_prompt_under_five_characters_is_refused_before_anything(
    prompt, funded, team_a, tracerfy
):
    with pytest.raises(AiRefused, match=r"^Describe the list in at least 5 characters\.$"):
        ai_assist_ask(team=team_a, user=funded, prompt=prompt, conversation=None)
    assert tracerfy.control.paid_requests() == []
    assert not CreditHold.objects.exists() and not AiConversation.objects.exists()
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 100


def test_a_prompt_over_two_thousand_characters_is_refused(funded, team_a, tracerfy):
    with pytest.raises(AiRefused, match=r"under 2,000 characters \(this one has 2,001\)"):
        ai_assist_ask(team=team_a, user=funded, prompt="x" * 2001, conversation=None)
    assert tracerfy.control.paid_requests() == [] and not CreditHold.objects.exists()


def test_ai_assist_unavailable_is_kept_on_the_turn_and_not_charged(funded, team_a, tracerfy):
    tracerfy.control.faults(error_rate=1.0)
    turn = ai_assist_ask(team=team_a, user=funded, prompt=PLUMBING, conversation=None)
    assert turn.pk and turn.credits_charged == 0 and turn.answer == {}
    assert turn.error == (
        "AI assist temporarily unavailable. Please try again or build filters manually via "
        "/preview/. Nothing was charged; ask again in a moment, or fill in the form yourself."
    )
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (100, 0)
    assert CreditHold.objects.get().released == 1
    assert_credits_balance(funded.wallet)
    # The conversation goes on: the next ask starts Tracerfy's thread.
    tracerfy.control.faults(error_rate=0.0)
    again = ai_assist_ask(team=team_a, user=funded, prompt=PLUMBING, conversation=turn.conversation)
    assert again.credits_charged == 1 and again.conversation_id == turn.conversation_id
    assert again.conversation.conversation_id


def test_tracerfy_out_of_credits_is_kept_on_the_turn_and_not_charged(funded, team_a, tracerfy):
    tracerfy.control.account(balance=0)
    turn = ai_assist_ask(team=team_a, user=funded, prompt=PLUMBING, conversation=None)
    assert turn.error == (
        "Insufficient credits. You need at least 1 credit to use AI assist. Your balance is 0 "
        "credits. Nothing was charged."
    )
    assert turn.credits_charged == 0
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 100
    assert_credits_balance(funded.wallet)


def test_an_empty_wallet_is_refused_before_any_call(staff, team_a, tracerfy):
    with pytest.raises(InsufficientCredits):
        ai_assist_ask(team=team_a, user=staff, prompt=PLUMBING, conversation=None)
    assert tracerfy.control.paid_requests() == []
    assert not AiConversation.objects.exists() and not CreditHold.objects.exists()


def test_another_teams_conversation_is_refused_by_the_service(funded, team_a, team_b, outsider):
    theirs = AiConversation.objects.create(team=team_b, created_by=outsider, conversation_id="x")
    with pytest.raises(AiRefused, match="belongs to another team"):
        ai_assist_ask(team=team_a, user=funded, prompt=PLUMBING, conversation=theirs)
    assert not CreditHold.objects.exists() and not theirs.turns.exists()


def test_a_conversation_tracerfy_forgot_is_a_clear_error(funded, team_a, tracerfy):
    conversation = AiConversation.objects.create(
        team=team_a, created_by=funded, conversation_id="00000000-0000-0000-0000-000000000000"
    )
    turn = ai_assist_ask(team=team_a, user=funded, prompt=PLUMBING, conversation=conversation)
    assert turn.error == (
        "Tracerfy no longer knows this conversation. Start a new conversation. Nothing was charged."
    )
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 100


@respx.mock
def test_a_prompt_tracerfy_refuses_is_a_clear_error(funded, team_a, settings):
    # The sandbox refuses only what we refuse first; Tracerfy may count characters otherwise.
    settings.TRACERFY_BASE_URL = "https://tracerfy.test/v1/api/"
    respx.post("https://tracerfy.test/v1/api/lead-builder/ai-assist/").respond(
        400, json={"prompt": ["Ensure this field has at least 5 characters."]}
    )
    turn = ai_assist_ask(team=team_a, user=funded, prompt="Tampa", conversation=None)
    assert turn.error == (
        "Tracerfy refused the description: Ensure this field has at least 5 characters. "
        "Nothing was charged."
    )
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (100, 0)


# --- proposals --------------------------------------------------------------------------


CURRENT = BuildSpec(
    strategies=("high_equity_absentee",),
    geography={"mode": "city", "cities": ["Tampa"], "states": ["FL"]},
    overrides={"year_built_max": 1990, "pool": True},
    requested_count=750,
    post_filters={"sell_min": 70},
)


def test_a_proposal_replaces_strategy_geography_and_filters_and_keeps_count_and_post_filters():
    turn = answered(
        strategy="vacant,pre_foreclosure_motivated",
        geography={"mode": "zips", "zip_codes": ["33602", "33603"]},
        filter_overrides={"year_built_max": 2000, "absentee_owner": True},
    )
    proposal = ai_proposal(CURRENT, turn)
    assert proposal == BuildSpec(
        strategies=("vacant", "pre_foreclosure_motivated"),
        geography={"mode": "zips", "zip_codes": ["33602", "33603"]},
        overrides={"year_built_max": 2000, "absentee_owner": True},
        requested_count=750,
        post_filters={"sell_min": 70},
    )
    rows = diff_rows(
        spec_diff(CURRENT, proposal),
        {"vacant": "Vacant", "pre_foreclosure_motivated": "Pre-foreclosure"},
    )
    assert [(r.section, r.label, r.before, r.after, r.kind) for r in rows] == [
        ("Strategy", "Strategy", "high_equity_absentee", "Vacant or Pre-foreclosure", "changed"),
        ("Geography", "Area type", "City", "ZIP codes", "changed"),
        ("Geography", "Cities", "Tampa", "—", "removed"),
        ("Geography", "States", "FL", "—", "removed"),
        ("Geography", "ZIP codes", "—", "33602, 33603", "added"),
        ("Filters", "Absentee owner", "—", "Yes", "added"),
        ("Filters", "Pool", "Yes", "—", "removed"),
        ("Filters", "Year built (max)", "1,990", "2,000", "changed"),
    ]


def test_unknown_filter_keys_are_dropped_with_a_warning():
    turn = answered(
        strategy="custom",
        geography={"mode": "states", "states": ["TX"]},
        filter_overrides={"year_built_min": 1950, "pool_heated": True, "Vacant": True},
    )
    assert ai_dropped_keys(turn) == ("Vacant", "pool_heated")
    proposal = ai_proposal(BuildSpec(), turn)
    assert proposal.overrides == {"year_built_min": 1950}
    applied = ai_apply_to_form(BuildSpec(), turn)
    assert applied.spec == proposal
    assert applied.warnings == (
        "Left out filter key(s) Tracerfy does not accept: Vacant, pool_heated.",
    )


def test_applying_names_the_form_fields_that_change(funded, team_a):
    conversation = AiConversation.objects.create(team=team_a, created_by=funded)
    turn = AiTurn.objects.create(
        conversation=conversation,
        prompt="vacant homes in Tampa",
        answer={
            "strategy": "vacant",
            "geography": {"mode": "city", "cities": ["Tampa"], "states": ["FL"]},
            "filter_overrides": {"year_built_max": 1990, "vacant": True},
        },
        credits_charged=1,
    )
    applied = ai_apply_to_form(CURRENT, turn)
    assert applied.conversation == conversation
    assert applied.changes == [
        Change("strategy", "strategy", "high_equity_absentee", "vacant"),
        Change("filter", "pool", True, None),
        Change("filter", "vacant", None, True),
    ]
    assert applied.changed_fields == {"strategies", "f_pool", "f_vacant"}
    assert applied.spec.requested_count == 750 and applied.spec.post_filters == {"sell_min": 70}
    # The build view looks the turn up for the request's team only.
    assert ai_turn_for_team(team=team_a, pk=str(turn.pk)) == turn
    assert ai_turn_for_team(team=None, pk=turn.pk) is None
    assert ai_turn_for_team(team=team_a, pk="x") is None


def test_a_question_or_an_error_proposes_nothing():
    for turn in (
        AiTurn(answer={"needs_clarification": True}, needs_clarification=True),
        AiTurn(error="AI assist temporarily unavailable."),
    ):
        with pytest.raises(ValueError):
            ai_proposal(BuildSpec(), turn)
        with pytest.raises(ValueError):
            ai_apply_to_form(BuildSpec(), turn)


# --- the panel --------------------------------------------------------------------------


def test_the_empty_panel_offers_example_prompts(funded_client):
    response = funded_client.get(PANEL)
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert html.lstrip().startswith('<div id="ai-panel"')
    assert 'data-testid="ai-empty"' in html
    assert html.count("data-ai-example=") == 3
    assert 'hx-post="/leads/ai/ask/" hx-include="#build-form" hx-target="#ai-panel"' in html
    assert 'hx-swap="outerHTML"' in html
    assert "Ask (1 credit)" in html and "you have 100" in html
    assert 'name="ai_conversation"' not in html and "New conversation" not in html
    assert "/static/js/ai-assist.js" in html


def test_asking_through_the_panel_shows_the_proposal_as_a_diff(funded_client, funded):
    response = funded_client.post(ASK, {"prompt": PLUMBING})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    turn = AiTurn.objects.get()
    conversation = turn.conversation
    assert f'<input type="hidden" name="ai_conversation" value="{conversation.pk}">' in html
    assert PLUMBING in html
    assert "Custom leads matching: plumbing leads in South Side Chicago" in html
    assert "Applied Year Built \u2264 2000." in html and "88% confident" in html
    diff = html.split('data-testid="ai-diff"', 1)[1].split("</table>", 1)[0]
    assert 'data-kind="added" data-key="zip_codes"' in diff
    assert ", ".join(SOUTH_SIDE_ZIPS) in diff
    assert 'data-key="year_built_max"' in diff and "2,000" in diff
    assert f'form="build-form" name="apply_turn" value="{turn.pk}"' in html
    assert 'formmethod="post"' in html
    assert "1 credit charged" in html and "you have 99" in html
    assert "New conversation" in html


def test_the_clarifying_question_is_answered_from_the_panel(funded_client, funded, tracerfy):
    html = unescape(
        funded_client.post(ASK, {"prompt": "Vacant homes in Springfield"}).content.decode()
    )
    conversation = AiConversation.objects.get()
    question = html.split('data-testid="ai-question"', 1)[1]
    assert "Which Springfield do you mean — Illinois, Missouri or Massachusetts?" in question
    assert "Your answer" in html and 'data-testid="ai-apply"' not in html
    html = unescape(
        funded_client.post(
            ASK, {"prompt": "Springfield, Illinois", "ai_conversation": conversation.pk}
        ).content.decode()
    )
    assert AiConversation.objects.count() == 1
    assert html.count('data-testid="ai-turn"') == 2
    assert "Vacant Homes leads in Springfield, IL." in html
    assert "Assumed: Springfield taken as Springfield, IL." in html
    assert 'data-testid="ai-apply"' in html
    fingerprints = sent(tracerfy.control)
    assert fingerprints[1] == fingerprint(conversation.conversation_id, "Springfield, Illinois")


def test_a_short_prompt_is_shown_as_an_error_in_the_panel(funded_client, funded, tracerfy):
    response = funded_client.post(ASK, {"prompt": "hi"})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert '<div class="alert alert-danger py-2 small" role="alert" data-testid="ai-error">' in html
    assert "Describe the list in at least 5 characters." in html
    assert ">hi</textarea>" in html  # kept, not padded
    assert tracerfy.control.paid_requests() == [] and not AiConversation.objects.exists()


def test_errors_appear_in_the_panel_never_a_500(funded_client, client, staff, tracerfy):
    tracerfy.control.faults(error_rate=1.0)
    html = unescape(funded_client.post(ASK, {"prompt": PLUMBING}).content.decode())
    error = html.split('data-testid="ai-turn-error"', 1)[1]
    assert error.split("</div>")[0].endswith(
        "AI assist temporarily unavailable. Please try again or build filters manually via "
        "/preview/. Nothing was charged; ask again in a moment, or fill in the form yourself."
    )
    assert f">{PLUMBING}</textarea>" in html and "Not charged" in html
    # A wallet that cannot hold the credit.
    tracerfy.control.faults(error_rate=0.0)
    funded_client.force_login(staff)
    credits.adjust(wallet=staff.wallet, amount=-100, actor=None, reason="t", idempotency_key="0")
    html = unescape(funded_client.post(ASK, {"prompt": PLUMBING}).content.decode())
    assert (
        "Not enough credits: this needs 1 and 0 are available. Nothing was charged; ask an "
        "admin of your team to grant credits."
    ) in html


def test_another_teams_conversation_is_a_404(
    funded_client, funded, team_a, outsider, client, tracerfy
):
    conversation = AiConversation.objects.create(
        team=team_a, created_by=funded, conversation_id="abc"
    )
    AiTurn.objects.create(conversation=conversation, prompt="secret vacant homes in Tampa")
    html = funded_client.get(PANEL, {"ai_conversation": conversation.pk}).content.decode()
    assert "secret vacant homes in Tampa" in html
    client.force_login(outsider)
    assert client.get(PANEL, {"ai_conversation": conversation.pk}).status_code == 404
    response = client.post(ASK, {"prompt": PLUMBING, "ai_conversation": conversation.pk})
    assert response.status_code == 404
    assert client.get(PANEL, {"ai_conversation": "x"}).status_code == 404
    assert tracerfy.control.paid_requests() == []
    assert conversation.turns.count() == 1


def test_the_accepted_keys_are_the_filter_reference():
    from leadbuilder.ai import ACCEPTED_FILTER_KEYS
    from leadops.sandbox.strategies import ACCEPTED_KEYS

    assert ACCEPTED_FILTER_KEYS == ACCEPTED_KEYS
