from django.apps import AppConfig


class DncConfig(AppConfig):
    name = "dnc"
    verbose_name = "DNC"
