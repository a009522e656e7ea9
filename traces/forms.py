from django import forms

from traces.models import TraceProvider, TraceType


class NewTraceForm(forms.Form):
    provider = forms.ChoiceField(
        choices=TraceProvider.choices,
        widget=forms.RadioSelect,
        required=False,
        initial=TraceProvider.TRACERFY,
    )
    trace_type = forms.ChoiceField(choices=TraceType.choices, widget=forms.RadioSelect)
    # The estimate the user saw; a changed estimate is shown again instead of charging.
    expected_credits = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


US_STATE = forms.RegexField(
    regex=r"^[A-Za-z]{2}$",
    max_length=2,
    error_messages={"invalid": "Use the two-letter state code, e.g. TX."},
)


class AddressLookupForm(forms.Form):
    find = forms.ChoiceField(
        choices=[("owner", "Find the owner"), ("person", "Find a person")],
        initial="owner",
        widget=forms.RadioSelect,
    )
    address = forms.CharField(max_length=200)
    city = forms.CharField(max_length=100)
    state = US_STATE
    zip = forms.RegexField(
        regex=r"^\d{5}(-\d{4})?$",
        required=False,
        error_messages={"invalid": "Use a 5-digit ZIP code."},
    )
    first_name = forms.CharField(max_length=80, required=False)
    last_name = forms.CharField(max_length=80, required=False)

    def clean(self):
        data = super().clean()
        if data.get("find") == "person" and not (data.get("first_name") and data.get("last_name")):
            raise forms.ValidationError("Finding a person needs their first and last name.")
        if data.get("state"):
            data["state"] = data["state"].upper()
        return data


class ApnLookupForm(forms.Form):
    parcel_id = forms.CharField(max_length=80, label="APN / parcel number")
    county = forms.CharField(max_length=80)
    state = US_STATE

    def clean_state(self):
        return self.cleaned_data["state"].upper()
