from django import forms

from dnc.models import PhoneTypes


class PasteForm(forms.Form):
    """A pasted list of phones to scrub: any spelling, one per line or comma-separated."""

    phones = forms.CharField(
        label="Phones",
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "class": "form-control font-monospace",
                "placeholder": "(512) 555-0100\n512-555-0101, +1 512 555 0102",
            }
        ),
        error_messages={"required": "Paste at least one phone number."},
    )
    name = forms.CharField(
        label="Name (optional)",
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "e.g. Call list"}),
    )


class TracePhonesForm(forms.Form):
    phone_types = forms.ChoiceField(
        choices=PhoneTypes.choices,
        initial=PhoneTypes.ALL,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class SubmitForm(forms.Form):
    """The cost preview's submit: the estimate the user saw and the form's one-time token."""

    expected_credits = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    submit_token = forms.CharField(max_length=64, widget=forms.HiddenInput)
