"""An incident deleted (with its business, say) takes its evidence log and files with it:
the log row is protected from deletion while the incident points at it, so it goes here."""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver

from . import files as file_store
from .models import Incident, StoredLog


@receiver(post_delete, sender=Incident, dispatch_uid="cyberbasics.incidents.log_with_incident")
def delete_log_with_incident(sender, instance: Incident, **kwargs) -> None:
    log_id = StoredLog.objects.filter(pk=instance.log_id).values_list("log_id", flat=True).first()
    StoredLog.objects.filter(pk=instance.log_id).delete()
    if log_id:
        file_store.delete_store(log_id)
