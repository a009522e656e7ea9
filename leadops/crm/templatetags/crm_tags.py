"""The CRM's template helpers: a phone's DNC badge, and the "Send to CRM" link a source page
shows (carrying the page's own filters)."""

from django import template

from leadops.badges import dnc_badge

from ..selectors import clean_filter_query, push_url

register = template.Library()


@register.filter
def crm_dnc_badge(status) -> str:
    return dnc_badge(status)


@register.simple_tag
def crm_push_url(kind: str, pk: int, query="") -> str:
    """The push screen of source `kind` #`pk`, with the filters of `query` (a source page's
    query string or its request.GET) when it holds any."""
    return push_url(kind=kind, pk=pk, filters=clean_filter_query(query or ""))


@register.inclusion_tag("crm/_last_push.html")
def crm_last_push(kind: str, job) -> dict:
    """The source's latest CRM push (one query), linked, for its page beside Send to CRM."""
    from ..models import CrmPush

    last = (
        CrmPush.objects.filter(team_id=job.team_id, source_kind=kind, source_id=job.pk)
        .only("pk", "status", "contacts", "created_at")
        .order_by("-pk")
        .first()
    )
    return {"push": last}
