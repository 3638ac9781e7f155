"""What advisors, owners inviting them, clients with a magic link and programme operators
do. Views call these; every change that matters is written to the audit log.

Tokens (invitations, magic links) are shown or e-mailed once: only their SHA-256 is kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy

from ..audit.services import record
from ..businesses.models import AdvisorAccess, Business, Domain, Invitation, MagicLink
from ..businesses.selectors import MAGIC_SESSION_KEY
from ..reviews.models import AdvisorNote
from .models import AdvisorBranding, ProgrammeInvitation, ProgrammeRole

log = logging.getLogger(__name__)

INVITATION_DAYS = 14
MAGIC_LINK_DAYS = 14
MAGIC_LINK_MAX_DAYS = 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh bearer token (256 bits) and the hash that is stored."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def site_url(path: str) -> str:
    return settings.CYBERBASICS_SITE_URL.rstrip("/") + path


def _mail(template: str, subject, to: str, language: str, **context) -> bool:
    """Sends one e-mail in `language`; False (and a log line) when the server refused it."""
    with translation.override(language):
        context = {key: formats.date_format(timezone.localtime(value), "DATE_FORMAT")
                   if isinstance(value, dt.datetime) else value
                   for key, value in context.items()}
        body = render_to_string(template, context)
        try:
            send_mail(str(subject), body, None, [to])
        except Exception:  # SMTP and socket errors come in many kinds
            log.exception("could not send %s to %s", template, to)
            return False
    return True


# --- advisors and their clients ----------------------------------------------------------------

@transaction.atomic
def add_client(*, advisor, programme, name: str, country: str, time_zone: str,
               domain: str | None, consent: str, request=None) -> Business:
    """A business created by an advisor on its owner's behalf, with the owner's written
    consent recorded on the advisor's access."""
    business = Business.objects.create(name=name, country=country, time_zone=time_zone,
                                       programme=programme)
    if domain:
        Domain.objects.create(business=business, name=domain)
    AdvisorAccess.objects.create(business=business, advisor=advisor, consent=consent,
                                 granted_by=None)
    record("advisor.client_added", request=request, actor=advisor, business=business,
           programme=programme.pk, domain=domain or "")
    return business


def invite_advisor(*, business, email: str, invited_by, request=None) -> Invitation | None:
    """The owner invites an advisor by e-mail; the link in the e-mail accepts it. None when
    the e-mail could not be sent (the invitation is withdrawn: nobody could use it)."""
    token, hashed = new_token()
    invitation = Invitation.objects.create(
        business=business, email=email.strip().lower(), kind=Invitation.Kind.ADVISOR,
        token_hash=hashed, invited_by=invited_by,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS))
    record("advisor.invited", request=request, business=business, email=invitation.email,
           invitation=invitation.pk)
    language = translation.get_language() or settings.LANGUAGE_CODE
    url = site_url(reverse("advice:invitation", args=[token]))
    if not _mail("advice/email/advisor_invitation.txt",
                 gettext_lazy("You are invited to advise a business"),
                 invitation.email, language, business=business.name, inviter=invited_by.email,
                 url=url, expires_at=invitation.expires_at):
        invitation.expires_at = timezone.now()
        invitation.save(update_fields=["expires_at"])
        return None
    return invitation


def find_advisor_invitation(token: str) -> Invitation | None:
    """A valid (unused, unexpired) advisor invitation for this token, else None."""
    return Invitation.objects.filter(
        token_hash=token_hash(token), kind=Invitation.Kind.ADVISOR, accepted_at__isnull=True,
        expires_at__gt=timezone.now()).select_related("business", "invited_by").first()


def invitation_matches(invitation, user) -> bool:
    return invitation.email.lower() == user.email.lower()


@transaction.atomic
def accept_advisor_invitation(invitation: Invitation, user, request=None) -> AdvisorAccess:
    """The invited advisor, signed in, accepts: access is granted by the owner who invited."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValueError("already accepted")
    now = timezone.now()
    inviter = invitation.invited_by
    consent = f"invited by {inviter.email} on {invitation.created_at.date().isoformat()}"
    access, _created = AdvisorAccess.objects.update_or_create(
        business=invitation.business, advisor=user,
        defaults={"consent": consent, "granted_by": inviter, "revoked_at": None})
    if not _created:
        AdvisorAccess.objects.filter(pk=access.pk).update(granted_at=now)
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    record("advisor.granted", request=request, business=invitation.business,
           advisor=user.email, granted_by=inviter.email, invitation=invitation.pk)
    return access


@transaction.atomic
def revoke_advisor_access(access: AdvisorAccess, *, request=None, reason: str = "owner") \
        -> AdvisorAccess:
    """Ends the advisor's access now, and the magic links they made for the business."""
    now = timezone.now()
    access.revoked_at = now
    access.save(update_fields=["revoked_at"])
    links = MagicLink.objects.filter(business=access.business, created_by=access.advisor,
                                     revoked_at__isnull=True)
    ended = list(links.values_list("pk", flat=True))
    links.update(revoked_at=now)
    record("advisor.revoked", request=request, business=access.business,
           advisor=access.advisor.email, reason=reason, magic_links_revoked=ended)
    return access


def cancel_advisor_invitation(invitation: Invitation, *, request=None) -> None:
    invitation.expires_at = timezone.now()
    invitation.save(update_fields=["expires_at"])
    record("advisor.invitation_cancelled", request=request, business=invitation.business,
           email=invitation.email, invitation=invitation.pk)


def add_note(*, business, advisor, text: str) -> AdvisorNote:
    return AdvisorNote.objects.create(business=business, advisor=advisor, text=text)


def save_branding(*, advisor, name: str, logo: bytes | None, remove_logo: bool = False,
                  request=None) -> AdvisorBranding:
    """Name and logo already validated by the core's `make_branding` (the form does it)."""
    branding, _created = AdvisorBranding.objects.get_or_create(advisor=advisor,
                                                               defaults={"name": name})
    branding.name = name
    if logo is not None:
        branding.logo_png = logo
    elif remove_logo:
        branding.logo_png = None
    branding.save()
    record("advisor.branding_changed", request=request, logo=branding.logo_png is not None)
    return branding


# --- magic links -------------------------------------------------------------------------------

def create_magic_link(*, business, created_by, days: int = MAGIC_LINK_DAYS, review=None,
                      email: str = "", language: str = "en", request=None) \
        -> tuple[MagicLink, str, bool]:
    """A link for one business (and optionally one of its reviews). Returns the link, its
    token (shown once, never stored) and whether it was e-mailed to `email`."""
    if not 1 <= days <= MAGIC_LINK_MAX_DAYS:
        raise ValueError(f"a magic link lasts 1 to {MAGIC_LINK_MAX_DAYS} days")
    if review is not None and review.business_id != business.pk:
        raise ValueError("the review belongs to another business")
    token, hashed = new_token()
    link = MagicLink.objects.create(business=business, review=review, token_hash=hashed,
                                    created_by=created_by, email=email.strip().lower(),
                                    expires_at=timezone.now() + dt.timedelta(days=days))
    record("magic_link.created", request=request, business=business, link=link.pk,
           review=review.pk if review else None, days=days, emailed=bool(link.email))
    emailed = bool(link.email) and _mail(
        "advice/email/magic_link.txt", gettext_lazy("Your Cyber Basics review"), link.email,
        language,
        business=business.name, advisor=created_by.name or created_by.email,
        url=magic_url(token), expires_at=link.expires_at)
    return link, token, emailed


def magic_url(token: str) -> str:
    return site_url(reverse("advice:magic", args=[token]))


def revoke_magic_link(link: MagicLink, *, request=None) -> None:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        record("magic_link.revoked", request=request, business=link.business, link=link.pk)


def open_magic_link(request, token: str) -> MagicLink | None:
    """A valid link starts a client session for its business (a new session key, so a
    session id known before cannot ride on it); anything else gives None, whatever the
    reason."""
    link = MagicLink.objects.filter(token_hash=token_hash(token)).select_related("business") \
        .first()
    now = timezone.now()
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        return None
    request.session.cycle_key()
    request.session[MAGIC_SESSION_KEY] = link.pk
    link.last_used_at = now
    link.save(update_fields=["last_used_at"])
    record("magic_link.used", request=request, business=link.business, link=link.pk)
    return link


def leave_client_session(request) -> None:
    request.session.pop(MAGIC_SESSION_KEY, None)
    request.session.cycle_key()


# --- programmes --------------------------------------------------------------------------------

def add_programme_advisor(*, programme, email: str, request=None) -> str:
    """Makes the account with this address an advisor of the programme ("granted"), says so
    if it already is ("already"), or e-mails an invitation when there is no such account
    ("invited", or "not_sent" when the e-mail could not be sent)."""
    email = email.strip().lower()
    user = get_user_model().objects.filter(email__iexact=email).first()
    if user is None:
        sent = invite_to_programme(programme=programme, email=email, request=request)
        return "invited" if sent is not None else "not_sent"
    role, created = ProgrammeRole.objects.get_or_create(programme=programme, user=user,
                                                        role=ProgrammeRole.Role.ADVISOR)
    if not created:
        return "already"
    record("role.granted", request=request, programme=programme.pk, user=user.email,
           role=role.role)
    return "granted"


def invite_to_programme(*, programme, email: str, request=None) -> ProgrammeInvitation | None:
    """None when the e-mail could not be sent (the invitation is withdrawn)."""
    token, hashed = new_token()
    invitation = ProgrammeInvitation.objects.create(
        programme=programme, email=email, role=ProgrammeRole.Role.ADVISOR, token_hash=hashed,
        invited_by=request.user if request is not None and request.user.is_authenticated
        else None,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS))
    record("role.invited", request=request, programme=programme.pk, email=email,
           role=invitation.role, invitation=invitation.pk)
    language = translation.get_language() or settings.LANGUAGE_CODE
    url = site_url(reverse("programmes:invitation", args=[token]))
    if not _mail("programmes/email/invitation.txt",
                 gettext_lazy("You are invited to advise businesses"),
                 email, language, programme=programme.name, url=url,
                 sign_up=site_url(reverse("accounts:sign-up")),
                 expires_at=invitation.expires_at):
        invitation.expires_at = timezone.now()
        invitation.save(update_fields=["expires_at"])
        return None
    return invitation


def find_programme_invitation(token: str) -> ProgrammeInvitation | None:
    return ProgrammeInvitation.objects.filter(
        token_hash=token_hash(token), accepted_at__isnull=True,
        expires_at__gt=timezone.now()).select_related("programme").first()


@transaction.atomic
def accept_programme_invitation(invitation: ProgrammeInvitation, user, request=None) \
        -> ProgrammeRole:
    invitation = ProgrammeInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValueError("already accepted")
    role, _created = ProgrammeRole.objects.get_or_create(programme=invitation.programme,
                                                         user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record("role.granted", request=request, programme=invitation.programme_id,
           user=user.email, role=role.role, invitation=invitation.pk)
    return role


@transaction.atomic
def remove_programme_advisor(role: ProgrammeRole, *, request=None) -> int:
    """Removes the advisor role; their access to the programme's businesses ends with it
    (and the magic links they made for them). Returns how many accesses ended."""
    programme, advisor = role.programme, role.user
    role.delete()
    record("role.revoked", request=request, programme=programme.pk, user=advisor.email,
           role=ProgrammeRole.Role.ADVISOR)
    accesses = AdvisorAccess.objects.filter(advisor=advisor, revoked_at__isnull=True,
                                            business__programme=programme) \
        .select_related("business", "advisor")
    ended = 0
    for access in accesses:
        revoke_advisor_access(access, request=request, reason="removed from the programme")
        ended += 1
    return ended


# --- exports -----------------------------------------------------------------------------------

def _cell(value) -> str:
    """A spreadsheet never runs what a business typed as its name."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def record_export(programme, kind: str, request=None) -> None:
    record("programme.exported", request=request, programme=programme.pk, export=kind)
