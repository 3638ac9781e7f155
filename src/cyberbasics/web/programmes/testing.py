"""Factories for tests of the advisor, client and programme pages (and for other tests that
need a programme, an advisor or a finished review)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from ..accounts.testing import sign_in_with_second_factor
from ..businesses.models import AdvisorAccess, Business, Membership
from ..reviews.models import Review
from .models import Programme, ProgrammeRole

_numbers = itertools.count(1)


def make_user(email: str | None = None, **fields):
    email = email or f"person{next(_numbers)}@example.org"
    # No password: hashing one (argon2) would slow every test down; tests sign in directly.
    return get_user_model().objects.create_user(email, None, **fields)


def make_programme(name: str = "Safer Shops", country: str = "GB") -> Programme:
    return Programme.objects.create(name=name, country=country, time_zone="Europe/London")


def make_role(programme, role: str, user=None):
    user = user or make_user()
    ProgrammeRole.objects.create(programme=programme, user=user, role=role)
    return user


def make_advisor(programme, user=None):
    return make_role(programme, ProgrammeRole.Role.ADVISOR, user)


def make_operator(programme, user=None):
    return make_role(programme, ProgrammeRole.Role.OPERATOR, user)


def make_business(name: str | None = None, *, programme=None, owner=None,
                  country: str = "GB") -> Business:
    business = Business.objects.create(name=name or f"Business {next(_numbers)}",
                                       country=country, programme=programme)
    if owner is not None:
        Membership.objects.create(business=business, user=owner, role=Membership.Role.OWNER)
    return business


def give_access(business, advisor, consent: str = "Owner agreed by e-mail on 1 March 2025"):
    return AdvisorAccess.objects.create(business=business, advisor=advisor, consent=consent)


def result_document(score: int, band: str, areas: dict[str, int] | None = None,
                    actions: tuple[str, ...] = ()) -> dict:
    """A stored `cyberbasics.result/1` document with what the pages read of it."""
    return {"schema": "cyberbasics.result/1",
            "overall": {"score": score, "band": band, "capped_by": [], "uncapped": score},
            "areas": [{"id": area, "name": area, "score": value, "band": None, "unknown": [],
                       "source": "answers"} for area, value in (areas or {}).items()],
            "actions": [{"id": action, "priority": 10 - i} for i, action in enumerate(actions)]}


def completed_review(business, score: int, band: str, *, days_ago: int = 1, **result) -> Review:
    review = Review.objects.create(business=business, catalogue_version="test")
    at = timezone.now() - dt.timedelta(days=days_ago)
    Review.objects.filter(pk=review.pk).update(
        created_at=at, completed_at=at, result=result_document(score, band, **result))
    review.refresh_from_db()
    return review


def sign_in(client, user):
    """Signed in with the second factor passed (advisors and operators need it)."""
    return sign_in_with_second_factor(client, user)


def assert_sent_to_sign_in(response) -> None:
    """The answer a visitor who is not signed in gets: a redirect to the sign-in page."""
    from django.urls import reverse

    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


def advised_pair() -> dict:
    """Two businesses of one programme, each with its own owner and its own advisor: the
    world for checking that an advisor reaches only their clients."""
    programme = make_programme()
    advisor = make_advisor(programme, make_user("ada@advice.example"))
    other_advisor = make_advisor(programme, make_user("bo@advice.example"))
    owner = make_user("owner@bakery.example")
    business = make_business("Bakery", programme=programme, owner=owner)
    give_access(business, advisor)
    other = make_business("Florist", programme=programme,
                          owner=make_user("owner@florist.example"))
    give_access(other, other_advisor)
    return {"programme": programme, "advisor": advisor, "other_advisor": other_advisor,
            "owner": owner, "business": business, "other_business": other}
