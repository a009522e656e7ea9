from django import template

from leadops.phones import format_phone

register = template.Library()


@register.filter
def phone(number) -> str:
    """A phone number the way the results table shows it: ``{{ p.number|phone }}``."""
    return format_phone(str(number or ""))
