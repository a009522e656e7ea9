from django.urls import path

from leadbuilder import views_ai, views_jobs, views_lookup

app_name = "leadbuilder"
urlpatterns = [
    path("", views_jobs.index, name="index"),
    path("execute/", views_jobs.execute, name="execute"),
    path("<int:pk>/", views_jobs.detail, name="detail"),
    path("<int:pk>/progress/", views_jobs.progress, name="progress"),
    path("<int:pk>/cancel/", views_jobs.cancel, name="cancel"),
    path("lookup/", views_lookup.lookup, name="lookup"),
    path("lookup/<int:pk>/", views_lookup.lookup_detail, name="lookup_detail"),
    path("autocomplete/", views_lookup.autocomplete, name="autocomplete"),
    path("ai/ask/", views_ai.ai_ask, name="ai_ask"),
    path("ai/panel/", views_ai.ai_panel_view, name="ai_panel"),
]
