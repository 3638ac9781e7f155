from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cyberbasics.web.audit"
    label = "audit"
