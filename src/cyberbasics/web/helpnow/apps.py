from django.apps import AppConfig


class HelpNowConfig(AppConfig):
    name = "cyberbasics.web.helpnow"
    label = "helpnow"
