import django_tables2 as tables
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from leadops.badges import dnc_badge, job_status_badge
from leadops.phones import DncStatus, format_phone
from leadops.tables import NumberColumn
from traces.models import TraceJob, TraceProvider, TraceResult
from traces.selectors import phone_status

BR = mark_safe("<br>")


# A result row shows this many phones and emails; the rest open under "+N more", so 50
# rows stay a screen or two tall (no script: a <details> element).
SHOWN_PHONES = 2
SHOWN_EMAILS = 1


def first_and_more(items: list[str], *, shown: int, what: str) -> str:
    """The first `shown` items (already safe HTML), one a line, and a "+N more" expander."""
    first = format_html_join(BR, "{}", ((item,) for item in items[:shown]))
    rest = items[shown:]
    if not rest:
        return first
    return format_html(
        '{} <details class="more-items" data-testid="more-{}s"><summary title="Show {} more '
        '{}{}">+{} more</summary>{}</details>',
        first,
        what,
        len(rest),
        what,
        "s" if len(rest) != 1 else "",
        len(rest),
        format_html_join(BR, "{}", ((item,) for item in rest)),
    )


# The trace provider's own DNC flag, a hint beside the team's status (the status decides).
PROVIDER_DNC = mark_safe(
    ' <small class="text-danger" title="The trace provider reported this phone on a '
    'Do-Not-Call list; the badge shows what your scrubs say">provider: DNC</small>'
)


REUSED = mark_safe(' <span class="badge text-bg-light" title="From an earlier trace">reused</span>')


class TraceJobTable(tables.Table):
    id = tables.LinkColumn(
        "traces:detail", args=[tables.A("pk")], verbose_name="Job", text=lambda job: f"#{job.pk}"
    )
    filename = tables.Column(accessor="batch__filename", verbose_name="File")
    provider = tables.Column(verbose_name="Provider")
    trace_type = tables.Column(verbose_name="Type")
    status = tables.Column()
    records_sent = NumberColumn(verbose_name="Sent")
    hits = NumberColumn()
    charged_credits = NumberColumn(verbose_name="Credits", default="—")
    created_at = tables.DateTimeColumn(verbose_name="Created", format="M j, H:i")
    created_by = tables.Column(verbose_name="By")

    class Meta:
        model = TraceJob
        fields = [
            "id",
            "filename",
            "provider",
            "trace_type",
            "status",
            "records_sent",
            "hits",
            "charged_credits",
            "created_by",
            "created_at",
        ]
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        empty_text = "No skip traces yet. Upload a spreadsheet to start one."
        order_by = "-created_at"

    def render_provider(self, value):
        return TraceProvider(value).label if value in TraceProvider.values else value

    def render_status(self, record):
        return job_status_badge(record)


class TraceResultTable(tables.Table):
    """One page of a trace's results; `dnc` holds the DNC status of the page's phones, looked
    up once for the page (`page_results` names the rows to look up). A job can return
    100,000 results: keyset-paged (leadops.pagination)."""

    keyset = True
    keyset_count = None

    line = NumberColumn(accessor="record__line", verbose_name="Line", default="—")
    address = tables.Column(empty_values=(), verbose_name="Property", orderable=False)
    status = tables.Column()
    owner = tables.Column(empty_values=(), orderable=False)
    phones = tables.Column(orderable=False)
    emails = tables.Column(orderable=False)
    mailing = tables.Column(empty_values=(), orderable=False, verbose_name="Mailing address")

    class Meta:
        model = TraceResult
        fields = ["line", "address", "status", "owner", "phones", "emails", "mailing"]
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        empty_text = "No results match these filters."
        template_name = "partials/cells_table.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dnc: dict[str, DncStatus] = {}

    def page_results(self) -> list[TraceResult]:
        """The results of the page being shown (after table_configure)."""
        return [row.record for row in self.paginated_rows]

    def page_cells(self) -> list[str]:
        """The page's results, each as its `<td>` cells: the render_* methods called
        directly, without django-tables2's per-cell machinery (accessors, signatures,
        attrs), which was most of the page's time (as on the lead rows page). Each cell is
        escaped as django-tables2 escapes it (conditional_escape)."""
        rows = []
        for record in self.page_results():
            line = f"{record.record.line:,}" if record.record_id else "—"
            cells = (
                self.render_address(record),
                self.render_status(record),
                self.render_owner(record),
                self.render_phones(record.phones),
                self.render_emails(record.emails),
                self.render_mailing(record),
            )
            rows.append(
                mark_safe(  # noqa: S308 (every cell escaped by conditional_escape)
                    f'<td class="num">{line}</td>'
                    + "".join(f"<td>{conditional_escape(cell)}</td>" for cell in cells)
                )
            )
        return rows

    def render_status(self, record):
        colour = {
            "hit": "success",
            "miss": "secondary",
            "unmatched": "warning",
            "no_result": "danger",
        }[record.status]
        return format_html(
            '<span class="badge text-bg-{}">{}</span>{}',
            colour,
            record.get_status_display(),
            REUSED if record.reused_from_id else "",
        )

    def render_address(self, record):
        values = record.record.values if record.record_id else {}
        if values.get("apn") or record.match_key.startswith("apn|"):
            raw = record.raw or {}
            apn = values.get("apn") or raw.get("parcel_id", "")
            county = values.get("property_county") or raw.get("county", "")
            found = ", ".join(
                p for p in [raw.get("property_address"), raw.get("property_city")] if p
            )
            return format_html(
                "APN {} <small class='text-secondary'>{} County</small>{}",
                apn,
                county.title(),
                format_html("<br>{}", found) if found else "",
            )
        return values.get("property_address") or "—"

    def render_owner(self, record):
        return f"{record.first_name} {record.last_name}".strip() or "—"

    def render_phones(self, value):
        if not value:
            return "—"
        return first_and_more(
            [
                format_html(
                    "{} <small class='text-secondary'>{}</small> {}{}",
                    format_phone(p.get("number", "")),
                    p.get("type", ""),
                    dnc_badge(phone_status(p, self.dnc)),
                    PROVIDER_DNC if p.get("dnc") else "",
                )
                for p in value
            ],
            shown=SHOWN_PHONES,
            what="phone",
        )

    def render_emails(self, value):
        if not value:
            return "—"
        return first_and_more(
            [format_html("{}", e) for e in value], shown=SHOWN_EMAILS, what="email"
        )

    def render_mailing(self, record):
        parts = [record.mail_address, record.mail_city, record.mail_state]
        return ", ".join(p for p in parts if p) or "—"
