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


def test_the_header_shows_each_role_its_own_pages(client):
    from cyberbasics.web.businesses.models import Membership
    from cyberbasics.web.programmes.testing import (
        make_advisor,
        make_business,
        make_operator,
        make_programme,
        make_user,
        sign_in,
    )

    programme = make_programme()
    owner = make_user()
    business = make_business(owner=owner)
    staff = make_user()
    Membership.objects.create(business=business, user=staff, role=Membership.Role.STAFF)
    expected = {
        owner: set(),
        staff: {reverse("plan:my-actions")},
        make_advisor(programme): {reverse("advice:advisor-home")},
        make_operator(programme): {reverse("programmes:index")},
    }
    every = set().union(*expected.values())
    for user, links in expected.items():
        sign_in(client, user)
        header = client.get(reverse("home")).content.decode().split("</header>")[0]
        shown = {link for link in every if f'href="{link}"' in header}
        assert shown == links, user.email
        client.logout()
