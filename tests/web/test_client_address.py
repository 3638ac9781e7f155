"""The client's address behind proxies: only the hops our own proxies added are believed."""

import pytest
from django.test import RequestFactory, override_settings

from cyberbasics.web.client_address import client_address


def request(forwarded: str | None = None, remote: str = "10.0.0.5"):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_without_proxies_the_connection_is_the_client():
    assert client_address(request("198.51.100.7")) == "10.0.0.5"


@override_settings(CYBERBASICS_PROXY_COUNT=1)
def test_one_proxy_believes_only_the_entry_it_appended():
    assert client_address(request("198.51.100.7")) == "198.51.100.7"
    # whatever the client put in front is ignored
    assert client_address(request("203.0.113.9, 198.51.100.7")) == "198.51.100.7"


@override_settings(CYBERBASICS_PROXY_COUNT=2)
def test_two_proxies_take_the_address_the_first_one_saw():
    assert client_address(request("203.0.113.9, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", " , "])
@override_settings(CYBERBASICS_PROXY_COUNT=1)
def test_a_missing_or_malformed_header_falls_back_to_the_connection(forwarded):
    assert client_address(request(forwarded)) == "10.0.0.5"


@pytest.mark.django_db
@override_settings(CYBERBASICS_PROXY_COUNT=1)
def test_sign_in_throttling_counts_each_client_behind_the_proxy(client):
    from django.urls import reverse

    url = reverse("accounts:sign-in")
    for number in range(25):  # 25 visitors, one failure each, all through one proxy
        client.post(url, {"email": f"p{number}@example.org", "password": "wrong password"},
                    REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
    response = client.post(url, {"email": "last@example.org", "password": "wrong"},
                           REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert response.status_code != 429  # nobody is held up by the others' mistakes


@pytest.mark.django_db
def test_without_the_setting_everyone_behind_a_proxy_shares_one_throttle(client):
    """The control of the test above: the same failures, counted as one address."""
    from django.urls import reverse

    url = reverse("accounts:sign-in")
    for number in range(25):
        client.post(url, {"email": f"p{number}@example.org", "password": "wrong password"},
                    REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
    response = client.post(url, {"email": "last@example.org", "password": "wrong"},
                           REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert response.status_code == 429
