"""Changes the email checker makes for a business: keeping a check (never the message's
text), learning its correspondents, and the receiving-side settings."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ...mail.message import decode_words
from ...mail.verdict import Options
from ...protocols.psl import organisational_domain
from ..audit.services import record
from .checking import Outcome
from .models import SUBJECT_KEPT, CheckedMessage, Correspondent, MailSettings
from .selectors import (
    LEARNED_FROM,
    contact_domains,
    own_domains,
    receiver_settings,
    seen_infrastructure,
)

EVIDENCE_TEXT_KEPT = 300


def business_options(business, extra_own_domains: tuple[str, ...] = ()):
    """The core's options from everything the business has told us and seen before."""
    settings = receiver_settings(business)
    return Options(
        own_domains=tuple(dict.fromkeys((*own_domains(business), *extra_own_domains))),
        mx_hosts=tuple(settings.mx_hosts or ()),
        trusted_authserv_ids=tuple(settings.trusted_authserv_ids or ()),
        trusted_arc_sealers=tuple(settings.trusted_arc_sealers or ()),
        contact_domains=contact_domains(business),
        seen_infrastructure=seen_infrastructure(business))


def _trim(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def kept_evidence(evidence: dict) -> dict:
    """What a reason's text is written from, and nothing bigger: scalar values only, long
    texts (a raw header) cut short."""
    kept = {}
    for key, value in (evidence or {}).items():
        if isinstance(value, str):
            kept[key] = _trim(value, EVIDENCE_TEXT_KEPT)
        elif value is None or isinstance(value, bool | int | float):
            kept[key] = value
    return kept


def _subject(message) -> str:
    raw = message.first("Subject")
    return _trim(decode_words(raw), SUBJECT_KEPT) if raw else ""


def _org(domain: str) -> str:
    return organisational_domain(domain) or domain


@transaction.atomic
def record_check(business, user, outcome: Outcome, *, request=None) -> CheckedMessage:
    """Keep the check (sender, subject, verdict, reasons, infrastructure) and learn the
    sender as a correspondent when the message was judged authentic (`LEARNED_FROM`)."""
    analysis = outcome.analysis
    sender = analysis.message.from_address
    checked = CheckedMessage.objects.create(
        business=business, checked_by=user, from_address=_trim(sender.address, 320),
        from_display_name=_trim(sender.display_name, 200), from_domain=sender.domain[:253],
        subject=_subject(analysis.message), verdict=analysis.verdict,
        reason_ids=[r.id for r in analysis.reasons],
        reasons=[{"id": r.id, "evidence": kept_evidence(r.evidence)} for r in analysis.reasons],
        infrastructure=list(analysis.infrastructure), dns_checked=outcome.dns_checked)
    if analysis.verdict in LEARNED_FROM and sender.domain:
        organisation = _org(sender.domain)
        if organisation not in {_org(d) for d in own_domains(business)}:
            _seen_correspondent(business, organisation, checked.checked_at)
    record("mailcheck.checked", request=request, business=business, check=checked.pk,
           verdict=checked.verdict)
    return checked


def _seen_correspondent(business, domain: str, at) -> None:
    updated = Correspondent.objects.filter(business=business, domain=domain) \
        .update(last_seen=at, count=F("count") + 1)
    if updated:
        return
    try:
        with transaction.atomic():
            Correspondent.objects.create(business=business, domain=domain, first_seen=at,
                                         last_seen=at)
    except IntegrityError:  # another request added it just now
        Correspondent.objects.filter(business=business, domain=domain) \
            .update(last_seen=at, count=F("count") + 1)


def save_settings(business, user, *, mx_hosts: tuple[str, ...],
                  trusted_authserv_ids: tuple[str, ...],
                  trusted_arc_sealers: tuple[str, ...] = (), request=None) -> MailSettings:
    values = {"mx_hosts": list(mx_hosts), "trusted_authserv_ids": list(trusted_authserv_ids),
              "trusted_arc_sealers": list(trusted_arc_sealers)}
    settings, _ = MailSettings.objects.update_or_create(
        business=business, defaults={**values, "updated_by": user,
                                     "updated_at": timezone.now()})
    record("mailcheck.settings_changed", request=request, business=business, **values)
    return settings
