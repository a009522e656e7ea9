import django_tables2 as tables
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.html import format_html

from dnc.models import DncLookup, DncPhone, DncScrub, InternalDnc, PhoneOutcome, fresh_since
from leadops.badges import job_status_badge
from leadops.phones import format_phone
from leadops.tables import NumberColumn

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


class DncScrubTable(tables.Table):
    id = tables.LinkColumn("dnc:detail", args=[tables.A("pk")], verbose_name="#")
    name = tables.LinkColumn("dnc:detail", args=[tables.A("pk")], verbose_name="Phones from")
    status = tables.Column()
    phones_unique = NumberColumn(verbose_name="Phones")
    phones_sent = NumberColumn(verbose_name="Sent")
    hits = NumberColumn(verbose_name="Clean")
    charged_credits = NumberColumn(verbose_name="Credits", default="—")
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
        return job_status_badge(record)

    def render_hits(self, record, value):
        return f"{value:,}" if record.is_finished else "—"


class DncPhoneTable(tables.Table):
    phone = tables.Column(verbose_name="Phone")
    label = tables.Column(verbose_name="Label")
    line = NumberColumn(verbose_name="Line", default="—")
    outcome = tables.Column(verbose_name="Status")
    flags = tables.Column(empty_values=(), orderable=False, verbose_name="Lists")
    phone_type = tables.Column(verbose_name="Type", default="—")
    checked_at = tables.Column(verbose_name="Checked", default="—")
    origin = tables.Column(verbose_name="Answer")

    keyset = True  # can reach 100,000 rows: paged by leadops.pagination

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


TABLE_ATTRS = {"class": "table table-sm table-hover align-middle mb-0"}


class InternalDncTable(tables.Table):
    """The team's internal do-not-call list. The Remove column is for those who may change
    the list; the view excludes it for everyone else."""

    phone = tables.Column(verbose_name="Phone", attrs={"td": {"class": "text-nowrap"}})
    reason = tables.Column(orderable=False)
    added_by = tables.Column(
        verbose_name="Added by",
        default="—",
        order_by="added_by__username",
        attrs={"td": {"class": "text-nowrap"}},
    )
    created_at = tables.DateTimeColumn(
        verbose_name="Added", format="M j, Y H:i", attrs={"td": {"class": "text-nowrap"}}
    )
    remove = tables.Column(
        empty_values=(),
        verbose_name="",
        orderable=False,
        attrs={"td": {"class": "text-end text-nowrap"}},
    )

    keyset = True  # can reach 100,000 rows: paged by leadops.pagination

    class Meta:
        model = InternalDnc
        fields = ["phone", "reason", "added_by", "created_at", "remove"]
        attrs = TABLE_ATTRS
        empty_text = "No phone is on your team's internal do-not-call list yet."
        order_by = "-created_at"

    def render_phone(self, value):
        return format_html('<span class="fw-semibold">{}</span>', format_phone(value))

    def render_remove(self, record):
        # Built here, not from a template: a template rendered per row with the request runs
        # every context processor again for each row.
        return format_html(
            '<form method="post" action="{}" class="d-inline">{}<button type="submit" '
            'class="btn btn-sm btn-outline-danger text-nowrap" data-testid="remove-{}" '
            'title="Take this phone off the list"><i class="bi bi-x-lg"></i> Remove</button>'
            "</form>",
            reverse("dnc:internal_remove", args=[record.pk]),
            csrf_input(self.request),
            record.phone,
        )


OUTCOME_BADGES = {
    PhoneOutcome.CLEAN: "success",
    PhoneOutcome.DMA: "warning",
    PhoneOutcome.STATE: "danger",
    PhoneOutcome.FEDERAL: "danger",
    PhoneOutcome.LITIGATOR: "danger",
}


def outcome_badge(outcome: str) -> str:
    return format_html(
        '<span class="badge text-bg-{}">{}</span>',
        OUTCOME_BADGES.get(outcome, "secondary"),
        PhoneOutcome(outcome).label,
    )


INTERNAL_BADGE = format_html(
    '<span class="badge text-bg-dark" title="On your team\'s internal do-not-call list">{}</span>',
    PhoneOutcome.INTERNAL.label,
)


class DncLookupTable(tables.Table):
    """The team's recent DNC lookups (the queryset is `dnc.selectors.recent_lookups`)."""

    created_at = tables.DateTimeColumn(
        verbose_name="When", format="M j, H:i", attrs={"td": {"class": "text-nowrap"}}
    )
    phone = tables.Column(attrs={"td": {"class": "text-nowrap"}})
    result = tables.Column(empty_values=(), orderable=False)
    phone_type = tables.Column(verbose_name="Type", default="—")
    credits_charged = NumberColumn(verbose_name="Credits")
    created_by = tables.Column(
        verbose_name="By", order_by="created_by__username", attrs={"td": {"class": "text-nowrap"}}
    )

    class Meta:
        model = DncLookup
        fields = ["created_at", "phone", "result", "phone_type", "credits_charged", "created_by"]
        attrs = TABLE_ATTRS
        empty_text = "No DNC lookups yet. Check a phone above."
        order_by = "-created_at"

    def render_phone(self, value):
        return format_phone(value)

    def render_result(self, record):
        if record.error:
            return format_html(
                '<span class="text-danger" title="{}">failed, not charged</span>', record.error
            )
        badge = outcome_badge(record.outcome)
        if getattr(record, "internal", False):
            return format_html("{} {}", INTERNAL_BADGE, badge)
        return badge
