from leadops.accounts.models import Membership


class TeamMiddleware:
    """Puts `request.membership` and `request.team` (or None) on every request: one query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = None
        if request.user.is_authenticated:
            membership = Membership.objects.select_related("team").filter(user=request.user).first()
        request.membership = membership
        request.team = membership.team if membership else None
        return self.get_response(request)
