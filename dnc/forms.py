from django import forms

from dnc.internal import REASON_MAX
from dnc.models import PhoneTypes
from leadops.imports.normalize import normalize_phone


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


class InternalDncForm(forms.Form):
    """Add phones to the internal list: typed or pasted, and/or a spreadsheet, with why.
    Which entries are phones is for the service to judge (it reports each invalid one)."""

    phones = forms.CharField(
        required=False,
        label="Phone numbers",
        help_text="One number, or a list: one per line, or separated by commas or semicolons.",
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control font-monospace"}),
    )
    file = forms.FileField(
        required=False,
        label="…or a spreadsheet",
        help_text="CSV or XLSX with a header row: every cell that is a US phone, in any column.",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.xlsx"}),
    )
    reason = forms.CharField(
        max_length=REASON_MAX,
        help_text="Why nobody may call these numbers (kept with each one).",
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": "e.g. Asked us to stop calling"}
        ),
        error_messages={"required": "Say why these phones must never be called."},
    )
    # Set by the Undo button of a removal: the phone goes back with its old reason.
    undo = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not (data.get("phones") or "").strip() and not data.get("file"):
            raise forms.ValidationError("Type or paste a phone number, or choose a spreadsheet.")
        return data


class DncLookupForm(forms.Form):
    phone = forms.CharField(
        max_length=40,
        label="Phone number",
        help_text="A US number in any format: (512) 555-0101, 512.555.0101, +1 512 555 0101…",
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "placeholder": "(512) 555-0101",
                "autocomplete": "off",
                "inputmode": "tel",
            }
        ),
        error_messages={"required": "Type the phone number to check."},
    )

    def clean_phone(self) -> str:
        """The phone in E.164; an invalid one is a form error and nothing is charged."""
        cleaned = normalize_phone(self.cleaned_data["phone"])
        if cleaned.error or not cleaned.value:
            raise forms.ValidationError(cleaned.error or "Type the phone number to check.")
        return cleaned.value
