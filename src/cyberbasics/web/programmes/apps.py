from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "cyberbasics.web.programmes"
    label = "programmes"
