"""What advisors and programme operators may see. Every lookup is scoped by the signed-in
user: a programme the user does not operate, or an area they have no role for, is a 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from ..businesses.models import AdvisorAccess, Business, MagicLink
from ..reviews.models import AdvisorNote, Review
from .models import AdvisorBranding, Programme, ProgrammeRole

OPERATOR = ProgrammeRole.Role.OPERATOR
ADVISOR = ProgrammeRole.Role.ADVISOR


def advisor_programmes(user) -> QuerySet[Programme]:
    """The programmes the user advises for (none for anonymous users)."""
    if not user.is_authenticated:
        return Programme.objects.none()
    return Programme.objects.filter(roles__user=user, roles__role=ADVISOR).distinct() \
        .order_by("name")


def operated_programmes(user) -> QuerySet[Programme]:
    if not user.is_authenticated:
        return Programme.objects.none()
    return Programme.objects.filter(roles__user=user, roles__role=OPERATOR).distinct() \
        .order_by("name")


def is_advisor(user) -> bool:
    return user.is_authenticated and ProgrammeRole.objects.filter(user=user,
                                                                  role=ADVISOR).exists()


def operated_programme(user, programme_id: int) -> Programme:
    """The programme if the user operates it, else 404."""
    programme = operated_programmes(user).filter(pk=programme_id).first()
    if programme is None:
        raise Http404
    return programme


@dataclass(frozen=True)
class ReviewState:
    """A business's latest review at a glance (no answers)."""

    review_id: int | None = None
    started_at: datetime | None = None
    completed: bool = False
    score: int | None = None
    band: str | None = None
    # The latest completed review (an unfinished one may have started since).
    last_review_id: int | None = None
    last_completed_at: datetime | None = None
    last_score: int | None = None
    last_band: str | None = None


def review_states(business_ids) -> dict[int, ReviewState]:
    """For each business: its latest review and its latest completed one, from one query that
    reads only dates and the overall score (never answers)."""
    rows = Review.objects.filter(business_id__in=list(business_ids)) \
        .order_by("business_id", "-created_at", "-pk") \
        .values("pk", "business_id", "created_at", "completed_at", "result__overall__score",
                "result__overall__band")
    latest: dict[int, dict] = {}
    completed: dict[int, dict] = {}
    for row in rows:
        latest.setdefault(row["business_id"], row)
        if row["completed_at"] is not None:
            known = completed.get(row["business_id"])
            if known is None or row["completed_at"] > known["completed_at"]:
                completed[row["business_id"]] = row
    states = {}
    for business_id in business_ids:
        first, done = latest.get(business_id), completed.get(business_id)
        if first is None:
            states[business_id] = ReviewState()
            continue
        states[business_id] = ReviewState(
            review_id=first["pk"], started_at=first["created_at"],
            completed=first["completed_at"] is not None,
            score=_int(first["result__overall__score"]), band=_str(first["result__overall__band"]),
            last_review_id=done["pk"] if done else None,
            last_completed_at=done["completed_at"] if done else None,
            last_score=_int(done["result__overall__score"]) if done else None,
            last_band=_str(done["result__overall__band"]) if done else None)
    return states


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class ClientRow:
    business: Business
    access: AdvisorAccess
    review: ReviewState


def advisor_clients(user) -> list[ClientRow]:
    """The businesses the advisor may work on now (access granted and not revoked)."""
    accesses = list(AdvisorAccess.objects.filter(advisor=user, revoked_at__isnull=True)
                    .select_related("business").order_by("business__name", "business_id"))
    states = review_states([a.business_id for a in accesses])
    return [ClientRow(a.business, a, states[a.business_id]) for a in accesses]


def active_advisor_accesses(business) -> QuerySet[AdvisorAccess]:
    return business.advisor_accesses.filter(revoked_at__isnull=True) \
        .select_related("advisor", "granted_by").order_by("granted_at")


def pending_advisor_invitations(business):
    from django.utils import timezone

    from ..businesses.models import Invitation

    return business.invitations.filter(kind=Invitation.Kind.ADVISOR, accepted_at__isnull=True,
                                       expires_at__gt=timezone.now()).order_by("-created_at")


def notes_for(business, advisor) -> QuerySet[AdvisorNote]:
    """Private notes: only the advisor who wrote them, on this business."""
    return business.advisor_notes.filter(advisor=advisor).order_by("-created_at", "-pk")


def magic_links_for(access, user) -> QuerySet[MagicLink]:
    """Links for the business: an advisor sees those they made, an owner sees them all."""
    links = access.business.magic_links.select_related("created_by", "review") \
        .order_by("-created_at", "-pk")
    if access.role != "owner":
        links = links.filter(created_by=user)
    return links


def branding_of(user) -> AdvisorBranding | None:
    return AdvisorBranding.objects.filter(advisor=user).first()


@dataclass(frozen=True)
class ProgrammeBusinessRow:
    """One row of the operator's list: who, where, with whom, how far; never answers."""

    business: Business
    advisors: tuple[str, ...]
    review: ReviewState


def programme_businesses(programme) -> list[ProgrammeBusinessRow]:
    businesses = list(programme.businesses.order_by("name", "pk"))
    ids = [b.pk for b in businesses]
    advisors: dict[int, list[str]] = {}
    for access in AdvisorAccess.objects.filter(business_id__in=ids, revoked_at__isnull=True) \
            .select_related("advisor").order_by("granted_at"):
        advisors.setdefault(access.business_id, []).append(
            access.advisor.name or access.advisor.email)
    states = review_states(ids)
    return [ProgrammeBusinessRow(b, tuple(advisors.get(b.pk, ())), states[b.pk])
            for b in businesses]


def programme_advisors(programme) -> QuerySet[ProgrammeRole]:
    return programme.roles.filter(role=ADVISOR).select_related("user").order_by("user__email")


def pending_programme_invitations(programme):
    from django.utils import timezone

    return programme.invitations.filter(accepted_at__isnull=True,
                                        expires_at__gt=timezone.now()).order_by("-created_at")
