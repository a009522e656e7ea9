import datetime as dt

from django import forms

from leadops.accounts.models import Team


class CreditChangeForm(forms.Form):
    """Admin form to grant or revoke credits; it only ever writes ledger entries."""

    GRANT, REVOKE = "grant", "revoke"
    direction = forms.ChoiceField(
        choices=[(GRANT, "Grant (add credits)"), (REVOKE, "Revoke (remove credits)")],
        widget=forms.RadioSelect,
        initial=GRANT,
    )
    amount = forms.IntegerField(min_value=1, max_value=10_000_000)
    reason = forms.CharField(max_length=200, help_text="Shown in the user's ledger.")
    # A random token rendered with the form: a double-submitted form writes one entry.
    nonce = forms.CharField(widget=forms.HiddenInput)


class SpendReportForm(forms.Form):
    """The spend report's period (whole days, both included) and an optional team."""

    EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)

    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="All teams"
    )

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            day = data.get(name)
            if day and not self.EARLIEST <= day <= self.LATEST:
                self.add_error(name, "Pick a date between 2000-01-01 and 2100-12-31.")
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(
                f"“From” ({start:%Y-%m-%d}) is after “To” ({end:%Y-%m-%d}): "
                "pick a start on or before the end."
            )
        return data
