from django.apps import AppConfig


class MailCheckConfig(AppConfig):
    name = "cyberbasics.web.mailcheck"
    label = "mailcheck"
