"""Tests for the latency benchmark: the critical path model (hand-checked examples), the
delayed demo world, and a short run of the benchmark itself.

Not part of the main suite (testpaths is tests/); run explicitly:

    .venv/bin/python -m pytest bench/test_latency.py -q
"""

from __future__ import annotations

import asyncio
import time

import pytest
from corpus import build_corpus, websites_model, zone_specs
from critical_path import (
    MAX_REDIRECTS,
    Websites,
    ZoneData,
    critical_path,
    dmarc_walk_targets,
    world_critical_path,
)
from latency import CHAIN_COLLECTORS, benchmark, report

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
    # Website: A/AAAA → connect → TLS → GET of the home page = 4 (plain HTTP redirects, but
    # its answer is not followed: 3). security.txt on the same origin = 4. TLS: A/AAAA →
    # connect → handshake, the probes alongside = 3.
    path = world_critical_path("bakery.example")
    assert path.breakdown() == {
        "SOA/NS": 1, "nameserver serials": 3, "DNSSEC": 1, "CAA": 1, "mail servers": 6.5,
        "SPF": 3, "DMARC": 2, "DKIM": 2, "MTA-STS": 5, "TLS-RPT": 1, "website": 4,
        "security.txt": 4, "TLS": 3}
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
    # No working HTTPS: the world's HTTPS server answers with another site's certificate, so
    # every HTTPS fetch ends at the handshake; plain HTTP serves the page.
    assert plumber.chain("website").rtt == 3
    assert plumber.chain("security.txt").rtt == 3
    assert plumber.chain("TLS").rtt == 3
    parked = world_critical_path("parked.example")
    assert parked.chain("mail servers").rtt == 1  # null MX: nothing to connect to
    # No website: neither name has an address (the www. fallback of plain HTTP is known).
    assert parked.chain("website").rtt == 1
    assert parked.chain("TLS").rtt == 1
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


# -- websites, each checked by hand ---------------------------------------------------------

WEB = {"shop.test": [("A", "192.0.2.80")], "www.shop.test": [("A", "192.0.2.80")]}


def web_path(records: dict = WEB, **sites):
    return path_of(records, websites=Websites(**sites))


def test_website_to_www_then_a_language_page():
    # https://shop.test/ → 301 https://www.shop.test/, which the scan fetches from the start
    # anyway: its answer (4) is the redirect's; then 302 /en/ on the open connection: 5.
    path = web_path(redirects={"https://shop.test": "https://www.shop.test",
                               "https://www.shop.test/": "/en/"})
    chain = path.chain("website")
    assert chain.rtt == 5
    assert [s.what for s in chain.steps] == [
        "A/AAAA www.shop.test", "connect to www.shop.test", "TLS 1.3 handshake",
        "GET https://www.shop.test/", "GET https://www.shop.test/en/"]
    # security.txt follows the domain's redirect keeping the path: the www. connection is
    # ready (3) before the redirect arrives (4): one more GET = 5.
    assert path.chain("security.txt").rtt == 5
    assert path.chain("security.txt").steps[-1].what == \
        "GET https://www.shop.test/.well-known/security.txt"


def test_website_redirect_to_another_host_needs_its_own_lookup_and_connection():
    records = {**WEB, "shop.other.test": [("A", "192.0.2.81")]}
    path = web_path(records, redirects={"https://shop.test/": "https://shop.other.test/home"})
    # 4 for the first answer, then A/AAAA, connect, TLS and GET on the other host: 8.
    assert path.chain("website").rtt == 8
    assert [s.what for s in path.chain("website").steps][4:] == [
        "A/AAAA shop.other.test", "connect to shop.other.test", "TLS 1.3 handshake",
        "GET https://shop.other.test/home"]
    # Plain HTTP to HTTPS on the same host: the HTTPS origin is connected from the start.
    upgrade = web_path(redirects={"https://shop.test/": "http://shop.test/page",
                                  "http://shop.test/page": "https://shop.test/page"})
    assert upgrade.chain("website").rtt == 6  # 4, GET http (open from the start) 5, GET 6
    gone = web_path(redirects={"https://shop.test/": "https://nowhere.test/"})
    assert gone.chain("website").rtt == 5  # 4, then its A/AAAA: no address


def test_website_visits_stop_where_the_scanner_stops():
    from cyberbasics.scan.evidence import web

    assert MAX_REDIRECTS == web.MAX_REDIRECTS
    loop = web_path(redirects={"https://shop.test/": "/a", "https://shop.test/a": "/"})
    assert loop.chain("website").rtt == 5  # GET /, GET /a, then a loop back: stop
    other_port = web_path(redirects={"https://shop.test/": "https://shop.test:8443/"})
    assert other_port.chain("website").rtt == 4
    not_web = web_path(redirects={"https://shop.test/": "mailto:info@shop.test"})
    assert not_web.chain("website").rtt == 4
    many = {"https://shop.test/": "/1", **{f"https://shop.test/{n}": f"/{n + 1}"
                                         for n in range(1, 20)}}
    assert web_path(redirects=many).chain("website").rtt == 4 + MAX_REDIRECTS


def test_http_only_www_only_and_bad_certificates():
    # Nothing listens on 443: the HTTPS fetches end with the refused connection (2); plain
    # HTTP answers (3). TLS: the domain refuses, so www. is tried (refused too) = 3.
    http_only = web_path(refused=frozenset({"https://shop.test", "https://www.shop.test"}))
    assert http_only.chain("website").rtt == 3
    assert http_only.chain("security.txt").rtt == 2
    tls = http_only.chain("TLS")
    assert [s.what for s in tls.steps] == [
        "A/AAAA shop.test and www.shop.test", "connect to shop.test: refused",
        "connect to www.shop.test: refused"]
    only_www = {"www.shop.test": [("A", "192.0.2.80")]}
    path = web_path(only_www)
    # https://www. = 4; plain HTTP: the domain has no address (1), www.'s is known: 3.
    assert path.chain("website").rtt == 4
    assert path.chain("security.txt").rtt == 1
    assert [s.what for s in path.chain("TLS").steps][1:] == [
        "connect to www.shop.test", "TLS 1.3 handshake, and alongside one ClientHello per old "
        "version and weak suite class"]
    bad = web_path(bad_certificate=frozenset({"shop.test", "www.shop.test"}))
    assert bad.chain("website").rtt == 3  # plain HTTP too: 3
    assert bad.chain("TLS").rtt == 3  # one handshake tells both the certificate and TLS


def test_corpus_websites_model():
    corpus = build_corpus(200)
    zone = ZoneData(zone_specs(corpus))
    sites = websites_model(corpus)
    by_profile: dict[str, dict[str, float]] = {}
    for item in corpus:
        profile = item.website.profile if item.website else "none"
        path = critical_path(item.domain, zone, selectors=SELECTORS, websites=sites)
        by_profile.setdefault(profile, path.breakdown())
    # The site builder: the domain redirects to www. (its start answer, 4), maybe /en/ (5).
    assert by_profile["builder"]["website"] in (4, 5)
    assert by_profile["wordpress"]["website"] == 4  # www. redirects to the domain: 4
    assert by_profile["plain"]["website"] == 3  # plain HTTP only
    assert by_profile["plain"]["TLS"] == 3  # both names refuse on 443
    assert by_profile["none"]["website"] == 1
    assert by_profile["www_only"]["TLS"] == 3


def test_every_chain_has_its_collectors():
    path = world_critical_path("bakery.example")
    assert {c.name for c in path.chains} == set(CHAIN_COLLECTORS)


# -- the delayed world ------------------------------------------------------------------------


async def _smtp_timings(address: str, port: int) -> tuple[float, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(address, port)
    await reader.readline()
    banner = time.perf_counter() - started
    writer.write(b"EHLO test.invalid\r\n")
    for _ in range(50):  # bounded: a closed or broken server must not hang the test
        line = await reader.readline()
        assert line, "the server closed the connection before its EHLO answer"
        if line.startswith(b"250 "):
            break
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
