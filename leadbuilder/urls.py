from django.urls import path

from leadbuilder import views

app_name = "leadbuilder"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("new/merged/", views.merged, name="merged"),
    path("searches/", views.searches_index, name="searches"),
    path("searches/save/", views.search_save, name="search_save"),
    path("searches/<int:pk>/rename/", views.search_rename, name="search_rename"),
    path("searches/<int:pk>/delete/", views.search_delete, name="search_delete"),
    path("execute/", views.new, name="execute"),  # replaced by views_jobs.execute on merge
]
