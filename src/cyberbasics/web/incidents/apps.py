from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "cyberbasics.web.incidents"
    label = "incidents"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
