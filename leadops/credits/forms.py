from django import forms


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
