from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    name = "cyberbasics.web.businesses"
    label = "businesses"
