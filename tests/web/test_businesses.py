"""The dashboard, registering a business (with the catalogue's profile questions in the
reader's language), the business overview and starting a review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cyberbasics.assess.catalogue import load_catalogue
from cyberbasics.texts import words
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.forms import BusinessForm, usual_time_zone
from cyberbasics.web.businesses.models import AdvisorAccess, Business, Domain, Membership
from cyberbasics.web.programmes.testing import make_user
from cyberbasics.web.reviews.models import Review

pytestmark = pytest.mark.django_db


def make_business(name="Bakery", domains=("bakery.example",)):
    business = Business.objects.create(name=name, country="GB", time_zone="Europe/London")
    for domain in domains:
        Domain.objects.create(business=business, name=domain)
    return business


def member(business, role=Membership.Role.OWNER, user=None):
    user = user or make_user()
    Membership.objects.create(business=business, user=user, role=role)
    return user


def review(business, *, score=None, band=None, days_ago=0, completed=True):
    created = Review.objects.create(business=business, catalogue_version="2026.11.0")
    when = timezone.now() - dt.timedelta(days=days_ago)
    Review.objects.filter(pk=created.pk).update(
        created_at=when, completed_at=when if completed else None,
        result={"schema": "cyberbasics.result/1",
                "overall": {"score": score, "band": band, "capped_by": [],
                            "uncapped": score}} if completed else None)
    created.refresh_from_db()
    return created


@pytest.fixture
def bakery():
    return make_business()


@pytest.fixture
def owner(bakery):
    return member(bakery)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


# --- the dashboard ------------------------------------------------------------------------

def test_dashboard_lists_my_businesses_with_role_domains_and_latest_score(client):
    user = make_user()
    bakery = make_business()
    member(bakery, user=user)
    review(bakery, score=55, band="basic", days_ago=30)
    review(bakery, score=81, band="good", days_ago=1)
    florist = make_business("Florist", ("florist.example",))
    AdvisorAccess.objects.create(business=florist, advisor=user, consent="by e-mail")
    review(florist, completed=False)
    make_business("Plumber", ("plumber.example",))  # not mine
    client.force_login(user)
    response = client.get(reverse("businesses:home"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Bakery" in text and "Florist" in text and "Plumber" not in text
    assert "bakery.example" in text and "florist.example" in text
    assert "Your role: owner" in text and "Your role: advisor" in text
    assert "81 of 100, Good" in text and "55 of 100" not in text  # the latest only
    assert "in progress" in text
    assert reverse("businesses:register") in text and "Register a business" in text
    assert reverse("businesses:detail", args=[bakery.pk]) in text


def test_a_new_review_in_progress_keeps_the_last_score_on_the_dashboard(client):
    user = make_user()
    bakery = make_business("Bakery", ("bakery.example",))
    Membership.objects.create(business=bakery, user=user, role=Membership.Role.OWNER)
    review(bakery, score=81, band="good", days_ago=10)
    review(bakery, completed=False)
    client.force_login(user)
    text = client.get(reverse("businesses:home")).content.decode()
    assert "81 of 100, Good" in text and "A new review is in progress." in text


def test_dashboard_without_businesses_invites_to_register(client):
    client.force_login(make_user())
    text = client.get(reverse("businesses:home")).content.decode()
    assert "no business here yet" in text and reverse("businesses:register") in text


def test_a_revoked_advisor_no_longer_sees_the_business(client, bakery):
    advisor = make_user()
    AdvisorAccess.objects.create(business=bakery, advisor=advisor, consent="x",
                                 revoked_at=timezone.now())
    client.force_login(advisor)
    assert "Bakery" not in client.get(reverse("businesses:home")).content.decode()


# --- registering --------------------------------------------------------------------------

def test_register_form_asks_the_catalogue_profile_with_pilot_countries_first(client):
    client.force_login(make_user())
    response = client.get(reverse("businesses:register"))
    text = response.content.decode()
    assert response.status_code == 200
    pilots = [text.index(f'value="{code}"') for code in ("GB", "PL", "ES", "IT", "RO")]
    assert pilots == sorted(pilots) and pilots[-1] < text.index('value="AD"')
    assert 'value="Europe/Warsaw"' in text and 'value="UTC"' in text
    english = words("questionnaire", "en")["profile"]
    for field in load_catalogue().profile:
        assert f'name="{field}"' in text
        assert english[field]["question"].replace("'", "&#x27;") in text
    assert english["platforms"]["values"]["microsoft365"] in text
    assert "<fieldset" in text and "<legend" in text  # radio groups are labelled


def test_register_form_speaks_the_readers_language(client):
    client.force_login(make_user())
    response = client.get(reverse("businesses:register"), HTTP_ACCEPT_LANGUAGE="pl")
    polish = words("questionnaire", "pl")["profile"]["premises"]["question"]
    assert polish in response.content.decode()


def test_registering_creates_the_business_and_makes_me_its_owner(client):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("businesses:register"), {
        "name": "  Piekarnia Anna ", "country": "PL", "time_zone": "", "sector": "bakery",
        "size": "3", "platforms": ["microsoft365", "windows"], "premises": "shop",
        "card_payments": "yes", "own_website": "no"})
    business = Business.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("businesses:domains", args=[business.pk])
    assert business.name == "Piekarnia Anna" and business.country == "PL"
    assert business.time_zone == "Europe/Warsaw"  # the country's usual one
    assert business.profile == {"size": 3, "platforms": ["microsoft365", "windows"],
                                "premises": "shop", "card_payments": True,
                                "own_website": False, "sector": "bakery"}
    assert Membership.objects.get(business=business).user == user
    assert Membership.objects.get(business=business).role == Membership.Role.OWNER
    event = AuditEvent.objects.get(action="business.created")
    assert event.business == business and event.actor == user


def test_any_iso_country_and_time_zone(client):
    client.force_login(make_user())
    client.post(reverse("businesses:register"), {"name": "Café", "country": "PT",
                                                  "time_zone": "Atlantic/Madeira",
                                                  "size": "1"})
    business = Business.objects.get()
    assert (business.country, business.time_zone) == ("PT", "Atlantic/Madeira")


@pytest.mark.parametrize(("data", "field"), [
    ({"country": "GB", "size": "2"}, "name"),
    ({"name": "X", "country": "XX", "size": "2"}, "country"),
    ({"name": "X", "country": "GB", "size": "0"}, "size"),
    ({"name": "X", "country": "GB", "size": "2", "time_zone": "Mars/Olympus"}, "time_zone"),
    ({"name": "X", "country": "GB", "size": "2", "premises": "castle"}, "premises"),
])
def test_registering_refuses_what_is_wrong(client, data, field):
    client.force_login(make_user())
    response = client.post(reverse("businesses:register"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Business.objects.exists()


def test_usual_time_zones():
    assert usual_time_zone("GB") == "Europe/London"
    assert usual_time_zone("RO") == "Europe/Bucharest"
    assert usual_time_zone("US") == "UTC"  # several zones: the owner chooses


def test_the_form_keeps_yes_and_no_as_the_answers_file_does():
    form = BusinessForm({"name": "A", "country": "IT", "size": "4", "nas": "no",
                         "it_provider": "yes"})
    assert form.is_valid(), form.errors
    assert form.profile() == {"size": 4, "nas": False, "it_provider": True}


def test_register_needs_a_sign_in(client):
    for method in ("get", "post"):
        response = getattr(client, method)(reverse("businesses:register"))
        assert response.status_code == 302
        assert response.headers["Location"].startswith(reverse("accounts:sign-in"))
    assert not Business.objects.exists()


# --- the overview -------------------------------------------------------------------------

def test_overview_shows_domains_reviews_latest_first_and_the_buttons(owner_client, bakery):
    old = review(bakery, score=40, band="basic", days_ago=60)
    new = review(bakery, score=77, band="good", days_ago=2)
    response = owner_client.get(reverse("businesses:detail", args=[bakery.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "bakery.example" in text and "not verified" in text
    assert text.index(f'id="review-{new.pk}"') < text.index(f'id="review-{old.pk}"')
    assert "77 of 100, Good" in text and "40 of 100, Basic" in text
    assert reverse("businesses:start-review", args=[bakery.pk]) in text
    assert reverse("scans:start", args=[bakery.pk]) in text
    assert reverse("businesses:domains", args=[bakery.pk]) in text
    assert "United Kingdom" in text and "your role: owner" in text


def test_staff_see_the_business_but_not_its_reviews(client, bakery):
    review(bakery, score=90, band="strong")
    client.force_login(member(bakery, Membership.Role.STAFF))
    response = client.get(reverse("businesses:detail", args=[bakery.pk]))
    text = response.content.decode()
    assert response.status_code == 200 and "Bakery" in text
    assert "90 of 100" not in text and "scans/new" not in text


def test_starting_a_review_opens_one_and_only_one(owner_client, bakery):
    url = reverse("businesses:start-review", args=[bakery.pk])
    response = owner_client.post(url)
    opened = bakery.reviews.get()
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("assessment:questions",
                                                   args=[bakery.pk, opened.pk])
    owner_client.post(url)
    assert bakery.reviews.count() == 1  # the open one is carried on
    assert AuditEvent.objects.filter(action="review.started").count() == 1
    text = owner_client.get(reverse("businesses:detail", args=[bakery.pk])).content.decode()
    assert "in progress" in text and url not in text
    assert reverse("assessment:questions", args=[bakery.pk, opened.pk]) in text


def test_starting_a_review_is_a_post(owner_client, bakery):
    response = owner_client.get(reverse("businesses:start-review", args=[bakery.pk]))
    assert response.status_code == 405 and not bakery.reviews.exists()


@pytest.mark.parametrize(("name", "method"), [("detail", "get"), ("start-review", "post")])
def test_anonymous_visitors_are_sent_to_sign_in(client, bakery, name, method):
    response = getattr(client, method)(reverse(f"businesses:{name}", args=[bakery.pk]))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))
    assert not bakery.reviews.exists()


@pytest.mark.parametrize(("name", "method"), [("detail", "get"), ("start-review", "post")])
def test_another_business_gets_404(client, bakery, name, method):
    client.force_login(member(make_business("Plumber", ("plumber.example",))))
    response = getattr(client, method)(reverse(f"businesses:{name}", args=[bakery.pk]))
    assert response.status_code == 404 and not bakery.reviews.exists()
    assert getattr(client, method)(reverse(f"businesses:{name}", args=[99999])) \
        .status_code == 404


def test_staff_cannot_start_a_review(client, bakery):
    client.force_login(member(bakery, Membership.Role.STAFF))
    response = client.post(reverse("businesses:start-review", args=[bakery.pk]))
    assert response.status_code == 404 and not bakery.reviews.exists()


def test_an_advisor_with_access_sees_the_overview_and_starts_a_review(client, bakery):
    from cyberbasics.web.accounts.testing import sign_in_with_second_factor

    advisor = make_user()
    AdvisorAccess.objects.create(business=bakery, advisor=advisor, consent="signed form")
    sign_in_with_second_factor(client, advisor)
    text = client.get(reverse("businesses:detail", args=[bakery.pk])).content.decode()
    assert "your role: advisor" in text
    client.post(reverse("businesses:start-review", args=[bakery.pk]))
    assert bakery.reviews.get().started_by == advisor
