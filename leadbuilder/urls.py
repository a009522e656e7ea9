from django.urls import path

from leadbuilder import views

app_name = "leadbuilder"
urlpatterns = [
    path("", views.index, name="index"),
]
