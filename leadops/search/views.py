from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@login_required
@require_GET
def search(request):
    """The header box's results: the team's records matching `q`."""
    text = request.GET.get("q", "")
    results = selectors.search(team=request.team, text=text) if text.strip() else None
    return render(request, "search/results.html", {"q": text.strip(), "results": results})


@login_required
@require_GET
def record(request, key: str):
    """Everything the team's jobs know of one property (or one phone without an address)."""
    page = selectors.record(team=request.team, key=key)
    if page is None:
        raise Http404("No such record in this team")
    return render(request, "search/record.html", {"page": page, "q": request.GET.get("q", "")})
