from django.urls import path

from leadops.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:batch_id>/", views.preview, name="preview"),
    path("<int:batch_id>/mapping/", views.mapping, name="mapping"),
    path("<int:batch_id>/mapping/check/", views.mapping_check, name="mapping_check"),
    path("<int:batch_id>/sheet/", views.choose_sheet, name="sheet"),
    path("<int:batch_id>/rejects.csv", views.rejects_csv, name="rejects_csv"),
    path("<int:batch_id>/progress/", views.store_progress, name="store_progress"),
    path("presets/", views.presets_index, name="presets"),
    path("presets/<int:pk>/rename/", views.preset_rename, name="preset_rename"),
    path("presets/<int:pk>/delete/", views.preset_delete, name="preset_delete"),
]
