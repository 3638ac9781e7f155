"""GDPR: everything a business (or a person) holds here, as JSON, and deleting it.

The exports name their fields one by one, so nothing is exported by accident: never a
password hash, a TOTP secret, a verification or magic-link token, an advisor's private
note, or anything of another business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.audit.services import record
from cyberbasics.web.businesses.models import Business, Membership
from cyberbasics.web.incidents.privacy import incidents_data
from cyberbasics.web.mailcheck.selectors import export_data as mailcheck_data

from .models import User

BUSINESS_FORMAT = "cyberbasics.business-export/1"
ACCOUNT_FORMAT = "cyberbasics.account-export/1"


def _email(user) -> str | None:
    return user.email if user is not None else None


def _audit(events) -> list[dict]:
    return [{"at": event.at, "actor": event.actor_label, "action": event.action,
             "detail": event.detail} for event in events.order_by("at", "pk")]


def business_data(business: Business) -> dict:
    """All of one business's data, reached only through that business."""
    return {
        "format": BUSINESS_FORMAT,
        "exported_at": timezone.now(),
        "business": {
            "id": business.pk, "name": business.name, "country": business.country,
            "time_zone": business.time_zone, "profile": business.profile,
            "programme": business.programme.name if business.programme else None,
            "created_at": business.created_at,
        },
        "memberships": [
            {"email": m.user.email, "name": m.user.name, "role": m.role,
             "since": m.created_at}
            for m in business.memberships.select_related("user").order_by("created_at", "pk")],
        "advisors": [
            {"email": a.advisor.email, "name": a.advisor.name, "consent": a.consent,
             "granted_by": _email(a.granted_by), "granted_at": a.granted_at,
             "revoked_at": a.revoked_at}
            for a in business.advisor_accesses.select_related("advisor", "granted_by")
            .order_by("granted_at", "pk")],
        "invitations": [
            {"email": i.email, "kind": i.kind, "invited_by": _email(i.invited_by),
             "created_at": i.created_at, "expires_at": i.expires_at,
             "accepted_at": i.accepted_at}
            for i in business.invitations.select_related("invited_by").order_by("created_at")],
        "domains": [
            {"name": d.name, "verified_at": d.verified_at, "verified_by": d.verified_by,
             "consent_note": d.consent_note, "last_checked_at": d.last_checked_at,
             "last_check_error": d.last_check_error, "created_at": d.created_at}
            for d in business.domains.order_by("name")],
        "reviews": [
            {"id": r.pk, "created_at": r.created_at, "started_by": _email(r.started_by),
             "catalogue_version": r.catalogue_version, "profile": r.profile,
             "completed_at": r.completed_at, "result": r.result,
             "answers": [
                 {"question": a.question, "option": a.option, "source": a.source,
                  "note": a.note, "answered_by": _email(a.answered_by),
                  "updated_at": a.updated_at}
                 for a in r.answers.select_related("answered_by").order_by("question")]}
            for r in business.reviews.select_related("started_by").order_by("created_at", "pk")],
        "incidents": incidents_data(business),
        "email_checks": mailcheck_data(business),
        "scans": [
            {"id": s.pk, "review": s.review_id, "requested_by": _email(s.requested_by),
             "domains": s.domains, "mode": s.mode, "status": s.status, "result": s.result,
             "error": s.error, "created_at": s.created_at, "started_at": s.started_at,
             "finished_at": s.finished_at}
            for s in business.scans.select_related("requested_by").order_by("created_at", "pk")],
        "actions": [
            {"action": a.action, "status": a.status, "assignee": _email(a.assignee),
             "due_date": a.due_date, "verified_at": a.verified_at, "updated_at": a.updated_at}
            for a in business.actions.select_related("assignee").order_by("action")],
        "audit": _audit(AuditEvent.objects.filter(business=business)),
    }


def account_data(user: User) -> dict:
    """What we hold about one person (their own audit events included)."""
    from cyberbasics.web.reviews.models import ActionItem, AdvisorNote

    return {
        "format": ACCOUNT_FORMAT,
        "exported_at": timezone.now(),
        "account": {
            "email": user.email, "name": user.name, "language": user.language,
            "joined_at": user.date_joined, "last_sign_in": user.last_login,
            "second_factor": user.has_second_factor,
            "second_factor_since": user.totp_confirmed_at,
        },
        "memberships": [
            {"business": m.business.name, "role": m.role, "since": m.created_at}
            for m in user.memberships.select_related("business").order_by("created_at")],
        "programme_roles": [
            {"programme": r.programme.name, "role": r.role, "since": r.created_at}
            for r in user.programme_roles.select_related("programme").order_by("created_at")],
        "advising": [
            {"business": a.business.name, "consent": a.consent, "granted_at": a.granted_at,
             "revoked_at": a.revoked_at}
            for a in user.advised.select_related("business").order_by("granted_at")],
        "assigned_actions": [
            {"business": a.business.name, "action": a.action, "status": a.status,
             "due_date": a.due_date}
            for a in ActionItem.objects.filter(assignee=user).select_related("business")
            .order_by("business__name", "action")],
        "my_advisor_notes": [
            {"business": n.business.name, "text": n.text, "created_at": n.created_at}
            for n in AdvisorNote.objects.filter(advisor=user).select_related("business")
            .order_by("created_at")],
        "audit": [
            {"at": e.at, "action": e.action, "detail": e.detail, "ip": e.ip}
            for e in AuditEvent.objects.filter(actor=user).order_by("at", "pk")],
    }


def to_json(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def export_business(request, business: Business) -> str:
    document = to_json(business_data(business))
    record("business.exported", request=request, business=business)
    return document


def export_account(request, user: User) -> str:
    document = to_json(account_data(user))
    record("account.exported", request=request)
    return document


@transaction.atomic
def delete_business(request, business: Business) -> None:
    """The business and everything under it; the audit keeps who did it and the name."""
    record("business.deleted", request=request, business=business, name=business.name,
           business_id=business.pk)
    business.delete()


@dataclass(frozen=True)
class AccountDeletion:
    blocking: list[Business]  # sole owner of these, which have other members: refused
    deleted_with: list[Business]  # these have no other member: deleted with the account

    @property
    def allowed(self) -> bool:
        return not self.blocking


def account_deletion_plan(user: User) -> AccountDeletion:
    owned_ids = Membership.objects.filter(user=user, role=Membership.Role.OWNER) \
        .values("business_id")
    # Counted over all of each business's memberships (not only the user's).
    owned = Business.objects.filter(pk__in=owned_ids).annotate(
        owners=Count("memberships", filter=Q(memberships__role=Membership.Role.OWNER),
                     distinct=True),
        members=Count("memberships", distinct=True)).order_by("name")
    blocking, alone = [], []
    for business in owned:
        if business.owners == 1 and business.members > 1:
            blocking.append(business)
        elif business.members == 1:
            alone.append(business)
    return AccountDeletion(blocking, alone)


@transaction.atomic
def delete_account(request, user: User) -> AccountDeletion:
    plan = account_deletion_plan(user)
    if not plan.allowed:
        return plan
    for business in plan.deleted_with:
        delete_business(request, business)
    record("account.deleted", request=request, actor=user)
    user.memberships.all().delete()
    user.delete()
    return plan
