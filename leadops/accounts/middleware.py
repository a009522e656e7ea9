from django.contrib.auth import get_user_model
from django.shortcuts import render

from leadops.accounts.models import Membership

# URL namespaces that are not team pages: Django admin and the RQ dashboard (staff tools that
# work without a team) and the webhook intake (providers, never a logged-in user).
TEAMLESS_NAMESPACES = frozenset({"admin", "django_rq", "webhooks"})


def team_optional(view):
    """Mark a view that a signed-in user without a team may still open (login, password)."""
    view.team_optional = True
    return view


class TeamMiddleware:
    """Puts `request.membership` and `request.team` (or None) on every request: one query.

    A signed-in user who belongs to no team sees one clear page instead of any team page
    (403): they are in no team and whom to ask. Views marked `team_optional` and the
    namespaces in TEAMLESS_NAMESPACES are left alone. Doing it here covers every team page,
    including ones added later, so no view has to handle `request.team is None`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = None
        if request.user.is_authenticated:
            membership = Membership.objects.select_related("team").filter(user=request.user).first()
        request.membership = membership
        request.team = membership.team if membership else None
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.team is not None or not request.user.is_authenticated:
            return None
        if getattr(view_func, "team_optional", False):
            return None
        match = request.resolver_match
        if match is not None and TEAMLESS_NAMESPACES.intersection(match.namespaces):
            return None
        return no_team_page(request)


def no_team_page(request):
    admins = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk")
    return render(
        request,
        "accounts/no_team.html",
        {"admins": admins[:5], "no_team_page": True},
        status=403,
    )
