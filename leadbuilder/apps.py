from django.apps import AppConfig


class LeadbuilderConfig(AppConfig):
    name = "leadbuilder"
    verbose_name = "Lead Builder"

    def ready(self) -> None:
        from leadbuilder.models import LeadBuild
        from leadbuilder.tracerfy_steps import LeadSteps
        from leadops.jobs.registry import register

        register(LeadBuild, LeadSteps())
        from leadbuilder.search import SOURCE
        from leadops.search.registry import register as register_search

        register_search(SOURCE)
