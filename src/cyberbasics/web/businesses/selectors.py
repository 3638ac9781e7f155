"""Which businesses a request may reach, and as what. Every view gets its business here, so
one business's people never see another's objects: anything else is a 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import Business, MagicLink, Membership

OWNER, STAFF, ADVISOR, CLIENT = "owner", "staff", "advisor", "client"
MAGIC_SESSION_KEY = "cyberbasics_magic_link"


@dataclass(frozen=True)
class Access:
    business: Business
    role: str  # owner | staff | advisor | client (through a magic link)
    magic_link: MagicLink | None = None

    @property
    def can_manage(self) -> bool:
        """Run reviews, answer, see reports and the plan (not staff: their own actions only)."""
        return self.role in (OWNER, ADVISOR, CLIENT)


def businesses_for(user) -> QuerySet[Business]:
    """The businesses a signed-in user belongs to or advises (with consent, not revoked)."""
    if not user.is_authenticated:
        return Business.objects.none()
    return Business.objects.filter(
        Q(memberships__user=user)
        | Q(advisor_accesses__advisor=user, advisor_accesses__revoked_at__isnull=True)
    ).distinct()


def active_magic_link(request) -> MagicLink | None:
    link_id = request.session.get(MAGIC_SESSION_KEY)
    if not link_id:
        return None
    link = MagicLink.objects.filter(pk=link_id, revoked_at__isnull=True,
                                    expires_at__gt=timezone.now()).first()
    if link is None:
        request.session.pop(MAGIC_SESSION_KEY, None)
    return link


def access_for(request, business_id: int, roles: tuple[str, ...] = (OWNER, STAFF, ADVISOR,
                                                                     CLIENT)) -> Access:
    """The request's access to one business in one of `roles`, or 404."""
    user = request.user
    if user.is_authenticated:
        membership = Membership.objects.filter(business_id=business_id, user=user) \
            .select_related("business").first()
        if membership is not None and membership.role in roles:
            return Access(membership.business, membership.role)
        if ADVISOR in roles:
            business = Business.objects.filter(
                pk=business_id, advisor_accesses__advisor=user,
                advisor_accesses__revoked_at__isnull=True).first()
            if business is not None:
                return Access(business, ADVISOR)
    if CLIENT in roles:
        link = active_magic_link(request)
        if link is not None and link.business_id == business_id:
            return Access(link.business, CLIENT, link)
    raise Http404
