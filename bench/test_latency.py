"""Tests for the latency benchmark: the critical path model (hand-checked examples), the
delayed demo world, and a short run of the benchmark itself.

Not part of the main suite (testpaths is tests/); run explicitly:

    .venv/bin/python -m pytest bench/test_latency.py -q
"""

from __future__ import annotations

import asyncio
import time

import pytest
from critical_path import (
    ZoneData,
    critical_path,
    dmarc_walk_targets,
    world_critical_path,
)
from latency import benchmark, report

from cyberbasics.lab.world import MTA_STS_ADDRESS, running_world

SELECTORS = (("s1", "s2"), ("s3", "s4"))  # two tiers of DKIM selectors, for the examples


def spf(text: str) -> tuple[str, str]:
    return ("TXT", f'"{text}"')


def path_of(records: dict, domain: str = "shop.test", **kwargs):
    return critical_path(domain, ZoneData.from_records(records), selectors=SELECTORS, **kwargs)


# -- the demo world, checked by hand against world.py --------------------------------------


def test_bakery_by_hand():
    # MX → mx.bakery.example A → connect and banner 1.5, EHLO, STARTTLS, TLS 1.3 = 6.5.
    # SPF "mx -all": TXT → MX → A = 3. DMARC: _dmarc.bakery.example, then the tree walk to
    # _dmarc.example for the organisational domain (no psd=n); rua is inside the domain = 2.
    # DKIM: _domainkey exists (selector1 below it), selector1 in the first tier = 2.
    # MTA-STS: TXT → A → connect → TLS → GET = 5.
    path = world_critical_path("bakery.example")
    assert path.breakdown() == {
        "SOA/NS": 1, "nameserver serials": 3, "DNSSEC": 1, "CAA": 1, "mail servers": 6.5,
        "SPF": 3, "DMARC": 2, "DKIM": 2, "MTA-STS": 5, "TLS-RPT": 1}
    assert path.rtt == 6.5
    assert [c.name for c in path.critical] == ["mail servers"]
    assert [s.rtt for s in path.chain("mail servers").steps] == [1, 1, 1.5, 1, 1, 1]


def test_florist_by_hand():
    # SPF: florist → _spf.shop → _spf2.shop → a:relay.shop = 4 (also florist → _spf.news →
    # mx:news.example → its host's A = 4, and → _spf.mailer → a = 4).
    # DMARC: _dmarc.florist → _dmarc.example → rua at dmarc.example is outside the
    # organisational domain: florist.example._report._dmarc.dmarc.example = 3.
    # Two mail servers, probed in parallel: still 6.5 (an expired certificate needs no second
    # session: one session tells both the certificate and the protocol version).
    path = world_critical_path("florist.example")
    assert path.chain("SPF").rtt == 4
    assert path.chain("DMARC").rtt == 3
    assert path.chain("DMARC").steps[-1].what == \
        "TXT florist.example._report._dmarc.dmarc.example"
    assert path.chain("DKIM").rtt == 2  # k1 is a first-tier selector
    assert path.rtt == 6.5


def test_plumber_and_parked_by_hand():
    plumber = world_critical_path("plumber.example")
    # No STARTTLS offered: connect and banner 1.5, EHLO 1, nothing more.
    assert plumber.chain("mail servers").rtt == 4.5
    assert plumber.chain("DKIM").rtt == 1  # _domainkey.plumber.example is NXDOMAIN
    assert plumber.chain("MTA-STS").rtt == 1
    assert plumber.rtt == 4.5
    parked = world_critical_path("parked.example")
    assert parked.chain("mail servers").rtt == 1  # null MX: nothing to connect to
    assert parked.rtt == 3
    assert [c.name for c in parked.critical] == ["nameserver serials"]


# -- small zones, each checked by hand ------------------------------------------------------


def test_spf_levels_are_dependent_and_siblings_are_not():
    records = {
        "shop.test": [spf("v=spf1 include:a.test include:short.test -all")],
        "a.test": [spf("v=spf1 include:b.test ~all")],
        "b.test": [spf("v=spf1 mx:c.test ~all")],
        "c.test": [("MX", "10 m.c.test.")],
        "m.c.test": [("A", "192.0.2.1")],
        "short.test": [spf("v=spf1 ip4:192.0.2.0/24 ~all")],
    }
    # shop (1) → a (2) → b (3) → MX c (4) → A m.c (5); short.test runs alongside.
    chain = path_of(records).chain("SPF")
    assert chain.rtt == 5
    assert [s.what for s in chain.steps] == [
        "TXT shop.test", "TXT a.test", "TXT b.test", "MX c.test", "A/AAAA of its hosts"]


def test_spf_macros_loops_all_and_redirect():
    records = {
        "shop.test": [spf("v=spf1 include:%{d}.x.test a:%{i}.y.test include:shop.test "
                          "a/24 -all include:after.test")],
        "after.test": [spf("v=spf1 include:deep.test")],
        "deep.test": [spf("v=spf1 a")],
    }
    # Macros depend on the message, the self-include asks nothing new, terms after `all`
    # never count: TXT, then the `a` term's A/AAAA = 2.
    assert path_of(records).chain("SPF").rtt == 2
    redirect = {"shop.test": [spf("v=spf1 redirect=r.test")], "r.test": [spf("v=spf1 a")]}
    assert path_of(redirect).chain("SPF").rtt == 3
    ignored = {"shop.test": [spf("v=spf1 redirect=r.test ~all")], "r.test": [spf("v=spf1 a")]}
    assert path_of(ignored).chain("SPF").rtt == 1
    assert path_of({}).chain("SPF").rtt == 1  # no record: one query


def test_caa_climbs_only_past_empty_levels():
    # The scan stops above the top-level domain: www.shop.test, then shop.test.
    assert path_of({}, "www.shop.test").chain("CAA").rtt == 2
    at_parent = {"shop.test": [("CAA", '0 issue "ca.test"')]}
    assert path_of(at_parent, "www.shop.test").chain("CAA").rtt == 2
    at_domain = {"www.shop.test": [("CAA", '0 issue "ca.test"')]}
    assert path_of(at_domain, "www.shop.test").chain("CAA").rtt == 1


def test_dmarc_walk_and_external_reports():
    assert dmarc_walk_targets("a.b.shop.test") == ["b.shop.test", "shop.test", "test"]
    assert dmarc_walk_targets("1.2.3.4.5.6.7.8.test")[0] == "3.4.5.6.7.8.test"
    # No record: the walk until a psd=y/n record (none here): all three levels = 4.
    assert path_of({}, "a.b.shop.test").chain("DMARC").rtt == 4
    # psd=n at shop.test ends the walk there: 3; its rua outside shop.test needs an
    # authorisation lookup after it: 4.
    records = {"_dmarc.shop.test": [("TXT", '"v=DMARC1; p=reject; psd=n; '
                                           'rua=mailto:r@reports.test"')]}
    chain = path_of(records, "a.b.shop.test").chain("DMARC")
    assert chain.rtt == 4
    assert chain.steps[-1].what == "TXT a.b.shop.test._report._dmarc.reports.test"
    # The domain's own record with psd=n: no walk; a report address inside: nothing more.
    own = {"_dmarc.shop.test": [("TXT", '"v=DMARC1; p=none; psd=n; rua=mailto:d@shop.test"')]}
    assert path_of(own).chain("DMARC").rtt == 1


def test_dkim_second_tier_only_without_a_first_tier_key():
    assert path_of({}).chain("DKIM").rtt == 1  # _domainkey.shop.test does not exist
    first = {"s2._domainkey.shop.test": [("TXT", '"v=DKIM1; p=MIIB"')]}
    assert path_of(first).chain("DKIM").rtt == 2
    second = {"s3._domainkey.shop.test": [("TXT", '"v=DKIM1; p=MIIB"')]}
    assert path_of(second).chain("DKIM").rtt == 3
    revoked = {"s1._domainkey.shop.test": [("TXT", '"v=DKIM1; p="')]}
    assert path_of(revoked).chain("DKIM").rtt == 3


def test_mail_servers_nameservers_and_mta_sts():
    records = {
        "shop.test": [("MX", "10 mx1.shop.test."), ("MX", "20 mx2.shop.test.")],
        "mx1.shop.test": [("A", "192.0.2.1")],
        "mx2.shop.test": [("A", "192.0.2.2")],
        "_mta-sts.shop.test": [("TXT", '"v=STSv1; id=1"')],
    }
    # The longest host decides: mx2 offers STARTTLS (4.5), mx1 does not (2.5).
    path = path_of(records, starttls={"mx1.shop.test": False})
    assert path.chain("mail servers").rtt == 6.5
    assert path_of(records, starttls={"mx1.shop.test": False, "mx2.shop.test": False}) \
        .chain("mail servers").rtt == 4.5
    no_address = {"shop.test": [("MX", "10 mx.elsewhere.test.")]}
    assert path_of(no_address).chain("mail servers").rtt == 2
    # The zone's nameservers ns1/ns2.shop.test have no address here: NS → A/AAAA = 2.
    zone = ZoneData.from_records(records)
    assert zone.records(".", "NS") == ("a.root-servers.lab.",)
    assert critical_path("shop.test", ZoneData([]), selectors=SELECTORS) \
        .chain("nameserver serials").rtt == 1
    # An MTA-STS record whose policy host has no address: TXT → A/AAAA = 2.
    assert path.chain("MTA-STS").rtt == 2
    assert path.rtt == 6.5
    assert "* mail servers" in "\n".join(path.lines())


# -- the delayed world ------------------------------------------------------------------------


async def _smtp_timings(address: str, port: int) -> tuple[float, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(address, port)
    await reader.readline()
    banner = time.perf_counter() - started
    writer.write(b"EHLO test.invalid\r\n")
    while not (await reader.readline()).startswith(b"250 "):
        pass
    ehlo = time.perf_counter() - started - banner
    writer.close()
    return banner, ehlo


async def test_delayed_world_delays_tcp_services():
    async with running_world(delay=0.05) as world:
        banner, ehlo = await _smtp_timings("127.0.10.1", world.port_map[25])
        assert 0.07 <= banner < 0.2  # connect, then the banner's half trip: 1.5 × delay
        assert 0.045 <= ehlo < 0.15  # one request/response: delay
        # The real servers listen on hidden addresses; the advertised ones are proxies.
        started = time.perf_counter()
        _, writer = await asyncio.open_connection(MTA_STS_ADDRESS, world.port_map[443])
        writer.close()
        assert time.perf_counter() - started < 0.05


async def test_undelayed_world_is_unchanged():
    async with running_world() as world:
        banner, ehlo = await _smtp_timings("127.0.10.1", world.port_map[25])
        assert banner < 0.05 and ehlo < 0.05
        with pytest.raises(OSError):  # no hidden server, no proxy
            await asyncio.open_connection("127.0.11.1", world.port_map[25])


# -- the benchmark ----------------------------------------------------------------------------


def test_benchmark_runs_and_reports():
    figures = benchmark(domains=("parked.example",), delay=0.02, repeat=1)
    entry = figures["domains"]["parked.example"]
    assert entry["critical_path_rtt"] == 3
    assert entry["cold"]["error"] is None
    assert entry["cold"]["wall_ms"] >= 3 * 20  # never faster than the critical path
    assert figures["ratio"] == entry["cold"]["ratio"]
    assert entry["warm"]["collectors_ms"]["ns_serials"][1] >= 3 * 20
    lines = report(figures)
    assert lines[1].startswith("  parked.example (representative): wall")
    assert "critical path 3 RTT × 20 ms = 60 ms" in lines[1]
