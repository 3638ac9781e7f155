"""The advisor area: clients with consent, owners inviting and removing advisors, private
notes and branding. Every view: anonymous -> sign-in, someone else's -> 404, the role -> 200."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import struct
import zlib

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import AdvisorAccess, Business, Invitation, MagicLink
from cyberbasics.web.programmes.models import AdvisorBranding
from cyberbasics.web.programmes.testing import (
    advised_pair,
    assert_sent_to_sign_in,
    completed_review,
    give_access,
    make_advisor,
    make_business,
    make_operator,
    make_programme,
    make_user,
    sign_in,
)
from cyberbasics.web.reviews.models import AdvisorNote

pytestmark = pytest.mark.django_db


def png(width: int = 2, height: int = 1, *, padding: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x10\x20\x30" * width for _ in range(height))
    extra = chunk(b"tEXt", b"c\x00" + b"x" * padding) if padding else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))



@pytest.fixture
def setup():
    return advised_pair()


# --- the advisor's home --------------------------------------------------------------------------

def test_advisor_home_needs_sign_in(client):
    assert_sent_to_sign_in(client.get(reverse("advice:advisor-home")))


def test_advisor_home_is_404_for_someone_who_is_not_an_advisor(client, setup):
    sign_in(client, setup["owner"])
    assert client.get(reverse("advice:advisor-home")).status_code == 404
    operator = make_operator(setup["programme"])
    sign_in(client, operator)
    assert client.get(reverse("advice:advisor-home")).status_code == 404


def test_advisor_home_lists_own_clients_with_their_latest_score(client, setup):
    completed_review(setup["business"], 68, "developing")
    revoked = make_business("Former client", programme=setup["programme"])
    give_access(revoked, setup["advisor"])
    AdvisorAccess.objects.filter(business=revoked).update(revoked_at=timezone.now())
    sign_in(client, setup["advisor"])
    response = client.get(reverse("advice:advisor-home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bakery" in page and "68" in page and "Developing" in page
    assert "Florist" not in page  # another advisor's client
    assert "Former client" not in page  # access revoked


# --- adding a client ----------------------------------------------------------------------------

CLIENT_FORM = {"name": "Corner Shop", "country": "gb", "time_zone": "Europe/London",
               "domain": "https://www.Corner-Shop.example/about",
               "consent": "The owner agreed by e-mail on 2 March 2025."}


def test_add_client_needs_sign_in_and_an_advisor(client, setup):
    assert_sent_to_sign_in(client.get(reverse("advice:client-add")))
    sign_in(client, setup["owner"])
    assert client.get(reverse("advice:client-add")).status_code == 404
    assert client.post(reverse("advice:client-add"), {
        **CLIENT_FORM, "programme": setup["programme"].pk}).status_code == 404
    assert not Business.objects.filter(name="Corner Shop").exists()


def test_add_client_requires_the_owners_written_consent(client, setup):
    sign_in(client, setup["advisor"])
    assert client.get(reverse("advice:client-add")).status_code == 200
    for consent in ("", "   ", "ok"):
        response = client.post(reverse("advice:client-add"), {
            **CLIENT_FORM, "consent": consent, "programme": setup["programme"].pk})
        assert response.status_code == 200
        assert 'class="errorlist' in response.content.decode()
    assert not Business.objects.filter(name="Corner Shop").exists()


def test_add_client_creates_the_business_in_the_advisors_programme(client, setup):
    sign_in(client, setup["advisor"])
    response = client.post(reverse("advice:client-add"), {
        **CLIENT_FORM, "programme": setup["programme"].pk})
    assert response.status_code == 302
    business = Business.objects.get(name="Corner Shop")
    assert business.programme == setup["programme"]
    assert business.country == "GB" and business.time_zone == "Europe/London"
    assert [d.name for d in business.domains.all()] == ["corner-shop.example"]
    access = AdvisorAccess.objects.get(business=business)
    assert access.advisor == setup["advisor"] and access.granted_by is None
    assert access.consent == "The owner agreed by e-mail on 2 March 2025."
    event = AuditEvent.objects.get(action="advisor.client_added")
    assert event.business == business and event.actor == setup["advisor"]
    assert "Corner Shop" in client.get(reverse("advice:advisor-home")).content.decode()


def test_add_client_refuses_another_programme_and_bad_input(client, setup):
    elsewhere = make_programme("Elsewhere")
    sign_in(client, setup["advisor"])
    response = client.post(reverse("advice:client-add"), {
        **CLIENT_FORM, "programme": elsewhere.pk})
    assert response.status_code == 200
    response = client.post(reverse("advice:client-add"), {
        **CLIENT_FORM, "country": "G1", "domain": "192.0.2.1",
        "programme": setup["programme"].pk})
    page = response.content.decode()
    assert "two-letter code" in page and "not an IP address" in page
    assert not Business.objects.filter(name="Corner Shop").exists()


# --- owners invite and remove advisors ------------------------------------------------------------

def test_advisors_page_is_for_the_owner_only(client, setup):
    url = reverse("advice:advisors", args=[setup["business"].pk])
    assert_sent_to_sign_in(client.get(url))
    sign_in(client, setup["advisor"])  # advises it, but is not its owner
    assert client.get(url).status_code == 404
    sign_in(client, make_user("stranger@example.org"))
    assert client.get(url).status_code == 404
    sign_in(client, setup["owner"])
    response = client.get(url)
    assert response.status_code == 200
    assert "ada@advice.example" in response.content.decode()
    assert client.get(reverse("advice:advisors",
                              args=[setup["other_business"].pk])).status_code == 404


def invite(client, setup, email="carla@advice.example") -> str:
    sign_in(client, setup["owner"])
    response = client.post(reverse("advice:advisors", args=[setup["business"].pk]),
                           {"email": email})
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == [email]
    return re.search(r"/advisor/invitations/([^/\s]+)/", message.body).group(1)


def test_owner_invites_an_advisor_and_only_the_tokens_hash_is_kept(client, setup):
    token = invite(client, setup)
    invitation = Invitation.objects.get(email="carla@advice.example")
    assert invitation.kind == Invitation.Kind.ADVISOR
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert AuditEvent.objects.filter(action="advisor.invited",
                                     business=setup["business"]).exists()
    page = client.get(reverse("advice:advisors", args=[setup["business"].pk])).content.decode()
    assert "carla@advice.example" in page


def test_invited_advisor_accepts_while_signed_in(client, setup):
    token = invite(client, setup)
    url = reverse("advice:invitation", args=[token])
    client.logout()
    assert_sent_to_sign_in(client.get(url))
    carla = make_advisor(setup["programme"], make_user("carla@advice.example"))
    sign_in(client, carla)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    access = AdvisorAccess.objects.get(business=setup["business"], advisor=carla)
    assert access.granted_by == setup["owner"]
    today = timezone.now().date().isoformat()
    assert access.consent == f"invited by owner@bakery.example on {today}"
    assert AuditEvent.objects.filter(action="advisor.granted").exists()
    assert "Bakery" in client.get(reverse("advice:advisor-home")).content.decode()
    # used up
    assert client.get(url).status_code == 404


def test_invitation_for_someone_else_or_a_non_advisor_is_refused(client, setup):
    token = invite(client, setup)
    url = reverse("advice:invitation", args=[token])
    sign_in(client, setup["other_advisor"])  # an advisor, but another address
    assert client.post(url).status_code == 403
    sign_in(client, make_user("carla@advice.example"))  # the address, but no advisor role
    assert client.post(url).status_code == 403
    assert not AdvisorAccess.objects.filter(business=setup["business"],
                                            advisor__email="carla@advice.example").exists()


def test_expired_or_unknown_invitation_is_404(client, setup):
    token = invite(client, setup)
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    carla = make_advisor(setup["programme"], make_user("carla@advice.example"))
    sign_in(client, carla)
    assert client.post(reverse("advice:invitation", args=[token])).status_code == 404
    assert client.get(reverse("advice:invitation", args=["nonsense"])).status_code == 404


def test_owner_cancels_an_invitation(client, setup):
    token = invite(client, setup)
    invitation = Invitation.objects.get()
    url = reverse("advice:invitation-cancel", args=[setup["business"].pk, invitation.pk])
    client.logout()
    assert_sent_to_sign_in(client.post(url))
    sign_in(client, setup["advisor"])
    assert client.post(url).status_code == 404
    sign_in(client, make_user("stranger@example.org"))
    assert client.post(url).status_code == 404
    sign_in(client, setup["owner"])
    assert client.post(url).status_code == 302
    carla = make_advisor(setup["programme"], make_user("carla@advice.example"))
    sign_in(client, carla)
    assert client.get(reverse("advice:invitation", args=[token])).status_code == 404


def test_owner_revokes_an_advisor_and_their_links_stop(client, setup):
    access = AdvisorAccess.objects.get(business=setup["business"])
    link = MagicLink.objects.create(business=setup["business"], token_hash="x" * 64,
                                    created_by=setup["advisor"],
                                    expires_at=timezone.now() + dt.timedelta(days=3))
    url = reverse("advice:advisor-revoke", args=[setup["business"].pk, access.pk])
    assert_sent_to_sign_in(client.post(url))
    sign_in(client, setup["advisor"])
    assert client.post(url).status_code == 404  # an advisor cannot revoke access
    sign_in(client, make_user("owner2@example.org"))
    assert client.post(url).status_code == 404
    sign_in(client, setup["owner"])
    assert client.post(url).status_code == 302
    access.refresh_from_db()
    link.refresh_from_db()
    assert access.revoked_at is not None and link.revoked_at is not None
    assert AuditEvent.objects.filter(action="advisor.revoked").exists()
    sign_in(client, setup["advisor"])
    assert client.get(reverse("advice:notes", args=[setup["business"].pk])).status_code == 404


# --- private notes ------------------------------------------------------------------------------

def test_notes_need_sign_in_and_an_advisor_with_access(client, setup):
    url = reverse("advice:notes", args=[setup["business"].pk])
    assert_sent_to_sign_in(client.get(url))
    sign_in(client, setup["owner"])
    assert client.get(url).status_code == 404
    sign_in(client, setup["other_advisor"])
    assert client.get(url).status_code == 404
    sign_in(client, setup["advisor"])
    assert client.get(url).status_code == 200


def test_notes_are_private_to_their_author(client, setup):
    give_access(setup["business"], setup["other_advisor"])
    url = reverse("advice:notes", args=[setup["business"].pk])
    sign_in(client, setup["advisor"])
    assert client.post(url, {"text": "Owner reuses one password everywhere"}).status_code == 302
    assert "Owner reuses one password everywhere" in client.get(url).content.decode()
    note = AdvisorNote.objects.get()
    assert note.advisor == setup["advisor"] and note.business == setup["business"]
    sign_in(client, setup["other_advisor"])  # advises the same business
    assert "Owner reuses" not in client.get(url).content.decode()
    sign_in(client, setup["owner"])
    assert client.get(url).status_code == 404
    assert "Owner reuses" not in client.get(
        reverse("advice:advisors", args=[setup["business"].pk])).content.decode()


def test_empty_note_is_refused(client, setup):
    sign_in(client, setup["advisor"])
    response = client.post(reverse("advice:notes", args=[setup["business"].pk]), {"text": " "})
    assert response.status_code == 200
    assert not AdvisorNote.objects.exists()


# --- branding -----------------------------------------------------------------------------------

def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def test_branding_needs_an_advisor(client, setup):
    url = reverse("advice:branding")
    assert_sent_to_sign_in(client.get(url))
    sign_in(client, setup["owner"])
    assert client.get(url).status_code == 404
    sign_in(client, setup["advisor"])
    assert client.get(url).status_code == 200


def test_branding_saves_a_name_and_a_png_logo(client, setup):
    sign_in(client, setup["advisor"])
    logo = png()
    response = client.post(reverse("advice:branding"),
                           {"name": "Ada Advice Ltd", "logo": upload("logo.png", logo)})
    assert response.status_code == 302
    branding = AdvisorBranding.objects.get(advisor=setup["advisor"])
    assert branding.name == "Ada Advice Ltd" and bytes(branding.logo_png) == logo
    page = client.get(reverse("advice:branding")).content.decode()
    assert 'src="data:image/png;base64,' in page
    # a new name keeps the logo; removing it clears it
    client.post(reverse("advice:branding"), {"name": "Ada Advice"})
    branding.refresh_from_db()
    assert branding.name == "Ada Advice" and branding.logo_png is not None
    client.post(reverse("advice:branding"), {"name": "Ada Advice", "remove_logo": "on"})
    branding.refresh_from_db()
    assert branding.logo_png is None


@pytest.mark.parametrize(("data", "says"), [
    (png(padding=300 * 1024), "at most 256 KiB"),
    (b"GIF89a" + b"\x00" * 40, "must be a PNG image"),
    (png()[:-6], "cannot be used"),  # cut short: the core's check explains
])
def test_branding_refuses_bad_logos_with_a_clear_error(client, setup, data, says):
    sign_in(client, setup["advisor"])
    response = client.post(reverse("advice:branding"),
                           {"name": "Ada Advice", "logo": upload("logo.png", data)})
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not AdvisorBranding.objects.exists()
