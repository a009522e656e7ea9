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
