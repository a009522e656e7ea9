import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from leadops.badges import job_status_badge
from leadops.tables import NumberColumn

from .models import BatchState, CrmBatch, CrmPush, CrmRefusal
from .selectors import SOURCE_URLS

TABLE_ATTRS = {"class": "table table-sm table-hover align-middle mb-0"}
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}

BATCH_COLOURS = {
    BatchState.PENDING: "light",
    BatchState.SENDING: "primary",
    BatchState.SENT: "success",
    BatchState.UNKNOWN: "warning",
    BatchState.FAILED: "danger",
}


def batch_state_badge(state: str) -> str:
    colour = BATCH_COLOURS.get(state, "secondary")
    text = "text-bg-light border" if colour == "light" else f"text-bg-{colour}"
    return format_html(
        '<span class="badge {}" data-testid="batch-{}">{}</span>',
        text,
        state,
        BatchState(state).label,
    )


class CrmPushTable(tables.Table):
    id = tables.LinkColumn(
        "crm:detail", args=[tables.A("pk")], verbose_name="#", text=lambda push: f"#{push.pk}"
    )
    source_name = tables.Column(verbose_name="Source")
    status = tables.Column()
    contacts = NumberColumn(verbose_name="Contacts")
    refused = NumberColumn(verbose_name="Refused")
    batches_total = NumberColumn(verbose_name="Batches")
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Created")
    created_by = tables.Column(verbose_name="By", order_by="created_by__username")

    class Meta:
        model = CrmPush
        fields = [
            "id",
            "source_name",
            "status",
            "contacts",
            "refused",
            "batches_total",
            "created_at",
            "created_by",
        ]
        attrs = TABLE_ATTRS
        empty_text = (
            "No CRM pushes yet. Pushes start from a finished skip trace, DNC scrub or lead "
            "list: open it and use its “Send to CRM” button."
        )
        order_by = "-created_at"

    def render_source_name(self, record, value):
        url = reverse(SOURCE_URLS[record.source_kind], args=[record.source_id])
        retry = (
            format_html(
                ' <span class="badge text-bg-light border">retry of #{}</span>', record.retry_of_id
            )
            if record.retry_of_id
            else ""
        )
        return format_html('<a href="{}">{}</a>{}', url, value, retry)

    def render_status(self, record):
        return job_status_badge(record)

    def render_contacts(self, record, value):
        if not value:
            return "—"
        return format_html(
            '{} <span class="text-secondary small">({} new, {} updates)</span>',
            f"{value:,}",
            f"{record.creates:,}",
            f"{record.updates:,}",
        )

    def render_refused(self, value):
        return f"{value:,}"

    def render_batches_total(self, value):
        return f"{value:,}"


class CrmBatchTable(tables.Table):
    number = NumberColumn(verbose_name="Batch")
    contacts = NumberColumn()
    size_bytes = tables.Column(verbose_name="Size", attrs=NUM)
    state = tables.Column()
    attempts = NumberColumn()
    error = tables.Column(default="", orderable=False)
    sent_at = tables.DateTimeColumn(format="Y-m-d H:i:s", verbose_name="Sent at", default="—")

    keyset = True  # can reach 100,000 rows: paged by leadops.pagination

    class Meta:
        model = CrmBatch
        fields = ["number", "contacts", "size_bytes", "state", "attempts", "error", "sent_at"]
        attrs = TABLE_ATTRS
        empty_text = "This push has no batches."
        order_by = "number"

    def render_size_bytes(self, value):
        return f"{value / 1024:,.1f} KB"

    def render_state(self, value, record):
        return batch_state_badge(record.state)

    def render_error(self, value):
        return format_html('<span class="small text-danger-emphasis">{}</span>', value)


class CrmRefusalTable(tables.Table):
    record_id = tables.Column(verbose_name="Record")
    name = tables.Column(default="—")
    address = tables.Column(default="—")
    reason = tables.Column()
    detail = tables.Column(orderable=False, default="")

    keyset = True  # can reach 100,000 rows: paged by leadops.pagination

    class Meta:
        model = CrmRefusal
        fields = ["record_id", "name", "address", "reason", "detail"]
        attrs = TABLE_ATTRS
        empty_text = "No refused record matches."
        order_by = "id"

    def render_reason(self, record):
        return format_html(
            '<span class="badge text-bg-secondary" data-testid="refusal-{}">{}</span>',
            record.reason,
            record.get_reason_display(),
        )

    def render_detail(self, value):
        return format_html('<span class="small text-secondary">{}</span>', value)
