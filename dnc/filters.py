import django_filters

from dnc.models import InternalDnc
from dnc.selectors import internal_search_q


class InternalDncFilter(django_filters.FilterSet):
    """The internal list's search box: a phone in any spelling, a reason or who added it."""

    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = InternalDnc
        fields = ["q"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.form.fields["q"]
        field.widget.attrs.update(
            {
                "class": "form-control form-control-sm",
                "placeholder": "Phone, reason or person",
                "type": "search",
                "maxlength": "100",
            }
        )

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(internal_search_q(value)) if value else queryset
