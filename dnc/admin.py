from django import forms
from django.contrib import admin

from dnc.models import DncLookup, DncScrub, InternalDnc, PhoneStatus
from leadops.admin_display import number
from leadops.imports.normalize import normalize_phone
from leadops.jobs.admin import ReadOnlyAdmin


class InternalDncAdminForm(forms.ModelForm):
    class Meta:
        model = InternalDnc
        fields = ["team", "phone", "reason", "added_by"]

    def clean_phone(self) -> str:
        """Stored in E.164 like every other entry, so it matches wherever the phone appears."""
        cleaned = normalize_phone(self.cleaned_data["phone"])
        if cleaned.error or not cleaned.value:
            raise forms.ValidationError(cleaned.error or "Enter a phone number.")
        return cleaned.value


@admin.register(InternalDnc)
class InternalDncAdmin(admin.ModelAdmin):
    form = InternalDncAdminForm
    list_display = ["phone", "team", "reason", "added_by", "created_at"]
    list_filter = ["team"]
    search_fields = ["phone", "reason", "added_by__username"]
    list_select_related = ["team", "added_by"]
    raw_id_fields = ["added_by"]
    readonly_fields = ["created_at"]


@admin.register(PhoneStatus)
class PhoneStatusAdmin(ReadOnlyAdmin):
    list_display = [
        "phone",
        "team",
        "national_dnc",
        "state_dnc",
        "dma",
        "litigator",
        "is_clean",
        "phone_type",
        "checked_at",
        "source",
    ]
    list_filter = ["team", "is_clean", "national_dnc", "state_dnc", "dma", "litigator"]
    search_fields = ["phone", "source"]
    list_select_related = ["team"]


@admin.register(DncLookup)
class DncLookupAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "team",
        "phone",
        "national_dnc",
        "state_dnc",
        "dma",
        "litigator",
        "is_clean",
        number("credits_charged"),
        "error",
        "created_by",
    ]
    list_filter = ["team", "is_clean"]
    search_fields = ["phone", "created_by__username"]
    list_select_related = ["team", "created_by"]


@admin.register(DncScrub)
class DncScrubAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "team",
        "source",
        "name",
        "status",
        number("phones_unique"),
        number("phones_sent"),
        number("hits"),
        number("estimated_credits"),
        number("charged_credits"),
        "provider_ref",
        "created_at",
    ]
    list_filter = ["status", "source", "team"]
    search_fields = ["provider_ref", "name", "created_by__username"]
    list_select_related = ["team"]
    raw_id_fields = ["batch", "trace", "hold", "created_by"]
