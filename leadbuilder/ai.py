"""AI assist (Tracerfy's TraceAI): a described list becomes a proposed BuildSpec.

One ask is one paid call (AI_ASSIST_CREDITS): held before the call, what Tracerfy says it
deducted captured and the rest released; any error releases the hold and the turn is kept with
the provider's words, so the chat shows what happened and nothing is charged for it. A prompt
outside 5..2,000 characters is refused before anything is held or sent.

An answer with `needs_clarification` asks a question; the next prompt continues the same
`AiConversation` (its Tracerfy `conversation_id`) until filters are proposed. A proposal is
shown as a diff against the build form (`ai_panel`) and applied with one click
(`ai_apply_to_form`, called by the build view).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from leadbuilder.filter_reference import FILTERS, describe
from leadbuilder.models import AI_ASSIST_CREDITS, AiConversation, AiTurn
from leadbuilder.spec import VERTICALS, BuildSpec, Change, spec_diff
from leadops import providers
from leadops.accounts.models import Team
from leadops.credits import services as credits
from leadops.providers.errors import (
    InsufficientCredits,
    InvalidRequest,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)

PROMPT_MIN = 5
PROMPT_MAX = 2000
EXAMPLE_PROMPTS = (
    "Absentee owners with high equity in Tampa",
    "Plumbing leads in South Side Chicago",
    "Vacant homes in Springfield, Illinois",
)

# Tracerfy's Filter Reference (unknown keys are a 400), plus the keys only its presets use.
ACCEPTED_FILTER_KEYS = frozenset(FILTERS)

SECTION_LABELS = {
    "strategy": "Strategy",
    "geography": "Geography",
    "filter": "Filters",
    "count": "Rows",
    "post_filter": "Propensity",
}
GEOGRAPHY_LABELS = {
    "mode": "Area type",
    "zip_codes": "ZIP codes",
    "cities": "Cities",
    "counties": "Counties",
    "states": "States",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "radius": "Radius (miles)",
}
GEOGRAPHY_MODE_LABELS = {
    "zips": "ZIP codes",
    "city": "City",
    "counties": "Counties",
    "states": "States",
    "radius": "Radius",
}
_VERTICAL_LABELS = dict(VERTICALS)


class AiRefused(Exception):
    """The ask was not made (nothing sent, nothing held); the message is the user's to see."""


def ai_prompt_clean(prompt: str) -> str:
    """The prompt as it will be sent (stripped), or AiRefused. Never padded: a short prompt is
    the user's to complete, not ours to guess."""
    cleaned = (prompt or "").strip()
    if len(cleaned) < PROMPT_MIN:
        raise AiRefused(f"Describe the list in at least {PROMPT_MIN} characters.")
    if len(cleaned) > PROMPT_MAX:
        raise AiRefused(
            f"Keep the description under {PROMPT_MAX:,} characters (this one has {len(cleaned):,})."
        )
    return cleaned


def _error_text(exc: ProviderError) -> str:
    """The provider's words, made clear for the chat (every one ends "nothing was charged")."""
    if isinstance(exc, InsufficientCredits):
        return f"{exc.message} Nothing was charged."
    if isinstance(exc, RateLimited):
        wait = max(1, round(exc.retry_after))
        return f"Too many AI assist requests; try again in {wait} s. Nothing was charged."
    if isinstance(exc, InvalidRequest):
        detail = exc.detail if isinstance(exc.detail, Mapping) else {}
        if "conversation_id" in detail:
            return (
                "Tracerfy no longer knows this conversation. Start a new conversation. "
                "Nothing was charged."
            )
        if "prompt" in detail:
            words = detail["prompt"]
            words = " ".join(map(str, words)) if isinstance(words, list) else str(words)
            return f"Tracerfy refused the description: {words} Nothing was charged."
        return f"Tracerfy refused the request: {exc.message} Nothing was charged."
    if isinstance(exc, ProviderUnavailable):
        said = "temporarily unavailable" in exc.message
        words = exc.message if said else "AI assist temporarily unavailable."
        return f"{words} Nothing was charged; ask again in a moment, or fill in the form yourself."
    return f"AI assist failed: {exc.message} Nothing was charged."


def _answer_json(result: Any) -> dict[str, Any]:
    """The parsed answer as JSON (tuples as lists)."""
    return _jsonable(dataclasses.asdict(result))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def ai_assist_ask(
    *,
    team: Team | None,
    user: AbstractBaseUser,
    prompt: str,
    conversation: AiConversation | None,
) -> AiTurn:
    """Ask TraceAI and keep the turn. Raises AiRefused (bad prompt, no team) and the ledger's
    `InsufficientCredits` (the wallet cannot hold the credit) before anything is sent or
    stored. A provider error is stored on the returned turn (`error`), not raised, and
    charges nothing; so does any other failure of the call, which is then re-raised."""
    if team is None:
        raise AiRefused("Your account is not in a team yet, so it has no credits to spend.")
    if conversation is not None and conversation.team_id != team.pk:
        raise AiRefused("That conversation belongs to another team.")
    cleaned = ai_prompt_clean(prompt)
    wallet = credits.wallet_for(user=user, team=team)
    hold = credits.hold(
        wallet=wallet,
        amount=AI_ASSIST_CREDITS,
        reference=f"ai-assist:{uuid.uuid4().hex}",
        actor=user,
        reason="AI assist",
    )
    if conversation is None:
        conversation = AiConversation.objects.create(team=team, created_by=user)
    try:
        with providers.tracerfy_client() as client:
            result = client.lead_ai_assist(
                cleaned, conversation_id=conversation.conversation_id or None
            )
    except ProviderError as exc:
        credits.release(hold=hold, actor=user, reason="AI assist failed: nothing charged")
        return AiTurn.objects.create(
            conversation=conversation, prompt=cleaned, error=_error_text(exc)
        )
    except Exception:
        # Not a provider answer (a bug, an interrupted request): the hold must not stay open.
        credits.release(hold=hold, actor=user, reason="AI assist interrupted: nothing charged")
        raise
    charged = min(max(result.credits_deducted, 0), AI_ASSIST_CREDITS)
    with transaction.atomic():
        credits.settle(hold=hold, charged=charged, actor=user, reason="AI assist")
        if result.conversation_id and result.conversation_id != conversation.conversation_id:
            conversation.conversation_id = result.conversation_id[:64]
            conversation.save(update_fields=["conversation_id"])
        return AiTurn.objects.create(
            conversation=conversation,
            prompt=cleaned,
            answer=_answer_json(result),
            needs_clarification=result.needs_clarification,
            credits_charged=charged,
        )


# --- proposals --------------------------------------------------------------------------


def is_proposal(turn: AiTurn) -> bool:
    """Whether the turn proposes a build (answered, not asking a question)."""
    return bool(turn.answer) and not turn.error and not turn.needs_clarification


def _strategies(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        keys = [str(v).strip() for v in value]
    else:
        keys = [s.strip() for s in str(value or "").split(",")]
    return tuple(k for k in keys if k) or ("custom",)


def ai_dropped_keys(turn: AiTurn) -> tuple[str, ...]:
    """Filter keys the answer proposed that Tracerfy does not accept (never passed on)."""
    overrides = turn.answer.get("filter_overrides") or {}
    return tuple(sorted(k for k in overrides if k not in ACCEPTED_FILTER_KEYS))


def ai_proposal(current: BuildSpec, turn: AiTurn) -> BuildSpec:
    """The spec the answer proposes: its strategy (comma-separated keys allowed), geography
    and filter overrides replace the current ones; the row count and the propensity
    post-filters stay the user's. Unknown filter keys are dropped (`ai_dropped_keys`).
    ValueError for a turn that proposes nothing (an error or a clarifying question)."""
    if not is_proposal(turn):
        raise ValueError("this AI assist turn proposes no build")
    answer = turn.answer
    overrides = {
        key: value
        for key, value in (answer.get("filter_overrides") or {}).items()
        if key in ACCEPTED_FILTER_KEYS
    }
    return BuildSpec(
        strategies=_strategies(answer.get("strategy")),
        geography=dict(answer.get("geography") or {}),
        overrides=overrides,
        requested_count=current.requested_count,
        post_filters=dict(current.post_filters),
    )


def _field_name(change: Change) -> str:
    """The build form's field a change lands in (its names are the form's interface)."""
    if change.section == "strategy":
        return "strategies"
    if change.section == "geography":
        return f"geo_{change.key}"
    if change.section == "filter":
        return f"f_{change.key}"
    if change.section == "count":
        return "requested_count"
    return f"pf_{change.key}"


@dataclass(frozen=True)
class AiApplied:
    """A proposal applied to the form: the spec to prefill it with, what changed (and the
    form fields to highlight), the conversation to keep with the build, and the warnings."""

    spec: BuildSpec
    changes: list[Change]
    changed_fields: frozenset[str]
    conversation: AiConversation | None
    warnings: tuple[str, ...]


def ai_apply_to_form(current: BuildSpec, turn: AiTurn) -> AiApplied:
    """What the build view needs to re-render the form with the turn's proposal applied
    (ValueError when the turn proposes nothing). Look the turn up with `ai_turn_for_team`."""
    proposed = ai_proposal(current, turn)
    changes = spec_diff(current, proposed)
    return AiApplied(
        spec=proposed,
        changes=changes,
        changed_fields=frozenset(_field_name(c) for c in changes),
        conversation=turn.conversation if turn.conversation_id else None,
        warnings=_dropped_warnings(ai_dropped_keys(turn)),
    )


def ai_turn_for_team(*, team: Team | None, pk: Any) -> AiTurn | None:
    """The team's turn `pk` (None for another team's, a missing or a malformed one)."""
    if team is None or not str(pk).isdigit():
        return None
    return (
        AiTurn.objects.select_related("conversation")
        .filter(pk=int(pk), conversation__team=team)
        .first()
    )


def _dropped_warnings(dropped: Iterable[str]) -> tuple[str, ...]:
    dropped = list(dropped)
    if not dropped:
        return ()
    return (f"Left out filter key(s) Tracerfy does not accept: {', '.join(dropped)}.",)


# --- the panel --------------------------------------------------------------------------


def filter_label(key: str) -> str:
    """A filter key in words, as the Filter Reference form labels it."""
    return describe(key, "")[0]


def _post_filter_label(key: str) -> str:
    vertical, _, kind = key.rpartition("_")
    name = _VERTICAL_LABELS.get(vertical, vertical.replace("_", " ").capitalize())
    return f"{name} score (minimum)" if kind == "min" else f"{name} category"


def _shown(value: Any, strategy_labels: Mapping[str, str], section: str, key: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if section == "strategy":
        return " or ".join(strategy_labels.get(k, k) for k in _strategies(value))
    if section == "geography" and key == "mode":
        return GEOGRAPHY_MODE_LABELS.get(str(value), str(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class DiffRow:
    section: str
    label: str
    key: str
    before: str
    after: str
    kind: str  # added | changed | removed


def diff_rows(
    changes: Iterable[Change], strategy_labels: Mapping[str, str] | None = None
) -> list[DiffRow]:
    """The changes as the panel's table rows: section, key in words, current → suggested."""
    strategy_labels = strategy_labels or {}
    rows = []
    order = list(SECTION_LABELS)

    def place(c: Change) -> tuple[int, bool]:
        # Sections in the form's order; the area type first, the other geography keys follow it.
        return (order.index(c.section) if c.section in order else len(order), c.key != "mode")

    for c in sorted(changes, key=place):
        if c.section == "geography":
            label = GEOGRAPHY_LABELS.get(c.key, filter_label(c.key))
        elif c.section == "filter":
            label = filter_label(c.key)
        elif c.section == "post_filter":
            label = _post_filter_label(c.key)
        elif c.section == "count":
            label = "Rows requested"
        else:
            label = "Strategy"
        rows.append(
            DiffRow(
                section=SECTION_LABELS.get(c.section, c.section),
                label=label,
                key=c.key,
                before=_shown(c.before, strategy_labels, c.section, c.key),
                after=_shown(c.after, strategy_labels, c.section, c.key),
                kind=c.kind,
            )
        )
    return rows


@dataclass(frozen=True)
class TurnView:
    """One turn as the chat shows it."""

    turn: AiTurn
    proposal: bool
    rows: list[DiffRow] = field(default_factory=list)
    warnings: tuple[str, ...] = ()

    @property
    def answer(self) -> Mapping[str, Any]:
        return self.turn.answer

    @property
    def rationale(self) -> Mapping[str, Any]:
        return self.turn.answer.get("rationale") or {}

    @property
    def strategy_label(self) -> str:
        return str(self.answer.get("strategy_label") or self.answer.get("strategy") or "")

    @property
    def confidence_percent(self) -> int | None:
        value = self.turn.answer.get("confidence")
        return None if value is None else round(float(value) * 100)


@dataclass(frozen=True)
class AiPanel:
    """What `partials/ai_panel.html` renders (the context variable `ai`)."""

    conversation: AiConversation | None = None
    turns: list[TurnView] = field(default_factory=list)
    error: str = ""
    prompt: str = ""
    credits: int = AI_ASSIST_CREDITS
    examples: tuple[str, ...] = EXAMPLE_PROMPTS

    @property
    def waiting_for_answer(self) -> bool:
        """The last answer asked a question: the reply box continues the conversation."""
        return bool(self.turns) and self.turns[-1].turn.needs_clarification


def ai_panel(
    *,
    conversation: AiConversation | None,
    current: BuildSpec | None,
    strategy_labels: Mapping[str, str] | None = None,
    error: str = "",
    prompt: str = "",
) -> AiPanel:
    """The chat of `conversation` (none: the empty state), each proposal diffed against
    `current` (the build form's spec; None shows a proposal against the blank form)."""
    base = current or BuildSpec()
    labels = strategy_labels or {}
    views = []
    turns = list(conversation.turns.all()) if conversation is not None else []
    for turn in turns:
        if is_proposal(turn):
            proposed = ai_proposal(base, turn)
            views.append(
                TurnView(
                    turn=turn,
                    proposal=True,
                    rows=diff_rows(spec_diff(base, proposed), labels),
                    warnings=_dropped_warnings(ai_dropped_keys(turn)),
                )
            )
        else:
            views.append(TurnView(turn=turn, proposal=False))
    return AiPanel(conversation=conversation, turns=views, error=error, prompt=prompt)
