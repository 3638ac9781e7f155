"""The in-memory DNS the protocol tests stand on answers the way they rely on."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from cyberbasics.net.dns import ERROR, NOERROR, NXDOMAIN, REFUSED, SERVFAIL, TIMEOUT
from tests.protocols.fake_dns import ZoneDns, txt, txt_rdata

ZONE = {
    "example.com": [("A", "192.0.2.1"), ("A", "192.0.2.2"), txt("v=spf1 -all")],
    "www.example.com": [("CNAME", "example.com.")],
    "a.b.example.com": [("A", "192.0.2.3")],  # makes b.example.com an empty non-terminal
    "*.example.com": [("A", "192.0.2.9")],
    "*.deep.example.com": [("A", "192.0.2.10")],
    "alias.example.net": [("CNAME", "anything.example.com.")],
    "broken.example.net": [("CNAME", "bad.example.com.")],
}
FAULTS = {"bad.example.com": "servfail"}


async def test_records_cnames_and_missing_names():
    dns = ZoneDns(ZONE, FAULTS)
    answer = await dns.lookup("Example.COM.", "a")
    assert (answer.name, answer.rdtype, answer.rcode) == ("example.com", "A", NOERROR)
    assert answer.records == ("192.0.2.1", "192.0.2.2") and answer.canonical_name is None
    www = await dns.lookup("www.example.com", "TXT")
    assert www.records == ("v=spf1 -all",) and www.canonical_name == "example.com"
    cname = await dns.lookup("www.example.com", "CNAME")
    assert cname.records == ("example.com",) and cname.canonical_name is None
    no_data = await dns.lookup("example.com", "MX")
    assert (no_data.rcode, no_data.records) == (NOERROR, ())
    assert (await dns.lookup("nowhere.example.org", "A")).rcode == NXDOMAIN


async def test_empty_non_terminals_and_wildcards():
    dns = ZoneDns(ZONE)
    ent = await dns.lookup("b.example.com", "A")
    assert (ent.rcode, ent.records) == (NOERROR, ())  # exists, so no wildcard
    below_ent = await dns.lookup("x.b.example.com", "A")
    assert below_ent.records == ("192.0.2.9",)  # the closest wildcard is *.example.com
    assert (await dns.lookup("x.y.deep.example.com", "A")).records == ("192.0.2.10",)
    assert (await dns.lookup("mail.example.com", "A")).records == ("192.0.2.9",)
    assert (await dns.lookup("mail.example.com", "TXT")).records == ()
    via_cname = await dns.lookup("alias.example.net", "A")
    assert via_cname.records == ("192.0.2.9",)
    assert via_cname.canonical_name == "anything.example.com"
    assert (await dns.lookup("example.org", "A")).rcode == NXDOMAIN


@pytest.mark.parametrize(("kind", "rcode"), [
    ("servfail", SERVFAIL), ("timeout", TIMEOUT), ("refused", REFUSED), ("error", ERROR),
])
async def test_faults(kind, rcode):
    dns = ZoneDns(ZONE, {"example.com": kind})
    for name in ("example.com", "www.example.com"):  # directly, and at the end of a CNAME
        answer = await dns.lookup(name, "A")
        assert answer.rcode == rcode and answer.records == () and answer.error
    assert (await dns.lookup("a.b.example.com", "A")).rcode == NOERROR


async def test_fault_reached_through_a_cname():
    dns = ZoneDns(ZONE, FAULTS)
    assert (await dns.lookup("broken.example.net", "A")).rcode == SERVFAIL


async def test_queries_are_recorded():
    dns = ZoneDns(ZONE)
    await dns.lookup("Example.com", "A")
    await dns.lookup("_dmarc.example.com", "TXT")
    await dns.lookup("example.com", "TXT")
    await dns.lookup("example.com", "A")
    assert dns.queries == [("example.com", "A"), ("_dmarc.example.com", "TXT"),
                           ("example.com", "TXT"), ("example.com", "A")]
    assert dns.queried() == ["_dmarc.example.com", "example.com"]
    assert dns.queried("A") == ["example.com", "example.com"]
    assert dns.query_counts[("example.com", "A")] == 2
    assert dns.asked("EXAMPLE.com.", "TXT") and dns.asked("_dmarc.example.com")
    assert not dns.asked("_dmarc.example.com", "A")


async def test_delay():
    dns = ZoneDns(ZONE, delay=0.01)
    assert (await dns.lookup("example.com", "A")).records == ("192.0.2.1", "192.0.2.2")


def test_bad_zone_data_or_fault_fails_at_once():
    with pytest.raises(ValueError, match=r"bad zone data at example\.com"):
        ZoneDns({"example.com": [("A", "not an address")]})
    with pytest.raises(ValueError, match="unknown fault"):
        ZoneDns({}, {"example.com": "drop"})


def _strings(rdata_text: str) -> list[bytes]:
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, rdata_text)
    return list(rdata.strings)


def test_txt_helpers():
    awkward = 'say "hi" \\ café\x01'
    assert txt("a; ", "b") == ("TXT", '"a; " "b"')
    assert _strings(txt(awkward, "")[1]) == [awkward.encode(), b""]
    assert _strings(txt_rdata(awkward)) == [awkward.encode()]
    assert _strings(txt_rdata("")) == [b""]
    long = "x" * 300
    assert _strings(txt_rdata(long)) == [b"x" * 255, b"x" * 45]
