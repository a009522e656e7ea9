"""The saved searches table (django-tables2, paged with leadops.tables.table_configure)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from leadbuilder.forms import geography_words
from leadbuilder.models import SavedSearch

TABLE_ATTRS = {"class": "table table-sm table-hover align-middle mb-0"}


class SavedSearchTable(tables.Table):
    name = tables.Column(verbose_name="Name")
    strategies = tables.Column(empty_values=(), orderable=False, verbose_name="Strategies")
    area = tables.Column(empty_values=(), orderable=False, verbose_name="Area")
    filters = tables.Column(empty_values=(), orderable=False, verbose_name="Filters")
    created_by = tables.Column(verbose_name="By", order_by="created_by__username")
    updated_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Saved")
    last_run_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Last run", default="—")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="")

    class Meta:
        model = SavedSearch
        fields = [
            "name",
            "strategies",
            "area",
            "filters",
            "created_by",
            "updated_at",
            "last_run_at",
        ]
        attrs = TABLE_ATTRS
        empty_text = (
            "No saved searches yet. Set up a search on the build screen and save it by name "
            "to run it again later."
        )
        order_by = "name"

    def __init__(self, *args, strategy_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.strategy_labels = strategy_labels or {}

    def render_name(self, record):
        url = reverse("leadbuilder:new") + f"?search={record.pk}"
        return format_html('<a href="{}" data-testid="open-search">{}</a>', url, record.name)

    def render_strategies(self, record):
        keys = record.build_spec.strategies
        return ", ".join(self.strategy_labels.get(k, k.replace("_", " ")) for k in keys)

    def render_area(self, record):
        return geography_words(record.build_spec.geography)

    def render_filters(self, record):
        return len(record.build_spec.overrides) or "—"

    def render_actions(self, record):
        return format_html(
            '<a class="btn btn-outline-secondary btn-sm" href="{}">Rename</a> '
            '<a class="btn btn-outline-danger btn-sm" href="{}">Delete</a>',
            reverse("leadbuilder:search_rename", args=[record.pk]),
            reverse("leadbuilder:search_delete", args=[record.pk]),
        )
