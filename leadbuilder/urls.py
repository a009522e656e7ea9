from django.urls import path

from leadbuilder import views, views_ai

app_name = "leadbuilder"
urlpatterns = [
    path("", views.index, name="index"),
    path("ai/ask/", views_ai.ai_ask, name="ai_ask"),
    path("ai/panel/", views_ai.ai_panel_view, name="ai_panel"),
]
