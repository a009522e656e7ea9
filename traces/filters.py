import django_filters
from django import forms

from traces.models import MatchStatus, TraceResult

ANY = [("", "Any"), ("true", "Yes"), ("false", "No")]


class TraceResultFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=MatchStatus.choices, empty_label="Any result", label="Result"
    )
    has_mobile = django_filters.BooleanFilter(label="Has mobile", widget=forms.Select(choices=ANY))
    has_email = django_filters.BooleanFilter(label="Has email", widget=forms.Select(choices=ANY))
    litigator = django_filters.BooleanFilter(
        label="TCPA litigator", widget=forms.Select(choices=ANY)
    )

    class Meta:
        model = TraceResult
        fields = ["status", "has_mobile", "has_email", "litigator"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"
