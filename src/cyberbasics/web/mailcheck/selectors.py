"""Scoped reads for the email checker: what a business's checks are compared with, and
which checks a person may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ...protocols.psl import organisational_domain
from ..businesses.selectors import STAFF
from .models import CheckedMessage, Correspondent, MailSettings

# Only messages judged authentic teach what is normal. A forged or lookalike message must not
# make its sender a "contact" or its servers "seen before", and neither may an "unknown" one:
# that verdict covers a DMARC failure excused by a forwarding record anyone can add, checks
# done without DNS and senders without DMARC, so the first spoof from a supplier never seen
# before would otherwise make the attacker's servers "usual" for that supplier.
LEARNED_FROM = (CheckedMessage.Verdict.AUTHENTIC,)


def own_domains(business) -> tuple[str, ...]:
    """The business's domains (verified or only added): its own mail comes from them."""
    return tuple(business.domains.order_by("name").values_list("name", flat=True))


def contact_domains(business) -> tuple[str, ...]:
    return tuple(Correspondent.objects.filter(business=business)
                 .order_by("domain").values_list("domain", flat=True))


def seen_infrastructure(business) -> dict[str, frozenset[str]]:
    """From organisation (registrable domain, as the core's Options want it) -> every
    infrastructure key seen sending for it in this business's history (messages judged
    authentic only, `LEARNED_FROM`)."""
    seen: dict[str, set[str]] = {}
    rows = CheckedMessage.objects.filter(business=business, verdict__in=LEARNED_FROM) \
        .values_list("from_domain", "infrastructure")
    for domain, keys in rows:
        if domain and keys:
            organisation = organisational_domain(domain) or domain
            seen.setdefault(organisation, set()).update(str(k) for k in keys)
    return {domain: frozenset(keys) for domain, keys in seen.items()}


def receiver_settings(business) -> MailSettings:
    """The business's settings, unsaved defaults when it has none yet."""
    found = MailSettings.objects.filter(business=business).first()
    return found or MailSettings(business=business)


def checks_for(access, user) -> QuerySet[CheckedMessage]:
    """The checks a person sees: all of the business's, but a staff member only their own
    (a subject can be private to whoever received the message)."""
    checks = CheckedMessage.objects.filter(business=access.business) \
        .select_related("checked_by")
    if access.role == STAFF:
        checks = checks.filter(checked_by=user)
    return checks


def check_for(access, user, check_id: int) -> CheckedMessage:
    """One check the person may see, or 404."""
    return get_object_or_404(checks_for(access, user), pk=check_id)


def export_data(business) -> dict:
    """The checker's part of the business's data export (accounts/privacy.py)."""
    settings = MailSettings.objects.filter(business=business).first()
    return {
        "settings": {"mx_hosts": settings.mx_hosts,
                     "trusted_authserv_ids": settings.trusted_authserv_ids,
                     "trusted_arc_sealers": settings.trusted_arc_sealers}
        if settings else None,
        "correspondents": [
            {"domain": c.domain, "first_seen": c.first_seen.isoformat(),
             "last_seen": c.last_seen.isoformat(), "count": c.count}
            for c in Correspondent.objects.filter(business=business).order_by("domain")],
        "checked_messages": [
            {"checked_at": m.checked_at.isoformat(),
             "checked_by": getattr(m.checked_by, "email", None),
             "from": m.from_address, "display_name": m.from_display_name,
             "subject": m.subject, "verdict": m.verdict, "reasons": m.reason_ids,
             "infrastructure": m.infrastructure, "dns_checked": m.dns_checked}
            for m in CheckedMessage.objects.filter(business=business)
            .select_related("checked_by").order_by("checked_at", "pk")],
    }
