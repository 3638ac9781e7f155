import pytest

from cyberbasics.net.guard import TargetRefused, check_target, refusal_reason

REFUSED_OUTSIDE_LAB = [
    "10.1.2.3", "172.16.0.1", "192.168.1.1",  # private
    "127.0.0.1", "::1",  # loopback
    "169.254.10.1", "fe80::1",  # link-local
    "100.64.0.1",  # CGNAT
    "224.0.0.251", "ff02::1",  # multicast
    "192.0.2.10", "198.51.100.1", "203.0.113.5", "2001:db8::1",  # documentation
    "240.0.0.1", "0.0.0.0", "::",  # reserved / unspecified
    "::ffff:10.0.0.1", "::ffff:127.0.0.1",  # IPv4-mapped IPv6
    "64:ff9b::c0a8:101",  # NAT64 of 192.168.1.1
    "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
    "fd12:3456::1",  # unique local
]


@pytest.mark.parametrize("address", REFUSED_OUTSIDE_LAB)
def test_non_public_addresses_are_refused_outside_the_lab(address):
    assert refusal_reason(address, lab=False)
    with pytest.raises(TargetRefused):
        check_target(address, lab=False)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2a00:1450:4009::1"])
def test_public_addresses_are_allowed_outside_the_lab(address):
    assert refusal_reason(address, lab=False) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1"])
def test_lab_allows_loopback(address):
    assert refusal_reason(address, lab=True) is None


@pytest.mark.parametrize("address", ["8.8.8.8", "10.0.0.1", "192.0.2.1", "::ffff:8.8.8.8"])
def test_lab_refuses_everything_else(address):
    assert "loopback" in refusal_reason(address, lab=True)


def test_garbage_is_not_an_address():
    assert "not an IP address" in refusal_reason("example.com", lab=False)
