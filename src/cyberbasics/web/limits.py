"""Per-client limits on the expensive pages anyone may use without an account.

Starting an evidence log, a breach draft as PDF (about a second of WeasyPrint) and an email
check (DNS lookups and DKIM) cost the site far more than the request costs a visitor, and a
new browser session is free, so these are limited per client address instead: at most
`allowed()` uses within a sliding `window`. Uses are rows in the database
(`accounts.PageUse`), so a limit holds across processes and machines as the sign-in throttle
does, and rows older than a day are pruned. A refused request is not counted, so a client
opens again on time.

Checking and recording are two queries, not one lock: two requests racing at the limit can
both pass, which lets a client over by at most its number of parallel requests. That is
enough against abuse and keeps a busy page free of row locks.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext

from .accounts.models import PageUse
from .client_address import client_address


@dataclass(frozen=True)
class Limit:
    name: str  # stored as PageUse.limit
    setting: str  # the Django setting that overrides the default; 0 turns the limit off
    default: int
    window: timedelta

    def allowed(self) -> int:
        return max(0, int(getattr(settings, self.setting, self.default)))


EVIDENCE_LOGS = Limit("evidence_log", "CYBERBASICS_LIMIT_EVIDENCE_LOGS_PER_HOUR", 10,
                      timedelta(hours=1))
BREACH_PDFS = Limit("breach_pdf", "CYBERBASICS_LIMIT_BREACH_PDFS_PER_10_MINUTES", 20,
                    timedelta(minutes=10))
EMAIL_CHECKS = Limit("email_check", "CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES", 60,
                     timedelta(minutes=10))
ALL = (EVIDENCE_LOGS, BREACH_PDFS, EMAIL_CHECKS)
KEEP = timedelta(days=1)  # longer than any window


@dataclass(frozen=True)
class Refusal:
    """Over a limit: when the oldest counted use leaves the window, one more is allowed."""

    limit: Limit
    retry_at: datetime

    def seconds(self, now: datetime | None = None) -> int:
        return max(1, math.ceil((self.retry_at - (now or timezone.now())).total_seconds()))

    def message(self) -> str:
        """What was refused and in how many minutes to try again, in the page's language."""
        minutes = math.ceil(self.seconds() / 60)
        return _MESSAGES[self.limit.name](minutes) % {"minutes": minutes}


# One sentence per limit, so the person reads what was refused (ngettext needs literals).
_MESSAGES = {
    EVIDENCE_LOGS.name: lambda n: ngettext(
        "Many evidence logs have been started from your connection in the last hour. You "
        "can start another in %(minutes)d minute; the logs you have still work.",
        "Many evidence logs have been started from your connection in the last hour. You "
        "can start another in %(minutes)d minutes; the logs you have still work.", n),
    BREACH_PDFS.name: lambda n: ngettext(
        "Many PDFs have been made from your connection in the last few minutes. You can "
        "download the PDF again in %(minutes)d minute.",
        "Many PDFs have been made from your connection in the last few minutes. You can "
        "download the PDF again in %(minutes)d minutes.", n),
    EMAIL_CHECKS.name: lambda n: ngettext(
        "Many messages have been checked from your connection in the last few minutes. "
        "You can check this one in %(minutes)d minute; it is still in the form.",
        "Many messages have been checked from your connection in the last few minutes. "
        "You can check this one in %(minutes)d minutes; it is still in the form.", n),
}


def client_key(request) -> str | None:
    """The client to count against: its address, or for IPv6 its /64 network (one home or
    phone gets a whole /64, so single addresses would cost an abuser nothing)."""
    address = client_address(request)
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False).network_address)
    return str(parsed)


def refusal(limit: Limit, request, now: datetime | None = None) -> Refusal | None:
    """A `Refusal` when this client has used up `limit`, else None. Records nothing."""
    allowed, key = limit.allowed(), client_key(request)
    if allowed == 0 or key is None:
        return None  # turned off, or no address to count (never one bucket for everyone)
    now = now or timezone.now()
    recent = list(PageUse.objects.filter(limit=limit.name, client=key, at__gt=now - limit.window)
                  .order_by("-at").values_list("at", flat=True)[:allowed])
    if len(recent) < allowed:
        return None
    return Refusal(limit, retry_at=recent[-1] + limit.window)


def record(limit: Limit, request, now: datetime | None = None) -> None:
    """Count one use by this client, and prune rows older than any window."""
    key = client_key(request)
    if limit.allowed() == 0 or key is None:
        return
    now = now or timezone.now()
    PageUse.objects.create(limit=limit.name, client=key, at=now)
    PageUse.objects.filter(at__lt=now - KEEP).delete()


def take(limit: Limit, request) -> Refusal | None:
    """Check and, when allowed, count one use: for work that costs as soon as it starts."""
    refused = refusal(limit, request)
    if refused is None:
        record(limit, request)
    return refused


def too_many(response, refused: Refusal):
    """Make `response` the answer to a refused request: 429 with Retry-After."""
    response.status_code = 429
    response["Retry-After"] = str(refused.seconds())
    return response
