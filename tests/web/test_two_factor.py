"""TOTP two-step sign-in: set-up with a QR code and the key as text, the code after the
password, codes never accepted twice, throttling, and the requirement for advisors and
programme operators (middleware)."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone

from cyberbasics.web.accounts import throttle, two_factor
from cyberbasics.web.accounts.models import User
from cyberbasics.web.accounts.testing import sign_in_with_second_factor
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.programmes.models import Programme, ProgrammeRole

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(email="olive@example.com", *, factor=False, role=None) -> User:
    user = User.objects.create_user(email, PASSWORD)
    if factor:
        user.totp_secret, user.totp_confirmed_at = SECRET, timezone.now()
        user.save()
    if role:
        programme = Programme.objects.create(name="Safer County", country="GB")
        ProgrammeRole.objects.create(programme=programme, user=user, role=role)
    return user


def code(secret=SECRET, offset_steps=0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(int(time.time())) + offset_steps)


def password_step(client, email="olive@example.com", **extra):
    return client.post(reverse("accounts:sign-in"), {"email": email, "password": PASSWORD},
                       **extra)


def code_step(client, value, **extra):
    return client.post(reverse("accounts:two-factor-verify"), {"code": value}, **extra)


def signed_in_as(client, user) -> bool:
    return str(client.session.get("_auth_user_id")) == str(user.pk)


# --- the codes ---------------------------------------------------------------------------

def test_one_step_of_drift_either_way_and_no_more():
    totp = pyotp.TOTP(SECRET)
    now = 1_700_000_000
    step = totp.timecode(now)
    for drift in (-1, 0, 1):
        assert two_factor.matching_step(SECRET, totp.generate_otp(step + drift), 0, now) \
            == step + drift
    for drift in (-2, 2):
        assert two_factor.matching_step(SECRET, totp.generate_otp(step + drift), 0, now) is None
    # Spaces are fine; letters, short codes and a used step are not.
    spaced = totp.generate_otp(step)
    assert two_factor.matching_step(SECRET, f"{spaced[:3]} {spaced[3:]}", 0, now) == step
    assert two_factor.matching_step(SECRET, "12a456", 0, now) is None
    assert two_factor.matching_step(SECRET, spaced[:5], 0, now) is None
    assert two_factor.matching_step(SECRET, spaced, step, now) is None


def test_a_code_is_accepted_once():
    user = make_user(factor=True)
    value = code()
    assert two_factor.accept_code(user, value)
    assert not two_factor.accept_code(user, value)
    # Another process holding a stale copy of the user is refused too.
    stale = User.objects.get(pk=user.pk)
    stale.totp_last_step = 0
    assert not two_factor.accept_code(stale, value)


# --- set-up ------------------------------------------------------------------------------

def test_set_up_needs_a_sign_in(client):
    response = client.get(reverse("accounts:two-factor-setup"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


def test_set_up_shows_the_key_and_a_qr_code(client):
    user = make_user()
    client.force_login(user)
    response = client.get(reverse("accounts:two-factor-setup"))
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.totp_secret and not user.has_second_factor
    html = response.content.decode()
    assert two_factor.grouped(user.totp_secret) in html
    assert '<img src="data:image/svg+xml' in html and 'alt="QR code' in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "autofocus" not in html  # the instructions first
    # The same secret on a reload (the app the user already scanned keeps working).
    client.get(reverse("accounts:two-factor-setup"))
    assert User.objects.get(pk=user.pk).totp_secret == user.totp_secret


def test_set_up_confirms_with_a_code(client):
    user = make_user()
    client.force_login(user)
    client.get(reverse("accounts:two-factor-setup"))
    user.refresh_from_db()
    response = client.post(reverse("accounts:two-factor-setup"), {"code": "000000"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not User.objects.get(pk=user.pk).has_second_factor
    assert AuditEvent.objects.filter(action="two_factor.failed").count() == 1
    response = client.post(reverse("accounts:two-factor-setup"),
                           {"code": code(user.totp_secret)})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.has_second_factor
    assert client.session[two_factor.PASSED_KEY] == user.pk
    assert AuditEvent.objects.get(action="two_factor.enabled").actor == user
    # The page now shows it is on.
    assert "Turn two-step sign-in off" in client.get(
        reverse("accounts:two-factor-setup")).content.decode()


# --- signing in with a code --------------------------------------------------------------

def test_sign_in_asks_for_the_code_after_the_password(client):
    user = make_user(factor=True)
    response = password_step(client)
    assert response.headers["Location"] == reverse("accounts:two-factor-verify")
    assert not signed_in_as(client, user)
    # Not signed in yet: private pages still send to sign-in.
    assert client.get(reverse("accounts:settings")).status_code == 302
    page = client.get(reverse("accounts:two-factor-verify"))
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()
    response = code_step(client, "123456" if code() != "123456" else "654321")
    assert response.status_code == 200 and not signed_in_as(client, user)
    assert AuditEvent.objects.filter(action="two_factor.failed").count() == 1
    response = code_step(client, code())
    assert response.status_code == 302
    assert signed_in_as(client, user)
    assert client.get(reverse("accounts:settings")).status_code == 200
    event = AuditEvent.objects.get(action="sign_in")
    assert event.actor == user and event.detail == {"second_factor": True}


def test_sign_in_with_a_code_keeps_the_next_page(client):
    make_user(factor=True)
    client.post(reverse("accounts:sign-in") + "?next=/accounts/settings/",
                {"email": "olive@example.com", "password": PASSWORD})
    assert code_step(client, code()).headers["Location"] == "/accounts/settings/"


def test_a_used_code_is_refused_at_the_next_sign_in(client):
    user = make_user(factor=True)
    value = code()
    password_step(client)
    code_step(client, value)
    assert signed_in_as(client, user)
    client.post(reverse("accounts:sign-out"))
    password_step(client)
    response = code_step(client, value)
    assert response.status_code == 200 and not signed_in_as(client, user)
    assert "already used" in response.content.decode()


def test_the_code_page_without_a_password_goes_back_to_sign_in(client):
    response = client.get(reverse("accounts:two-factor-verify"))
    assert response.headers["Location"] == reverse("accounts:sign-in")
    assert code_step(client, code()).headers["Location"] == reverse("accounts:sign-in")


def test_a_password_step_expires(client, monkeypatch):
    user = make_user(factor=True)
    password_step(client)
    later = time.time() + two_factor.PENDING_SECONDS + 1
    monkeypatch.setattr(two_factor.time, "time", lambda: later)
    response = code_step(client, code())
    assert response.headers["Location"] == reverse("accounts:sign-in")
    assert not signed_in_as(client, user)


def test_wrong_codes_are_throttled(client):
    user = make_user(factor=True)
    password_step(client)
    wrong = "000000" if code() != "000000" else "111111"
    for _ in range(throttle.PER_EMAIL):
        code_step(client, wrong)
    response = code_step(client, code())
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert not signed_in_as(client, user)
    # And the password step is locked for that address too.
    assert password_step(client).status_code == 429


# --- turning it off ----------------------------------------------------------------------

def test_an_owner_may_turn_it_off_with_the_password(client):
    user = make_user(factor=True)
    sign_in_with_second_factor(client, user)
    url = reverse("accounts:two-factor-disable")
    assert client.get(url).status_code == 405
    assert client.post(url, {"password": "wrong"}).status_code == 200
    assert User.objects.get(pk=user.pk).has_second_factor
    assert client.post(url, {"password": PASSWORD}).status_code == 302
    assert not User.objects.get(pk=user.pk).has_second_factor
    assert AuditEvent.objects.get(action="two_factor.disabled").actor == user


def test_an_advisor_may_not_turn_it_off(client):
    user = make_user(factor=True, role=ProgrammeRole.Role.ADVISOR)
    sign_in_with_second_factor(client, user)
    response = client.post(reverse("accounts:two-factor-disable"), {"password": PASSWORD})
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).has_second_factor
    assert "Turn two-step sign-in off" not in client.get(
        reverse("accounts:two-factor-setup")).content.decode()


# --- required for advisors and operators -------------------------------------------------

@pytest.mark.parametrize("role", [ProgrammeRole.Role.ADVISOR, ProgrammeRole.Role.OPERATOR])
def test_advisors_and_operators_must_set_it_up_first(client, role):
    user = make_user(role=role)
    client.force_login(user)
    response = client.get(reverse("businesses:home"))
    assert response.status_code == 302
    assert response.headers["Location"] == (reverse("accounts:two-factor-setup")
                                             + "?next=%2Fdashboard%2F")
    assert client.get(reverse("accounts:settings")).status_code == 302
    # Public pages, the set-up page and signing out stay open.
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("accounts:two-factor-setup")).status_code == 200
    # Set up: then every page opens.
    user.refresh_from_db()
    response = client.post(reverse("accounts:two-factor-setup") + "?next=/dashboard/",
                           {"code": code(user.totp_secret)})
    assert response.headers["Location"] == "/dashboard/"
    assert client.get(reverse("businesses:home")).status_code == 200


def test_a_session_that_did_not_pass_the_code_is_sent_to_it(client):
    user = make_user(factor=True, role=ProgrammeRole.Role.OPERATOR)
    client.force_login(user)
    response = client.get(reverse("businesses:home"))
    assert response.headers["Location"].startswith(reverse("accounts:two-factor-verify"))
    # A signed-in session passes by typing the code.
    response = client.post(reverse("accounts:two-factor-verify") + "?next=/dashboard/",
                           {"code": code()})
    assert response.headers["Location"] == "/dashboard/"
    assert client.get(reverse("businesses:home")).status_code == 200


def test_htmx_requests_are_redirected_by_header(client):
    client.force_login(make_user(role=ProgrammeRole.Role.ADVISOR))
    response = client.get(reverse("businesses:home"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith(reverse("accounts:two-factor-setup"))


def test_sign_out_stays_open(client):
    client.force_login(make_user(role=ProgrammeRole.Role.ADVISOR))
    assert client.post(reverse("accounts:sign-out")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_owners_without_a_role_are_not_forced(client):
    client.force_login(make_user())
    assert client.get(reverse("businesses:home")).status_code == 200


def test_an_advisor_signs_in_with_password_and_code(client):
    user = make_user(factor=True, role=ProgrammeRole.Role.ADVISOR)
    password_step(client)
    code_step(client, code())
    assert signed_in_as(client, user)
    assert client.get(reverse("businesses:home")).status_code == 200


def test_the_testing_helper_marks_a_session_as_passed(client):
    user = make_user(role=ProgrammeRole.Role.ADVISOR)
    sign_in_with_second_factor(client, user)
    user.refresh_from_db()
    assert user.has_second_factor
    assert client.get(reverse("businesses:home")).status_code == 200
    # Another user's mark does not count.
    other = make_user("other@example.com", factor=True)
    client.force_login(other)
    session = client.session
    session[two_factor.PASSED_KEY] = user.pk
    session.save()
    assert client.get(reverse("businesses:home")).status_code == 302


def test_a_role_given_mid_session_is_enforced_at_the_next_request(client):
    user = make_user()
    client.force_login(user)
    assert client.get(reverse("businesses:home")).status_code == 200
    programme = Programme.objects.create(name="Safer County", country="GB")
    ProgrammeRole.objects.create(programme=programme, user=user, role="advisor")
    assert client.get(reverse("businesses:home")).status_code == 302


def test_pending_timestamps_in_the_past_are_refused(client):
    make_user(factor=True)
    password_step(client)
    session = client.session
    pending = session[two_factor.PENDING_KEY]
    pending["at"] = int((timezone.now() - timedelta(minutes=10)).timestamp())
    session[two_factor.PENDING_KEY] = pending
    session.save()
    assert code_step(client, code()).headers["Location"] == reverse("accounts:sign-in")
