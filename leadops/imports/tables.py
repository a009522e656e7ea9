import django_tables2 as tables
from django.utils.html import format_html, format_html_join

from leadops.imports.models import ImportRecord


class UnusableRecordTable(tables.Table):
    """Rows the chosen job cannot use, with every reason (the preview's report)."""

    line = tables.Column(
        verbose_name="Line", attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    address = tables.Column(
        verbose_name="Property address", accessor="values__property_address", default="—"
    )
    city = tables.Column(verbose_name="City", accessor="values__property_city", default="—")
    errors = tables.Column(verbose_name="Why it cannot be used", orderable=False)

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
