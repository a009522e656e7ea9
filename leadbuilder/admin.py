from django.contrib import admin

from leadbuilder.models import AiConversation, AiTurn, LeadBuild, PropertyLookup, SavedSearch
from leadops.admin_display import number
from leadops.jobs.admin import ReadOnlyAdmin


@admin.register(LeadBuild)
class LeadBuildAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "team",
        "name",
        "strategy_label",
        "status",
        number("requested_count"),
        number("rows_done"),
        number("estimated_credits"),
        number("charged_credits"),
        "provider_ref",
        "created_by",
        "created_at",
    ]
    list_filter = ["team", "status"]
    search_fields = ["name", "provider_ref", "created_by__username"]
    list_select_related = ["team", "created_by"]


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "created_by", "updated_at", "last_run_at"]
    list_filter = ["team"]
    search_fields = ["name"]
    list_select_related = ["team", "created_by"]
    raw_id_fields = ["created_by"]


class AiTurnInline(admin.TabularInline):
    model = AiTurn
    extra = 0
    can_delete = False
    fields = ["created_at", "prompt", "needs_clarification", "credits_charged", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AiConversation)
class AiConversationAdmin(ReadOnlyAdmin):
    list_display = ["id", "team", "conversation_id", "created_by", "created_at"]
    list_filter = ["team"]
    search_fields = ["conversation_id", "created_by__username"]
    list_select_related = ["team", "created_by"]
    inlines = [AiTurnInline]


@admin.register(PropertyLookup)
class PropertyLookupAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "team",
        "address",
        "city",
        "state",
        "hit",
        number("credits_charged"),
        "error",
        "created_by",
    ]
    list_filter = ["team", "hit"]
    search_fields = ["address", "city", "created_by__username"]
    list_select_related = ["team", "created_by"]
