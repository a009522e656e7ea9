from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "leadops.crm"
    label = "crm"
