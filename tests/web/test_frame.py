"""The site's frame: public pages render, private ones send anonymous visitors to sign in,
and every response carries the security headers."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_is_public_and_has_a_strict_policy(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert b"Cyber Basics" in response.content


def test_dashboard_needs_a_sign_in(client):
    response = client.get(reverse("businesses:home"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


def test_health_check(client):
    assert client.get(reverse("health")).content == b"ok"
