from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "leadops.search"
    label = "search"
    verbose_name = "Search"
