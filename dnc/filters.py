import django_filters
from django.db.models import Q

from dnc.models import DncPhone, InternalDnc, PhoneOrigin, PhoneOutcome, fresh_since
from dnc.selectors import internal_search_q

# What the results table filters on. A phone is in each list one of its flags puts it in
# (a phone on the federal and a state list is in both); "clean" means clean and fresh.
SHOW = [
    ("clean", "Clean (fresh)"),
    ("federal", "Federal DNC"),
    ("state", "State DNC"),
    ("dma", "DMA"),
    ("litigator", "TCPA litigator"),
    ("internal", "Internal DNC"),
    ("stale", "Stale (scrub again)"),
    ("no_result", "No result received"),
    ("invalid", "Invalid (not sent)"),
]
SCRUBBED = [PhoneOrigin.SENT, PhoneOrigin.REUSED]


def show_q(value: str) -> Q:
    """The condition of one SHOW choice (also used by the counts and the exports)."""
    fresh = Q(checked_at__gte=fresh_since())
    return {
        "clean": Q(outcome=PhoneOutcome.CLEAN) & fresh,
        "federal": Q(national_dnc=True),
        "state": Q(state_dnc=True),
        "dma": Q(dma=True),
        "litigator": Q(litigator=True),
        "internal": Q(outcome=PhoneOutcome.INTERNAL),
        "stale": Q(origin__in=SCRUBBED, checked_at__lt=fresh_since()),
        "no_result": Q(outcome=PhoneOutcome.NO_RESULT),
        "invalid": Q(outcome=PhoneOutcome.INVALID),
    }[value]


class DncPhoneFilter(django_filters.FilterSet):
    show = django_filters.ChoiceFilter(
        choices=SHOW, empty_label="All phones", label="Show", method="filter_show"
    )
    phone = django_filters.CharFilter(label="Phone contains", method="filter_phone")

    class Meta:
        model = DncPhone
        fields = ["show", "phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["show"].widget.attrs["class"] = "form-select form-select-sm"
        self.form.fields["phone"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": "555-0100"}
        )

    def filter_show(self, queryset, name, value):
        return queryset.filter(show_q(value)) if value else queryset

    def filter_phone(self, queryset, name, value):
        digits = "".join(ch for ch in value if ch.isdigit())
        return queryset.filter(phone__contains=digits) if digits else queryset


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
