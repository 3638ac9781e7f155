"""A factory for tests that need an incident (the isolation walk, say)."""

from __future__ import annotations

from django.utils import timezone

from .services import create_incident


def make_incident(business, *, created_by=None, kind: str = "ransomware",
                  title: str = "Ransom note on the reception PC"):
    """An open incident of `business` with an empty evidence log."""
    return create_incident(business, kind=kind, title=title, became_aware_at=timezone.now(),
                           time_zone=business.time_zone or "UTC", created_by=created_by)
