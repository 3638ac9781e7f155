"""A lab corpus of small-business domains with varied, realistic records and websites.

Most small businesses sit on a few big providers (hosted mail with long SPF include chains,
shared MX hosts, shared DNS hosting, a site builder or a shared web host), and a minority have
broken or odd records, an old plain-HTTP site, a bad certificate or no website at all. The mix
below imitates that, deterministically (seeded), under the reserved `.example` TLD.

The websites are drawn with their own random sequence, after the mail and DNS records, so
adding them left every domain's mail records as they were (the part-1 throughput figure and
the checkdmarc comparison still scan the same records).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from cyberbasics.lab.world import dkim_public_key, txt
from cyberbasics.lab.zones import ZoneSpec

SHARED_NS = ("ns1.dnshost.example", "ns2.dnshost.example")
MX_ADDRESSES = {  # the providers' mail servers, each served by a lab SMTP server
    "mx1.m365.example": "127.0.40.1",
    "aspmx.gmail.example": "127.0.40.2",
    "alt1.aspmx.gmail.example": "127.0.40.3",
    "mx.hoster.example": "127.0.40.4",
}
WEB_ADDRESS = "127.0.40.10"  # mta-sts.<domain> for the domains that publish a policy
HOSTER_WEB = "198.51.100.80"  # the hosting package's web server, before the corpus had sites

PROVIDER_RECORDS = {
    "ns1.dnshost.example": [("A", "127.0.0.1")],
    "ns2.dnshost.example": [("A", "127.0.0.1")],
    **{name: [("A", address)] for name, address in MX_ADDRESSES.items()},
    # A hosted-mail provider with a nested include chain, as the big ones have.
    "spf.m365.example": [txt("v=spf1 include:spf-a.m365.example include:spf-b.m365.example "
                             "-all")],
    "spf-a.m365.example": [txt("v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:1::/48 -all")],
    "spf-b.m365.example": [txt("v=spf1 ip4:203.0.113.0/25 include:spf-c.m365.example -all")],
    "spf-c.m365.example": [txt("v=spf1 ip4:203.0.113.128/25 -all")],
    "_spf.gmail.example": [txt("v=spf1 include:_netblocks.gmail.example "
                               "include:_netblocks2.gmail.example "
                               "include:_netblocks3.gmail.example ~all")],
    "_netblocks.gmail.example": [txt("v=spf1 ip4:198.51.100.0/25 ~all")],
    "_netblocks2.gmail.example": [txt("v=spf1 ip6:2001:db8:2::/48 ~all")],
    "_netblocks3.gmail.example": [txt("v=spf1 ip4:203.0.113.0/24 ~all")],
    "spf.hoster.example": [txt("v=spf1 a:relay.hoster.example ~all")],
    "relay.hoster.example": [("A", "198.51.100.50")],
    "spf.mailer.example": [txt("v=spf1 include:spf1.mailer.example include:spf2.mailer.example "
                               "~all")],
    "spf1.mailer.example": [txt("v=spf1 ip4:198.51.100.128/25 ~all")],
    "spf2.mailer.example": [txt("v=spf1 ip4:203.0.113.64/26 ~all")],
    # A bloated marketing stack: with the rest, it takes a record past 10 lookups.
    **{f"s{n}.bloat.example": [txt(f"v=spf1 include:s{n + 1}.bloat.example ~all")]
       for n in range(9)},
    "s9.bloat.example": [txt("v=spf1 ip4:198.51.100.99 ~all")],
    "dmarc-reports.example": [("MX", "10 mx.hoster.example.")],
    "*._report._dmarc.dmarc-reports.example": [txt("v=DMARC1")],
}


@dataclass
class CorpusDomain:
    domain: str
    kind: str
    records: dict = field(default_factory=dict)
    signed: bool = False
    dnssec_fault: str | None = None
    mta_sts_policy: str | None = None
    website: CorpusSite | None = None


def _mail(kind: str, d: str, rng: random.Random) -> tuple[dict, str | None]:
    dmarc_policy = rng.choice(["none", "quarantine", "reject", None])
    records: dict = {}
    policy = None
    if kind == "m365":
        records[d] = [("MX", "0 mx1.m365.example."), txt("v=spf1 include:spf.m365.example -all")]
        records[f"selector1._domainkey.{d}"] = [txt(f"v=DKIM1; k=rsa; p={dkim_public_key(2048)}")]
        mx = ["mx1.m365.example"]
    elif kind == "gmail":
        records[d] = [("MX", "1 aspmx.gmail.example."), ("MX", "5 alt1.aspmx.gmail.example."),
                      txt("v=spf1 include:_spf.gmail.example ~all")]
        records[f"google._domainkey.{d}"] = [txt(f"v=DKIM1; k=rsa; p={dkim_public_key(1024)}")]
        mx = ["aspmx.gmail.example", "alt1.aspmx.gmail.example"]
    else:  # a hosting package: mail on the hoster, a marketing sender included
        records[d] = [("MX", "10 mx.hoster.example."),
                      txt("v=spf1 a mx include:spf.hoster.example include:spf.mailer.example "
                          "~all"), ("A", HOSTER_WEB)]
        mx = ["mx.hoster.example"]
    if dmarc_policy:
        rua = rng.choice(["", f"; rua=mailto:dmarc@{d}", "; rua=mailto:x@dmarc-reports.example"])
        records[f"_dmarc.{d}"] = [txt(f"v=DMARC1; p={dmarc_policy}{rua}")]
    if rng.random() < 0.2:
        records[f"_smtp._tls.{d}"] = [txt(f"v=TLSRPTv1; rua=mailto:tls@{d}")]
    if rng.random() < 0.1:
        records[f"_mta-sts.{d}"] = [txt("v=STSv1; id=2026")]
        records[f"mta-sts.{d}"] = [("A", WEB_ADDRESS)]
        mode = rng.choice(["enforce", "testing"])
        policy = f"version: STSv1\nmode: {mode}\n" + "".join(f"mx: {m}\n" for m in mx) + \
            "max_age: 604800\n"
    return records, policy


def _broken(d: str, rng: random.Random) -> dict:
    variant = rng.randrange(6)
    apex = [("MX", "10 mx.hoster.example.")]
    if variant == 0:
        apex += [txt("v=spf1 mx -all"), txt("v=spf1 a -all")]  # two SPF records
    elif variant == 1:
        apex += [txt("v=spf1 mx include: -all")]  # syntax error
    elif variant == 2:
        apex += [txt("v=spf1 +all")]
    elif variant == 3:
        apex += [txt("v=spf1 include:s0.bloat.example include:spf.m365.example mx ~all")]
    elif variant == 4:
        apex += [txt("v=spf1 include:gone.example include:also-gone.example "
                     "include:never.example -all")]  # void lookups
    else:
        apex += [txt("v=spf1 mx ~all")]
    records = {d: apex}
    if variant in (1, 5):
        records[f"_dmarc.{d}"] = [txt("v=DMARC1; p=bogus; rua=nowhere")]
    return records


def build_corpus(count: int = 1000, seed: int = 7, *,
                 websites: bool = True) -> list[CorpusDomain]:
    rng = random.Random(seed)
    domains = []
    for n in range(count):
        d = f"biz{n:04d}.example"
        roll = rng.random()
        policy = None
        if roll < 0.35:
            kind = "m365"
        elif roll < 0.60:
            kind = "gmail"
        elif roll < 0.80:
            kind = "hosting"
        elif roll < 0.92:
            kind = "broken"
        else:
            kind = "nomail"
        if kind in ("m365", "gmail", "hosting"):
            records, policy = _mail(kind, d, rng)
        elif kind == "broken":
            records = _broken(d, rng)
        else:
            records = {d: [("MX", "0 ."), txt("v=spf1 -all")],
                       f"_dmarc.{d}": [txt("v=DMARC1; p=reject")]}
        signed = rng.random() < 0.3
        fault = "wrong_ds" if signed and rng.random() < 0.05 else None
        domains.append(CorpusDomain(d, kind, records, signed, fault, policy))
    if websites:
        web_rng = random.Random(seed + 2)  # its own sequence: the records above stay as they were
        for item in domains:
            item.website = _website(item, web_rng)
            _add_web_records(item)
    return domains


def slow_names(corpus: list[CorpusDomain], seed: int = 7) -> dict[str, str]:
    """A few names answer slowly or not at all, as real servers sometimes do."""
    rng = random.Random(seed + 1)
    faults = {}
    for item in corpus:
        roll = rng.random()
        if roll < 0.02:
            faults[f"_dmarc.{item.domain}"] = "delay:0.4"
        elif roll < 0.03:
            faults[f"_smtp._tls.{item.domain}"] = "servfail"
    return faults


def zone_specs(corpus: list[CorpusDomain]) -> list[ZoneSpec]:
    specs = [ZoneSpec(".", {}, signed=True),
             ZoneSpec("example", PROVIDER_RECORDS, signed=True, nameservers=SHARED_NS)]
    for item in corpus:
        specs.append(ZoneSpec(item.domain, item.records, signed=item.signed,
                              dnssec_fault=item.dnssec_fault, nameservers=SHARED_NS))
    return specs


# -- websites ----------------------------------------------------------------------------

# The web hosts the corpus's sites live on, each on its own loopback address; lab_process
# serves every HTTPS host on one port and every plain-HTTP host on another (the port map).
WEB_HOSTS = {
    "builder": "127.0.41.1",  # a hosted site builder: www. canonical, HSTS, no CSP
    "shared": "127.0.41.2",  # cPanel-style shared hosting, mostly WordPress
    "hoster": "127.0.41.3",  # the hosting package's web server (mail on mx.hoster.example)
    "legacy": "127.0.41.4",  # an old control panel that still accepts TLS 1.0 and 1.1
    "plain": "127.0.41.5",  # an old server with plain HTTP only: nothing listens on 443
    "slow": "127.0.41.6",  # an overloaded host: every exchange takes SLOW_DELAY longer
}
HTTPS_HOSTS = ("builder", "shared", "hoster", "legacy", "slow")
HTTP_HOSTS = ("builder", "shared", "hoster", "legacy", "plain", "slow")
SLOW_DELAY = 0.3
BAD_CERTIFICATES = ("expired", "wrong_name", "self_signed", "not_yet_valid")

# Profile → share of the domains that are not on the hosting package (those are "hosted").
WEB_PROFILES = (
    ("none", 0.08),  # no website: no A record for the domain or www.
    ("builder", 0.25),  # site builder: the domain redirects to www., HSTS, no CSP
    ("wordpress", 0.37),  # shared host: www. redirects to the domain, headers vary
    ("hosted", 0.05),  # hosting package: the same page on both names, few headers
    ("www_only", 0.04),  # only www. has an address
    ("plain", 0.07),  # plain HTTP only (connections to 443 are refused)
    ("legacy", 0.05),  # TLS 1.0 still accepted, no redirect from plain HTTP
    ("bad_cert", 0.04),  # expired, wrong-name, self-signed or not-yet-valid certificate
    ("no_https_site", 0.03),  # the shared host has no HTTPS site for it: its default cert
    ("slow", 0.02),  # a WordPress site on the slow host
)


@dataclass(frozen=True)
class CorpusSite:
    """A domain's website on one of WEB_HOSTS."""

    host: str  # a key of WEB_HOSTS
    profile: str
    names: tuple[str, ...]  # the names with an address: the domain, www., or both
    canonical: str  # the name serving the home page over HTTPS; the other redirects to it
    https: bool = True  # the HTTPS server has a site (and a certificate) for these names
    www_redirects: bool = True  # the non-canonical name redirects (else: the same page)
    cert_kind: str = "good"
    cert_key: str = "ec256"
    http: str = "redirect"  # plain HTTP: "redirect" to https://<canonical>/, or "page"
    headers: tuple[tuple[str, str], ...] = ()  # the home page's (HTTPS and plain HTTP)
    body: str = ""
    security_txt: bool = False
    home_redirect: str | None = None  # "/" first redirects to this path (a language page)


def _page_body(title: str, *, generator: str | None = None, insecure: str | None = None) -> str:
    head = f"<title>{title}</title>"
    if generator:
        head += f'<meta name="generator" content="{generator}">'
    head += '<link rel="stylesheet" href="/assets/site.css"><script src="/assets/site.js">' \
            "</script>"
    if insecure == "script":
        head += '<script src="http://cdn.widgets.example/chat.js"></script>'
    body = '<h1>Welcome</h1><img src="/images/shop.jpg" alt="">'
    if insecure == "image":
        body += '<img src="http://cdn.widgets.example/badge.png" alt="">'
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def _wordpress_headers(rng: random.Random) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = [("Server", "Apache"), ("Link", '</wp-json/>; rel="https:'
                                                                     '//api.w.org/"')]
    if rng.random() < 0.35:
        age = rng.choice(["31536000", "15552000", "86400"])
        headers.append(("Strict-Transport-Security", f"max-age={age}"))
    if rng.random() < 0.10:
        headers.append(("Content-Security-Policy", rng.choice([
            "default-src 'self'; frame-ancestors 'self'; object-src 'none'",
            "script-src 'self' 'unsafe-inline' 'unsafe-eval'; img-src *",
            "upgrade-insecure-requests"])))
    if rng.random() < 0.40:
        headers.append(("X-Frame-Options", "SAMEORIGIN"))
    if rng.random() < 0.40:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if rng.random() < 0.20:
        headers.append(("Referrer-Policy", rng.choice(["strict-origin-when-cross-origin",
                                                       "no-referrer-when-downgrade"])))
    if rng.random() < 0.5:
        headers.append(("Set-Cookie", "PHPSESSID=4f2c9a; path=/"
                        + ("; Secure; HttpOnly" if rng.random() < 0.5 else "")))
    return tuple(headers)


def _website(item: CorpusDomain, rng: random.Random) -> CorpusSite | None:
    roll = rng.random()
    profile = "none"
    if item.kind == "hosting":
        profile = "hosted"  # the hosting package comes with its web space
    elif item.kind == "nomail" and roll < 0.5:
        profile = "none"  # parked
    else:
        roll = rng.random()
        for name, share in WEB_PROFILES:
            if roll < share:
                profile = name
                break
            roll -= share
    both = ("apex", "www")
    wp_version = f"WordPress 6.{rng.randrange(2, 7)}.{rng.randrange(0, 4)}"
    insecure = rng.choice([None] * 8 + ["image", "script"])
    if profile == "none":
        return None
    if profile == "builder":
        return CorpusSite(
            "builder", profile, both, "www",
            headers=(("Strict-Transport-Security", "max-age=31536000"),
                     ("X-Content-Type-Options", "nosniff"),
                     ("Referrer-Policy", "strict-origin-when-cross-origin"),
                     ("Set-Cookie", "_sb_session=a81f; Path=/; Secure; HttpOnly; SameSite=Lax")),
            body=_page_body(item.domain), home_redirect="/en/" if rng.random() < 0.15 else None)
    if profile in ("wordpress", "slow", "bad_cert", "no_https_site", "www_only"):
        cert_kind = rng.choice(BAD_CERTIFICATES) if profile == "bad_cert" else "good"
        return CorpusSite(
            "slow" if profile == "slow" else "shared", profile,
            ("www",) if profile == "www_only" else both,
            "www" if profile == "www_only" else "apex",
            https=profile != "no_https_site", cert_kind=cert_kind,
            cert_key="rsa2048" if rng.random() < 0.4 else "ec256",
            http="page" if profile == "no_https_site" or rng.random() < 0.15 else "redirect",
            headers=_wordpress_headers(rng),
            body=_page_body(item.domain, generator=wp_version, insecure=insecure),
            security_txt=rng.random() < 0.10)
    if profile == "hosted":
        powered = (("X-Powered-By", "PHP/8.1.2"),) if rng.random() < 0.3 else ()
        return CorpusSite("hoster", profile, both, "apex", www_redirects=False,
                          cert_key="rsa2048",
                          http="page" if rng.random() < 0.4 else "redirect",
                          headers=(("Server", "Apache/2.4.57 (Debian)"), *powered),
                          body=_page_body(item.domain, insecure=insecure),
                          security_txt=rng.random() < 0.05)
    if profile == "plain":
        return CorpusSite("plain", profile, both, "apex", https=False, www_redirects=False,
                          http="page",
                          headers=(("Server", "Apache/2.2.15 (CentOS)"),
                                   ("X-Powered-By", "PHP/5.4.16"),
                                   ("Set-Cookie", "PHPSESSID=77ab; path=/")),
                          body=_page_body(item.domain, generator="Joomla! 1.5 - Open Source "
                                                                 "Content Management"))
    assert profile == "legacy"
    return CorpusSite("legacy", profile, both, "apex", www_redirects=False, cert_key="rsa2048",
                      http="page",
                      headers=(("Server", "Microsoft-IIS/8.5"), ("X-AspNet-Version", "4.0.30319"),
                               ("X-Powered-By", "ASP.NET")),
                      body=_page_body(item.domain))


def _host_name(domain: str, name: str) -> str:
    return domain if name == "apex" else f"www.{domain}"


def _add_web_records(item: CorpusDomain) -> None:
    """The A records of the site's names; the hosting package's old apex A goes."""
    apex = item.records.setdefault(item.domain, [])
    apex[:] = [r for r in apex if r != ("A", HOSTER_WEB)]
    site = item.website
    if site is None:
        return
    address = WEB_HOSTS[site.host]
    for name in site.names:
        item.records.setdefault(_host_name(item.domain, name), []).append(("A", address))


def web_sites(corpus: list[CorpusDomain], *, tls: bool) -> dict[str, dict]:
    """For each web host (a key of WEB_HOSTS), its sites by name (`lab.web.Site`), the
    host's own placeholder site first (the default for unknown names and no SNI)."""
    from cyberbasics.lab.web import Response, Site

    hosts = HTTPS_HOSTS if tls else HTTP_HOSTS
    placeholder = Response(200, (("Content-Type", "text/html; charset=utf-8"),),
                           b"<html><body>Site not configured</body></html>")
    sites: dict[str, dict] = {h: {f"{h}-host.example": Site(routes={"/": placeholder})}
                              for h in hosts}
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=180)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for item in corpus:
        site = item.website
        if site is None or site.host not in hosts or (tls and not site.https):
            continue
        d = item.domain
        canonical = _host_name(d, site.canonical)
        page = Response(200, (("Content-Type", "text/html; charset=utf-8"), *site.headers),
                        site.body.encode())
        if not tls:
            if site.http == "page":
                served = Site(routes={"/": page})
            else:
                served = Site(redirect_to=f"https://{canonical}")
            for name in site.names:
                sites[site.host][_host_name(d, name)] = served
            continue
        routes = {"/": page}
        if site.home_redirect:
            routes = {"/": Response(302, (("Location", site.home_redirect),)),
                      site.home_redirect: page}
        if site.security_txt:
            routes["/.well-known/security.txt"] = Response.text(
                f"Contact: mailto:security@{d}\nExpires: {expires}\n")
        home = Site(cert_kind=site.cert_kind, cert_key=site.cert_key, routes=routes)
        other = Site(cert_kind=site.cert_kind, cert_key=site.cert_key,
                     redirect_to=f"https://{canonical}") if site.www_redirects else home
        for name in ("apex", "www"):
            host_name = _host_name(d, name)
            sites[site.host][host_name] = home if host_name == canonical else other
    return sites


def web_mix(corpus: list[CorpusDomain]) -> dict[str, int]:
    """How many domains have each website profile ("none": no website)."""
    return dict(Counter(c.website.profile if c.website else "none" for c in corpus))


def websites_model(corpus: list[CorpusDomain]):
    """What the corpus's web servers answer, for the critical path model
    (`critical_path.Websites`), from the same sites `web_sites` gives the lab."""
    from critical_path import Websites

    redirects: dict[str, str] = {}
    refused: set[str] = set()
    bad: set[str] = set()
    https_sites, http_sites = web_sites(corpus, tls=True), web_sites(corpus, tls=False)
    for item in corpus:
        site = item.website
        if site is None:
            continue
        names = [_host_name(item.domain, name) for name in ("apex", "www")]
        for scheme, sites in (("https", https_sites), ("http", http_sites)):
            served = sites.get(site.host)
            if served is None:  # no server of this kind on the host: nothing listens
                refused |= {f"{scheme}://{name}" for name in names}
                continue
            for name in names:
                lab_site = served.get(name)
                if lab_site is None:
                    if scheme == "https":  # the host's default site: another name's certificate
                        bad.add(name)
                    continue
                if scheme == "https" and lab_site.cert_kind not in ("good", "expiring_soon"):
                    bad.add(name)
                if lab_site.redirect_to:
                    redirects[f"{scheme}://{name}"] = lab_site.redirect_to
                for path, response in lab_site.routes.items():
                    location = response.header("location")
                    if location:
                        redirects[f"{scheme}://{name}{path}"] = location
    return Websites(redirects, frozenset(refused), frozenset(bad))
