import pytest

from cyberbasics.config import ConfigError, ScanConfig, parse_nameserver, parse_port_map


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1", ("127.0.0.1", 53)),
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)),
    ("[::1]:5353", ("::1", 5353)),
    # Canonical form: replies are reported (and matched) from "::1", never the long spelling.
    ("[0:0:0:0:0:0:0:1]:5353", ("::1", 5353)),
    ("0:0:0:0:0:0:0:1", ("::1", 53)),
    ("[0000::0001]", ("::1", 53)),
    ("[::FFFF:127.0.0.1]:53", ("127.0.0.1", 53)),  # IPv4-mapped: asked over IPv4
])
def test_nameserver_forms(text, expected):
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["dns.example.com", "127.0.0.1:x", "127.0.0.1:70000", ""])
def test_bad_nameservers_are_explained(text):
    with pytest.raises(ConfigError):
        parse_nameserver(text)


def test_port_map():
    assert parse_port_map("443=8443, 25=2525") == {443: 8443, 25: 2525}
    for bad in ("443", "443=x", "0=1", "443=8443,25"):
        with pytest.raises(ConfigError):
            parse_port_map(bad)


def test_port_map_only_in_the_lab():
    with pytest.raises(ConfigError, match="lab"):
        ScanConfig(nameservers=(("127.0.0.1", 53),), port_map={443: 8443})
    assert ScanConfig(nameservers=(("127.0.0.1", 53),), lab=True,
                      port_map={443: 8443}).port(443) == 8443
