from django.urls import path

from leadops.webhooks import views

app_name = "webhooks"
urlpatterns = [path("<slug:provider>/<str:token>/", views.receive, name="receive")]
