import django_filters

from .models import CrmRefusal, RefusalReason


class CrmRefusalFilter(django_filters.FilterSet):
    reason = django_filters.ChoiceFilter(
        choices=RefusalReason.choices, empty_label="Every reason", label="Reason"
    )

    class Meta:
        model = CrmRefusal
        fields = ["reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["reason"].widget.attrs["class"] = "form-select form-select-sm"
