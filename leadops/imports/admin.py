from django.contrib import admin

from leadops.admin_display import number
from leadops.imports.models import ImportBatch, MappingPreset


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Read-only: batches change only through the import services."""

    list_display = [
        "filename",
        "team",
        "created_by",
        "job_type",
        "status",
        number("rows_read"),
        number("rows_unusable"),
        number("duplicates"),
        number("unique_records"),
        "created_at",
    ]
    list_filter = ["status", "job_type", "team"]
    search_fields = ["filename", "created_by__username"]
    list_select_related = ["team", "created_by"]
    date_hierarchy = "created_at"
    # The file is never linked to (uploads have no URL): name and size only.
    exclude = ["file"]
    readonly_fields = ["stored_file"]

    @admin.display(description="Stored file")
    def stored_file(self, obj: ImportBatch) -> str:
        return f"{obj.file.name} ({obj.file_size:,} bytes)" if obj.file else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MappingPreset)
class MappingPresetAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "created_by", "updated_at"]
    list_filter = ["team"]
    search_fields = ["name"]
    list_select_related = ["team", "created_by"]
    readonly_fields = ["headers", "mapping", "created_by", "updated_at"]
