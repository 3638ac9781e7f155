from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cyberbasics.web.accounts"
    label = "accounts"
