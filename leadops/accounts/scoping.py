"""Team scoping for views: the default way to read anything a user may see.

    job = get_for_team_or_404(TraceJob, request, pk=pk)
    rows = scoped(TraceJob, request).filter(status="complete")

A user of another team gets a 404 (never a 403, which would confirm the object exists).
"""

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from leadops.accounts.models import Team


def team_of(request: HttpRequest) -> Team | None:
    return getattr(request, "team", None)


def scoped(model_or_qs: type[Model] | QuerySet, request: HttpRequest) -> QuerySet:
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs._default_manager.all()
    team = team_of(request)
    if team is None:
        return qs.none()
    return qs.filter(team=team)


def get_for_team_or_404(model_or_qs: type[Model] | QuerySet, request: HttpRequest, **lookup):
    try:
        return scoped(model_or_qs, request).get(**lookup)
    except (model_or_qs if isinstance(model_or_qs, type) else model_or_qs.model).DoesNotExist:
        raise Http404("Not found") from None
