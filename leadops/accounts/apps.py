from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "leadops.accounts"
    label = "accounts"
    verbose_name = "Teams and members"
