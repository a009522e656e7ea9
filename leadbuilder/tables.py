import django_tables2 as tables
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

from leadbuilder.models import LeadBuild, LeadRow
from leadbuilder.selectors import row_dnc_status
from leadbuilder.spec import VERTICALS
from leadops.phones import DncStatus, format_phone

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


CATEGORY_COLOURS = {"High": "success", "Medium": "warning", "Low": "secondary"}


def category_badge(score, category: str) -> str:
    """A score with its category colour ("—" when the row has none)."""
    if score is None:
        return "—"
    return format_html(
        '<span class="badge text-bg-{} score-badge" title="{}" data-category="{}">{}</span>',
        CATEGORY_COLOURS.get(category, "light"),
        category or "No category",
        category,
        score,
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

    def render(self, record):
        return category_badge(
            getattr(record, f"{self.key}_score"), getattr(record, f"{self.key}_category")
        )


class LeadRowTable(tables.Table):
    """One page of a build's rows; `dnc` holds the DNC status of the page's phones, looked
    up once for the page (`page_rows` names the rows to look up)."""

    position = tables.Column(verbose_name="#", attrs={"td": {"class": "text-secondary"}})
    address = tables.Column(verbose_name="Property")
    owner_name = tables.Column(verbose_name="Owner")
    property_type = tables.Column(verbose_name="Type", default="—")
    estimated_value = tables.Column(verbose_name="Value", attrs={"td": {"class": "num"}})
    equity_percent = tables.Column(verbose_name="Equity", attrs={"td": {"class": "num"}})
    primary_phone = tables.Column(verbose_name="Phone", attrs={"td": {"class": "text-nowrap"}})
    email = tables.Column(default="—")
    sell_score = ScoreColumn("sell")
    refi_score = ScoreColumn("refi")
    roof_renovate_score = ScoreColumn("roof_renovate")
    hvac_renovate_score = ScoreColumn("hvac_renovate")
    solar_renovate_score = ScoreColumn("solar_renovate")

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dnc: dict[str, DncStatus] = {}

    def page_rows(self) -> list[LeadRow]:
        """The rows of the page being shown (after table_configure)."""
        return [row.record for row in self.paginated_rows]

    def render_address(self, record):
        return format_html(
            '<a href="{}" data-testid="row-link">{}</a><br>'
            '<small class="text-secondary">{}, {} {}</small>',
            reverse("leadbuilder:row", args=[record.build_id, record.pk]),
            record.address,
            record.city,
            record.state,
            record.zip_code,
        )

    def render_owner_name(self, record):
        return format_html(
            '{}<br><small class="text-secondary">{}{}</small>',
            record.owner_name or "—",
            record.get_owner_type_display() or "",
            ", absentee" if record.absentee_owner else "",
        )

    def render_estimated_value(self, value):
        return f"${value:,}"

    def render_equity_percent(self, value):
        return f"{value:.0f}%"

    def render_primary_phone(self, record):
        status = row_dnc_status(record, self.dnc)
        return format_html(
            "{} <small class='text-secondary'>{}</small><br>{}",
            format_phone(record.primary_phone),
            record.phone_type,
            dnc_badge(status),
        )
