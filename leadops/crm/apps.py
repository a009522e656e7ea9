from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "leadops.crm"
    label = "crm"
    verbose_name = "CRM push"

    def ready(self) -> None:
        from leadops.crm.models import CrmPush
        from leadops.crm.steps import CrmSteps
        from leadops.jobs.registry import register

        register(CrmPush, CrmSteps())
        from leadops.crm.search import SOURCE
        from leadops.search.registry import register as register_search

        register_search(SOURCE)
