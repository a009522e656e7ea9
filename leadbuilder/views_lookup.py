"""Property lookup pages: one address looked up (10 credits when found), its stored card,
the team's history, and the address-autocomplete fragment the lookup page and the build
form's radius centre share."""

import math

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from leadbuilder import lookups
from leadbuilder.lookups import (
    AUTOCOMPLETE_MIN_CHARS,
    LookupFailed,
    LookupRefused,
    property_card,
    property_lookup_run,
)
from leadbuilder.models import LOOKUP_CREDITS, PropertyLookup
from leadops.accounts.scoping import get_for_team_or_404, scoped
from leadops.credits.errors import InsufficientCredits
from leadops.providers.errors import ProviderError, RateLimited
from leadops.tables import NumberColumn, table_configure

TABLE_ATTRS = {"class": "table table-sm table-hover align-middle mb-0"}


class PropertyLookupForm(forms.Form):
    address = forms.CharField(
        max_length=200,
        label="Street address",
        error_messages={"required": "Type the street address to look up."},
    )
    city = forms.CharField(max_length=100, error_messages={"required": "Type the city."})
    state = forms.CharField(
        max_length=20, error_messages={"required": "Type the state (2 letters)."}
    )
    zip_code = forms.CharField(
        max_length=10,
        required=False,
        label="ZIP",
        help_text="Optional, but without it a common street name can match the wrong house.",
    )


class PropertyLookupTable(tables.Table):
    """The team's property lookups, newest first; each opens its stored card."""

    created_at = tables.DateTimeColumn(
        verbose_name="When", format="M j, H:i", attrs={"td": {"class": "text-nowrap"}}
    )
    address = tables.Column(verbose_name="Address", order_by=("address", "city"))
    result = tables.Column(empty_values=(), orderable=False)
    owner = tables.Column(empty_values=(), orderable=False)
    credits_charged = NumberColumn(verbose_name="Credits")
    created_by = tables.Column(
        verbose_name="By", order_by="created_by__username", attrs={"td": {"class": "text-nowrap"}}
    )

    class Meta:
        model = PropertyLookup
        fields = ["created_at", "address", "result", "owner", "credits_charged", "created_by"]
        attrs = TABLE_ATTRS
        empty_text = "No property lookups yet. Look up an address above."
        order_by = "-created_at"

    def render_address(self, record):
        where = f"{record.address}, {record.city}, {record.state} {record.zip_code}".strip()
        return format_html(
            '<a href="{}">{}</a>', reverse("leadbuilder:lookup_detail", args=[record.pk]), where
        )

    def render_result(self, record):
        if record.error:
            return format_html(
                '<span class="text-danger" title="{}">failed, not charged</span>', record.error
            )
        if record.hit:
            return mark_safe('<span class="badge text-bg-success">Found</span>')
        return mark_safe('<span class="badge text-bg-secondary">Not found</span>')

    def render_owner(self, record):
        owners = (record.result or {}).get("owners") or []
        if not owners:
            return "—"
        first = owners[0]
        name = f"{first.get('first_name', '')} {first.get('last_name', '')}".strip()
        return f"{name} +{len(owners) - 1}" if len(owners) > 1 else name


def _history(request):
    table = PropertyLookupTable(scoped(PropertyLookup, request).select_related("created_by"))
    table_configure(request, table, per_page=25)
    return table


@login_required
def lookup(request):
    """One address looked up (10 credits if found, nothing on a miss), its card, and the
    team's lookups. A lookup redirects to its own card (`?result=`), so reloading the page
    never pays again."""
    form = PropertyLookupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            done = property_lookup_run(team=request.team, user=request.user, **form.cleaned_data)
        except LookupRefused as exc:
            if exc.field:
                form.add_error(exc.field, str(exc))
            else:
                messages.error(request, f"{exc} Nothing was charged.")
        except InsufficientCredits as exc:
            messages.error(request, exc.for_lookup())
        except LookupFailed as exc:
            messages.error(request, f"The lookup failed and nothing was charged: {exc}")
        else:
            return redirect(f"{reverse('leadbuilder:lookup')}?result={done.pk}")
    card = None
    shown = request.GET.get("result", "")
    if shown.isdigit():
        found = scoped(PropertyLookup, request).filter(pk=shown).first()
        card = property_card(lookup=found) if found else None
    return render(
        request,
        "leadbuilder/lookup.html",
        {
            "form": form,
            "card": card,
            "table": _history(request),
            "credits": LOOKUP_CREDITS,
            "min_chars": AUTOCOMPLETE_MIN_CHARS,
        },
    )


@login_required
def lookup_detail(request, pk: int):
    """A stored lookup's card, exactly as it was answered."""
    found = get_for_team_or_404(PropertyLookup.objects.select_related("created_by"), request, pk=pk)
    return render(request, "leadbuilder/lookup_detail.html", {"card": property_card(lookup=found)})


@login_required
@require_GET
def autocomplete(request):
    """Address suggestions for `?q=` (free), as a list-group fragment. Fewer than
    AUTOCOMPLETE_MIN_CHARS characters: an empty fragment, and Tracerfy is not called. A
    refusal by the rate limiter or Tracerfy, or a provider error, is a quiet line: typing
    the address by hand always works."""
    search = " ".join(request.GET.get("q", "").split())
    searched = len(search) >= AUTOCOMPLETE_MIN_CHARS
    context = {
        "matches": (),
        "searched": searched,
        "paused": None,
        "notice": "",
        "unavailable": False,
    }
    if searched:
        try:
            context["matches"] = lookups.autocomplete(search=search[:200]).results
        except RateLimited as exc:
            context["paused"] = max(1, math.ceil(exc.retry_after))
            context["notice"] = "" if exc.local else exc.message
        except ProviderError:
            context["unavailable"] = True
    return render(request, "leadbuilder/partials/autocomplete.html", context)
