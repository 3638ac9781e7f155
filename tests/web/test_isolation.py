"""Tenant isolation over every URL the platform has, found from the URL configuration itself,
so a view added later is covered without anyone remembering to write its test.

For each pattern (admin, static and the language switch aside):
- an anonymous visitor gets the sign-in page, unless the view is in PUBLIC (docs/web.md);
- the owner of another business gets 404 for this business's objects, by GET and by POST;
- the owner of this business gets 404 when the URL mixes this business's id with another
  business's object ids (a review, domain, scan, action, member, invitation, link, note);
- an operator of another programme gets 404 for this programme's pages.
"""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cyberbasics.web.businesses.models import Domain, Invitation, MagicLink, Membership
from cyberbasics.web.incidents.testing import make_incident
from cyberbasics.web.mailcheck.models import CheckedMessage
from cyberbasics.web.programmes.testing import (
    completed_review,
    give_access,
    make_advisor,
    make_business,
    make_operator,
    make_programme,
    make_user,
    sign_in,
)
from cyberbasics.web.reviews.models import ActionItem, AdvisorNote, Answer, Review, Scan

OBJECT_IDS = {"review_id", "domain_id", "scan_id", "item_id", "membership_id",
              "invitation_id", "link_id", "note_id", "access_id", "role_id", "incident_id",
              "check_id"}

pytestmark = pytest.mark.django_db

# Reachable without signing in (docs/web.md lists them with what each shows).
PUBLIC = {
    "home", "health", "accounts:sign-out", "accounts:sign-in", "accounts:sign-up",
    "accounts:two-factor-verify",
    "advice:magic", "advice:client-home", "advice:client-leave", "plan:accept-invitation",
    # The evidence log without an account: only the browser session that started a log
    # reaches it (any other request for a token gets 404).
    "incidents:anonymous-log", "incidents:anonymous-detail", "incidents:anonymous-bundle",
    "incidents:anonymous-pdf", "incidents:anonymous-delete",
    # The suspicious-email checker for anyone: nothing about the message is kept.
    "mailcheck:check",
    # Help now (docs/web.md): the triage, the playbooks, whom to report to, the breach clock
    # and its draft (POST; returns a preview or a PDF, stores nothing).
    "help:start", "help:triage", "help:playbook", "help:report", "help:breach",
    "help:breach-draft",
}
SKIPPED_PREFIXES = ("admin:", "set_language", "djdt")


def _patterns(resolver=None, namespace: str = "", prefix: str = ""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry


ALL = sorted({(name, route) for name, route, _ in _patterns()
              if not name.startswith(SKIPPED_PREFIXES)})
SCOPED = [(name, route) for name, route in ALL if "<int:business_id>" in route]
PROGRAMME = [(name, route) for name, route in ALL if "<int:programme_id>" in route]


def test_the_walk_finds_the_platform():
    names = {name for name, _ in ALL}
    assert {"businesses:detail", "assessment:result", "plan:plan", "scans:detail",
            "advice:links", "privacy:business-export", "programmes:dashboard"} <= names
    assert len(SCOPED) >= 40 and PROGRAMME


class World:
    """Two businesses in two programmes, each with one of everything."""

    def __init__(self):
        self.programmes = [make_programme("One"), make_programme("Two")]
        self.owners = [make_user("owner-a@example.org"), make_user("owner-b@example.org")]
        self.operators = [make_operator(p) for p in self.programmes]
        self.advisors = [make_advisor(p) for p in self.programmes]
        self.objects = []
        for owner, programme, advisor in zip(self.owners, self.programmes, self.advisors,
                                             strict=True):
            business = make_business(owner=owner, programme=programme)
            give_access(business, advisor)
            staff = make_user()
            membership = Membership.objects.create(business=business, user=staff,
                                                   role=Membership.Role.STAFF)
            review = completed_review(business, 60, "growing")
            Answer.objects.create(review=review, question="backups.regular", option="daily")
            domain = Domain.objects.create(business=business, name=f"d{business.pk}.example")
            scan = Scan.objects.create(business=business, review=review, domains=[domain.name])
            item = ActionItem.objects.create(business=business, action="backups.set_up")
            later = timezone.now() + dt.timedelta(days=5)
            invitation = Invitation.objects.create(
                business=business, email="x@example.org", kind=Invitation.Kind.STAFF,
                token_hash=secrets.token_hex(32), invited_by=owner, expires_at=later)
            link = MagicLink.objects.create(business=business, token_hash=secrets.token_hex(32),
                                            created_by=advisor, expires_at=later)
            note = AdvisorNote.objects.create(business=business, advisor=advisor, text="n")
            incident = make_incident(business, created_by=owner)
            checked = CheckedMessage.objects.create(
                business=business, checked_by=owner, from_address="anna@supplier.example",
                from_domain="supplier.example", subject="Invoice", verdict="unknown")
            self.objects.append({
                "business_id": business.pk, "review_id": review.pk, "domain_id": domain.pk,
                "scan_id": scan.pk, "item_id": item.pk, "membership_id": membership.pk,
                "invitation_id": invitation.pk, "link_id": link.pk, "note_id": note.pk,
                "access_id": business.advisor_accesses.get().pk,
                "programme_id": programme.pk, "question_id": "backups.regular",
                "role_id": programme.roles.get(user=advisor).pk,
                "token": secrets.token_urlsafe(16), "incident_id": incident.pk,
                "check_id": checked.pk,
            })
        assert Review.objects.count() == 2


@pytest.fixture
def world():
    return World()


def _kwargs(route: str, values: dict) -> dict:
    import re

    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    missing = [n for n in names if n not in values]
    assert not missing, f"{route}: the isolation test does not know {missing}; add them"
    return {n: values[n] for n in names}


def _url(name: str, route: str, values: dict) -> str:
    return reverse(name, kwargs=_kwargs(route, values))


@pytest.mark.parametrize(("name", "route"), [p for p in ALL if p[0] not in PUBLIC])
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name, route):
    url = _url(name, route, world.objects[1])
    sign_in_url = reverse("accounts:sign-in")
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, (name, method.__name__, response.status_code)
        assert response.headers["Location"].startswith(sign_in_url), (name, response.headers)


@pytest.mark.parametrize(("name", "route"), SCOPED)
def test_another_business_gets_404(client, world, name, route):
    url = _url(name, route, world.objects[1])
    for intruder in (world.owners[0], world.advisors[0]):
        sign_in(client, intruder)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, (name, intruder.email, method.__name__,
                                                 response.status_code)


def _has_object_ids(route: str) -> bool:
    return bool(OBJECT_IDS & {part.split(">")[0].split(":")[-1] for part in route.split("<")[1:]})


@pytest.mark.parametrize(("name", "route"), [p for p in SCOPED if _has_object_ids(p[1])])
def test_another_business_objects_under_my_business_get_404(client, world, name, route):
    mixed = {**world.objects[1], "business_id": world.objects[0]["business_id"]}
    url = _url(name, route, mixed)
    for insider in (world.owners[0], world.advisors[0]):
        sign_in(client, insider)
        # The business is theirs, so a method the view never takes may say so (405: the
        # same for any id, telling nothing); the method it takes must not find the object.
        statuses = {method.__name__: method(url).status_code
                    for method in (client.get, client.post)}
        assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), \
            (name, insider.email, statuses)


@pytest.mark.parametrize(("name", "route"), [p for p in PROGRAMME if _has_object_ids(p[1])])
def test_another_programme_objects_under_my_programme_get_404(client, world, name, route):
    mixed = {**world.objects[1], "programme_id": world.objects[0]["programme_id"]}
    url = _url(name, route, mixed)
    sign_in(client, world.operators[0])
    statuses = {method.__name__: method(url).status_code for method in (client.get, client.post)}
    assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (name, statuses)


@pytest.mark.parametrize(("name", "route"), PROGRAMME)
def test_another_programme_gets_404(client, world, name, route):
    url = _url(name, route, world.objects[1])
    for intruder in (world.operators[0], world.advisors[1], world.owners[1]):
        sign_in(client, intruder)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, (name, intruder.email, method.__name__,
                                                 response.status_code)
