import django_tables2 as tables
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from leadops.credits.models import CreditEntry

WHEN_FORMAT = "M j, Y H:i"


class CreditEntryTable(tables.Table):
    """A wallet's ledger (the dashboard). Its rows come as ready cells (`page_cells`, shown
    by partials/cells_table.html): django-tables2's per-cell rendering was about 40 % of the
    dashboard's time."""

    created_at = tables.DateTimeColumn(verbose_name="When", format=WHEN_FORMAT)
    kind = tables.Column(verbose_name="Kind")
    amount = tables.Column(
        verbose_name="Change", attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    balance_after = tables.Column(
        verbose_name="Available after", attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    reason = tables.Column()
    actor = tables.Column(verbose_name="By", default="system")

    keyset = True  # can reach 100,000 rows: paged by leadops.pagination

    class Meta:
        model = CreditEntry
        fields = ["created_at", "kind", "amount", "balance_after", "reason", "actor"]
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        empty_text = "No credit activity yet. An admin grants credits in Admin → Wallets."
        order_by = "-created_at"
        template_name = "partials/cells_table.html"

    def page_cells(self) -> list[str]:
        """The page's entries, each as its `<td>` cells, every value escaped."""
        rows = []
        for row in self.paginated_rows:
            entry = row.record
            when = dateformat.format(timezone.localtime(entry.created_at), WHEN_FORMAT)
            cells = (
                f"<td>{conditional_escape(when)}</td>"
                f"<td>{conditional_escape(entry.get_kind_display())}</td>"
                f'<td class="num">{conditional_escape(entry.change_text)}</td>'
                f'<td class="num">{entry.balance_after:,}</td>'
                f"<td>{conditional_escape(entry.reason)}</td>"
                f"<td>{conditional_escape(entry.actor or 'system')}</td>"
            )
            rows.append(mark_safe(cells))  # noqa: S308 (every value escaped above)
        return rows
