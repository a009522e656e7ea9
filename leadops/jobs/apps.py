from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "leadops.jobs"
    label = "jobs"
    verbose_name = "Paid jobs"

    def ready(self):
        from leadops.jobs.webhooks import completion_handler
        from leadops.webhooks.registry import register_resolver

        register_resolver(completion_handler)
