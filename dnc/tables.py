import django_tables2 as tables
from django.utils.html import format_html

from dnc.models import DncPhone, DncScrub, PhoneOutcome, fresh_since
from leadops.phones import format_phone

OUTCOME_COLOURS = {
    PhoneOutcome.CLEAN: "success",
    PhoneOutcome.DMA: "warning",
    PhoneOutcome.STATE: "danger",
    PhoneOutcome.FEDERAL: "danger",
    PhoneOutcome.LITIGATOR: "dark",
    PhoneOutcome.INTERNAL: "danger",
    PhoneOutcome.NO_RESULT: "secondary",
    PhoneOutcome.INVALID: "light",
    PhoneOutcome.PENDING: "light",
}
STATUS_COLOURS = {
    "complete": "success",
    "partial": "warning",
    "failed": "danger",
    "cancelled": "secondary",
    "draft": "light",
}


class DncScrubTable(tables.Table):
    id = tables.LinkColumn("dnc:detail", args=[tables.A("pk")], verbose_name="#")
    name = tables.LinkColumn("dnc:detail", args=[tables.A("pk")], verbose_name="Phones from")
    status = tables.Column()
    phones_unique = tables.Column(verbose_name="Phones")
    phones_sent = tables.Column(verbose_name="Sent")
    hits = tables.Column(verbose_name="Clean")
    charged_credits = tables.Column(verbose_name="Credits", default="—")
    created_by = tables.Column(verbose_name="By")
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Created")

    class Meta:
        model = DncScrub
        fields = [
            "id",
            "name",
            "source",
            "status",
            "phones_unique",
            "phones_sent",
            "hits",
            "charged_credits",
            "created_by",
            "created_at",
        ]
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        empty_text = "No scrubs yet: paste phones, upload a phone list, or scrub a finished trace."

    def render_status(self, record):
        colour = STATUS_COLOURS.get(record.status, "primary")
        text = "text-bg-light border" if colour == "light" else f"text-bg-{colour}"
        return format_html('<span class="badge {}">{}</span>', text, record.get_status_display())

    def render_hits(self, record, value):
        return value if record.is_finished else "—"


class DncPhoneTable(tables.Table):
    phone = tables.Column(verbose_name="Phone")
    label = tables.Column(verbose_name="Label")
    line = tables.Column(verbose_name="Line", default="—")
    outcome = tables.Column(verbose_name="Status")
    flags = tables.Column(empty_values=(), orderable=False, verbose_name="Lists")
    phone_type = tables.Column(verbose_name="Type", default="—")
    checked_at = tables.Column(verbose_name="Checked", default="—")
    origin = tables.Column(verbose_name="Answer")

    class Meta:
        model = DncPhone
        fields = [
            "phone",
            "label",
            "line",
            "outcome",
            "flags",
            "phone_type",
            "checked_at",
            "origin",
        ]
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        empty_text = "No phones match these filters."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fresh_since = fresh_since()

    def render_phone(self, record):
        if record.outcome == PhoneOutcome.INVALID:
            return format_html("<span class='text-secondary'>{}</span>", record.phone)
        return format_phone(record.phone.removeprefix("+1"))

    def render_outcome(self, record):
        colour = OUTCOME_COLOURS.get(record.outcome, "secondary")
        text = "text-bg-light border" if colour == "light" else f"text-bg-{colour}"
        badge = format_html(
            '<span class="badge {}" data-testid="outcome">{}</span>',
            text,
            record.get_outcome_display(),
        )
        if record.outcome == PhoneOutcome.INVALID and record.reason:
            return format_html("{} <small class='text-secondary'>{}</small>", badge, record.reason)
        if record.checked_at and record.checked_at < self.fresh_since:
            return format_html(
                '{} <span class="badge text-bg-secondary" title="Checked more than the freshness '
                'window ago: scrub it again before dialling">Stale</span>',
                badge,
            )
        return badge

    def render_flags(self, record):
        names = [
            name
            for flag, name in [
                (record.national_dnc, "Federal"),
                (record.state_dnc, "State"),
                (record.dma, "DMA"),
                (record.litigator, "Litigator"),
            ]
            if flag
        ]
        return ", ".join(names) or "—"

    def render_checked_at(self, value):
        return value.strftime("%Y-%m-%d") if value else "—"

    def render_origin(self, record):
        return record.get_origin_display() if record.origin else "—"
