from django.urls import path

from dnc import views

app_name = "dnc"
urlpatterns = [
    path("", views.index, name="index"),
]
