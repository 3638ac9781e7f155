"""The critical path of one domain's passive scan, in round trips, from the lab's zone data
and what its web servers answer.

A scan asks dozens of questions, and most of them can be asked at once. Some cannot: a
question that needs an earlier answer, either to be formed at all (NS → the nameserver's
address → SOA at that address) or to know whether it must be asked (CAA at the parent only
when the domain has none), has to wait for it. The critical path is the longest such chain
of dependent round trips; no scan, however parallel, can finish in less than that many
round-trip times (RTT).

The chains are computed from the records the lab serves (the demo businesses and the
provider zones in `cyberbasics.lab.world`), from what each mail host offers and from what
each web server answers (`Websites`: redirects, refused connections, certificates that fail),
never from a scanner's trace. Each chain counts what is logically needed, not what a
particular scanner happens to do: every DNSSEC key and DS along the chain is known from the
name alone (1), a failed certificate verification needs no second session (mail or web: the
certificate came in the first handshake), the A and AAAA of a name are asked together (1),
the TLS probes (one ClientHello per old version and weak suite class) need only the address,
not the full handshake, and a redirect to a URL already being fetched waits for that fetch
instead of asking again.

Costs, in RTT, as the lab's delaying proxy models them (see `running_world(delay=...)`):

* a DNS query: 1 (a truncated answer retried over TCP is not modelled: the lab's answers fit);
* connecting to a server that speaks first (SMTP): 1.5 until its banner arrives (the TCP
  handshake, then half a round trip for the banner);
* connecting to a server that waits for the client (HTTPS, plain HTTP): 1; a refused
  connection (a SYN answered by a reset) also costs 1;
* every later request and its response: 1, a TLS 1.3 handshake and a lone ClientHello
  answered by the ServerHello or an alert included.

The website chains follow `scan/evidence/web.py` and `tls.py`: the A/AAAA of the domain and of
www. are asked at the start (1); the HTTPS home page on both names and the plain-HTTP answer of
the domain are fetched at once (connect 1, TLS 1, GET 1), each redirect followed (a URL on an
origin not yet connected needs its own connect and handshake, and a host other than those two
its own A/AAAA first); security.txt is one more visit on the domain's origin; the TLS evidence
needs one handshake with the domain, or with www. when the domain has no address or refuses.

Usage::

    path = world_critical_path("bakery.example")
    path.rtt            # 6.5
    path.lines()        # one line per chain, the critical one marked
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import dns.rdata

from cyberbasics.lab.zones import ZoneSpec

DNS = 1.0  # one query and its answer
CONNECT_SERVER_FIRST = 1.5  # TCP handshake, then the server's greeting (SMTP banner)
CONNECT = 1.0  # TCP handshake before the client speaks (HTTPS)
EXCHANGE = 1.0  # a request and its response, or a TLS 1.3 handshake

MAX_SPF_DEPTH = 10  # RFC 7208 §4.6.4 allows 10 DNS-querying terms: no deeper chain counts
MAX_REDIRECTS = 5  # as `scan/evidence/web.py` follows (checked by a test)


@dataclass(frozen=True)
class Step:
    """One round trip (or part of one) in a chain: what is asked, and what it costs."""

    what: str
    rtt: float = DNS

    def to_json(self) -> dict:
        return {"what": self.what, "rtt": self.rtt}


@dataclass(frozen=True)
class Chain:
    """A sequence of round trips each of which needs the one before."""

    name: str
    steps: tuple[Step, ...]

    @property
    def rtt(self) -> float:
        return sum(step.rtt for step in self.steps)

    def describe(self) -> str:
        path = " → ".join(f"{s.what} ({s.rtt:g})" for s in self.steps)
        return f"{self.name}: {path} = {self.rtt:g} RTT"

    def to_json(self) -> dict:
        return {"name": self.name, "rtt": self.rtt, "steps": [s.to_json() for s in self.steps]}


@dataclass(frozen=True)
class CriticalPath:
    """Every chain of one domain's scan; the critical path is the longest."""

    domain: str
    chains: tuple[Chain, ...]

    @property
    def rtt(self) -> float:
        return max((chain.rtt for chain in self.chains), default=0.0)

    @property
    def critical(self) -> tuple[Chain, ...]:
        """The chain(s) as long as the critical path."""
        return tuple(chain for chain in self.chains if chain.rtt == self.rtt)

    def chain(self, name: str) -> Chain:
        return next(chain for chain in self.chains if chain.name == name)

    def breakdown(self) -> dict[str, float]:
        return {chain.name: chain.rtt for chain in self.chains}

    def lines(self) -> list[str]:
        return [("* " if chain in self.critical else "  ") + chain.describe()
                for chain in self.chains]

    def to_json(self) -> dict:
        return {"domain": self.domain, "rtt": self.rtt,
                "critical": [chain.name for chain in self.critical],
                "chains": [chain.to_json() for chain in self.chains]}


def _name(text: str) -> str:
    return text.strip().rstrip(".").lower()


class ZoneData:
    """The records a set of lab zones serves, and whether a name exists (NOERROR) or not.

    Built from the same `ZoneSpec`s the lab DNS server serves, with the SOA and NS records
    the lab adds to every zone. CNAMEs are not followed (the demo world has none).
    """

    def __init__(self, specs: Iterable[ZoneSpec]):
        self._records: dict[tuple[str, str], list[str]] = {}
        self._names: set[str] = set()
        for spec in specs:
            origin = _name(spec.origin)
            nameservers = spec.nameservers or (
                ("a.root-servers.lab",) if origin == "" else (f"ns1.{origin}", f"ns2.{origin}"))
            self._add(origin, "NS", *(_name(ns) + "." for ns in nameservers))
            self._add(origin, "SOA", f"{_name(nameservers[0])}. hostmaster.{origin}. "
                                     f"{spec.serial} 3600 600 604800 300")
            for owner, records in spec.records.items():
                for rdtype, text in records:
                    self._add(_name(owner), rdtype.upper(), text)

    @classmethod
    def from_records(cls, records: Mapping[str, Iterable[tuple[str, str]]]) -> ZoneData:
        """One zone (at the root) holding the records: for examples and tests."""
        return cls([ZoneSpec(".", records)])

    def _add(self, owner: str, rdtype: str, *texts: str) -> None:
        self._names.add(owner)
        self._records.setdefault((owner, rdtype), []).extend(texts)

    def records(self, name: str, rdtype: str) -> tuple[str, ...]:
        """The records' presentation text (TXT: the decoded, joined character-strings)."""
        texts = self._records.get((_name(name), rdtype.upper()), [])
        if rdtype.upper() == "TXT":
            return tuple(b"".join(dns.rdata.from_text("IN", "TXT", t).strings)
                         .decode("utf-8", "replace") for t in texts)
        return tuple(texts)

    def exists(self, name: str) -> bool:
        """Whether a query for the name gets NOERROR: it owns records, or names below it do
        (an empty non-terminal, such as `_domainkey.<domain>` above its selectors)."""
        name = _name(name)
        return name in self._names or any(n.endswith("." + name) for n in self._names)

    def addresses(self, name: str) -> tuple[str, ...]:
        return self.records(name, "A") + self.records(name, "AAAA")

    def mx_hosts(self, name: str) -> tuple[str, ...]:
        """The exchanges of the name's MX records, "" for a null MX (RFC 7505)."""
        pairs = sorted((int(text.split()[0]), _name(text.split()[1]))
                       for text in self.records(name, "MX"))
        return tuple(host for _, host in pairs)


# -- the chains ---------------------------------------------------------------------------


def critical_path(
    domain: str,
    zone: ZoneData,
    *,
    starttls: Mapping[str, bool] | None = None,
    selectors: tuple[Sequence[str], Sequence[str]] | None = None,
    websites: Websites | None = None,
) -> CriticalPath:
    """Every chain of dependent round trips in a passive scan of `domain` (all passive
    checks), and the longest.

    `starttls` says which mail hosts offer STARTTLS (default: all); `selectors` gives the
    two tiers of DKIM selectors a scan asks (default: the scanner's own lists: which names a
    scan asks is part of the question, not of its answer); `websites` what the web servers
    answer (default: every host with an address serves a page over HTTPS and HTTP).
    """
    domain = _name(domain)
    if selectors is None:
        selectors = _scanner_selectors()
    chains = (
        Chain("SOA/NS", (Step("SOA and NS"),)),
        _nameserver_serials(domain, zone),
        Chain("DNSSEC", (Step("every DNSKEY and DS from the anchor down, and the signed SOA "
                              "(all known from the name)"),)),
        _caa(domain, zone),
        _mail_servers(domain, zone, starttls or {}),
        _spf(domain, zone),
        _dmarc(domain, zone),
        _dkim(domain, zone, selectors),
        _mta_sts(domain, zone),
        Chain("TLS-RPT", (Step(f"TXT _smtp._tls.{domain}"),)),
        *_WebChains(domain, zone, websites or Websites()).chains(),
    )
    return CriticalPath(domain, chains)


def _scanner_selectors() -> tuple[Sequence[str], Sequence[str]]:
    from cyberbasics.protocols.dkim import COMMON_SELECTORS
    from cyberbasics.scan.evidence.email_auth import FIRST_SELECTORS

    first = [s for s in FIRST_SELECTORS if s in COMMON_SELECTORS]
    return first, [s for s in COMMON_SELECTORS if s not in first]


def _nameserver_serials(domain: str, zone: ZoneData) -> Chain:
    """NS → each nameserver's address → SOA asked at that address."""
    steps = [Step("NS")]
    names = zone.records(domain, "NS")
    if names:
        steps.append(Step("A/AAAA of each nameserver"))
        if any(zone.addresses(name) for name in names):
            steps.append(Step("SOA at each nameserver"))
    return Chain("nameserver serials", tuple(steps))


def _caa(domain: str, zone: ZoneData) -> Chain:
    """RFC 8659: the closest CAA set up the tree; a level is needed only when every level
    below it is empty (the scan stops above the top-level domain)."""
    labels = domain.split(".")
    steps = []
    for name in (".".join(labels[i:]) for i in range(max(1, len(labels) - 1))):
        steps.append(Step(f"CAA {name}"))
        if zone.records(name, "CAA"):
            break
    return Chain("CAA", tuple(steps))


def _mail_servers(domain: str, zone: ZoneData, starttls: Mapping[str, bool]) -> Chain:
    """MX → each host's A/AAAA → an SMTP session with each (in parallel): connect and
    banner, EHLO, then STARTTLS and the TLS handshake when the host offers STARTTLS."""
    steps = [Step("MX")]
    hosts = [h for h in zone.mx_hosts(domain) if h]  # "" is a null MX: no mail accepted
    if not hosts:
        return Chain("mail servers", tuple(steps))
    steps.append(Step("A/AAAA of each MX host"))
    sessions = []
    for host in hosts:
        if not zone.addresses(host):
            continue
        session = [Step(f"connect to {host}, banner", CONNECT_SERVER_FIRST),
                   Step("EHLO", EXCHANGE)]
        if starttls.get(host, True):
            session += [Step("STARTTLS", EXCHANGE), Step("TLS 1.3 handshake", EXCHANGE)]
        sessions.append(session)
    if sessions:
        steps += max(sessions, key=lambda s: sum(step.rtt for step in s))
    return Chain("mail servers", tuple(steps))


def _spf_record(zone: ZoneData, name: str) -> str | None:
    found = [t for t in zone.records(name, "TXT")
             if t.lower() == "v=spf1" or t.lower().startswith("v=spf1 ")]
    return found[0] if len(found) == 1 else None


def _spf(domain: str, zone: ZoneData) -> Chain:
    """TXT at the domain → each include/redirect target's TXT, level by level → for `a`,
    `mx` and `exists` terms at a level, their lookups (mx: MX, then its hosts' A/AAAA)."""
    return Chain("SPF", tuple(_spf_steps(zone, domain, ())))


def _spf_steps(zone: ZoneData, name: str, path: tuple[str, ...]) -> list[Step]:
    here = [Step(f"TXT {name}")]
    record = _spf_record(zone, name)
    if record is None or len(path) >= MAX_SPF_DEPTH:
        return here
    terms = [t.lower().lstrip("+-~?") for t in record.split()[1:]]
    if "all" in terms:  # terms after `all` are never evaluated, and redirect= is ignored
        terms = [t for t in terms[:terms.index("all")] if not t.startswith("redirect=")]
    longest: list[Step] = []
    for term in terms:
        steps = _spf_term_steps(zone, term, name, (*path, name))
        if sum(s.rtt for s in steps) > sum(s.rtt for s in longest):
            longest = steps
    return here + longest


def _spf_term_steps(zone: ZoneData, term: str, name: str, path: tuple[str, ...]) -> list[Step]:
    if term.startswith("redirect="):
        kind, spec = "redirect", term.partition("=")[2]
    else:
        kind, _, spec = term.partition(":")
        kind, spec = kind.partition("/")[0], spec.partition("/")[0]
    if "%" in spec:
        return []  # a macro: the target depends on the message, nothing to ask beforehand
    target = _name(spec) if spec else name
    if kind in ("include", "redirect"):
        # A loop back to a record already on the path asks nothing new.
        return [] if target in path else _spf_steps(zone, target, path)
    if kind == "a":
        return [Step(f"A/AAAA {target}")]
    if kind == "exists":
        return [Step(f"A {target}")]
    if kind == "mx":
        hosts = [h for h in zone.mx_hosts(target) if h]
        return [Step(f"MX {target}")] + ([Step("A/AAAA of its hosts")] if hosts else [])
    return []  # ip4, ip6, all, ptr (needs the client's address), exp, unknown modifiers


def _dmarc_tags(zone: ZoneData, name: str) -> dict[str, str] | None:
    records = [t for t in zone.records(name, "TXT") if t.replace(" ", "").startswith("v=DMARC1")]
    if len(records) != 1:
        return None
    tags = {}
    for part in records[0].split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags[key.strip().lower()] = value.strip()
    return tags


def dmarc_walk_targets(domain: str) -> list[str]:
    """RFC 9989 §4.10: the names queried after the domain, one label fewer each time
    (from eight labels or more, jumping to the last seven first)."""
    labels = domain.split(".")
    start = len(labels) - 1 if len(labels) < 8 else 7
    return [".".join(labels[-keep:]) for keep in range(start, 0, -1)]


def _dmarc(domain: str, zone: ZoneData) -> Chain:
    """`_dmarc.<domain>` → the RFC 9989 tree walk, each level needed only if the one before
    did not end it (a psd=y/n record) → the external report authorisation of each `rua`
    outside the organisational domain (which the walk determines).

    The walk runs when the domain has no record (to find the one that applies), and also
    when it has one without psd=n: the organisational domain is still needed (to compare
    with the Public Suffix List's, and to tell which report addresses are external).
    """
    steps = [Step(f"TXT _dmarc.{domain}")]
    own = _dmarc_tags(zone, f"_dmarc.{domain}")
    found: list[tuple[str, dict[str, str]]] = [(domain, own)] if own else []
    if own is None or own.get("psd") != "n":
        for target in dmarc_walk_targets(domain):
            steps.append(Step(f"TXT _dmarc.{target}"))
            tags = _dmarc_tags(zone, f"_dmarc.{target}")
            if tags is not None:
                found.append((target, tags))
                if tags.get("psd") in ("y", "n"):
                    break
    record = own if own is not None else (found[-1][1] if found else None)
    if record is None:
        return Chain("DMARC", tuple(steps))
    org = _organisational_domain(domain, found)
    external = [host for host in _report_hosts(record.get("rua", ""))
                if host != org and not host.endswith("." + org)]
    if external:
        steps.append(Step("TXT " + ", ".join(f"{domain}._report._dmarc.{h}" for h in external)))
    return Chain("DMARC", tuple(steps))


def _organisational_domain(domain: str, found: list[tuple[str, dict[str, str]]]) -> str:
    """RFC 9989 §4.10.2, from the records found longest name first."""
    for name, tags in found:
        if tags.get("psd") == "n":
            return name
        if tags.get("psd") == "y" and name != domain:
            keep = name.count(".") + 2
            return ".".join(domain.split(".")[-keep:])
    return min((name for name, _ in found), key=lambda n: n.count("."), default=domain)


def _report_hosts(rua: str) -> list[str]:
    hosts = []
    for uri in filter(None, (u.strip() for u in rua.split(","))):
        uri = uri.split("!")[0]
        host = uri.rpartition("@")[2] if uri.lower().startswith("mailto:") else \
            uri.partition("://")[2].partition("/")[0]
        if host:
            hosts.append(_name(host))
    return hosts


def _dkim(domain: str, zone: ZoneData, selectors: tuple[Sequence[str], Sequence[str]]) -> Chain:
    """`_domainkey.<domain>` (NXDOMAIN: no selector can exist, RFC 8020) → the first tier of
    selectors → the second tier, only when no first-tier selector has a key."""
    steps = [Step(f"TXT _domainkey.{domain}")]
    if not zone.exists(f"_domainkey.{domain}"):
        return Chain("DKIM", tuple(steps))
    first, rest = selectors
    steps.append(Step(f"TXT of {len(first)} first selectors"))
    if rest and not any(_has_dkim_key(zone, f"{s}._domainkey.{domain}") for s in first):
        steps.append(Step(f"TXT of {len(rest)} other selectors"))
    return Chain("DKIM", tuple(steps))


def _has_dkim_key(zone: ZoneData, name: str) -> bool:
    for text in zone.records(name, "TXT"):
        tags = dict(part.strip().partition("=")[::2] for part in text.split(";"))
        if tags.get("p", "").strip():
            return True
    return False


def _mta_sts(domain: str, zone: ZoneData) -> Chain:
    """`_mta-sts.<domain>` TXT → (with a record) `mta-sts.<domain>` A/AAAA → connect → TLS
    handshake → GET of the policy."""
    steps = [Step(f"TXT _mta-sts.{domain}")]
    if any(t.replace(" ", "").startswith("v=STSv1") for t in zone.records(
            f"_mta-sts.{domain}", "TXT")):
        host = f"mta-sts.{domain}"
        steps.append(Step(f"A/AAAA {host}"))
        if zone.addresses(host):
            steps += [Step("connect", CONNECT), Step("TLS 1.3 handshake", EXCHANGE),
                      Step("GET /.well-known/mta-sts.txt", EXCHANGE)]
    return Chain("MTA-STS", tuple(steps))


# -- the website --------------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}"


@dataclass(frozen=True)
class Websites:
    """What the lab's web servers answer, as far as the chains need it.

    `redirects` maps a URL, or an origin (`https://host`, every path, the path kept, as the
    lab's `Site.redirect_to`), to the Location it answers; an exact URL wins. `refused` holds
    the origins where nothing listens, `bad_certificate` the hosts whose certificate fails
    verification. Any other URL on a host with an address answers with a page (or an error
    status: either way the visit ends there).
    """

    redirects: Mapping[str, str] = field(default_factory=dict)
    refused: frozenset[str] = frozenset()
    bad_certificate: frozenset[str] = frozenset()

    def location(self, url: str) -> str | None:
        """Where `url` redirects to, or None when it answers with a page."""
        if url in self.redirects:
            return self.redirects[url]
        base = self.redirects.get(_origin(url))
        if base is None:
            return None
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return base.rstrip("/") + target


@dataclass(frozen=True)
class _Answer:
    """A fetch in the model: the round trips until its answer, and what it answered."""

    steps: tuple[Step, ...]
    kind: str  # "page", "redirect", "no_address", "refused", "certificate"
    location: str | None = None

    @property
    def rtt(self) -> float:
        return sum(step.rtt for step in self.steps)


def _later(*paths: tuple[Step, ...]) -> tuple[Step, ...]:
    """Of paths that must all be done, the one that ends last (on a tie, the last given)."""
    return max(reversed(paths), key=lambda path: sum(step.rtt for step in path))


class _WebChains:
    """The website (home pages and plain HTTP), security.txt and TLS chains of a domain."""

    def __init__(self, domain: str, zone: ZoneData, websites: Websites):
        self.domain, self.zone, self.sites = domain, zone, websites
        self.www = f"www.{domain}"
        self.hosts = (domain, self.www)  # their A/AAAA are asked at the start
        self.starts = {f"https://{domain}/": (), f"https://{self.www}/": (),
                       f"http://{domain}/": ()}
        self._start_answers: dict[str, _Answer] = {}

    def chains(self) -> tuple[Chain, ...]:
        website = max((self._visit(url) for url in (f"https://{self.domain}/",
                                                     f"https://{self.www}/")),
                      key=lambda a: a.rtt)
        http = self._plain_http()
        if http.rtt > website.rtt:
            website = http
        security = self._visit(f"https://{self.domain}/.well-known/security.txt")
        return (Chain("website", website.steps), Chain("security.txt", security.steps),
                self._tls())

    def _address(self, host: str, known: tuple[Step, ...]) -> tuple[Step, ...]:
        if host in self.hosts:
            return (Step(f"A/AAAA {host}"),)
        return (*known, Step(f"A/AAAA {host}"))

    def _fetch(self, url: str, known: tuple[Step, ...]) -> _Answer:
        """GET `url`, which became known after the round trips `known` (none: a start)."""
        if url in self.starts and known:  # fetched from the start: wait for that answer
            first = self._fetch(url, ())
            return _Answer(_later(known, first.steps), first.kind, first.location)
        if url in self._start_answers:
            return self._start_answers[url]
        parts = urlsplit(url)
        host, origin = (parts.hostname or "").lower(), _origin(url)
        address = self._address(host, known)
        if not self.zone.addresses(host):
            return _Answer(address, "no_address")
        # The origins fetched from the start are connected from the start; others once the
        # redirect naming them has arrived.
        started = any(_origin(start) == origin for start in self.starts)
        ready = address if started else _later(address, known)
        if origin in self.sites.refused:
            return _Answer((*ready, Step(f"connect to {host}: refused", CONNECT)), "refused")
        ready = (*ready, Step(f"connect to {host}", CONNECT))
        if parts.scheme == "https":
            ready = (*ready, Step("TLS 1.3 handshake", EXCHANGE))
            if host in self.sites.bad_certificate:
                return _Answer(ready, "certificate")
        location = self.sites.location(url)
        answer = _Answer((*_later(ready, known), Step(f"GET {url}", EXCHANGE)),
                         "redirect" if location else "page", location)
        if not known:
            self._start_answers[url] = answer
        return answer

    def _visit(self, url: str) -> _Answer:
        """A visit as `web.visit` makes it: GET, then each redirect, MAX_REDIRECTS at most."""
        answer = self._fetch(url, ())
        seen = {url}
        for _ in range(MAX_REDIRECTS):
            if answer.kind != "redirect":
                break
            target = urljoin(url, answer.location.strip())
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or not parts.hostname or \
                    parts.port not in (None, 80, 443) or target in seen:
                break  # the visit stops without asking anything more
            seen.add(target)
            url, answer = target, self._fetch(target, answer.steps)
        return answer

    def _plain_http(self) -> _Answer:
        """The first answer of http://<domain>/ (not followed); http://www.<domain>/ when the
        domain has no address (a www-only site)."""
        answer = self._fetch(f"http://{self.domain}/", ())
        if answer.kind == "no_address":
            answer = self._fetch(f"http://{self.www}/", answer.steps)
        return answer

    def _tls(self) -> Chain:
        """A/AAAA of both names → a handshake with the domain; with www. only when the
        domain has no address or refuses (the probes, alongside, need only the address)."""
        steps = [Step(f"A/AAAA {self.domain} and {self.www}")]
        for host in self.hosts:
            if not self.zone.addresses(host):
                continue
            if f"https://{host}" in self.sites.refused:
                steps.append(Step(f"connect to {host}: refused", CONNECT))
                continue
            steps += [Step(f"connect to {host}", CONNECT),
                      Step("TLS 1.3 handshake, and alongside one ClientHello per old version "
                           "and weak suite class", EXCHANGE)]
            break
        return Chain("TLS", tuple(steps))


# -- the lab's demo world -----------------------------------------------------------------


def world_zone_data() -> tuple[ZoneData, dict[str, bool]]:
    """The demo world's zone data, and which of its mail hosts offer STARTTLS."""
    from cyberbasics.lab.world import demo_businesses, zone_specs

    businesses = demo_businesses()
    starttls = {h.name: h.starttls for b in businesses for h in b.mail_hosts}
    return ZoneData(zone_specs(businesses)), starttls


def world_websites() -> Websites:
    """What the demo world's web servers answer (`lab.world._sites`): plain HTTP redirects
    to https://<domain> or https://www.<domain> ("redirect", "www") or serves a page; a
    business without HTTPS (`https=False`) gets the default site's certificate, which names
    another host."""
    from cyberbasics.lab.world import demo_businesses

    redirects: dict[str, str] = {}
    bad: set[str] = set()
    for business in demo_businesses():
        site, domain = business.website, business.domain
        if site is None:
            continue
        if not site.https:
            bad |= {domain, f"www.{domain}"}
        if site.http in ("redirect", "www"):
            target = f"https://www.{domain}" if site.http == "www" else f"https://{domain}"
            redirects[f"http://{domain}"] = redirects[f"http://www.{domain}"] = target
    return Websites(redirects, frozenset(), frozenset(bad))


def world_critical_path(domain: str) -> CriticalPath:
    zone, starttls = world_zone_data()
    return critical_path(domain, zone, starttls=starttls, websites=world_websites())


if __name__ == "__main__":
    import sys

    for name in sys.argv[1:] or ["bakery.example", "florist.example", "plumber.example"]:
        found = world_critical_path(name)
        print(f"{name}: critical path {found.rtt:g} RTT")
        print("\n".join(found.lines()))
