"""GDPR: a business's owner exports all of its data and deletes it; each person exports
their own account data and deletes their account; the owner sees the business's activity
log. Nothing of another business, no secrets, no advisor's private notes."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from cyberbasics.web.accounts.models import User
from cyberbasics.web.accounts.testing import sign_in_with_second_factor
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.audit.services import record
from cyberbasics.web.businesses.models import AdvisorAccess, Business, Domain, Membership
from cyberbasics.web.programmes.models import Programme, ProgrammeRole
from cyberbasics.web.reviews.models import ActionItem, AdvisorNote, Answer, Review, Scan

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def business_with_data(name: str, owner_email: str) -> dict:
    owner = User.objects.create_user(owner_email, PASSWORD, name=f"Owner of {name}",
                                     totp_secret="OWNERSECRETOWNERSECRET234567ABCD",
                                     totp_confirmed_at=timezone.now())
    business = Business.objects.create(name=name, country="GB", profile={"size": "micro"})
    Membership.objects.create(business=business, user=owner, role="owner")
    staff = User.objects.create_user(f"staff@{name.lower()}.example", PASSWORD)
    Membership.objects.create(business=business, user=staff, role="staff")
    domain = Domain.objects.create(business=business, name=f"{name.lower()}.example")
    review = Review.objects.create(business=business, catalogue_version="1",
                                   profile={"size": "micro"}, result={"score": 61})
    Answer.objects.create(review=review, question="backups.offsite", option="yes",
                          note=f"{name} keeps a disk at home")
    Scan.objects.create(business=business, review=review, domains=[domain.name],
                        status="done", result={"domains": [domain.name]})
    ActionItem.objects.create(business=business, action="turn-on-mfa", assignee=staff)
    programme = Programme.objects.create(name=f"{name} programme", country="GB")
    advisor = User.objects.create_user(f"advisor@{name.lower()}.example", PASSWORD)
    ProgrammeRole.objects.create(programme=programme, user=advisor, role="advisor")
    AdvisorAccess.objects.create(business=business, advisor=advisor, consent="signed form")
    AdvisorNote.objects.create(business=business, advisor=advisor,
                               text=f"PRIVATE NOTE about {name}")
    record("domain.added", actor=owner, business=business, domain=domain.name)
    return {"owner": owner, "business": business, "staff": staff, "advisor": advisor,
            "domain": domain, "review": review}


@pytest.fixture
def florist():
    return business_with_data("Florist", "olive@florist.example")


@pytest.fixture
def bakery():
    return business_with_data("Bakery", "ben@bakery.example")


def privacy_url(name, business, *args):
    return reverse(f"privacy:{name}", args=[business.pk, *args])


BUSINESS_VIEWS = [("business", "get"), ("business-export", "post"),
                  ("business-delete", "get"), ("business-delete", "post"),
                  ("business-activity", "get")]


# --- who may reach the business pages ----------------------------------------------------

@pytest.mark.parametrize(("name", "method"), BUSINESS_VIEWS)
def test_anonymous_visitors_are_sent_to_sign_in(client, florist, name, method):
    response = getattr(client, method)(privacy_url(name, florist["business"]))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


@pytest.mark.parametrize(("name", "method"), BUSINESS_VIEWS)
def test_another_business_owner_gets_404(client, florist, bakery, name, method):
    sign_in_with_second_factor(client, bakery["owner"])
    response = getattr(client, method)(privacy_url(name, florist["business"]),
                                       {"name": "Florist"})
    assert response.status_code == 404
    assert Business.objects.filter(pk=florist["business"].pk).exists()


@pytest.mark.parametrize(("name", "method"), BUSINESS_VIEWS)
def test_staff_and_advisors_get_404(client, florist, name, method):
    for who in ("staff", "advisor"):
        sign_in_with_second_factor(client, florist[who])
        response = getattr(client, method)(privacy_url(name, florist["business"]),
                                           {"name": "Florist"})
        assert response.status_code == 404, who
    assert Business.objects.filter(pk=florist["business"].pk).exists()


@pytest.mark.parametrize("name", ["business", "business-delete", "business-activity"])
def test_the_owner_reaches_the_pages(client, florist, name):
    sign_in_with_second_factor(client, florist["owner"])
    assert client.get(privacy_url(name, florist["business"])).status_code == 200


# --- export ------------------------------------------------------------------------------

def test_the_owner_exports_all_the_business_data(client, florist, bakery):
    sign_in_with_second_factor(client, florist["owner"])
    url = privacy_url("business-export", florist["business"])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="cyberbasics-florist-')
    assert response["Cache-Control"] == "no-store"
    raw = response.content.decode()
    data = json.loads(raw)
    assert data["format"] == "cyberbasics.business-export/1"
    assert data["business"]["name"] == "Florist"
    assert sorted((m["email"], m["role"]) for m in data["memberships"]) == [
        ("olive@florist.example", "owner"), ("staff@florist.example", "staff")]
    assert [d["name"] for d in data["domains"]] == ["florist.example"]
    (review,) = data["reviews"]
    assert review["result"] == {"score": 61}
    assert review["answers"][0]["option"] == "yes"
    assert data["scans"][0]["result"] == {"domains": ["florist.example"]}
    assert data["actions"][0] == {**data["actions"][0], "action": "turn-on-mfa",
                                  "assignee": "staff@florist.example"}
    assert data["advisors"][0]["email"] == "advisor@florist.example"
    assert [e["action"] for e in data["audit"]] == ["domain.added"]
    # Nothing of the bakery, no secrets, no private notes, no tokens.
    for forbidden in ("Bakery", "bakery", "argon2", "md5$", "OWNERSECRET",
                      "PRIVATE NOTE", florist["domain"].token,
                      florist["owner"].password):
        assert forbidden not in raw, forbidden
    event = AuditEvent.objects.get(action="business.exported")
    assert event.business == florist["business"] and event.actor == florist["owner"]


# --- deletion ----------------------------------------------------------------------------

def test_deleting_needs_the_business_name(client, florist):
    sign_in_with_second_factor(client, florist["owner"])
    url = privacy_url("business-delete", florist["business"])
    page = client.get(url).content.decode()
    assert 'autocomplete="off"' in page and '<label for="id_name"' in page
    response = client.post(url, {"name": "Flowers"})
    assert response.status_code == 200
    assert "That is not the business" in response.content.decode()
    assert Business.objects.filter(pk=florist["business"].pk).exists()


def test_the_owner_deletes_the_business_and_everything_under_it(client, florist, bakery):
    sign_in_with_second_factor(client, florist["owner"])
    business = florist["business"]
    response = client.post(privacy_url("business-delete", business), {"name": " florist "})
    assert response.status_code == 302
    assert not Business.objects.filter(pk=business.pk).exists()
    for model in (Membership, Domain, Review, Scan, ActionItem, AdvisorNote, AdvisorAccess):
        assert not model.objects.filter(business_id=business.pk).exists(), model
    assert not Answer.objects.filter(review_id=florist["review"].pk).exists()
    # People stay; the bakery is untouched.
    assert User.objects.filter(pk=florist["owner"].pk).exists()
    assert Domain.objects.filter(business=bakery["business"]).count() == 1
    assert Review.objects.filter(business=bakery["business"]).count() == 1
    event = AuditEvent.objects.get(action="business.deleted")
    assert event.business is None
    assert event.actor_label == "olive@florist.example"
    assert event.detail == {"name": "Florist", "business_id": business.pk}
    # The business's earlier events stay in the log without it.
    assert AuditEvent.objects.get(action="domain.added", detail__domain="florist.example") \
        .business is None


# --- activity log ------------------------------------------------------------------------

def test_the_activity_log_shows_only_this_business(client, florist, bakery):
    record("business.exported", actor=florist["owner"], business=florist["business"])
    record("sign_in", actor=florist["owner"])
    record("something.new", business=florist["business"])
    sign_in_with_second_factor(client, florist["owner"])
    response = client.get(privacy_url("business-activity", florist["business"]))
    html = response.content.decode()
    assert "Business data exported" in html and "Domain added" in html
    assert "something.new" in html  # an action without words yet shows its code
    assert "Signed in" not in html
    assert "ben@bakery.example" not in html
    assert "127.0.0.1" not in html


# --- the person's own data ---------------------------------------------------------------

def test_account_export_needs_a_sign_in(client):
    response = client.post(reverse("privacy:account-export"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))
    response = client.get(reverse("privacy:account-delete"))
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


def test_a_person_exports_their_own_data(client, florist, bakery):
    user = florist["advisor"]
    sign_in_with_second_factor(client, user)
    response = client.post(reverse("privacy:account-export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="cyberbasics-account-')
    raw = response.content.decode()
    data = json.loads(raw)
    assert data["account"]["email"] == "advisor@florist.example"
    assert data["account"]["second_factor"] is True
    assert data["programme_roles"][0]["role"] == "advisor"
    assert data["advising"][0]["business"] == "Florist"
    assert data["my_advisor_notes"][0]["text"] == "PRIVATE NOTE about Florist"
    user.refresh_from_db()
    for forbidden in (user.password, user.totp_secret, "Bakery", "olive@florist.example"):
        assert forbidden not in raw, forbidden
    assert AuditEvent.objects.filter(action="account.exported", actor=user).count() == 1
    assert client.get(reverse("privacy:account-export")).status_code == 405


def test_the_only_owner_of_a_business_with_members_cannot_delete_the_account(client, florist):
    owner = florist["owner"]
    sign_in_with_second_factor(client, owner)
    page = client.get(reverse("privacy:account-delete"))
    assert "You cannot delete your account yet" in page.content.decode()
    response = client.post(reverse("privacy:account-delete"), {"password": PASSWORD})
    assert response.status_code == 200
    assert User.objects.filter(pk=owner.pk).exists()
    settings_page = client.get(reverse("accounts:settings")).content.decode()
    assert "Delete the business, or make another member its owner" in settings_page


def test_a_co_owner_can_delete_the_account(client, florist):
    owner = florist["owner"]
    Membership.objects.filter(user=florist["staff"]).update(role="owner")
    sign_in_with_second_factor(client, owner)
    assert client.post(reverse("privacy:account-delete"),
                       {"password": "wrong"}).status_code == 200
    response = client.post(reverse("privacy:account-delete"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()
    assert "_auth_user_id" not in client.session
    business = Business.objects.get(pk=florist["business"].pk)
    assert list(business.memberships.values_list("user__email", flat=True)) == [
        "staff@florist.example"]
    event = AuditEvent.objects.get(action="account.deleted")
    assert event.actor is None and event.actor_label == "olive@florist.example"


def test_a_business_with_no_other_member_goes_with_the_account(client):
    user = User.objects.create_user("solo@example.com", PASSWORD)
    business = Business.objects.create(name="Solo", country="GB")
    Membership.objects.create(business=business, user=user, role="owner")
    client.force_login(user)
    page = client.get(reverse("privacy:account-delete")).content.decode()
    assert "Solo" in page and 'autocomplete="current-password"' in page
    assert client.post(reverse("privacy:account-delete"),
                       {"password": PASSWORD}).status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Business.objects.filter(pk=business.pk).exists()
    assert AuditEvent.objects.filter(action="business.deleted",
                                     detail__name="Solo").count() == 1


def test_a_staff_member_deletes_the_account_and_the_business_stays(client, florist):
    staff = florist["staff"]
    client.force_login(staff)
    assert client.post(reverse("privacy:account-delete"),
                       {"password": PASSWORD}).status_code == 302
    assert not User.objects.filter(pk=staff.pk).exists()
    assert Business.objects.filter(pk=florist["business"].pk).exists()
    # The action assigned to them is kept, unassigned.
    assert ActionItem.objects.get(business=florist["business"]).assignee is None
