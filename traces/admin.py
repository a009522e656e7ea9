from django.contrib import admin

from leadops.admin_display import number
from leadops.jobs.admin import ReadOnlyAdmin
from traces.models import ReapiBatch, TraceJob, TraceLookup, TraceResult


class ReapiBatchInline(admin.TabularInline):
    model = ReapiBatch
    extra = 0
    can_delete = False
    readonly_fields = ["chunk", "batch_id", "keys", "received", "completed_at", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TraceJob)
class TraceJobAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "team",
        "provider",
        "trace_type",
        "status",
        number("records_sent"),
        number("hits"),
        number("estimated_credits"),
        number("charged_credits"),
        "provider_ref",
        "created_at",
    ]
    list_filter = ["status", "provider", "trace_type", "team"]
    search_fields = ["provider_ref", "batch__filename", "created_by__username"]
    list_select_related = ["team"]
    inlines = [ReapiBatchInline]


@admin.register(TraceResult)
class TraceResultAdmin(ReadOnlyAdmin):
    list_display = ["id", "job", "status", "first_name", "last_name", "primary_phone", "match_key"]
    list_filter = ["status"]
    search_fields = ["match_key", "last_name", "primary_phone"]
    raw_id_fields = ["job", "record", "reused_from"]
    list_select_related = ["job__batch"]


@admin.register(TraceLookup)
class TraceLookupAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "team",
        "kind",
        "hit",
        number("credits_charged"),
        "created_by",
    ]
    list_filter = ["kind", "hit", "team"]
    list_select_related = ["team", "created_by"]
