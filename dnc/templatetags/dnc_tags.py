from django import template

from dnc.models import PhoneOutcome
from leadops.phones import format_phone

register = template.Library()


@register.filter
def phone(number) -> str:
    """(512) 555-0101 for a US number in any spelling."""
    return format_phone(str(number or ""))


@register.filter
def outcome_label(outcome: str) -> str:
    """The label of an outcome value ("Federal DNC", "Clean"…); "" for anything else."""
    return PhoneOutcome(outcome).label if outcome in PhoneOutcome.values else ""
