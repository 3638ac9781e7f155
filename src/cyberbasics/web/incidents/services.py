"""Incidents kept in a business's account: creating, closing, reopening (each recorded in the
audit log), and the scoped reads every view goes through."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ..audit.services import record
from . import logs
from .models import Incident


def incidents_of(business):
    return Incident.objects.filter(business=business).select_related("log", "created_by")


def incident_of(business, incident_id: int) -> Incident:
    """One incident of this business, or 404: an id from another business is never found."""
    return get_object_or_404(incidents_of(business), pk=incident_id)


def create_incident(business, *, kind: str, title: str, became_aware_at: dt.datetime,
                    time_zone: str, created_by, request=None) -> Incident:
    with transaction.atomic():
        stored = logs.create_log(business.name, time_zone)
        incident = Incident.objects.create(
            business=business, kind=kind, title=title, became_aware_at=became_aware_at,
            time_zone=time_zone, log=stored, created_by=created_by)
        record("incident.created", request=request, actor=created_by if request is None
               else None, business=business, incident=incident.pk, kind=kind)
    return incident


def set_status(incident: Incident, status: str, *, request) -> Incident:
    """Close or reopen; the log itself stays as it is (closed incidents keep their evidence)."""
    if incident.status == status:
        return incident
    incident.status = status
    incident.closed_at = timezone.now() if status == Incident.Status.CLOSED else None
    incident.save(update_fields=["status", "closed_at"])
    action = "incident.closed" if status == Incident.Status.CLOSED else "incident.reopened"
    record(action, request=request, business=incident.business, incident=incident.pk)
    return incident


def record_download(incident: Incident, what: str, *, request) -> None:
    record("incident.downloaded", request=request, business=incident.business,
           incident=incident.pk, format=what)


def record_entry(incident: Incident, seq: int, files: int, *, request) -> None:
    record("incident.entry_added", request=request, business=incident.business,
           incident=incident.pk, seq=seq, files=files)
