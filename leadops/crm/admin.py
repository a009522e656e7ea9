from django.contrib import admin

from leadops.admin_display import number
from leadops.jobs.admin import ReadOnlyAdmin

from .models import CrmBatch, CrmContact, CrmPush, CrmSettings


class CrmBatchInline(admin.TabularInline):
    """A push's batches, without their request bodies (they can be large)."""

    model = CrmBatch
    extra = 0
    can_delete = False
    fields = ["number", "state", "contacts", "size_bytes", "attempts", "error", "sent_at"]
    readonly_fields = fields
    ordering = ["number"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CrmPush)
class CrmPushAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "team",
        "source_name",
        "selection",
        "status",
        number("contacts"),
        number("creates"),
        number("updates"),
        number("refused"),
        number("batches_total"),
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "source_kind", "selection", "team"]
    search_fields = ["source_name", "created_by__username"]
    list_select_related = ["team", "created_by"]
    raw_id_fields = ["created_by", "hold", "retry_of"]
    inlines = [CrmBatchInline]


@admin.register(CrmSettings)
class CrmSettingsAdmin(admin.ModelAdmin):
    list_display = ["team", "send_blocked_phones", "last_test_at", "last_test_ok", "updated_at"]
    list_select_related = ["team"]
    fields = [
        "team",
        "default_tags",
        "send_blocked_phones",
        "last_test_at",
        "last_test_ok",
        "last_test_message",
    ]
    readonly_fields = ["last_test_at", "last_test_ok", "last_test_message"]


@admin.register(CrmContact)
class CrmContactAdmin(ReadOnlyAdmin):
    list_display = ["crm_id", "team", "name", "address", number("pushes"), "last_pushed_at"]
    list_filter = ["team"]
    search_fields = ["crm_id", "name", "address"]
    list_select_related = ["team"]
    raw_id_fields = ["first_push", "last_push"]
