from django.apps import AppConfig


class DncConfig(AppConfig):
    name = "dnc"
    verbose_name = "DNC"

    def ready(self):
        from dnc.import_kinds import KINDS
        from dnc.models import DncScrub
        from dnc.selectors import phone_condition, phone_statuses
        from dnc.tracerfy_steps import DncSteps
        from leadops.imports.registry import register_kind
        from leadops.jobs.registry import register
        from leadops.phones import register_dnc_condition, register_dnc_source

        register(DncScrub, DncSteps())
        # Every page and export that lists phones shows what the team knows of them.
        register_dnc_source(phone_statuses)
        register_dnc_condition(phone_condition)
        for kind in KINDS:
            register_kind(kind)
        from dnc.search import SOURCE
        from leadops.search.registry import register as register_search

        register_search(SOURCE)
