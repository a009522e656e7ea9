from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "leadops.jobs"
    label = "jobs"
