"""Staff members: invitations by e-mail, accepting them, the owner's list of people, and
"My actions", where staff see and update only the actions given to them."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import Invitation, Membership
from cyberbasics.web.reviews.models import ActionItem

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


@pytest.fixture
def owner():
    return make_user("owner@florist.example", name="Olive Owner")


@pytest.fixture
def business(owner):
    business = make_business(owner=owner)
    complete_review(business)
    return business


@pytest.fixture
def staff(business):
    user = make_user("sam@florist.example", name="Sam Staff")
    add_staff(business, user)
    return user


def members_url(business):
    return reverse("plan:members", args=[business.pk])


def invite(client, business, email="new@florist.example"):
    return client.post(reverse("plan:invite", args=[business.pk]), {"email": email})


def link_in(message) -> str:
    return re.search(r"https?://\S+/invitations/staff/\S+/", message.body).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


# --- the owner's page of people ---------------------------------------------------------------

def test_people_page_is_for_owners_only(client, owner, business, staff):
    url = members_url(business)
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith(
        reverse("accounts:sign-in"))
    advisor = make_user("ada@advice.example")
    add_advisor(business, advisor)
    stranger = make_user("eve@bakery.example")
    make_business("Bakery", owner=stranger)
    for user in (staff, advisor, stranger):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert invite(client, business).status_code == 404
    assert not mail.outbox
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    assert b"sam@florist.example" in response.content


def test_an_invitation_is_emailed_and_only_its_hash_is_kept(client, owner, business):
    client.force_login(owner)
    response = invite(client, business, "New.Person@Florist.example")
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.kind == "staff" and invitation.email == "new.person@florist.example"
    assert invitation.expires_at - timezone.now() > dt.timedelta(days=6, hours=23)
    assert invitation.expires_at - timezone.now() <= dt.timedelta(days=7)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@florist.example"]
    assert "Lab Florist" in message.subject
    link = link_in(message)
    assert link.startswith("http://127.0.0.1:8000/")  # settings.CYBERBASICS_SITE_URL
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    event = AuditEvent.objects.get(action="member.invited")
    assert event.actor == owner and event.business == business


def test_members_cannot_be_invited_twice_and_a_bad_address_is_refused(client, owner, business,
                                                                      staff):
    client.force_login(owner)
    response = invite(client, business, "sam@florist.example")
    assert response.status_code == 400 and b"already a member" in response.content
    response = invite(client, business, "not an address")
    assert response.status_code == 400
    assert not Invitation.objects.exists() and not mail.outbox


# --- accepting --------------------------------------------------------------------------------

def test_the_invitee_signs_up_or_in_then_accepts(client, owner, business):
    client.force_login(owner)
    invite(client, business, "new@florist.example")
    client.logout()
    path = path_of(link_in(mail.outbox[0]))
    # Anonymous: the page is reachable and sends them to sign in or sign up, coming back.
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lab Florist" in html
    assert f'{reverse("accounts:sign-in")}?next={path}' in html.replace("%2F", "/")
    assert f'{reverse("accounts:sign-up")}?next=' in html
    assert client.post(path).status_code == 200  # nothing happens without an account
    assert not Membership.objects.filter(role="staff").exists()
    newcomer = make_user("new@florist.example")
    client.force_login(newcomer)
    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("plan:business-my-actions",
                                                   args=[business.pk])
    assert Membership.objects.get(user=newcomer, business=business).role == "staff"
    assert Invitation.objects.get().accepted_at is not None
    assert AuditEvent.objects.filter(action="member.joined", actor=newcomer).exists()
    # Used once: the link no longer works.
    assert client.get(path).status_code == 404


def test_only_the_invited_address_can_accept(client, owner, business):
    client.force_login(owner)
    invite(client, business, "new@florist.example")
    path = path_of(link_in(mail.outbox[0]))
    intruder = make_user("eve@bakery.example")
    client.force_login(intruder)
    response = client.get(path)
    assert response.status_code == 200 and response.context["wrong_address"]
    assert client.post(path).status_code == 400
    assert not Membership.objects.filter(user=intruder).exists()
    assert Invitation.objects.get().accepted_at is None


def test_expired_cancelled_or_made_up_links_do_not_work(client, owner, business):
    client.force_login(owner)
    invite(client, business, "new@florist.example")
    path = path_of(link_in(mail.outbox[0]))
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    newcomer = make_user("new@florist.example")
    client.force_login(newcomer)
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert client.get(reverse("plan:accept-invitation", args=["made-up"])).status_code == 404
    # Cancelled by the owner.
    client.force_login(owner)
    invite(client, business, "new@florist.example")
    second = Invitation.objects.latest("created_at")
    response = client.post(reverse("plan:cancel-invitation", args=[business.pk, second.pk]))
    assert response.status_code == 302
    client.force_login(newcomer)
    assert client.post(path_of(link_in(mail.outbox[1]))).status_code == 404
    assert not Membership.objects.filter(user=newcomer).exists()


def test_owners_remove_staff_and_their_actions_go_back_to_nobody(client, owner, business,
                                                                 staff):
    item = ActionItem.objects.create(business=business, action=REMOTE, assignee=staff)
    membership = Membership.objects.get(user=staff)
    owners = Membership.objects.get(user=owner)
    client.force_login(owner)
    # An owner cannot be removed here.
    url = reverse("plan:remove-member", args=[business.pk, owners.pk])
    assert client.post(url).status_code == 404
    response = client.post(reverse("plan:remove-member", args=[business.pk, membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    item.refresh_from_db()
    assert item.assignee is None
    event = AuditEvent.objects.get(action="member.removed")
    assert event.detail["email"] == "sam@florist.example"
    # The former staff member sees nothing of the business any more.
    client.force_login(staff)
    assert client.get(reverse("plan:business-my-actions", args=[business.pk])) \
        .status_code == 404


def test_owners_of_another_business_cannot_remove_members_here(client, business, staff):
    stranger = make_user("eve@bakery.example")
    make_business("Bakery", owner=stranger)
    client.force_login(stranger)
    membership = Membership.objects.get(user=staff)
    url = reverse("plan:remove-member", args=[business.pk, membership.pk])
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- my actions -------------------------------------------------------------------------------

def test_my_actions_needs_a_sign_in(client, business):
    for url in (reverse("plan:my-actions"),
                reverse("plan:business-my-actions", args=[business.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


def test_staff_see_only_the_actions_given_to_them(client, owner, business, staff):
    other_staff = make_user("tom@florist.example")
    add_staff(business, other_staff)
    ActionItem.objects.create(business=business, action=REMOTE, assignee=staff,
                              due_date=dt.date(2026, 12, 1))
    ActionItem.objects.create(business=business, action=DMARC, assignee=other_staff)
    ActionItem.objects.create(business=business, action="backups.turn_on_automatic")
    elsewhere = make_business("Bakery", owner=make_user("boss@bakery.example"))
    add_staff(elsewhere, staff)
    ActionItem.objects.create(business=elsewhere, action="firewall.turn_on", assignee=staff)
    client.force_login(staff)
    response = client.get(reverse("plan:my-actions"))
    assert response.status_code == 200
    shown = {(g.business.name, row.item.action) for g in response.context["groups"]
             for row in g.rows}
    assert shown == {("Lab Florist", REMOTE), ("Bakery", "firewall.turn_on")}
    html = response.content.decode()
    assert "Close the doors into your office from the internet" in html
    response = client.get(reverse("plan:business-my-actions", args=[business.pk]))
    assert response.status_code == 200
    assert [row.item.action for g in response.context["groups"] for row in g.rows] == [REMOTE]
    # Nothing else of the business: no plan, no history, no people.
    for name in ("plan:plan", "plan:history", "plan:members"):
        assert client.get(reverse(name, args=[business.pk])).status_code == 404


def test_my_actions_of_another_business_is_404(client, business, staff):
    bakery = make_business("Bakery", owner=make_user("boss@bakery.example"))
    client.force_login(staff)
    assert client.get(reverse("plan:business-my-actions", args=[bakery.pk])).status_code == 404
    advisor = make_user("ada@advice.example")
    add_advisor(business, advisor)
    client.force_login(advisor)  # advisors run the plan; they have no actions of their own
    assert client.get(reverse("plan:business-my-actions", args=[business.pk])) \
        .status_code == 404


def test_a_client_through_a_magic_link_has_no_my_actions(client, owner, business):
    open_magic_link(client, business, owner)
    url = reverse("plan:business-my-actions", args=[business.pk])
    response = client.get(url)
    assert response.status_code == 404


def test_staff_mark_their_action_in_progress_and_done(client, business, staff):
    item = ActionItem.objects.create(business=business, action=REMOTE, assignee=staff)
    client.force_login(staff)
    url = reverse("plan:my-update", args=[business.pk, item.pk])
    response = client.post(url, {f"mine{item.pk}-status": "doing"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith(f'<div class="tracking" '
                                                         f'id="mine-{item.pk}"')
    item.refresh_from_db()
    assert item.status == "doing"
    response = client.post(url, {f"mine{item.pk}-status": "done"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "done"
    assert AuditEvent.objects.filter(action="action.updated", actor=staff).count() == 2


def test_staff_cannot_say_does_not_apply_nor_change_anything_else(client, owner, business,
                                                                  staff):
    item = ActionItem.objects.create(business=business, action=REMOTE, assignee=staff)
    client.force_login(staff)
    url = reverse("plan:my-update", args=[business.pk, item.pk])
    response = client.post(url, {f"mine{item.pk}-status": "not_applicable",
                                 f"item{item.pk}-assignee": "", f"item{item.pk}-due_date":
                                 "2027-01-01"}, headers={"HX-Request": "true"})
    assert b'role="alert"' in response.content
    response = client.post(url, {f"mine{item.pk}-status": "verified"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.assignee, item.due_date) == ("todo", staff, None)


def test_an_action_closed_by_the_latest_review_is_marked_so(client, business, staff):
    complete_review(business, {"backups.regular": "automatic_daily"})
    ActionItem.objects.create(business=business, action="backups.turn_on_automatic",
                              assignee=staff)
    ActionItem.objects.create(business=business, action=REMOTE, assignee=staff)
    client.force_login(staff)
    response = client.get(reverse("plan:business-my-actions", args=[business.pk]))
    closed = {row.item.action: row.closed for g in response.context["groups"]
              for row in g.rows}
    assert closed == {"backups.turn_on_automatic": True, REMOTE: False}
    assert b"No longer in the plan" in response.content


def test_staff_leave_a_verified_action_as_it_is(client, business, staff):
    item = ActionItem.objects.create(business=business, action=REMOTE, assignee=staff,
                                     status="verified", verified_at=timezone.now())
    client.force_login(staff)
    response = client.get(reverse("plan:business-my-actions", args=[business.pk]))
    assert reverse("plan:my-update", args=[business.pk, item.pk]).encode() \
        not in response.content
    client.post(reverse("plan:my-update", args=[business.pk, item.pk]),
                {f"mine{item.pk}-status": "doing"})
    item.refresh_from_db()
    assert item.status == "verified" and item.verified_at is not None
