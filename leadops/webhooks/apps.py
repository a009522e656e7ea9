from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "leadops.webhooks"
    label = "webhooks"
