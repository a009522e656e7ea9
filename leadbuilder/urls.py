from django.urls import path

from leadbuilder import views, views_lookup

app_name = "leadbuilder"
urlpatterns = [
    path("", views.index, name="index"),
    path("lookup/", views_lookup.lookup, name="lookup"),
    path("lookup/<int:pk>/", views_lookup.lookup_detail, name="lookup_detail"),
    path("autocomplete/", views_lookup.autocomplete, name="autocomplete"),
]
