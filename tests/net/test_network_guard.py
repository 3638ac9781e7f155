"""The suite's own guard must catch escapes, or every other test's promise is empty."""

import socket

import dns.resolver
import pytest

from tests.conftest import NetworkEscape


def test_connect_to_a_public_address_is_stopped():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, \
            pytest.raises(NetworkEscape):
        sock.connect(("192.0.2.1", 53))


def test_sendto_a_private_address_is_stopped():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, \
            pytest.raises(NetworkEscape):
        sock.sendto(b"x", ("10.0.0.1", 53))


def test_system_resolver_is_refused():
    with pytest.raises(NetworkEscape):
        dns.resolver.Resolver(configure=True)


def test_hostname_lookup_through_the_system_is_refused():
    with pytest.raises(NetworkEscape):
        socket.getaddrinfo("example.com", 443)


def test_loopback_is_allowed():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", 9))
