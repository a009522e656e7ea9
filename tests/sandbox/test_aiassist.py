"""TraceAI stand-in: every clarifying question the sandbox asks about a place can be answered
in the same conversation, over HTTP, 1 credit per call (issue 15)."""

from __future__ import annotations

import pytest

from leadops.sandbox.aiassist import AMBIGUOUS
from tests.support.payloads import assert_shape, fixture

START = 100_000
PENDING = {"mode": "city", "cities": ["(pending)"]}
SPRINGFIELD_Q = "Which Springfield do you mean — Illinois, Missouri or Massachusetts?"
LA_Q = "Do you mean Los Angeles, California, or the state of Louisiana?"
PORTLAND_Q = "Which Portland do you mean — Oregon or Maine?"
COLUMBUS_Q = "Which Columbus do you mean — Ohio or Georgia?"


def city(name: str, state: str) -> dict:
    return {"mode": "city", "cities": [name], "states": [state]}


def state_answers(place: str, state: str, code: str) -> tuple[str, ...]:
    """The ways a user names a state: full name on its own (prompts have at least 5
    characters, so "Ohio."), the postal code, "<Place>, XX", "<Place> XX", the whole sentence
    again, "the <State> one", and the code in lower case after the place."""
    return (
        state if len(state) >= 5 else f"{state}.",
        f"{code} please",
        f"{place}, {code}",
        f"{place} {code}",
        f"Vacant homes in {place}, {state}",
        f"the {state} one",
        f"{place.lower()}, {code.lower()}",
    )


# (place as the user writes it, the question, option as the question names it, where it
# resolves, what it is taken as, answers that pick it)
OPTIONS = [
    ("Springfield", SPRINGFIELD_Q, "Illinois", city("Springfield", "IL"), "Springfield, IL",
     state_answers("Springfield", "Illinois", "IL")),
    ("Springfield", SPRINGFIELD_Q, "Missouri", city("Springfield", "MO"), "Springfield, MO",
     state_answers("Springfield", "Missouri", "MO")),
    ("Springfield", SPRINGFIELD_Q, "Massachusetts", city("Springfield", "MA"), "Springfield, MA",
     state_answers("Springfield", "Massachusetts", "MA")),
    ("LA", LA_Q, "Los Angeles, California", city("Los Angeles", "CA"), "Los Angeles, CA",
     ("Los Angeles", "California", "CA please", "Los Angeles, California",
      "the California one", "la, ca")),
    ("LA", LA_Q, "the state of Louisiana", {"mode": "states", "states": ["LA"]},
     "the state of Louisiana",
     ("Louisiana", "the state of Louisiana", "the Louisiana one", "Vacant homes in Louisiana")),
    ("Portland", PORTLAND_Q, "Oregon", city("Portland", "OR"), "Portland, OR",
     state_answers("Portland", "Oregon", "OR")),
    ("Portland", PORTLAND_Q, "Maine", city("Portland", "ME"), "Portland, ME",
     state_answers("Portland", "Maine", "ME")),
    ("Columbus", COLUMBUS_Q, "Ohio", city("Columbus", "OH"), "Columbus, OH",
     state_answers("Columbus", "Ohio", "OH")),
    ("Columbus", COLUMBUS_Q, "Georgia", city("Columbus", "GA"), "Columbus, GA",
     state_answers("Columbus", "Georgia", "GA")),
]  # fmt: skip
TURNS = [
    pytest.param(place, question, geography, means, answer, id=f"{place}-{label}-{answer}")
    for place, question, label, geography, means, answers in OPTIONS
    for answer in answers
]
VALID = {
    "Springfield": "Illinois (IL), Missouri (MO) or Massachusetts (MA)",
    "LA": "Los Angeles, California (CA) or the state of Louisiana",
    "Portland": "Oregon (OR) or Maine (ME)",
    "Columbus": "Ohio (OH) or Georgia (GA)",
}


def ask(api, prompt: str, conversation_id: str | None = None) -> dict:
    body = {"prompt": prompt}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    response = api.post("lead-builder/ai-assist/", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def balance(sandbox) -> int:
    return sandbox.control.account()["balance"]


def assert_question(answer: dict, question: str) -> None:
    assert_shape(answer, fixture("tracerfy", "leadbuilder_ai_assist_clarification"))
    assert answer["needs_clarification"] is True
    assert answer["clarifying_question"] == question
    assert answer["geography"] == PENDING
    assert answer["credits_deducted"] == 1


def assert_resolved(answer: dict, geography: dict, means: str, place: str) -> None:
    assert_shape(answer, fixture("tracerfy", "leadbuilder_ai_assist"))
    assert answer["needs_clarification"] is False
    assert answer["clarifying_question"] is None
    assert answer["geography"] == geography
    assert answer["strategy"] == "vacant"
    assert answer["rationale"]["assumptions"] == [f"{place} taken as {means}."]
    assert answer["credits_deducted"] == 1


def test_the_table_covers_every_option_every_question_names():
    """The sandbox's own questions and options are exactly the ones tested below."""
    tested = {}
    for place, question, label, _geography, _means, _answers in OPTIONS:
        tested.setdefault((place, question), []).append(label)
    assert {(a.name, a.question) for a in AMBIGUOUS.values()} == set(tested)
    for ambiguity in AMBIGUOUS.values():
        labels = tested[(ambiguity.name, ambiguity.question)]
        assert [option.label for option in ambiguity.options] == labels
        for label in labels:
            assert label in ambiguity.question


@pytest.mark.parametrize(("place", "question", "geography", "means", "answer"), TURNS)
def test_an_answer_naming_an_option_resolves_the_place(
    api, sandbox, place, question, geography, means, answer
):
    first = ask(api, f"Vacant homes in {place}")
    assert_question(first, question)
    assert balance(sandbox) == START - 1
    second = ask(api, answer, first["conversation_id"])
    assert second["conversation_id"] == first["conversation_id"]
    assert_resolved(second, geography, means, place)
    assert balance(sandbox) == START - 2
    preview = api.post(
        "lead-builder/preview/",
        json={
            "strategy": second["strategy"],
            "geography": second["geography"],
            "filter_overrides": second["filter_overrides"],
            "requested_count": 50,
        },
    )
    assert preview.status_code == 200, preview.text
    assert balance(sandbox) == START - 2


@pytest.mark.parametrize(
    ("prompt", "geography", "means", "place"),
    [
        pytest.param(f"Vacant homes in {place}, {label}", geography, means, place, id=label)
        for place, _question, label, geography, means, _answers in OPTIONS
    ]
    + [pytest.param("Vacant homes in Springfield IL", city("Springfield", "IL"),
                    "Springfield, IL", "Springfield", id="code")],
)  # fmt: skip
def test_a_first_prompt_naming_the_state_is_not_asked(
    api, sandbox, prompt, geography, means, place
):
    answer = ask(api, prompt)
    assert_resolved(answer, geography, means, place)
    assert balance(sandbox) == START - 1


@pytest.mark.parametrize("place", list(VALID))
def test_an_answer_naming_no_option_asks_again_with_the_valid_answers(api, sandbox, place):
    ambiguity = next(a for a in AMBIGUOUS.values() if a.name == place)
    first = ask(api, f"Vacant homes in {place}")
    assert_question(first, ambiguity.question)
    assert "Valid answers" not in first["rationale"]["summary"]
    again = f"{ambiguity.question} Please answer with one of: {VALID[place]}."
    for turn, prompt in enumerate(("the big one", "Texas, I think", "whichever is cheaper"), 2):
        answer = ask(api, prompt, first["conversation_id"])
        assert answer["conversation_id"] == first["conversation_id"]
        assert_question(answer, again)
        assert answer["rationale"]["summary"] == (
            f"That doesn't tell me which {place} you mean. Valid answers: {VALID[place]}."
        )
        assert balance(sandbox) == START - turn
    option = ambiguity.options[-1]
    answer = ask(api, option.label, first["conversation_id"])
    assert_resolved(answer, option.geography(), option.means, place)
    assert balance(sandbox) == START - 5


def test_an_answer_naming_two_options_settles_nothing_and_a_later_one_does(api, sandbox):
    first = ask(api, "Vacant homes in Springfield")
    both = ask(api, "Illinois or Missouri", first["conversation_id"])
    assert both["needs_clarification"] is True
    assert both["clarifying_question"].endswith(
        "Please answer with one of: Illinois (IL), Missouri (MO) or Massachusetts (MA)."
    )
    settled = ask(api, "Missouri", first["conversation_id"])
    assert_resolved(settled, city("Springfield", "MO"), "Springfield, MO", "Springfield")
    changed = ask(api, "sorry, Illinois", first["conversation_id"])
    assert_resolved(changed, city("Springfield", "IL"), "Springfield, IL", "Springfield")
    assert balance(sandbox) == START - 4


def test_another_question_first_then_the_place_question_then_the_answer(api, sandbox):
    """The place question is asked plainly the first time even in a later turn, and the
    conversation's earlier prompts still count (the strategy comes from the first one)."""
    first = ask(api, "vacant homes please")
    assert first["clarifying_question"] == "Which city, county or ZIP codes should I target?"
    place = ask(api, "Columbus", first["conversation_id"])
    assert_question(place, COLUMBUS_Q)
    answer = ask(api, "Georgia", first["conversation_id"])
    assert_resolved(answer, city("Columbus", "GA"), "Columbus, GA", "Columbus")
    assert balance(sandbox) == START - 3


def test_conversations_stay_apart(api, sandbox):
    one = ask(api, "Vacant homes in Portland")
    two = ask(api, "Vacant homes in Columbus")
    assert ask(api, "Maine", one["conversation_id"])["geography"] == city("Portland", "ME")
    answer = ask(api, "Maine", two["conversation_id"])
    assert answer["needs_clarification"] is True
    assert answer["clarifying_question"].startswith(COLUMBUS_Q)
    assert ask(api, "OH please", two["conversation_id"])["geography"] == city("Columbus", "OH")
    assert balance(sandbox) == START - 5


def test_a_bare_postal_code_is_too_short_and_costs_nothing(api, sandbox):
    """The contract's 5-character minimum holds for answers too: "IL" alone is refused
    without a charge and the conversation is still waiting for its answer."""
    first = ask(api, "Vacant homes in Springfield")
    response = api.post(
        "lead-builder/ai-assist/",
        json={"prompt": "IL", "conversation_id": first["conversation_id"]},
    )
    assert response.status_code == 400
    assert response.json() == {"prompt": ["Ensure this field has at least 5 characters."]}
    assert balance(sandbox) == START - 1
    answer = ask(api, "IL, thanks", first["conversation_id"])
    assert_resolved(answer, city("Springfield", "IL"), "Springfield, IL", "Springfield")
    assert balance(sandbox) == START - 2
