"""The lab's DNS server, asked through the scanner's own DNS client."""

import asyncio

import dns.asyncquery
import dns.flags
import dns.message
import pytest

from cyberbasics.lab.dns_server import LabDnsServer
from cyberbasics.lab.zones import LabZoneSet, ZoneSpec
from cyberbasics.net.dns import DnsClient

RECORDS = {
    "example.com": [("MX", "10 mx.example.com."), ("TXT", '"v=spf1 " "mx -all"')],
    "mx.example.com": [("A", "127.0.0.5"), ("AAAA", "::1")],
    "www.example.com": [("CNAME", "example.com.")],
    "x._report._dmarc.example.com": [("TXT", '"v=DMARC1"')],
    "*.wild.example.com": [("TXT", '"v=DMARC1"')],
    "big.example.com": [("TXT", " ".join(f'"{"x" * 200}"' for _ in range(12)))],
}


@pytest.fixture
async def server():
    zones = LabZoneSet([ZoneSpec("example.com", RECORDS)])
    async with LabDnsServer(zones, faults={"bad.example.com": "servfail",
                                           "gone.example.com": "drop",
                                           "junk.example.com": "garbage",
                                           "tc.example.com": "truncate",
                                           "slow.example.com": "delay:0.3",
                                           "mx.example.com/aaaa": "refused"}) as srv:
        yield srv


async def test_answers_and_joins_txt_strings(server):
    client = DnsClient([server.address], timeout=1)
    txt = await client.lookup("example.com", "TXT")
    assert txt.rcode == "NOERROR" and txt.records == ("v=spf1 mx -all",)
    assert (await client.lookup("example.com", "MX")).mx() == [(10, "mx.example.com")]


async def test_follows_cname(server):
    answer = await DnsClient([server.address], timeout=1).lookup("www.example.com", "MX")
    assert answer.records == ("10 mx.example.com",)
    assert answer.canonical_name == "example.com"


async def test_nxdomain_nodata_and_empty_non_terminal(server):
    client = DnsClient([server.address], timeout=1)
    assert (await client.lookup("nope.example.com", "A")).rcode == "NXDOMAIN"
    nodata = await client.lookup("example.com", "AAAA")
    assert nodata.rcode == "NOERROR" and nodata.records == ()
    ent = await client.lookup("_report._dmarc.example.com", "TXT")
    assert ent.rcode == "NOERROR" and ent.records == ()


async def test_outside_every_zone_is_refused(server):
    answer = await DnsClient([server.address], timeout=1, attempts=1).lookup("other.org", "A")
    assert answer.rcode == "REFUSED" and not answer.ok


async def test_faults(server):
    client = DnsClient([server.address], timeout=0.2, attempts=1)
    assert (await client.lookup("bad.example.com", "A")).rcode == "SERVFAIL"
    assert (await client.lookup("gone.example.com", "A")).rcode == "TIMEOUT"
    assert (await client.lookup("junk.example.com", "A")).rcode in ("ERROR", "TIMEOUT")
    assert (await client.lookup("mx.example.com", "AAAA")).rcode == "REFUSED"
    assert (await client.lookup("mx.example.com", "A")).records == ("127.0.0.5",)


async def test_delay_fault_and_timeout():
    zones = LabZoneSet([ZoneSpec("example.com", RECORDS)])
    async with LabDnsServer(zones, delay=0.05, faults={"slow.example.com": "delay:1"}) as srv:
        client = DnsClient([srv.address], timeout=0.3, attempts=1)
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert (await client.lookup("example.com", "A")).ok
        assert loop.time() - start >= 0.05
        assert (await client.lookup("slow.example.com", "A")).rcode == "TIMEOUT"


async def test_truncation_falls_back_to_tcp(server):
    client = DnsClient([server.address], timeout=1)
    answer = await client.lookup("tc.example.com", "A")
    assert answer.rcode == "NXDOMAIN"  # answered, over TCP
    big = await client.lookup("big.example.com", "TXT")
    assert len(big.records[0]) == 2400


async def test_plain_udp_without_edns_gets_tc_for_large_answers(server):
    query = dns.message.make_query("big.example.com", "TXT", use_edns=False)
    reply = await dns.asyncquery.udp(query, server.host, port=server.port, timeout=1)
    assert reply.flags & dns.flags.TC


async def test_queries_are_asked_once_per_client(server):
    client = DnsClient([server.address], timeout=1)
    before = server.queries_received
    await asyncio.gather(*(client.lookup("example.com", "MX") for _ in range(20)))
    assert server.queries_received - before == 1 == client.queries_sent


async def test_malformed_queries_do_not_kill_the_server(server):
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                       remote_addr=server.address)
    for junk in (b"", b"\x00", b"\xff" * 50):
        transport.sendto(junk)
    transport.close()
    await asyncio.sleep(0.05)
    assert (await DnsClient([server.address], timeout=1).lookup("example.com", "MX")).ok


def test_lab_refuses_non_loopback_binding():
    with pytest.raises(ValueError):
        LabDnsServer(LabZoneSet([]), host="0.0.0.0")


async def test_wildcards_synthesise_answers(server):
    client = DnsClient([server.address], timeout=1)
    assert (await client.lookup("a.b.wild.example.com", "TXT")).records == ("v=DMARC1",)
    assert (await client.lookup("x.wild.example.com", "A")).rcode == "NOERROR"
    assert (await client.lookup("wild.example.com", "TXT")).rcode == "NOERROR"  # an ENT
