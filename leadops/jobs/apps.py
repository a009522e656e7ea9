from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "leadops.jobs"
    label = "jobs"
    verbose_name = "Paid jobs"

    def ready(self):
        from leadops.jobs import webhooks

        webhooks.register()
