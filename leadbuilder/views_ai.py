"""The AI-assist panel of the build screen: htmx fragments that replace `#ai-panel`."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from leadbuilder.ai import AiRefused, ai_assist_ask, ai_panel
from leadbuilder.forms import spec_from_data
from leadbuilder.models import AiConversation
from leadbuilder.spec import BuildSpec
from leadbuilder.strategies import strategies_list
from leadops.accounts.scoping import get_for_team_or_404
from leadops.credits.errors import InsufficientCredits
from leadops.providers.errors import ProviderError


def _conversation(request, data) -> AiConversation | None:
    """The team's conversation named in `data` (another team's is a 404)."""
    pk = (data.get("ai_conversation") or "").strip()
    if not pk:
        return None
    if not pk.isdigit():
        raise Http404("Not found")
    return get_for_team_or_404(AiConversation, request, pk=int(pk))


def _form_spec(data) -> tuple[BuildSpec, dict[str, str]]:
    """The build form's current spec (its fields come along with `hx-include`), and the
    strategies' labels. Without Tracerfy's strategies the form still reads (custom only)."""
    try:
        strategies = strategies_list()
    except ProviderError:
        strategies = ()
    labels = {s.key: s.label for s in strategies}
    return spec_from_data(data, strategies=strategies), labels


def _panel(request, conversation, data, *, error: str = "", prompt: str = ""):
    current, labels = _form_spec(data)
    panel = ai_panel(
        conversation=conversation,
        current=current,
        strategy_labels=labels,
        error=error,
        prompt=prompt,
    )
    # ai_oob: the header's credits are swapped too (an answer costs one).
    return render(request, "leadbuilder/partials/ai_panel.html", {"ai": panel, "ai_oob": True})


@login_required
@require_POST
def ai_ask(request):
    """Send the prompt (1 credit) and show the conversation with its answer; a refusal or a
    provider error is shown in the panel, never a 500."""
    conversation = _conversation(request, request.POST)
    prompt = request.POST.get("prompt", "")
    try:
        turn = ai_assist_ask(
            team=request.team, user=request.user, prompt=prompt, conversation=conversation
        )
    except AiRefused as exc:
        return _panel(request, conversation, request.POST, error=str(exc), prompt=prompt)
    except InsufficientCredits as exc:
        error = f"{exc} Nothing was charged; ask an admin of your team to grant credits."
        return _panel(request, conversation, request.POST, error=error, prompt=prompt)
    # A failed ask keeps its words in the box, ready to send again.
    return _panel(
        request, turn.conversation, request.POST, prompt=turn.prompt if turn.error else ""
    )


@login_required
@require_GET
def ai_panel_view(request):
    """The panel alone: `?ai_conversation=<pk>` shows that conversation, none the empty
    state ("New conversation")."""
    return _panel(request, _conversation(request, request.GET), request.GET)
