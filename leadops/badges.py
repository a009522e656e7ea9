"""Badges every list shows the same way: a paid job's status and a phone's DNC status."""

from django.conf import settings
from django.utils.html import format_html

from leadops.phones import DncStatus

JOB_STATUS_COLOURS = {
    "complete": "success",
    "partial": "warning",
    "failed": "danger",
    "cancelled": "secondary",
    "draft": "light",
}


def job_status_badge(job) -> str:
    """A job's status as a coloured badge ("Complete with errors" amber, a draft light)."""
    colour = JOB_STATUS_COLOURS.get(job.status, "primary")
    text = "text-bg-light border" if colour == "light" else f"text-bg-{colour}"
    return format_html(
        '<span class="badge {}" data-testid="job-status-{}">{}</span>',
        text,
        job.status,
        job.get_status_display(),
    )


def dnc_badge(status: DncStatus) -> str:
    """A phone's DNC status as a small badge, when it was checked in its title."""
    if status.outcome == "internal":
        title = "On your team's internal do-not-call list: never dial it"
    elif not status.outcome:
        title = "Never scrubbed for DNC by your team: scrub it before dialling"
    else:
        checked = f" on {status.checked_at:%Y-%m-%d}" if status.checked_at else ""
        title = f"{status.label}{checked}"
        if status.stale:
            title += f", older than {settings.DNC_FRESH_DAYS} days: scrub again"
    return format_html(
        '<span class="badge text-bg-{} dnc-badge" title="{}" data-dnc="{}">{}</span>',
        status.badge,
        title,
        "stale" if status.stale else status.outcome or "none",
        "Stale" if status.stale else status.label,
    )
