"""Magic links: an advisor makes one for a client's business (shown once, only its hash kept,
expiring, revocable, optionally e-mailed in the client's language); the client opens it
without an account and reaches that business only."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import AdvisorAccess, MagicLink
from cyberbasics.web.businesses.selectors import MAGIC_SESSION_KEY
from cyberbasics.web.programmes import services
from cyberbasics.web.programmes.testing import (
    advised_pair,
    assert_sent_to_sign_in,
    completed_review,
    give_access,
    make_user,
    sign_in,
)
from cyberbasics.web.reviews.models import Review

pytestmark = pytest.mark.django_db



@pytest.fixture
def setup():
    world = advised_pair()
    review = Review.objects.create(business=world["business"], catalogue_version="test")
    return {**world, "other": world["other_business"], "review": review}


def make_link(setup, **kwargs):
    return services.create_magic_link(business=setup["business"], created_by=setup["advisor"],
                                      **kwargs)


def links_url(business):
    return reverse("advice:links", args=[business.pk])


# --- making links --------------------------------------------------------------------------------

def test_links_page_scoping(client, setup):
    url = links_url(setup["business"])
    assert_sent_to_sign_in(client.get(url))
    sign_in(client, setup["other_advisor"])
    assert client.get(url).status_code == 404
    sign_in(client, make_user("stranger@example.org"))
    assert client.get(url).status_code == 404
    sign_in(client, setup["advisor"])
    response = client.get(url)
    assert response.status_code == 200 and 'name="days"' in response.content.decode()
    sign_in(client, setup["owner"])  # sees and withdraws links, does not make them
    response = client.get(url)
    assert response.status_code == 200 and 'name="days"' not in response.content.decode()
    assert client.post(url, {"days": 14, "language": "en"}).status_code == 404
    assert not MagicLink.objects.exists()


def test_advisor_makes_a_link_shown_once_and_only_its_hash_is_stored(client, setup):
    sign_in(client, setup["advisor"])
    before = timezone.now()
    response = client.post(links_url(setup["business"]), {"days": 14, "language": "en"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r"/m/([A-Za-z0-9_-]{40,})/", response.content.decode()).group(1)
    link = MagicLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(MagicLink.objects.values()))
    assert link.business == setup["business"] and link.created_by == setup["advisor"]
    assert dt.timedelta(days=14) <= link.expires_at - before < dt.timedelta(days=14, minutes=1)
    assert AuditEvent.objects.filter(action="magic_link.created",
                                     business=setup["business"]).exists()
    assert not mail.outbox
    # the list never shows the token again
    assert token not in client.get(links_url(setup["business"])).content.decode()


@pytest.mark.parametrize("days", [0, 61, -3])
def test_link_lasts_one_to_sixty_days(client, setup, days):
    sign_in(client, setup["advisor"])
    response = client.post(links_url(setup["business"]), {"days": days, "language": "en"})
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    assert not MagicLink.objects.exists()
    assert client.post(links_url(setup["business"]), {"days": 60, "language": "en"}) \
        .status_code == 200
    assert MagicLink.objects.count() == 1
    with pytest.raises(ValueError):
        make_link(setup, days=61)


def test_link_for_a_review_of_another_business_is_refused(client, setup):
    elsewhere = Review.objects.create(business=setup["other"], catalogue_version="test")
    sign_in(client, setup["advisor"])
    response = client.post(links_url(setup["business"]),
                           {"days": 5, "language": "en", "review": elsewhere.pk})
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    assert not MagicLink.objects.exists()
    client.post(links_url(setup["business"]),
                {"days": 5, "language": "en", "review": setup["review"].pk})
    assert MagicLink.objects.get().review == setup["review"]


def test_link_is_emailed_in_the_chosen_language(client, setup):
    sign_in(client, setup["advisor"])
    response = client.post(links_url(setup["business"]),
                           {"days": 14, "language": "pl", "email": "Client@Bakery.example"})
    assert response.status_code == 200
    [message] = mail.outbox
    assert message.to == ["client@bakery.example"]
    token = re.search(r"/m/([A-Za-z0-9_-]+)/", message.body).group(1)
    assert MagicLink.objects.get().token_hash == hashlib.sha256(token.encode()).hexdigest()
    # The date is written the Polish way (Django's own Polish month names).
    months = ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca",
              "sierpnia", "września", "października", "listopada", "grudnia")
    assert any(month in message.body for month in months)


def test_advisor_sees_only_their_own_links_and_the_owner_sees_all(client, setup):
    give_access(setup["business"], setup["other_advisor"])
    make_link(setup, email="mine@bakery.example")
    services.create_magic_link(business=setup["business"], created_by=setup["other_advisor"],
                               email="theirs@bakery.example")
    sign_in(client, setup["advisor"])
    page = client.get(links_url(setup["business"])).content.decode()
    assert "mine@bakery.example" in page and "theirs@bakery.example" not in page
    sign_in(client, setup["owner"])
    page = client.get(links_url(setup["business"])).content.decode()
    assert "mine@bakery.example" in page and "theirs@bakery.example" in page


# --- opening a link -----------------------------------------------------------------------------

def test_valid_link_starts_a_client_session_for_that_business(client, setup):
    link, token, _emailed = make_link(setup, review=setup["review"])
    client.get(reverse("home"))
    old_key = client.session.session_key
    response = client.get(reverse("advice:magic", args=[token]))
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("advice:client-home")
    assert client.session[MAGIC_SESSION_KEY] == link.pk
    assert client.session.session_key != old_key
    link.refresh_from_db()
    assert link.last_used_at is not None
    assert AuditEvent.objects.filter(action="magic_link.used").count() == 1
    page = client.get(reverse("advice:client-home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Bakery" in text
    assert reverse("assessment:questions", args=[setup["business"].pk, setup["review"].pk]) \
        in text


def test_client_reaches_only_that_business(client, setup):
    _link, token, _emailed = make_link(setup)
    client.get(reverse("advice:magic", args=[token]))
    # this business, as a client (the questionnaire accepts clients)
    assert client.get(reverse("assessment:questions", args=[
        setup["business"].pk, setup["review"].pk])).status_code == 200
    # never another business, never advisor or owner pages, never the dashboard
    other_review = Review.objects.create(business=setup["other"], catalogue_version="test")
    assert client.get(reverse("assessment:questions", args=[
        setup["other"].pk, other_review.pk])).status_code == 404
    assert client.get(links_url(setup["other"])).status_code == 404
    assert client.get(links_url(setup["business"])).status_code == 404
    assert client.get(reverse("advice:notes", args=[setup["business"].pk])).status_code == 404
    assert client.get(reverse("advice:advisors",
                              args=[setup["business"].pk])).status_code == 404
    assert_sent_to_sign_in(client.get(reverse("businesses:home")))
    assert_sent_to_sign_in(client.get(reverse("advice:advisor-home")))


def test_client_home_without_a_link(client, setup):
    assert_sent_to_sign_in(client.get(reverse("advice:client-home")))
    sign_in(client, setup["owner"])
    response = client.get(reverse("advice:client-home"))
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("businesses:home")


def test_expired_revoked_and_unknown_links_look_the_same(client, setup):
    expired, expired_token, _ = make_link(setup)
    MagicLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    revoked, revoked_token, _ = make_link(setup)
    services.revoke_magic_link(revoked)
    pages = []
    for token in (expired_token, revoked_token, "A" * 43):
        response = client.get(reverse("advice:magic", args=[token]))
        assert response.status_code == 404
        assert MAGIC_SESSION_KEY not in client.session
        page = response.content.decode().replace(token, "")
        pages.append(re.sub(r'(csrf-token" content|csrfmiddlewaretoken" value)="[^"]*"', "",
                            page))
    assert pages[0] == pages[1] == pages[2]
    assert "Ask your advisor" in pages[0]
    assert not AuditEvent.objects.filter(action="magic_link.used").exists()


def test_link_expires_while_in_use(client, setup):
    link, token, _ = make_link(setup, days=1)
    client.get(reverse("advice:magic", args=[token]))
    assert client.get(reverse("advice:client-home")).status_code == 200
    MagicLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_sent_to_sign_in(client.get(reverse("advice:client-home")))
    assert client.get(reverse("assessment:questions", args=[
        setup["business"].pk, setup["review"].pk])).status_code == 302


# --- withdrawing links ----------------------------------------------------------------------------

def test_revoking_takes_effect_on_the_next_request(client, setup):
    link, token, _ = make_link(setup)
    client.get(reverse("advice:magic", args=[token]))
    assert client.get(reverse("advice:client-home")).status_code == 200

    from django.test import Client
    advisor = sign_in(Client(), setup["advisor"])
    url = reverse("advice:link-revoke", args=[setup["business"].pk, link.pk])
    assert advisor.post(url).status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert AuditEvent.objects.filter(action="magic_link.revoked").exists()

    assert_sent_to_sign_in(client.get(reverse("advice:client-home")))
    assert client.get(reverse("assessment:questions", args=[
        setup["business"].pk, setup["review"].pk])).status_code == 302
    assert client.get(reverse("advice:magic", args=[token])).status_code == 404


def test_revoke_scoping(client, setup):
    link, _token, _ = make_link(setup)
    url = reverse("advice:link-revoke", args=[setup["business"].pk, link.pk])
    assert_sent_to_sign_in(client.post(url))
    sign_in(client, setup["other_advisor"])  # no access to this business
    assert client.post(url).status_code == 404
    give_access(setup["business"], setup["other_advisor"])  # access, but not their link
    assert client.post(url).status_code == 404
    # the wrong business in the URL
    assert client.post(reverse("advice:link-revoke",
                               args=[setup["other"].pk, link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None
    sign_in(client, setup["owner"])
    assert client.post(url).status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_ending_the_advisors_access_ends_their_links(client, setup):
    _link, token, _ = make_link(setup)
    access = AdvisorAccess.objects.get(business=setup["business"], advisor=setup["advisor"])
    services.revoke_advisor_access(access)
    assert client.get(reverse("advice:magic", args=[token])).status_code == 404


def test_client_can_leave(client, setup):
    _link, token, _ = make_link(setup)
    client.get(reverse("advice:magic", args=[token]))
    assert client.post(reverse("advice:client-leave")).status_code == 302
    assert MAGIC_SESSION_KEY not in client.session
    assert_sent_to_sign_in(client.get(reverse("advice:client-home")))


def test_client_sees_the_report_link_of_a_completed_review(client, setup):
    Review.objects.all().delete()
    review = completed_review(setup["business"], 71, "developing")
    _link, token, _ = make_link(setup)
    client.get(reverse("advice:magic", args=[token]))
    page = client.get(reverse("advice:client-home")).content.decode()
    assert reverse("assessment:result", args=[setup["business"].pk, review.pk]) in page


def test_a_clients_pages_lead_back_to_their_review_while_the_link_lasts(client, setup):
    link, token, _ = make_link(setup)
    client.get(reverse("advice:magic", args=[token]))
    questions = reverse("assessment:questions", args=[setup["business"].pk,
                                                      setup["review"].pk])
    header = client.get(questions).content.decode().split("</header>")[0]
    assert f'href="{reverse("advice:client-home")}"' in header
    assert reverse("accounts:sign-in") not in header
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    header = client.get(reverse("home")).content.decode().split("</header>")[0]
    assert reverse("advice:client-home") not in header
    assert reverse("accounts:sign-in") in header
