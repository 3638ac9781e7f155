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


# --- the dashboard and the business overview ----------------------------------------------

BAND_TONES = {"strong": "good", "good": "good", "developing": "warn", "basic": "bad",
              "starting": "bad"}


@dataclass(frozen=True)
class ReviewSummary:
    """What a list shows of a review: finished or not, and its score when it has one (from
    the `cyberbasics.result/1` document kept when the review was completed)."""

    review: object  # reviews.Review
    completed: bool
    score: int | None
    band: str | None

    @property
    def tone(self) -> str:
        return BAND_TONES.get(self.band or "", "neutral")


def review_summary(review) -> ReviewSummary | None:
    if review is None:
        return None
    overall = (review.result or {}).get("overall") if isinstance(review.result, dict) else None
    overall = overall if isinstance(overall, dict) else {}
    score = overall.get("score")
    band = overall.get("band")
    return ReviewSummary(review, review.completed_at is not None,
                         score if isinstance(score, int) else None,
                         band if isinstance(band, str) else None)


@dataclass(frozen=True)
class BusinessRow:
    business: Business
    role: str
    domains: tuple
    latest: ReviewSummary | None  # the latest finished review, whose score still stands
    in_progress: bool = False  # a newer review is being answered


def dashboard_rows(user) -> list[BusinessRow]:
    """The businesses a user belongs to or advises, each with the user's role, its domains,
    its latest finished review and whether a newer one is open, by name."""
    businesses = businesses_for(user).order_by("name", "pk").prefetch_related(
        "domains", "reviews")
    roles = dict(Membership.objects.filter(user=user).values_list("business_id", "role"))
    rows = []
    for business in businesses:
        reviews = list(business.reviews.all())  # newest first (Review.Meta.ordering)
        finished = next((r for r in reviews if r.completed_at is not None), None)
        rows.append(BusinessRow(business, roles.get(business.pk, ADVISOR),
                                tuple(business.domains.all()), review_summary(finished),
                                any(r.completed_at is None for r in reviews)))
    return rows


def reviews_of(business: Business) -> list[ReviewSummary]:
    return [review_summary(review) for review in business.reviews.order_by("-created_at")]
