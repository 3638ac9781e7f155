"""A business's incidents in its data export (`accounts/privacy.py` `business_data`): each
incident with its evidence log as the core's JSON document (the files are named there with
their SHA-256; their bytes come with the bundle download)."""

from __future__ import annotations

from ...incident.evidence import EvidenceError
from . import logs
from .models import Incident


def incidents_data(business) -> list[dict]:
    return [_incident(incident) for incident in
            Incident.objects.filter(business=business).select_related("log", "created_by")
            .order_by("created_at", "pk")]


def _incident(incident: Incident) -> dict:
    try:
        log = logs.core_log(incident.log).to_document()
    except EvidenceError:  # a damaged row: export the stored lines as they are
        log = {"header": incident.log.header,
               "lines": list(incident.log.entries.values_list("line", flat=True))}
    return {"id": incident.pk, "kind": incident.kind, "title": incident.title,
            "became_aware_at": incident.became_aware_at, "time_zone": incident.time_zone,
            "status": incident.status, "created_at": incident.created_at,
            "closed_at": incident.closed_at,
            "created_by": getattr(incident.created_by, "email", None),
            "evidence_log": log}
