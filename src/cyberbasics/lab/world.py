"""The demo world: a handful of small businesses whose security postures differ, served
by the lab's DNS, mail and web servers on loopback, for `cyberbasics lab` and `make run`.

Every business lives under the reserved `.example` top-level domain (RFC 2606), so the demo
can never be confused with a real domain. Each mail and web host has its own loopback
address; one port map sends the standard ports to the lab's ports.

With ``running_world(delay=...)`` the world behaves like a far-away network: every DNS
answer comes ``delay`` seconds late, and every TCP service (mail, web) sits behind a delaying
proxy on its advertised address while the real server listens on a hidden one. Through the
proxy, a connection's first server bytes arrive 1.5 × ``delay`` after connecting (a TCP
handshake, then half a round trip), and every later request/response costs ``delay`` (half
each way).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import signal
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

from .dns_server import LabDnsServer
from .faults import FaultServer
from .zones import LabZoneSet, ZoneSpec

MTA_STS_ADDRESS = "127.0.20.1"
WEB_ADDRESS = MTA_STS_ADDRESS  # every lab website, by name, on one address
# Where the real servers listen when a delaying proxy holds the advertised address.
HIDDEN_MTA_STS_ADDRESS = "127.0.21.1"
_HIDDEN_MAIL_NETWORK = ("127.0.10.", "127.0.11.")


def hidden_address(address: str) -> str:
    """The hidden loopback address behind an advertised one (delayed worlds only)."""
    if address == MTA_STS_ADDRESS:
        return HIDDEN_MTA_STS_ADDRESS
    advertised, hidden = _HIDDEN_MAIL_NETWORK
    if not address.startswith(advertised):
        raise ValueError(f"no hidden address for {address}")
    return hidden + address[len(advertised):]


@dataclass(frozen=True)
class MailHost:
    name: str
    address: str
    starttls: bool = True
    cert_kind: str = "good"


@dataclass(frozen=True)
class Website:
    """The business's website on the lab web servers (one address, sites by name)."""

    headers: tuple[tuple[str, str], ...] = ()  # of the HTTPS home page
    body: str = "<!doctype html><html><head><title>Welcome</title></head><body></body></html>"
    https: bool = True  # False: the HTTPS server has no site for it (a wrong certificate)
    http: str = "redirect"  # "redirect" to https://<domain>/, "www" to https://www., "page"
    http_headers: tuple[tuple[str, str], ...] = ()  # of the plain-HTTP page, for "page"
    security_txt: bool = False


@dataclass(frozen=True)
class Business:
    domain: str
    story: str  # what a newcomer should notice in its results
    records: dict = field(default_factory=dict)
    signed: bool = True
    dnssec_fault: str | None = None
    mail_hosts: tuple[MailHost, ...] = ()
    mta_sts_policy: str | None = None
    website: Website | None = None


@lru_cache(maxsize=4)
def dkim_public_key(bits: int) -> str:
    """A real RSA public key for a DKIM record (made once per process)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def txt(text: str) -> tuple[str, str]:
    """A TXT record, split into 255-byte character-strings as DNS requires."""
    chunks = [text[i:i + 255] for i in range(0, len(text), 255)] or [""]
    return ("TXT", " ".join('"' + c.replace('"', '\\"') + '"' for c in chunks))


def _glue(domain: str) -> dict:
    return {f"ns1.{domain}": [("A", "127.0.0.1")], f"ns2.{domain}": [("A", "127.0.0.1")]}


def demo_businesses() -> list[Business]:
    key2048 = dkim_public_key(2048)
    key1024 = dkim_public_key(1024)
    return [
        Business(
            "bakery.example",
            "well looked after: signed DNS, strict email authentication, encrypted mail",
            {
                "bakery.example": [("MX", "10 mx.bakery.example."),
                                   ("CAA", '0 issue "lab-ca.example"'),
                                   txt("v=spf1 mx -all")],
                "mx.bakery.example": [("A", "127.0.10.1")],
                "_dmarc.bakery.example": [
                    txt("v=DMARC1; p=reject; rua=mailto:dmarc@bakery.example")],
                "selector1._domainkey.bakery.example": [txt(f"v=DKIM1; k=rsa; p={key2048}")],
                "_mta-sts.bakery.example": [txt("v=STSv1; id=20260101")],
                "mta-sts.bakery.example": [("A", MTA_STS_ADDRESS)],
                "_smtp._tls.bakery.example": [
                    txt("v=TLSRPTv1; rua=mailto:tlsrpt@bakery.example")],
            },
            mail_hosts=(MailHost("mx.bakery.example", "127.0.10.1"),),
            website=Website(headers=(
                ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
                ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; "
                                            "object-src 'none'; base-uri 'self'"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "strict-origin-when-cross-origin"),
                ("Set-Cookie", "session=7f3a; Path=/; Secure; HttpOnly; SameSite=Lax")),
                security_txt=True),
            mta_sts_policy="version: STSv1\nmode: enforce\nmx: mx.bakery.example\n"
                           "max_age: 604800\n",
        ),
        Business(
            "plumber.example",
            "neglected: anyone can send mail as it, mail to it travels unencrypted, and its "
            "old WordPress site has no working HTTPS",
            {
                "plumber.example": [("MX", "10 mail.plumber.example."), txt("v=spf1 +all")],
                "mail.plumber.example": [("A", "127.0.10.2")],
            },
            signed=False,
            mail_hosts=(MailHost("mail.plumber.example", "127.0.10.2", starttls=False),),
            website=Website(https=False, http="page", http_headers=(
                ("Server", "Apache/2.4.29 (Ubuntu)"), ("X-Powered-By", "PHP/7.2.24")),
                body='<html><head><meta name="generator" content="WordPress 4.9.8"></head>'
                     '<body>Plumbing since 1998</body></html>'),
        ),
        Business(
            "florist.example",
            "half-way: monitoring-only DMARC, a long SPF chain, a weak DKIM key, an expired "
            "mail certificate, an MTA-STS policy in testing that misses a server, and a "
            "shop with weak security headers",
            {
                "florist.example": [("MX", "10 mx1.florist.example."),
                                    ("MX", "20 mx2.florist.example."),
                                    txt("v=spf1 include:_spf.shop.example "
                                        "include:_spf.news.example a mx ~all")],
                "mx1.florist.example": [("A", "127.0.10.3")],
                "mx2.florist.example": [("A", "127.0.10.4")],
                "_dmarc.florist.example": [
                    txt("v=DMARC1; p=none; rua=mailto:reports@dmarc.example")],
                "k1._domainkey.florist.example": [txt(f"v=DKIM1; k=rsa; p={key1024}")],
                "_mta-sts.florist.example": [txt("v=STSv1; id=7")],
                "mta-sts.florist.example": [("A", MTA_STS_ADDRESS)],
            },
            website=Website(http="www", headers=(
                ("Strict-Transport-Security", "max-age=86400"),
                ("Content-Security-Policy", "script-src 'self' 'unsafe-inline'"),
                ("Referrer-Policy", "unsafe-url"),
                ("Set-Cookie", "cart=3; Path=/"),
                ("Set-Cookie", "PHPSESSID=9d1c; Path=/; Secure")),
                body='<html><head><meta name="generator" content="WordPress 6.4.2">'
                     '<script src="http://cdn.shop.example/basket.js"></script></head>'
                     '<body><img src="http://cdn.shop.example/roses.jpg"></body></html>'),
            mail_hosts=(MailHost("mx1.florist.example", "127.0.10.3", cert_kind="expired"),
                        MailHost("mx2.florist.example", "127.0.10.4")),
            mta_sts_policy="version: STSv1\nmode: testing\nmx: mx1.florist.example\n"
                           "max_age: 86400\n",
        ),
        Business(
            "parked.example",
            "a domain that sends no mail, locked down so nobody can send as it",
            {
                "parked.example": [("MX", "0 ."), txt("v=spf1 -all")],
                "_dmarc.parked.example": [txt("v=DMARC1; p=reject")],
            },
        ),
        Business(
            "brokendns.example",
            "DNSSEC gone wrong after a key change: validating resolvers cannot reach it",
            {"brokendns.example": [("MX", "10 mx.bakery.example."),
                                   txt("v=spf1 include:_spf.shop.example -all")]},
            dnssec_fault="wrong_ds",
        ),
    ]


def provider_zones() -> list[ZoneSpec]:
    """Shared providers the businesses include, as real ones would."""
    includes = {
        "_spf.shop.example": [txt("v=spf1 ip4:198.51.100.0/24 include:_spf2.shop.example ~all")],
        "_spf2.shop.example": [txt("v=spf1 ip4:203.0.113.0/24 a:relay.shop.example ~all")],
        "relay.shop.example": [("A", "198.51.100.7")],
        "_spf.news.example": [txt("v=spf1 mx:news.example exists:%{i}._spf.news.example "
                                  "include:_spf.mailer.example ~all")],
        "news.example": [("MX", "10 mx.news.example.")],
        "mx.news.example": [("A", "198.51.100.20")],
        "_spf.mailer.example": [txt("v=spf1 ip6:2001:db8::/32 a mx ptr ~all")],
        "florist.example._report._dmarc.dmarc.example": [txt("v=DMARC1")],
    }
    return [ZoneSpec("example", {**includes, **_glue("example")}, signed=True)]


def zone_specs(businesses: list[Business]) -> list[ZoneSpec]:
    """Every zone the world serves: the root, the providers, one per business, and the
    senders of the email checker's lab messages."""
    from .mail_world import mail_zone_specs  # it builds on this module's helpers

    return [ZoneSpec(".", {}, signed=True), *provider_zones(),
            *(ZoneSpec(b.domain, _records(b), signed=b.signed, dnssec_fault=b.dnssec_fault)
              for b in businesses),
            *mail_zone_specs(with_parent=False)]


def _records(business: Business) -> dict:
    records = {**_glue(business.domain), **business.records}
    if business.website is not None:
        apex = business.domain
        records[apex] = [*records.get(apex, []), ("A", WEB_ADDRESS)]
        records[f"www.{apex}"] = [("A", WEB_ADDRESS)]
    return records


def _sites(businesses: list[Business], *, tls: bool) -> dict:
    """The web servers' sites: HTTPS (home pages, MTA-STS policies) or plain HTTP."""
    from .web import Response, Site

    sites = {}
    for b in businesses:
        site = b.website
        if tls and b.mta_sts_policy:
            sites[f"mta-sts.{b.domain}"] = Site(routes={
                "/.well-known/mta-sts.txt": Response.text(b.mta_sts_policy)})
        if site is None:
            continue
        if tls and site.https:
            routes = {"/": Response(200, (("Content-Type", "text/html; charset=utf-8"),
                                          *site.headers), site.body.encode())}
            if site.security_txt:
                expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=180)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ")
                routes["/.well-known/security.txt"] = Response.text(
                    f"Contact: mailto:security@{b.domain}\nExpires: {expires}\n")
            sites[b.domain] = sites[f"www.{b.domain}"] = Site(routes=routes)
        elif not tls and site.http == "page":
            page = Response(200, (("Content-Type", "text/html; charset=utf-8"),
                                  *site.http_headers), site.body.encode())
            sites[b.domain] = sites[f"www.{b.domain}"] = Site(routes={"/": page})
        elif not tls:
            host = f"www.{b.domain}" if site.http == "www" else b.domain
            sites[b.domain] = sites[f"www.{b.domain}"] = Site(redirect_to=f"https://{host}")
    return sites


@dataclass
class RunningWorld:
    dns: LabDnsServer
    port_map: dict[int, int]
    ca_file: Path
    trust_anchor_file: Path
    businesses: list[Business]

    def scan_arguments(self) -> list[str]:
        port_map = ",".join(f"{k}={v}" for k, v in sorted(self.port_map.items()))
        return ["--lab", "--nameserver", f"{self.dns.host}:{self.dns.port}",
                "--trust-anchor", str(self.trust_anchor_file), "--ca-file", str(self.ca_file),
                "--port-map", port_map]

    def config(self, **overrides):
        from ..config import ScanConfig

        settings = {"timeout": 2.0, "domain_timeout": 20.0, **overrides}
        return ScanConfig(nameservers=(self.dns.address,), ca_file=self.ca_file,
                          trust_anchor_file=self.trust_anchor_file, lab=True,
                          port_map=dict(self.port_map), **settings)


@contextlib.asynccontextmanager
async def running_world(*, dns_port: int = 0, directory: Path | None = None,
                        delay: float = 0.0,
                        services: bool = False) -> AsyncIterator[RunningWorld]:
    """Start every server of the demo world; stop them all on exit.

    ``services`` also starts the stand-ins of exposed services on the mail hosts (SSH, FTP,
    RDP, databases, control panels, a VPN portal: `lab.services.demo_layout`), for active
    scans; they are not behind the delaying proxy.

    ``delay`` (seconds) adds latency: to every DNS answer, and, through a delaying proxy
    in front of each mail server and the web server, to TCP connections (the first server
    bytes arrive 1.5 × ``delay`` after connecting) and to every later exchange (``delay``).
    """
    from .ca import LabCA
    from .mail_world import MAIL_DNS_FAULTS
    from .web import LabWebServer

    if delay < 0:
        raise ValueError("delay must be >= 0")
    businesses = demo_businesses()
    with contextlib.ExitStack() as files:
        if directory is None:
            directory = Path(files.enter_context(tempfile.TemporaryDirectory(
                prefix="cyberbasics-lab-")))
        ca = LabCA.create(directory / "ca")
        zones = LabZoneSet(zone_specs(businesses))
        anchor = directory / "trust-anchor.txt"
        anchor.write_text(zones.trust_anchor_text(), encoding="utf-8")
        async with contextlib.AsyncExitStack() as servers:
            dns = await servers.enter_async_context(
                LabDnsServer(zones, port=dns_port, delay=delay, faults=MAIL_DNS_FAULTS))
            # One public port per service, shared by every advertised address.
            ports = {"smtp": 0, "web": 0, "http": 0}

            async def serve(kind: str, address: str, make) -> None:
                """Start a server on `address` at the service's port, behind a proxy if
                delayed; `make(host, port)` builds the real server."""
                if not delay:
                    server = await servers.enter_async_context(make(address, ports[kind]))
                    ports[kind] = server.port
                    return
                server = await servers.enter_async_context(make(hidden_address(address), 0))
                proxy = await servers.enter_async_context(FaultServer(
                    "delay", host=address, port=ports[kind], delay=delay,
                    chunk_delay=delay / 2, target=server.address, max_duration=60.0))
                ports[kind] = proxy.port

            for business in businesses:
                for host in business.mail_hosts:
                    await serve("smtp", host.address, partial(_smtp_server, ca, host))
            https_sites, http_sites = _sites(businesses, tls=True), _sites(businesses, tls=False)
            await serve("web", WEB_ADDRESS,
                        lambda h, p: LabWebServer(https_sites, host=h, port=p, tls=ca,
                                                  default_site=f"mta-sts.{businesses[0].domain}"))
            await serve("http", WEB_ADDRESS,
                        lambda h, p: LabWebServer(http_sites, host=h, port=p))
            port_map = {53: dns.port, 25: ports["smtp"], 80: ports["http"], 443: ports["web"]}
            if services:
                from .services import ServiceLab, demo_layout, demo_ports

                stand_ins = await servers.enter_async_context(
                    ServiceLab(demo_layout(), ports=demo_ports()))
                port_map.update(stand_ins.port_map)
            yield RunningWorld(dns, port_map, ca.cert_path, anchor, businesses)


def _smtp_server(ca, host: MailHost, address: str, port: int):
    from .smtp import LabSmtpServer

    tls = ca.issue([host.name], kind=host.cert_kind) if host.starttls else None
    return LabSmtpServer(hostname=host.name, host=address, port=port, starttls=host.starttls,
                         tls=tls)


async def run_lab_forever(*, dns_port: int = 0) -> None:
    """Serve until Ctrl-C or SIGTERM; the lab's files (its CA key too) go with it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with running_world(dns_port=dns_port, services=True) as world:
        args = " ".join(world.scan_arguments())
        print("The Cyber Basics lab is running on loopback (Ctrl-C stops it).\n")
        print(f"DNS server: {world.dns.host}:{world.dns.port} (UDP and TCP)")
        print(f"Lab CA: {world.ca_file}\nDNSSEC trust anchor: {world.trust_anchor_file}\n")
        print("Demo businesses:")
        for business in world.businesses:
            print(f"  {business.domain:20} {business.story}")
        print("\nScan them with:")
        domains = " ".join(b.domain for b in world.businesses)
        print(f"  .venv/bin/cyberbasics scan {domains} \\\n      {args}")
        print("\nAn active scan (ports, banners, private files) of the same lab, which you "
              "may scan:\n"
              f"  .venv/bin/cyberbasics scan plumber.example --active --permission-confirmed "
              f"\\\n      {args}", flush=True)
        await stop.wait()


async def run_demo() -> int:
    from ..report.scan_output import print_text
    from ..scan.engine import scan_domains

    async with running_world() as world:
        print("Scanning the lab's demo businesses (all servers run on this machine):")
        for business in world.businesses:
            print(f"  {business.domain:20} {business.story}")
        results = await scan_domains([b.domain for b in world.businesses], world.config())
    print_text(results)
    print("\nTry it yourself: `.venv/bin/cyberbasics lab` runs the lab and prints the scan "
          "command.")
    print("The inside view: `.venv/bin/cyberbasics assess -o answers.yaml` asks the questions; "
          "`.venv/bin/cyberbasics assess --answers src/cyberbasics/lab/answers/florist.yaml` "
          "scores the florist's.")
    return 0
