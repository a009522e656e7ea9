import django_filters

from traces.models import MatchStatus, TraceResult


class TraceResultFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MatchStatus.choices, empty_label="Any result")
    has_mobile = django_filters.BooleanFilter(label="Has mobile")
    has_email = django_filters.BooleanFilter(label="Has email")
    litigator = django_filters.BooleanFilter(label="TCPA litigator")

    class Meta:
        model = TraceResult
        fields = ["status", "has_mobile", "has_email", "litigator"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"
