"""Template helpers for job pages: `{{ job.elapsed|duration }}` → "2 min 5 s"."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A short human duration: "45 s", "3 min 5 s", "12 min", "1 h 5 min"; "" for None."""
    if value is None:
        return ""
    seconds = max(0, round(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 10:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
