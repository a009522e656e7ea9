from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "leadops.imports"
    label = "imports"
