from django.urls import path

from . import views

app_name = "crm"
urlpatterns = [
    path("", views.index, name="index"),
    path("settings/", views.settings_panel, name="settings"),
    path("settings/test/", views.connection_test, name="connection_test"),
    path("new/<str:kind>/<int:pk>/", views.new, name="new"),
    path("new/<str:kind>/<int:pk>/plan/", views.plan, name="plan"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/refused/", views.refused, name="refused"),
    path("<int:pk>/retry/", views.retry, name="retry"),
]
