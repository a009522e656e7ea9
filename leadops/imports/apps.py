from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "leadops.imports"
    label = "imports"

    def ready(self) -> None:
        from leadops.imports import signals  # noqa: F401 - connects the receivers
