import django_tables2 as tables

from leadops.credits.models import CreditEntry


class CreditEntryTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name="When", format="M j, Y H:i")
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

    def render_amount(self, record):
        return record.change_text

    def render_balance_after(self, value):
        return f"{value:,}"
