"""Security headers and cookies: a strict Content-Security-Policy on every page (and pages
that would need an inline script or style to work under it fail here), HttpOnly and
SameSite session and CSRF cookies, Secure ones behind HTTPS, and Argon2 password hashes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse

from cyberbasics.web.accounts.models import User
from cyberbasics.web.accounts.testing import sign_in_with_second_factor
from cyberbasics.web.businesses.models import Business, Membership
from cyberbasics.web.programmes.models import Programme, ProgrammeRole

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.fixture
def owner():
    user = User.objects.create_user("olive@example.com", PASSWORD, name="Olive")
    business = Business.objects.create(name="Florist", country="GB")
    Membership.objects.create(business=business, user=user, role="owner")
    return user, business


def check_policy(response, where: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    assert policy, f"{where}: no Content-Security-Policy"
    directives = {}
    for part in filter(None, (part.strip() for part in policy.split(";"))):
        name, _, sources = part.partition(" ")
        directives[name] = sources
    for source in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"):
        for name in ("default-src", "script-src", "style-src"):
            assert source not in directives.get(name, "").split(), (where, name, source)
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    assert response.headers["X-Frame-Options"] == "DENY", where
    assert response.headers["Referrer-Policy"] == "same-origin", where


def check_no_inline_code(response, where: str) -> None:
    if not response["Content-Type"].startswith("text/html"):
        return
    html = response.content.decode()
    for pattern in (INLINE_SCRIPT, INLINE_STYLE, HANDLER):
        found = pattern.search(html)
        assert found is None, f"{where}: {found.group(0)!r} would break the policy"


PUBLIC = ["home", "health", "accounts:sign-in", "accounts:sign-up"]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_have_a_strict_policy_and_no_inline_code(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    check_policy(response, name)
    check_no_inline_code(response, name)


def test_signed_in_pages_have_a_strict_policy_and_no_inline_code(client, owner):
    user, business = owner
    client.force_login(user)
    pages = [reverse("businesses:home"), reverse("accounts:settings"),
             reverse("accounts:two-factor-setup"), reverse("privacy:account-delete"),
             reverse("privacy:business", args=[business.pk]),
             reverse("privacy:business-delete", args=[business.pk]),
             reverse("privacy:business-activity", args=[business.pk])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        check_policy(response, url)
        check_no_inline_code(response, url)
    # Downloads, errors and redirects carry it too.
    for response in (client.post(reverse("privacy:account-export")),
                     client.get("/no-such-page/"),
                     client.get(reverse("privacy:business", args=[business.pk + 1])),
                     client.get(reverse("accounts:sign-in"))):
        check_policy(response, response.status_code)


def test_the_two_step_pages_have_no_inline_code(client, owner):
    user, _ = owner
    programme = Programme.objects.create(name="Safer County", country="GB")
    ProgrammeRole.objects.create(programme=programme, user=user, role="operator")
    client.force_login(user)
    response = client.get(reverse("accounts:two-factor-setup"))
    check_policy(response, "set-up")
    check_no_inline_code(response, "set-up")
    sign_in_with_second_factor(client, user)
    response = client.get(reverse("accounts:two-factor-setup"))
    check_no_inline_code(response, "set-up, on")


def test_the_checks_can_fail():
    assert INLINE_SCRIPT.search('<script>alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')
    assert INLINE_STYLE.search('<p style="color: red">')
    assert HANDLER.search('<button onclick="go()">')
    assert not HANDLER.search('<button data-copy="x">')


def sign_in_through_the_form(client, email="olive@example.com"):
    client.get(reverse("accounts:sign-in"))  # the CSRF cookie
    return client.post(reverse("accounts:sign-in"), {"email": email, "password": PASSWORD})


def test_session_and_csrf_cookies_are_httponly_and_samesite(owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("accounts:sign-in"))
    csrf = page.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    response = client.post(reverse("accounts:sign-in"), {
        "email": "olive@example.com", "password": PASSWORD,
        "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    # The test settings run over plain HTTP: not Secure here (see the next tests).
    assert not session["secure"]
    # Without the token, a form post is refused.
    assert Client(enforce_csrf_checks=True).post(reverse("accounts:sign-in"), {
        "email": "olive@example.com", "password": PASSWORD}).status_code == 403


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_cookies_are_secure_when_the_site_runs_on_https(client, owner):
    page = client.get(reverse("accounts:sign-in"))
    assert page.cookies[django_settings.CSRF_COOKIE_NAME]["secure"]
    response = sign_in_through_the_form(client)
    assert response.cookies[django_settings.SESSION_COOKIE_NAME]["secure"]


@pytest.mark.parametrize(("https", "secure"), [("1", True), ("0", False)])
def test_cyberbasics_https_turns_on_secure_cookies_and_hsts(tmp_path, https, secure):
    env = {**os.environ, "CYBERBASICS_HTTPS": https, "CYBERBASICS_SECRET_KEY": "x",
           "CYBERBASICS_VAR": str(tmp_path), "CYBERBASICS_DEBUG": "0", "CYBERBASICS_LAB": "0"}
    program = ("import json; from cyberbasics.web import settings as s; print(json.dumps("
               "[s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
               " s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE,"
               " getattr(s, 'SECURE_HSTS_SECONDS', 0)]))")
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                            text=True, check=True)
    values = json.loads(result.stdout)
    assert values[:2] == [secure, secure]
    assert values[2:6] == [True, True, "Lax", "Lax"]
    assert (values[6] >= 31536000) is secure


def test_passwords_are_hashed_with_argon2(client):
    assert django_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    client.post(reverse("accounts:sign-up"), {
        "email": "new@example.com", "name": "New", "password1": PASSWORD,
        "password2": PASSWORD})
    user = User.objects.get(email="new@example.com")
    assert user.password.startswith("argon2")
    client.post(reverse("accounts:sign-out"))
    assert sign_in_through_the_form(client, "new@example.com").status_code == 302
