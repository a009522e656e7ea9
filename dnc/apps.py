from django.apps import AppConfig


class DncConfig(AppConfig):
    name = "dnc"
    verbose_name = "DNC"

    def ready(self):
        from dnc.import_kinds import KINDS
        from leadops.imports.registry import register_kind

        for kind in KINDS:
            register_kind(kind)
