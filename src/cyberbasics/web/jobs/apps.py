from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "cyberbasics.web.jobs"
    label = "jobs"
