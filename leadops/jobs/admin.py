from django.contrib import admin

from leadops.jobs.models import JobEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """For data the services write (jobs, results, lookups): admins look, they do not add
    or edit (deleting stays possible, e.g. a test job)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JobEvent)
class JobEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "content_type", "object_id", "from_status", "to_status", "detail"]
    list_filter = ["content_type", "to_status"]
    list_select_related = ["content_type"]
    search_fields = ["detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
