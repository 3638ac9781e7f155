"""The exposed-services checks against lab services: pass, fail, warn, info and error."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from cyberbasics.lab import services as lab
from cyberbasics.lab.ca import LabCA
from cyberbasics.lab.faults import LoopbackServer
from cyberbasics.lab.web import Response
from cyberbasics.lab.zones import ZoneSpec
from cyberbasics.net.ratelimit import RateLimiter
from cyberbasics.net.target_lock import TargetLocks
from cyberbasics.scan.engine import scan_domains
from cyberbasics.scan.evidence.services import (
    PORTS,
    WEB_EXCHANGE_TIMEOUTS,
    ServicesView,
    probe_address,
)
from cyberbasics.scan.gather import DomainContext, ScanSession

from .helpers import active_lab, findings, new_address, records_for, status


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return LabCA.create(tmp_path_factory.mktemp("services-ca"))


async def test_an_exposed_host_fails_every_check(tmp_path, ca):
    web, mail = new_address(), new_address()
    layout = {
        web: {22: lab.ssh(lab.OLD_OPENSSH), 3389: lab.rdp(), 5900: lab.vnc(), 23: lab.telnet(),
              445: lab.silent(), 21: lab.ftp(), 873: lab.rsync(), 3306: lab.mysql(),
              5432: lab.postgres(), 6379: lab.redis(password=False), 9200: lab.elasticsearch(),
              11211: lab.memcached(), 2083: lab.control_panel(tls=ca),
              10443: lab.vpn_portal(tls=ca),
              80: lab.website(lab.exposed_files_routes("shop.com"), name="shop.com")},
        mail: {110: lab.pop3(starttls=False), 143: lab.imap(starttls=True), 25: lab.smtp(),
               22: lab.ssh()},
    }
    records = records_for("shop.com", apex=[web], www=[web], mail=[mail])
    async with active_lab(tmp_path, "shop.com", records, layout) as (_, config):
        found = await findings(config, "shop.com")
    assert status(found) == {
        "services.remote_access": ("fail", "exposed"),
        "services.file_sharing": ("fail", "exposed"),
        "services.databases": ("fail", "exposed"),
        "services.admin_panels": ("fail", "panel"),
        "services.mail_cleartext": ("fail", "cleartext"),
        "services.ssh": ("warn", "outdated"),
        "web.sensitive_files": ("fail", "readable"),
    }
    remote = found["services.remote_access"].summary
    assert "RDP on port 3389" in remote and "VNC" in remote and "Telnet" in remote
    assert "shop.com, www.shop.com" in remote  # the names that point at the address
    databases = found["services.databases"].summary
    assert "Redis 7.2.4 on port 6379 with no password" in databases
    assert "MySQL (8.0.36-0ubuntu0.22.04.1)" in databases and "PostgreSQL" in databases
    assert "Windows file sharing (SMB)" in found["services.file_sharing"].summary
    assert "cPanel on port 2083" in found["services.admin_panels"].summary
    assert "POP3 on port 110" in found["services.mail_cleartext"].summary
    assert "IMAP" not in found["services.mail_cleartext"].summary  # IMAP offers STARTTLS
    assert "OpenSSH 7.4" in found["services.ssh"].summary
    assert found["services.remote_access"].severity == "high"
    evidence = found["services.remote_access"].evidence
    ports = {p["port"]: p for a in evidence["addresses"] for p in a.get("ports", [])
             if a["address"] == web}
    assert ports[3389]["answer"] == "RDP" and ports[23]["state"] == "open"


async def test_software_seen_in_banners_and_pages(tmp_path, ca):
    web = new_address()
    layout = {web: {22: lab.ssh(lab.CURRENT_OPENSSH), 21: lab.ftp(), 25: lab.smtp(),
                    3306: lab.mysql("10.6.16-MariaDB-0ubuntu0.22.04.1"),
                    6379: lab.redis(password=False), 9200: lab.elasticsearch(),
                    11211: lab.memcached(), 10443: lab.vpn_portal(tls=ca),
                    4443: lab.vpn_portal(version=None), 110: lab.pop3(starttls=True)}}
    records = records_for("shop.com", apex=[web])
    async with active_lab(tmp_path, "shop.com", records, layout,
                          checks=("services.ssh",)) as (_, config):
        session = ScanSession(config)
        try:
            context = DomainContext("shop.com", session)
            view = await context.get("services")
            collected = await context.get("software")  # the vulnerability check's input
        finally:
            await session.aclose()
    assert isinstance(view, ServicesView)
    seen = {(s.product, s.version) for s in view.software}
    assert seen >= {("openssh", "9.6p1"), ("vsftpd", "3.0.3"), ("exim", "4.94.2"),
                    ("mariadb", "10.6.16"), ("redis", "7.2.4"), ("elasticsearch", "7.10.2"),
                    ("memcached", "1.6.21"), ("fortinet-fortios", "7.0.1"),
                    ("fortinet-fortios", None), ("dovecot", None)}
    portal = next(s for s in view.software if s.version == "7.0.1")
    assert "10443" in portal.where and web in portal.where
    assert all(json.dumps(s.to_json()) for s in view.software)
    assert "services" in collected.read and set(view.software) <= set(collected.seen)


async def test_a_locked_down_host_passes(tmp_path):
    web, mail = new_address(), new_address()
    layout = {web: {22: lab.ssh(), 80: lab.website({"/": Response.text("hello")},
                                                    name="shop.com")},
              mail: {110: lab.pop3(starttls=True), 143: lab.imap(starttls=True,
                                                                  in_greeting=True)}}
    records = records_for("shop.com", apex=[web], www=[web], mail=[mail])
    # A firewall that drops what it blocks: connections time out (filtered), not refused.
    filtered = {web: [3389, 445, 3306], mail: [3389]}
    async with active_lab(tmp_path, "shop.com", records, layout,
                          filtered=filtered) as (_, config):
        found = await findings(config, "shop.com")
    assert status(found) == {
        "services.remote_access": ("pass", "ok"), "services.file_sharing": ("pass", "ok"),
        "services.databases": ("pass", "ok"), "services.admin_panels": ("pass", "ok"),
        "services.mail_cleartext": ("pass", "starttls"), "services.ssh": ("info", "named"),
        "web.sensitive_files": ("pass", "ok"),
    }
    assert "OpenSSH 9.6p1 (Ubuntu-3ubuntu13.5)" in found["services.ssh"].summary
    remote = found["services.remote_access"].evidence["addresses"]
    states = {(a["address"], p["port"]): p for a in remote for p in a["ports"]}
    assert states[(web, 3389)]["state"] == "filtered" and "firewall" in states[(web, 3389)]["note"]
    assert states[(web, 5900)]["state"] == "closed"


async def test_services_that_do_not_say_what_they_are(tmp_path):
    web = new_address()
    layout = {web: {3389: lab.garbage(), 3306: lab.garbage(seed=9), 22: lab.slow(delay=1.0),
                    110: lab.silent(), 8080: lab.web_page("Coming soon"),
                    8443: lab.vpn_portal(version=None)}}
    records = records_for("shop.com", apex=[web])
    async with active_lab(tmp_path, "shop.com", records, layout) as (_, config):
        started = time.monotonic()
        found = await findings(config, "shop.com")
        elapsed = time.monotonic() - started
    assert elapsed < 4.0  # a trickling or silent service costs a bounded time
    assert status(found) | {} == {
        "services.remote_access": ("fail", "exposed"),  # open port 3389, service unconfirmed
        "services.file_sharing": ("pass", "ok"),
        "services.databases": ("fail", "exposed"),
        "services.admin_panels": ("warn", "open"),  # a web page, not a known panel
        "services.mail_cleartext": ("warn", "unconfirmed"),
        "services.ssh": ("info", "unconfirmed"),  # the banner did not arrive in time
        "web.sensitive_files": ("info", "no-website"),
    }
    assert "did not identify itself" in found["services.remote_access"].summary
    assert "Coming soon" in found["services.admin_panels"].summary
    assert "8443" not in found["services.admin_panels"].summary  # a VPN portal, not a panel


async def test_no_addresses_is_info_and_a_lookup_failure_is_error(tmp_path):
    records = records_for("shop.com", mx="mx.provider.com")  # a provider's mail server only
    async with active_lab(tmp_path, "shop.com", records, {}) as (_, config):
        found = await findings(config, "shop.com")
    assert status(found)["services.databases"] == ("info", "no-addresses")
    assert status(found)["web.sensitive_files"] == ("info", "no-website")
    skipped = found["services.databases"].evidence["skipped"]
    assert skipped[0]["name"] == "mx.provider.com" and "provider" in skipped[0]["reason"]

    async with active_lab(tmp_path, "shop.com", records_for("shop.com"), {},
                          faults={"shop.com/A": "servfail"}) as (_, config):
        found = await findings(config, "shop.com")
    assert status(found)["services.databases"] == ("error", "could-not-check")
    assert "SERVFAIL" in found["services.databases"].summary


async def test_refused_addresses_are_could_not_check(tmp_path):
    records = records_for("shop.com", apex=["203.0.113.5"])  # not loopback: refused in the lab
    async with active_lab(tmp_path, "shop.com", records, {}) as (_, config):
        found = await findings(config, "shop.com")
    for check in ("services.remote_access", "services.file_sharing", "services.databases",
                  "services.admin_panels", "services.mail_cleartext", "services.ssh",
                  "web.sensitive_files"):
        assert status(found)[check] == ("error", "could-not-check"), check
    assert "not a loopback address" in found["services.ssh"].summary


async def test_an_address_shared_by_domains_is_probed_once_per_batch(tmp_path):
    web = new_address()
    log: list = []
    layout = {web: {port: (lambda h, p: lab.RecordingServer(log, host=h, port=p))
                    for port in (22, 3389, 6379)}}
    other = ZoneSpec("other.com", records_for("other.com", apex=[web], www=[web]))
    async with active_lab(tmp_path, "shop.com", records_for("shop.com", apex=[web]), layout,
                          checks=("services.*",), extra_zones=[other]) as (_, config):
        results = await scan_domains(["shop.com", "other.com"], config)
    assert all(r.error is None for r in results)
    assert len(log) == 3  # three ports with a server, each connected to once for both
    for result in results:
        ssh = next(f for f in result.findings if f.check == "services.ssh")
        assert ssh.evidence["addresses"][0]["address"] == web


async def test_a_parser_bug_costs_one_port_not_the_scan(tmp_path, monkeypatch):
    from cyberbasics.protocols import banners

    def broken(data):
        raise RuntimeError("bug")

    monkeypatch.setattr(banners, "parse_ssh_banner", broken)
    web = new_address()
    async with active_lab(tmp_path, "shop.com", records_for("shop.com", apex=[web]),
                          {web: {22: lab.ssh(), 3389: lab.rdp()}},
                          checks=("services.ssh", "services.remote_access")) as (_, config):
        found = await findings(config, "shop.com")
    assert status(found) == {"services.ssh": ("error", "could-not-check"),
                             "services.remote_access": ("fail", "exposed")}
    assert "internal error" in found["services.ssh"].summary


class TricklingRedirects(LoopbackServer):
    """The slowest web port a probe can meet: silent to a TLS hello (the handshake times
    out), and to plain HTTP a redirect to the next page whose body then trickles forever, so
    each request takes the whole read time and leads to another."""

    async def handle(self, reader, writer) -> None:
        first = await reader.read(4096)
        if first[:1] == b"\x16":
            await asyncio.sleep(30)
            return
        writer.write(b"HTTP/1.0 302 Found\r\nLocation: /next\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(600):
            await asyncio.sleep(0.05)
            writer.write(b"x")
            await writer.drain()


async def test_a_web_port_is_bounded_as_a_whole(tmp_path):
    web = new_address()
    timeout = 0.5
    layout = {web: {8443: lambda h, p: TricklingRedirects(host=h, port=p)}}
    async with active_lab(tmp_path, "shop.com", records_for("shop.com", apex=[web]), layout,
                          timeout=timeout) as (_, config):
        spec = next(p for p in PORTS if p.port == 8443)
        started = time.monotonic()
        report = await probe_address(config, web, ("shop.com",), RateLimiter(1000.0),
                                     TargetLocks(), ports=(spec,))
        elapsed = time.monotonic() - started
    [probe] = report.probes
    # Before: a TLS try, then "/" and two redirects, each its whole read time (about 7 x the
    # timeout, 80 s with the defaults). Now one bound for the port's whole web exchange,
    # and what arrived before it is kept.
    assert elapsed < WEB_EXCHANGE_TIMEOUTS * timeout + 0.8, elapsed
    assert probe.state == "open" and probe.answer == "HTTP", probe
    assert "within" in (probe.note or ""), probe


async def test_a_hung_probe_costs_its_port_not_the_collector(tmp_path, monkeypatch):
    from cyberbasics.scan.evidence import services_http

    opened = services_http.open_limited

    async def hang_on_ssh(config, limiter, address, port):
        if port == 22:
            await asyncio.sleep(3600)  # a bug, or a connection that never returns
        return await opened(config, limiter, address, port)

    monkeypatch.setattr(services_http, "open_limited", hang_on_ssh)
    web = new_address()
    layout = {web: {22: lab.ssh(), 3389: lab.rdp(), 21: lab.ftp()}}
    checks = ("services.*", "vulns.known_exploited")
    async with active_lab(tmp_path, "shop.com", records_for("shop.com", apex=[web]), layout,
                          checks=checks, domain_timeout=3.0) as (_, config):
        started = time.monotonic()
        found = await findings(config, "shop.com")
        elapsed = time.monotonic() - started
    assert elapsed < 3.5
    # Before: the domain limit cancelled the collector and every services check failed.
    assert status(found)["services.remote_access"] == ("fail", "exposed")
    assert status(found)["services.file_sharing"] == ("fail", "exposed")
    assert status(found)["services.ssh"] == ("error", "could-not-check")
    assert "time" in found["services.ssh"].summary
    assert str(found["vulns.known_exploited"].status) != "error"
