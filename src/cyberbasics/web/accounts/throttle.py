"""Sign-in throttling, shared by every process through the database.

Five failed steps (a wrong password or a wrong second-factor code) for one e-mail address,
or twenty from one IP address, within 15 minutes lock that address for 15 minutes from the
failure that reached the limit. Refused attempts are not counted, so a locked address opens
again on time; the lock does not depend on whether an account exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import LoginAttempt

WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
PER_EMAIL = 5
PER_IP = 20
KEEP = timedelta(days=1)


def client_ip(request) -> str | None:
    """The address the request came from (see web/client_address.py for proxies)."""
    from ..client_address import client_address

    return client_address(request)


def _locked(attempts, limit: int, now) -> bool:
    last = attempts.order_by("-at").values_list("at", flat=True).first()
    if last is None or now >= last + LOCK:
        return False
    return attempts.filter(at__gt=last - WINDOW, at__lte=last).count() >= limit


def is_locked(email: str, ip: str | None) -> bool:
    now = timezone.now()
    email = normalise(email)
    if email and _locked(LoginAttempt.objects.filter(email=email), PER_EMAIL, now):
        return True
    return bool(ip) and _locked(LoginAttempt.objects.filter(ip=ip), PER_IP, now)


def record_failure(email: str, ip: str | None, stage: str = LoginAttempt.Stage.PASSWORD) -> None:
    now = timezone.now()
    LoginAttempt.objects.create(email=normalise(email), ip=ip, stage=stage, at=now)
    LoginAttempt.objects.filter(at__lt=now - KEEP).delete()


def clear(email: str) -> None:
    """A complete sign-in forgets that address's failures."""
    LoginAttempt.objects.filter(email=normalise(email)).delete()


def normalise(email: str) -> str:
    return (email or "").strip().lower()[:254]
