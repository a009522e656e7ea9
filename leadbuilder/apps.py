from django.apps import AppConfig


class LeadbuilderConfig(AppConfig):
    name = "leadbuilder"
    verbose_name = "Lead Builder"
