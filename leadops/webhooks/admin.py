from django.contrib import admin, messages

from leadops.admin_display import number
from leadops.webhooks.models import WebhookEvent
from leadops.webhooks.services import webhook_reprocess


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "provider",
        "kind",
        "status",
        number("attempts"),
        number("duplicates"),
        "dedupe_key",
    ]
    list_filter = ["provider", "kind", "status"]
    search_fields = ["dedupe_key", "body"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    actions = ["reprocess"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Reprocess the selected events")
    def reprocess(self, request, queryset):
        for event in queryset:
            webhook_reprocess(event=event)
        self.message_user(request, f"{queryset.count():,} event(s) queued again.", messages.SUCCESS)
