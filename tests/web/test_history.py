"""The history of reviews: every completed review with its score and band, and what changed
between consecutive ones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cyberbasics.assess.review import word
from cyberbasics.web.reviews import history as history_service
from cyberbasics.web.reviews.core import catalogue
from cyberbasics.web.reviews.models import ActionItem, Review

from .test_plan import (
    DMARC,
    REMOTE,
    add_advisor,
    add_staff,
    complete_review,
    make_business,
    make_user,
    open_magic_link,
)

pytestmark = pytest.mark.django_db

BACKUPS = "backups.turn_on_automatic"


@pytest.fixture
def owner():
    return make_user("owner@florist.example", name="Olive Owner")


@pytest.fixture
def business(owner):
    return make_business(owner=owner)


@pytest.fixture
def two_reviews(business):
    """A first review with no backups, then a better one; in between the owner marked one
    action done and a scan verified another."""
    start = timezone.now() - dt.timedelta(days=30)
    first = complete_review(business, {"backups.regular": "no"}, when=start)
    ActionItem.objects.create(business=business, action=REMOTE, status="done",
                              done_at=start + dt.timedelta(days=5))
    ActionItem.objects.create(business=business, action=DMARC, status="verified",
                              done_at=start + dt.timedelta(days=6),
                              verified_at=start + dt.timedelta(days=6))
    second = complete_review(business, {"backups.regular": "automatic_daily",
                                        "backups.offline": "yes",
                                        "backups.restore_test": "this_year"},
                             when=start + dt.timedelta(days=10))
    return first, second


def history_url(business) -> str:
    return reverse("plan:history", args=[business.pk])


def test_anonymous_visitors_are_sent_to_sign_in(client, business):
    response = client.get(history_url(business))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


def test_another_business_and_staff_get_404(client, business, two_reviews):
    stranger = make_user("eve@bakery.example")
    make_business("Bakery", owner=stranger)
    staff = make_user("sam@florist.example")
    add_staff(business, staff)
    for user in (stranger, staff):
        client.force_login(user)
        assert client.get(history_url(business)).status_code == 404


def test_owner_advisor_and_client_see_it(client, owner, business, two_reviews):
    advisor = make_user("ada@advice.example")
    add_advisor(business, advisor)
    for user in (owner, advisor):
        client.force_login(user)
        assert client.get(history_url(business)).status_code == 200
    client.logout()
    open_magic_link(client, business, advisor)
    assert client.get(history_url(business)).status_code == 200


def test_every_completed_review_newest_first_with_what_changed(client, owner, business,
                                                               two_reviews):
    first, second = two_reviews
    Review.objects.create(business=business, catalogue_version=catalogue().version)  # open
    client.force_login(owner)
    response = client.get(history_url(business))
    entries = response.context["history"].entries
    assert [e.review for e in entries] == [second, first]
    assert entries[1].change is None  # the first review has nothing before it
    newer, older = second.result["overall"]["score"], first.result["overall"]["score"]
    assert entries[0].score == newer and entries[1].score == older
    change = entries[0].change
    assert newer > older and change.delta == newer - older
    assert [a.name for a in change.up] == ["Backups"]
    assert not change.down
    assert change.done == ["Close the doors into your office from the internet"]
    assert change.verified == [word("en", f"action.{DMARC}", "title")]
    assert BACKUPS in {a["id"] for a in first.result["actions"]}
    assert BACKUPS not in {a["id"] for a in second.result["actions"]}
    assert word("en", f"action.{BACKUPS}", "title") in change.closed
    assert not change.new
    questions = [a.question for a in change.answers]
    assert questions == ["backups.regular", "backups.offline", "backups.restore_test"]
    regular = change.answers[0]
    assert (regular.before, regular.after) == ("No", "Yes, automatically, every day")
    html = response.content.decode()
    assert "Areas that went up" in html and "Answers that changed" in html
    assert "Yes, automatically, every day" in html and "Marked done" in html
    assert html.count("<h1") == 1


def test_history_uses_the_stored_results_and_not_todays_catalogue(business, two_reviews):
    first, second = two_reviews
    stored = dict(first.result)
    stored["overall"] = {**stored["overall"], "score": 12, "band": "starting"}
    Review.objects.filter(pk=first.pk).update(result=stored)
    entries = history_service.review_history(business, "en").entries
    assert entries[1].score == 12
    assert entries[0].change.delta == second.result["overall"]["score"] - 12


def test_a_result_that_is_not_one_is_not_compared(business, two_reviews):
    first, _second = two_reviews
    broken = {**first.result, "areas": "not a list"}
    Review.objects.filter(pk=first.pk).update(result=broken)
    change = history_service.review_history(business, "en").entries[0].change
    assert change.problem and not change.up


def test_what_was_done_after_the_latest_review_is_shown_apart(client, owner, business,
                                                             two_reviews):
    ActionItem.objects.create(business=business, action="firewall.turn_on", status="done",
                              done_at=timezone.now())
    client.force_login(owner)
    response = client.get(history_url(business))
    since = response.context["history"].since_latest
    assert since is not None and len(since.done) == 1
    assert b"Since the latest review" in response.content


def test_in_another_language(client, owner, business, two_reviews):
    entries = history_service.review_history(business, "pl").entries
    assert entries[0].change.done == [word("pl", f"action.{REMOTE}", "title")]


def test_no_completed_review_yet(client, owner, business):
    client.force_login(owner)
    response = client.get(history_url(business))
    assert response.status_code == 200
    assert response.context["history"].entries == []
