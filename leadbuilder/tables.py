import django_tables2 as tables
from django.utils.html import format_html

from leadbuilder.models import LeadBuild

STATUS_COLOURS = {
    "complete": "success",
    "partial": "warning",
    "failed": "danger",
    "cancelled": "secondary",
    "draft": "light",
}


class LeadBuildTable(tables.Table):
    id = tables.LinkColumn("leadbuilder:detail", args=[tables.A("pk")], verbose_name="#")
    name = tables.LinkColumn("leadbuilder:detail", args=[tables.A("pk")], verbose_name="List")
    strategy_label = tables.Column(verbose_name="Strategy")
    status = tables.Column()
    requested_count = tables.Column(verbose_name="Asked")
    rows_done = tables.Column(verbose_name="Rows")
    hits = tables.Column(verbose_name="With phone")
    charged_credits = tables.Column(verbose_name="Credits", default="—")
    created_by = tables.Column(verbose_name="By")
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Created")

    class Meta:
        model = LeadBuild
        fields = [
            "id",
            "name",
            "strategy_label",
            "status",
            "requested_count",
            "rows_done",
            "hits",
            "charged_credits",
            "created_by",
            "created_at",
        ]
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        empty_text = "No lead lists yet: build one from a strategy, filters or an AI prompt."

    def render_status(self, record):
        colour = STATUS_COLOURS.get(record.status, "primary")
        text = "text-bg-light border" if colour == "light" else f"text-bg-{colour}"
        return format_html('<span class="badge {}">{}</span>', text, record.get_status_display())

    def render_rows_done(self, record, value):
        return f"{value:,}" if record.is_finished else "—"

    def render_hits(self, record, value):
        return f"{value:,}" if record.is_finished else "—"

    def render_requested_count(self, value):
        return f"{value:,}"
