from django import forms

from traces.models import credits_per_record
from traces.services import TraceOptions


class NewTraceForm(forms.Form):
    """The cost preview: which provider and trace type, and the estimate the user saw.

    The choices are what can trace this import (traces.services.trace_options). Unbound,
    the form holds the selection from the query string (`?provider=…&type=…`), falling back
    to the defaults for anything missing or not offered; `selection()` gives the pair to
    estimate either way.
    """

    provider = forms.ChoiceField(widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    trace_type = forms.ChoiceField(
        label="Trace type", widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )
    # Also send the rows a normal trace cannot take as an advanced trace (offered only
    # when traces.services.alternative_offer says so).
    include_alternative = forms.BooleanField(
        required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    # The estimate the user saw; a changed estimate is shown again instead of charging.
    expected_credits = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    # One-time token (leadops.jobs.tokens): a double click or a replayed POST makes one job.
    submit_token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, data=None, *, options: TraceOptions, query=None, **kwargs):
        super().__init__(data, **kwargs)
        self.options = options
        self.fields["provider"].choices = options.providers
        self.fields["trace_type"].choices = options.trace_types
        query = query or {}
        provider = query.get("provider")
        trace_type = query.get("trace_type") or query.get("type")
        self.initial.setdefault(
            "provider", provider if provider in dict(options.providers) else options.providers[0][0]
        )
        self.initial.setdefault(
            "trace_type",
            trace_type if trace_type in dict(options.trace_types) else options.default_type,
        )
        self.initial.setdefault(
            "include_alternative", query.get("include_alternative") in ("on", "true", "1")
        )

    def selection(self) -> tuple[str, str]:
        """(provider, trace_type): what was posted when it is valid, else the initial pair."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else self.initial
        return data["provider"], data["trace_type"]

    def wants_alternative(self) -> bool:
        """Whether the rows a normal trace cannot take are to go along (posted or initial)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else self.initial
        return bool(data.get("include_alternative"))

    def trace_type_prices(self) -> list[tuple[forms.BoundField, int]]:
        """Each trace-type radio with its price per hit for the selected provider."""
        provider = self.selection()[0]
        return [
            (radio, credits_per_record(provider=provider, trace_type=radio.data["value"]))
            for radio in self["trace_type"]
        ]


class RetraceForm(forms.Form):
    """The re-trace button: the cost the user saw (a changed cost is shown again)."""

    expected_credits = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    submit_token = forms.CharField(max_length=64, widget=forms.HiddenInput)


US_STATE = forms.RegexField(
    regex=r"^[A-Za-z]{2}$",
    max_length=2,
    error_messages={"invalid": "Use the two-letter state code, e.g. TX."},
)


class ScrubPhonesForm(forms.Form):
    """The job page's "Scrub phones…" form. It posts to the DNC app (dnc:from_trace), which
    checks the choice and shows the cost preview; the choices are its phone types."""

    phone_types = forms.ChoiceField(
        label="Which phones",
        choices=[("all", "All phones"), ("mobile", "Mobile phones"), ("landline", "Landlines")],
        initial="all",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
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
