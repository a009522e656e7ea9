import django_tables2 as tables
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.html import format_html

from dnc.models import DncLookup, InternalDnc, PhoneOutcome
from leadops.phones import format_phone

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
    credits_charged = tables.Column(verbose_name="Credits", attrs={"td": {"class": "num"}})
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
