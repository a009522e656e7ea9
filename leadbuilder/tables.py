from html import escape

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from leadbuilder.forms import geography_words
from leadbuilder.models import LeadBuild, LeadRow, SavedSearch
from leadbuilder.selectors import row_dnc_status
from leadbuilder.spec import VERTICALS
from leadops.badges import dnc_badge, job_status_badge
from leadops.phones import DncStatus, format_phone
from leadops.tables import NumberColumn


class LeadBuildTable(tables.Table):
    id = tables.LinkColumn("leadbuilder:detail", args=[tables.A("pk")], verbose_name="#")
    name = tables.LinkColumn("leadbuilder:detail", args=[tables.A("pk")], verbose_name="List")
    strategy_label = tables.Column(verbose_name="Strategy")
    status = tables.Column()
    requested_count = NumberColumn(verbose_name="Asked")
    rows_done = NumberColumn(verbose_name="Rows")
    hits = NumberColumn(verbose_name="With phone")
    charged_credits = NumberColumn(verbose_name="Credits", default="—")
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
        return job_status_badge(record)

    def render_rows_done(self, record, value):
        return f"{value:,}" if record.is_finished else "—"

    def render_hits(self, record, value):
        return f"{value:,}" if record.is_finished else "—"


CATEGORY_COLOURS = {"High": "success", "Medium": "warning", "Low": "secondary"}
EMPTY = "—"  # django-tables2's default for an empty cell


def category_badge(score, category: str) -> str:
    """A score with its category colour ("—" when the row has none)."""
    if score is None:
        return EMPTY
    return format_html(
        '<span class="badge text-bg-{} score-badge" title="{}" data-category="{}">{}</span>',
        CATEGORY_COLOURS.get(category, "light"),
        category or "No category",
        category,
        score,
    )


class ScoreColumn(tables.Column):
    """A vertical's score, coloured by its category; sorting puts the highest first."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(
            accessor=f"{key}_score",
            verbose_name=dict(VERTICALS)[key],
            empty_values=(),
            attrs={"td": {"class": "num"}},
        )


def _text(value) -> str:
    """A cell's text, escaped; "—" when empty (as django-tables2 shows an empty value)."""
    return EMPTY if value is None or value == "" else escape(str(value))


class LeadRowCells:
    """The cells of the rows page, built straight from the rows: a page is 50 rows x 13
    columns, and django-tables2's per-cell machinery (accessors, signatures, attrs, a
    `reverse()` per row) was most of the page's time. The columns of LeadRowTable still give
    the header, the sort links and the paging; `partials/cells_table.html` shows a row's
    cells as one
    string.
    Every value is escaped here (html.escape, as format_html does)."""

    def __init__(self, *, build_id: int, dnc: dict[str, DncStatus]):
        # One reverse() for the page: the row URL with a placeholder row id, split around it.
        head, _sep, tail = reverse("leadbuilder:row", args=[build_id, 0]).rpartition("/0/")
        self.row_url = f"{head}/{{}}/{tail}"
        self.dnc = dnc
        self.badges: dict[tuple, str] = {}

    def _score(self, score, category: str) -> str:
        key = (score, category)
        if key not in self.badges:
            self.badges[key] = category_badge(score, category)
        return self.badges[key]

    def _dnc(self, status: DncStatus) -> str:
        if status not in self.badges:
            self.badges[status] = dnc_badge(status)
        return self.badges[status]

    def row(self, record: LeadRow) -> list[tuple[str, str]]:
        """(td class, cell HTML) per column, in LeadRowTable's column order."""
        r = record
        if r.address:
            address = (
                f'<a href="{self.row_url.format(r.pk)}" data-testid="row-link">'
                f"{escape(r.address)}</a><br>"
                f'<small class="text-secondary">{escape(r.city)}, {escape(r.state)} '
                f"{escape(r.zip_code)}</small>"
            )
        else:
            address = EMPTY
        if r.owner_name:
            owner = (
                f'{escape(r.owner_name)}<br><small class="text-secondary">'
                f"{escape(r.get_owner_type_display() or '')}"
                f"{', absentee' if r.absentee_owner else ''}</small>"
            )
        else:
            owner = EMPTY
        if r.primary_phone:
            status = row_dnc_status(r, self.dnc)
            phone = (
                f"{escape(format_phone(r.primary_phone))} <small class='text-secondary'>"
                f"{escape(r.phone_type)}</small><br>{self._dnc(status)}"
            )
        else:
            phone = EMPTY
        return [
            ("text-secondary", f"{r.position:,}"),
            ("", address),
            ("", owner),
            ("", _text(r.property_type)),
            ("num", EMPTY if r.estimated_value is None else f"${r.estimated_value:,}"),
            ("num", EMPTY if r.equity_percent is None else f"{r.equity_percent:.0f}%"),
            ("text-nowrap", phone),
            ("", _text(r.email)),
            *(
                ("num", self._score(getattr(r, f"{key}_score"), getattr(r, f"{key}_category")))
                for key, _label in VERTICALS
            ),
        ]


class LeadRowTable(tables.Table):
    """One page of a build's rows; `dnc` holds the DNC status of the page's phones, looked
    up once for the page (`page_rows` names the rows to look up). With `row_count` (the
    rows the filters leave, already counted) paging does not count them again.

    The columns give the header, sorting and paging; the cells come from LeadRowCells
    (`page_cells`), rendered by partials/cells_table.html."""

    position = tables.Column(verbose_name="#", attrs={"td": {"class": "text-secondary"}})
    address = tables.Column(verbose_name="Property")
    owner_name = tables.Column(verbose_name="Owner")
    property_type = tables.Column(verbose_name="Type", default=EMPTY)
    estimated_value = tables.Column(verbose_name="Value", attrs={"td": {"class": "num"}})
    equity_percent = tables.Column(verbose_name="Equity", attrs={"td": {"class": "num"}})
    primary_phone = tables.Column(verbose_name="Phone", attrs={"td": {"class": "text-nowrap"}})
    email = tables.Column(default=EMPTY)
    sell_score = ScoreColumn("sell")
    refi_score = ScoreColumn("refi")
    roof_renovate_score = ScoreColumn("roof_renovate")
    hvac_renovate_score = ScoreColumn("hvac_renovate")
    solar_renovate_score = ScoreColumn("solar_renovate")

    keyset = True  # can reach 100,000 rows: paged by leadops.pagination

    class Meta:
        model = LeadRow
        fields = [
            "position",
            "address",
            "owner_name",
            "property_type",
            "estimated_value",
            "equity_percent",
            "primary_phone",
            "email",
            *(f"{key}_score" for key, _ in VERTICALS),
        ]
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        empty_text = "No rows match these filters."
        order_by = "position"
        template_name = "partials/cells_table.html"

    def __init__(self, *args, build_id: int, row_count: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.build_id = build_id
        self.keyset_count = row_count
        self.dnc: dict[str, DncStatus] = {}

    def page_rows(self) -> list[LeadRow]:
        """The rows of the page being shown (after table_configure)."""
        return [row.record for row in self.paginated_rows]

    def page_cells(self) -> list[str]:
        """The page's rows, each as its `<td>` cells (HTML, escaped in LeadRowCells)."""
        cells = LeadRowCells(build_id=self.build_id, dnc=self.dnc)
        return [
            mark_safe(  # noqa: S308 (every value escaped in LeadRowCells)
                "".join(
                    f'<td class="{css}">{html}</td>' if css else f"<td>{html}</td>"
                    for css, html in cells.row(record)
                )
            )
            for record in self.page_rows()
        ]


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
