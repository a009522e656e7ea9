from django.urls import path

from leadbuilder import views, views_ai, views_jobs, views_lookup, views_rows

app_name = "leadbuilder"
urlpatterns = [
    path("", views_jobs.index, name="index"),
    path("new/", views.new, name="new"),
    path("new/merged/", views.merged, name="merged"),
    path("execute/", views_jobs.execute, name="execute"),
    path("searches/", views.searches_index, name="searches"),
    path("searches/save/", views.search_save, name="search_save"),
    path("searches/<int:pk>/rename/", views.search_rename, name="search_rename"),
    path("searches/<int:pk>/delete/", views.search_delete, name="search_delete"),
    path("<int:pk>/", views_jobs.detail, name="detail"),
    path("<int:pk>/progress/", views_jobs.progress, name="progress"),
    path("<int:pk>/cancel/", views_jobs.cancel, name="cancel"),
    path("<int:pk>/rows/", views_rows.rows, name="rows"),
    path("<int:pk>/rows/<int:row_pk>/", views_rows.row_detail, name="row"),
    path("<int:pk>/rows/export/", views_rows.export, name="export"),
    path("<int:pk>/rows/to-dnc/", views_rows.to_dnc, name="to_dnc"),
    path("lookup/", views_lookup.lookup, name="lookup"),
    path("lookup/<int:pk>/", views_lookup.lookup_detail, name="lookup_detail"),
    path("autocomplete/", views_lookup.autocomplete, name="autocomplete"),
    path("ai/ask/", views_ai.ai_ask, name="ai_ask"),
    path("ai/panel/", views_ai.ai_panel_view, name="ai_panel"),
]
