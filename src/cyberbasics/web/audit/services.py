from __future__ import annotations

from typing import Any

from ..client_address import client_address
from .models import AuditEvent


def record(action: str, *, request=None, actor=None, business=None, **detail: Any) -> AuditEvent:
    """Log one event; the actor defaults to the request's signed-in user."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    ip = client_address(request) if request is not None else None
    return AuditEvent.objects.create(actor=actor, actor_label=getattr(actor, "email", "") or "",
                                     action=action, business=business, detail=detail, ip=ip)
