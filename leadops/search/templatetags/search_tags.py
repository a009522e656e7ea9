from django import template

from leadops.badges import dnc_badge
from leadops.phones import format_phone

register = template.Library()


@register.filter
def phone(number) -> str:
    """(512) 555-0101 for a US number in any spelling."""
    return format_phone(str(number or ""))


@register.filter
def dnc(status) -> str:
    """A phone's DNC status badge (`leadops.badges.dnc_badge`)."""
    return dnc_badge(status)
