from django.urls import path

from dnc import views

app_name = "dnc"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/import/<int:batch_id>/", views.from_import, name="from_import"),
    path("new/list/", views.from_list, name="from_list"),
    path("new/trace/<int:trace_id>/", views.from_trace, name="from_trace"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/export/<str:which>.<str:fmt>", views.export, name="export"),
    path("internal/", views.internal, name="internal"),
    path("internal/<int:pk>/remove/", views.internal_remove, name="internal_remove"),
    path("lookup/", views.lookup, name="lookup"),
]
