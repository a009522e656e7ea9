import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from leadops.imports.columns import EXTRA
from leadops.imports.models import ImportRecord, MappingPreset
from leadops.tables import NumberColumn


class UnusableRecordTable(tables.Table):
    """Rows the chosen job cannot use, with every reason (the preview's report)."""

    line = NumberColumn(verbose_name="Line")
    address = tables.Column(
        verbose_name="Property address", accessor="values__property_address", default="—"
    )
    city = tables.Column(verbose_name="City", accessor="values__property_city", default="—")
    errors = tables.Column(verbose_name="Why it cannot be used", orderable=False)

    keyset = True  # can reach 100,000 rows: paged by leadops.pagination

    class Meta:
        model = ImportRecord
        fields = ["line", "address", "city", "errors"]
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "unusable-rows"}
        empty_text = "Every row can be used."
        orderable = False

    def render_errors(self, value):
        return format_html(
            '<ul class="list-unstyled mb-0">{}</ul>',
            format_html_join(
                "",
                '<li><span class="fw-semibold">{}</span>: {}</li>',
                ((error["column"], error["reason"]) for error in value),
            ),
        )


class MappingPresetTable(tables.Table):
    """The team's mapping presets, with rename and delete for those who may change them."""

    name = tables.Column(verbose_name="Name")
    columns = tables.Column(
        empty_values=(),
        orderable=False,
        verbose_name="Columns mapped",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    created_by = tables.Column(
        verbose_name="Saved by", order_by="created_by__username", default="—"
    )
    updated_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Last saved")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="")

    class Meta:
        model = MappingPreset
        fields = ["name", "columns", "created_by", "updated_at"]
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "presets"}
        empty_text = (
            "No mapping presets yet. Save a column mapping under a name on an upload's mapping "
            "page and it is applied to files with the same headers."
        )
        order_by = "name"

    def __init__(self, *args, user=None, membership=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.membership = membership

    def render_columns(self, record):
        mapping = record.mapping if isinstance(record.mapping, dict) else {}
        return f"{sum(1 for target in mapping.values() if target and target != EXTRA):,}"

    def render_actions(self, record):
        from leadops.imports.presets import preset_may_change

        if not preset_may_change(preset=record, user=self.user, membership=self.membership):
            return ""
        return format_html(
            '<a class="btn btn-outline-secondary btn-sm" href="{}" data-testid="rename-preset">'
            "Rename</a> "
            '<a class="btn btn-outline-danger btn-sm" href="{}" data-testid="delete-preset">'
            "Delete</a>",
            reverse("imports:preset_rename", args=[record.pk]),
            reverse("imports:preset_delete", args=[record.pk]),
        )
