"""Evidence logs kept for visitors without an account.

A log is reached by a random token (`secrets.token_urlsafe`, only its SHA-256 is stored) AND
only from the browser session that started it (the session holds the token), so a leaked
link alone opens nothing; anything else is a 404. It is kept for
`CYBERBASICS_EVIDENCE_ANONYMOUS_DAYS` days (default 30) after it was started, then deleted
by the daily cleanup (`cleanup.py`), or at once with "Delete now".

Anyone can start one, so the files of all anonymous logs together are capped site-wide
(`CYBERBASICS_EVIDENCE_ANONYMOUS_TOTAL_BYTES`, default 2 GiB): past it new files are
refused, text entries still work, and a signed-in business keeps its log in its account,
which the cap does not count. How many logs one client may start is in `web/limits.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from . import logs
from .models import AnonymousLog, Incident, StoredLog

SESSION_KEY = "cyberbasics_evidence_tokens"
MAX_LOGS_PER_SESSION = 20  # a session is a browser, not a store for unlimited logs
GIB = 1024 ** 3


class StorageFull(logs.LogChangeError):
    """The files of all anonymous logs together would pass the site-wide cap."""


def keep_days() -> int:
    return int(getattr(settings, "CYBERBASICS_EVIDENCE_ANONYMOUS_DAYS", 30))


def total_bytes_cap() -> int:
    return int(getattr(settings, "CYBERBASICS_EVIDENCE_ANONYMOUS_TOTAL_BYTES", 2 * GIB))


def stored_bytes() -> int:
    """The files kept for every anonymous log, expired ones not yet cleaned up included
    (their files are still on disk)."""
    total = StoredLog.objects.filter(anonymous__isnull=False).aggregate(
        total=Sum("stored_bytes"))["total"]
    return int(total or 0)


def storage_full() -> bool:
    return stored_bytes() >= total_bytes_cap()


def check_room(uploads: list) -> None:
    """Refuse files that would take all anonymous logs together over the site-wide cap.
    Checked before the entry is added, without a lock: parallel uploads can pass the cap by
    at most their own size, which the per-log limit bounds."""
    if not uploads:
        return
    if stored_bytes() + sum(upload.size for upload in uploads) > total_bytes_cap():
        raise StorageFull(_(
            "Our server cannot take more files for logs without an account right now. "
            "Nothing was added. Text entries still work: remove the files and add the entry "
            "again. To keep files too, sign in and keep this log in your business's "
            "account."))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _session_tokens(request) -> list[str]:
    tokens = request.session.get(SESSION_KEY)
    return [t for t in tokens if isinstance(t, str)] if isinstance(tokens, list) else []


def start(request, business: str, time_zone: str) -> tuple[str, AnonymousLog]:
    """A new log bound to this session; returns its token (for the URL) and the log."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        stored = logs.create_log(business, time_zone)
        anonymous = AnonymousLog.objects.create(
            log=stored, token_hash=_token_hash(token),
            expires_at=timezone.now() + dt.timedelta(days=keep_days()))
    request.session[SESSION_KEY] = [*_session_tokens(request), token][-MAX_LOGS_PER_SESSION:]
    if not request.user.is_authenticated:
        # The browser must reach its log for as long as the page promises it is kept (the
        # site's sessions last 14 days otherwise); signed-in sessions keep their own term.
        request.session.set_expiry(anonymous.expires_at)
    return token, anonymous


def find(request, token: str) -> AnonymousLog:
    """This session's unexpired log with that token, or 404 (the same for a log that does
    not exist, belongs to another session or has expired)."""
    if token not in _session_tokens(request):
        raise Http404
    found = AnonymousLog.objects.select_related("log") \
        .filter(token_hash=_token_hash(token), expires_at__gt=timezone.now()).first()
    if found is None:
        raise Http404
    return found


def session_logs(request) -> list[tuple[str, AnonymousLog]]:
    """The logs this session started that still exist, newest first."""
    tokens = _session_tokens(request)
    by_hash = {_token_hash(t): t for t in tokens}
    found = AnonymousLog.objects.select_related("log").filter(
        token_hash__in=by_hash, expires_at__gt=timezone.now()).order_by("-created_at")
    return [(by_hash[a.token_hash], a) for a in found]


def forget(request, token: str) -> None:
    request.session[SESSION_KEY] = [t for t in _session_tokens(request) if t != token]


def delete(request, anonymous: AnonymousLog, token: str) -> None:
    logs.delete_log(anonymous.log)
    forget(request, token)


def move_to_incident(request, anonymous: AnonymousLog, token: str, *, business, kind: str,
                     title: str, became_aware_at: dt.datetime) -> Incident:
    """Keep the log in a business's account: the same log (same id, entries and files, so
    its chain and every hash written down stay valid) now belongs to a new incident."""
    with transaction.atomic():
        locked = AnonymousLog.objects.select_for_update().get(pk=anonymous.pk)
        stored: StoredLog = locked.log
        header = logs.core_log(stored).header
        incident = Incident.objects.create(
            business=business, kind=kind, title=title, became_aware_at=became_aware_at,
            time_zone=header.time_zone, log=stored, created_by=request.user)
        AnonymousLog.objects.filter(pk=locked.pk).delete()
    forget(request, token)
    return incident


def delete_expired(now: dt.datetime | None = None) -> int:
    """Delete every anonymous log past its time, with its entries and files; how many."""
    expired = AnonymousLog.objects.select_related("log") \
        .filter(expires_at__lte=now or timezone.now())
    count = 0
    for anonymous in expired:
        logs.delete_log(anonymous.log)
        count += 1
    return count
