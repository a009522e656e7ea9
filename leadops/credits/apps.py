from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "leadops.credits"
    label = "credits"
    verbose_name = "Credits"
