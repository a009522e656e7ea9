from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    """Provider clients are plain modules; as an app, each provider registers the description
    of its webhooks with the webhook layer, which therefore names no provider."""

    name = "leadops.providers"
    label = "providers"
    verbose_name = "Providers"

    def ready(self):
        from leadops.providers import webhook_descriptions
        from leadops.webhooks.registry import register_provider

        for spec in webhook_descriptions():
            register_provider(spec)
