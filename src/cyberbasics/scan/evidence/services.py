"""Exposed services (active scans only): which well-known ports of the business's own
addresses accept connections from the internet, and what answers there.

Addresses: those of the domain and of www.<domain> (A and AAAA), and of the mail servers
(MX) whose names are inside the domain (``mail.<domain>``); a mail provider's servers
(``*.google.com``, ``*.outlook.com``) are not the business's to let us scan, so they are
listed as skipped. At most `MAX_ADDRESSES`, each probed once per batch however many domains
share it (the session memo), under the target lock (never two scans of one address at once,
across processes too) and the rate limit (new connections per second per address).

Each port gets one TCP connection (two for a web port whose scheme guessed wrong, three for
a redirect followed on the same port), then a harmless exchange: read the greeting of
protocols whose servers speak first (SSH, FTP, SMTP, POP3, IMAP, MySQL, VNC, Telnet, rsync);
for the others send only the standard first message of any client, which authenticates
nothing (RDP's connection request, PostgreSQL's SSLRequest, Redis ``INFO server``, memcached
``version``, an HTTP GET of "/"), or send nothing and report an open port whose service is
unconfirmed (SMB, NetBIOS, NFS, MS SQL, MongoDB). POP3 and IMAP are asked for their
capabilities (CAPA, CAPABILITY) to see whether STARTTLS is offered. No login, ever.

Reading is bounded in bytes and time; a connection refused is a closed port, a connection
that times out a filtered one (dropped by a firewall: not reachable, said so), anything else
an error that never counts as a pass.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ...config import ScanConfig
from ...net.connect import client_tls_context
from ...net.guard import TargetRefused, refusal_reason
from ...net.ratelimit import RateLimiter, canonical_address, open_limited
from ...net.target_lock import TargetLockError, TargetLocks
from ...protocols import banners
from ..gather import DomainContext, collector
from ..software import SoftwareSeen

MAX_ADDRESSES = 6
GREETING_BYTES = 4096
HTTP_BYTES = 64 * 1024
USER_AGENT = "CyberBasics/0.1 (security review)"

OPEN, CLOSED, FILTERED, ERROR = "open", "closed", "filtered", "error"


@dataclass(frozen=True)
class ServicePort:
    port: int
    service: str  # what usually listens there, for people
    group: str  # the check that judges it, or "software" (read for names and versions only)
    probe: str  # how it is probed (see _Prober)


PORTS = (
    ServicePort(3389, "Remote Desktop (RDP)", "remote_access", "rdp"),
    ServicePort(5900, "VNC remote desktop", "remote_access", "vnc"),
    ServicePort(5901, "VNC remote desktop", "remote_access", "vnc"),
    ServicePort(23, "Telnet", "remote_access", "telnet"),
    ServicePort(445, "Windows file sharing (SMB)", "file_sharing", "silent"),
    ServicePort(139, "Windows file sharing (NetBIOS)", "file_sharing", "silent"),
    ServicePort(21, "FTP", "file_sharing", "ftp"),
    ServicePort(2049, "NFS file sharing", "file_sharing", "silent"),
    ServicePort(873, "rsync", "file_sharing", "rsync"),
    ServicePort(3306, "MySQL/MariaDB", "databases", "mysql"),
    ServicePort(5432, "PostgreSQL", "databases", "postgres"),
    ServicePort(1433, "Microsoft SQL Server", "databases", "silent"),
    ServicePort(27017, "MongoDB", "databases", "silent"),
    ServicePort(6379, "Redis", "databases", "redis"),
    ServicePort(9200, "Elasticsearch", "databases", "http"),
    ServicePort(11211, "memcached", "databases", "memcached"),
    ServicePort(5984, "CouchDB", "databases", "http"),
    ServicePort(2082, "cPanel", "admin_panels", "http"),
    ServicePort(2083, "cPanel (HTTPS)", "admin_panels", "https"),
    ServicePort(2086, "WHM (cPanel)", "admin_panels", "http"),
    ServicePort(2087, "WHM (cPanel, HTTPS)", "admin_panels", "https"),
    ServicePort(2222, "DirectAdmin", "admin_panels", "http"),
    ServicePort(5000, "Synology DiskStation", "admin_panels", "http"),
    ServicePort(5001, "Synology DiskStation (HTTPS)", "admin_panels", "https"),
    ServicePort(8080, "router and device web interfaces", "admin_panels", "http"),
    ServicePort(8443, "Plesk and device web interfaces (HTTPS)", "admin_panels", "https"),
    ServicePort(8880, "Plesk", "admin_panels", "http"),
    ServicePort(10000, "Webmin", "admin_panels", "https"),
    ServicePort(110, "POP3 mail", "mail_cleartext", "pop3"),
    ServicePort(143, "IMAP mail", "mail_cleartext", "imap"),
    ServicePort(22, "SSH", "ssh", "ssh"),
    ServicePort(25, "SMTP mail", "software", "smtp"),
    ServicePort(587, "SMTP mail submission", "software", "smtp"),
    ServicePort(443, "HTTPS", "software", "https"),
    ServicePort(4443, "HTTPS (VPN portals)", "software", "https"),
    ServicePort(10443, "HTTPS (VPN portals)", "software", "https"),
)
GROUPS = ("remote_access", "file_sharing", "databases", "admin_panels", "mail_cleartext", "ssh")


def ports_of(group: str) -> tuple[ServicePort, ...]:
    return tuple(p for p in PORTS if p.group == group)


@dataclass(frozen=True)
class PortProbe:
    port: int
    service: str
    state: str  # OPEN, CLOSED (refused), FILTERED (timed out), ERROR (could not tell)
    answer: str | None = None  # the protocol that answered, when it confirmed itself
    banner: str | None = None  # its first words (one line, trimmed)
    starttls: bool | None = None  # POP3/IMAP: STARTTLS offered
    access: str | None = None  # databases: "open" (no password asked), "password", ...
    panel: str | None = None  # a control panel recognised on the page
    login: str | None = None  # a page asking for a password (HTTP authentication realm)
    portal: str | None = None  # a VPN/firewall portal product id
    title: str | None = None  # the web page's title
    note: str | None = None  # what else the evidence should say
    error: str | None = None

    @property
    def reachable(self) -> bool:
        return self.state == OPEN

    @property
    def definite(self) -> bool:
        return self.state != ERROR

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class AddressReport:
    address: str
    names: tuple[str, ...]  # the names that pointed here (of the first domain that asked)
    probes: tuple[PortProbe, ...] = ()
    error: str | None = None  # not probed at all: refused by the guard, lock timeout
    refused: bool = False  # the guard refused the address (private, reserved, ...)
    software: tuple[SoftwareSeen, ...] = ()

    @property
    def reached(self) -> bool:
        """At least one port gave a definite answer (the address is reachable from here)."""
        return self.error is None and any(p.definite for p in self.probes)

    def probe(self, port: int) -> PortProbe | None:
        return next((p for p in self.probes if p.port == port), None)

    def to_json(self, ports: tuple[int, ...] | None = None) -> dict:
        data: dict = {"address": self.address, "names": list(self.names)}
        if self.error:
            data["error"] = self.error
        if self.probes:
            data["ports"] = [p.to_json() for p in self.probes
                             if ports is None or p.port in ports]
        return data


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str

    def to_json(self) -> dict:
        return {"name": self.name, "reason": self.reason}


@dataclass(frozen=True)
class ServicesView:
    addresses: tuple[AddressReport, ...]
    skipped: tuple[Skipped, ...] = ()
    problems: tuple[str, ...] = ()  # lookups that failed (so some address may be missing)

    @property
    def software(self) -> tuple[SoftwareSeen, ...]:
        """Everything identified on every address (read by the vulnerability check)."""
        return tuple(s for report in self.addresses for s in report.software)

    def to_json(self, ports: tuple[int, ...] | None = None) -> dict:
        data: dict = {"addresses": [a.to_json(ports) for a in self.addresses]}
        if self.skipped:
            data["skipped"] = [s.to_json() for s in self.skipped]
        if self.problems:
            data["problems"] = list(self.problems)
        return data


# --- which addresses -------------------------------------------------------------------------


def in_domain(name: str, domain: str) -> bool:
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    return name == domain or name.endswith("." + domain)


async def service_targets(ctx: DomainContext
                          ) -> tuple[list[tuple[str, tuple[str, ...]]], list[Skipped], list[str]]:
    """(address, names) to probe, the names or addresses skipped and why, and lookup problems."""
    domain = ctx.domain
    web_names = [domain, f"www.{domain}"]
    skipped: list[Skipped] = []
    problems: list[str] = []
    lookups = await asyncio.gather(*(ctx.dns.addresses(n) for n in web_names))
    entries = [(name, found, error) for name, (found, error) in zip(web_names, lookups,
                                                                    strict=True)]
    try:
        mx = await ctx.get("mx")
    except Exception as exc:  # the mx collector failed: say so, scan the rest
        problems.append(f"the mail servers could not be looked up ({exc})")
        mx = None
    if mx is not None and not mx.answer.ok:
        problems.append(f"MX lookup: {mx.answer.error or mx.answer.rcode}")
    if mx is not None and mx.receives_mail:
        for host in mx.hosts:
            if not host.name:
                continue
            if in_domain(host.name, domain):
                entries.append((host.name, host.addresses, host.error))
            else:
                skipped.append(Skipped(host.name, "a mail provider's server (outside the "
                                                  "domain): not the business's to scan"))
    found: dict[str, list[str]] = {}
    for name, addresses, error in entries:
        if error and not addresses:
            problems.append(f"{name}: {error}")
        for address in addresses:
            names = found.setdefault(canonical_address(address), [])
            if name not in names:
                names.append(name)
    targets = list(found.items())
    for address, names in targets[MAX_ADDRESSES:]:
        skipped.append(Skipped(address, f"more than {MAX_ADDRESSES} addresses; "
                                        f"not scanned ({', '.join(names)})"))
    return [(a, tuple(n)) for a, n in targets[:MAX_ADDRESSES]], skipped, problems


async def rate_limiter(ctx: DomainContext) -> RateLimiter:
    """The batch's one limiter (every active connection of the batch goes through it)."""

    async def make():
        return RateLimiter(ctx.config.rate_limit)

    return await ctx.session.memo("active:rate_limiter", make)


async def target_locks(ctx: DomainContext) -> TargetLocks:
    async def make():
        return TargetLocks()

    return await ctx.session.memo("active:target_locks", make)


def lock_wait(config: ScanConfig) -> float:
    """How long to wait for another scan of the same address to finish: half the domain's
    time, so that there is time left to probe."""
    return max(0.5, config.domain_timeout / 2)


@collector("services")
async def services(ctx: DomainContext) -> ServicesView:
    targets, skipped, problems = await service_targets(ctx)
    limiter = await rate_limiter(ctx)
    locks = await target_locks(ctx)

    async def one(address: str, names: tuple[str, ...]) -> AddressReport:
        return await ctx.session.memo(
            f"active:services:{address}",
            lambda: probe_address(ctx.config, address, names, limiter, locks))

    reports = await asyncio.gather(*(one(a, n) for a, n in targets))
    return ServicesView(tuple(reports), tuple(skipped), tuple(problems))


async def probe_address(config: ScanConfig, address: str, names: tuple[str, ...],
                        limiter: RateLimiter, locks: TargetLocks, *,
                        ports: tuple[ServicePort, ...] = PORTS) -> AddressReport:
    """Every port of one address, under its lock, at the limited rate."""
    reason = refusal_reason(address, lab=config.lab)
    if reason:
        return AddressReport(address, names, error=reason, refused=True)
    prober = _Prober(config, limiter, address, names[0] if names else None)
    try:
        async with locks.hold(address, wait=lock_wait(config)):
            probes = await asyncio.gather(*(prober.probe(spec) for spec in ports))
    except TargetLockError as exc:
        return AddressReport(address, names, error=str(exc))
    return AddressReport(address, names, tuple(probes), software=tuple(prober.software))


# --- probing one port ------------------------------------------------------------------------


class NotOpen(Exception):
    """The connection did not open: closed (refused), filtered (timed out) or an error."""

    def __init__(self, state: str, error: str | None):
        super().__init__(error or state)
        self.state = state
        self.error = error


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


async def read_until(reader: asyncio.StreamReader, done: Callable[[bytes], bool], *,
                     limit: int, timeout: float) -> tuple[bytes, str]:
    """Read until ``done(data)``, ``limit`` bytes, the end of the stream or ``timeout``:
    (data, "done" | "limit" | "eof" | "timeout")."""
    data = bytearray()
    try:
        async with asyncio.timeout(timeout):
            while len(data) < limit:
                try:
                    chunk = await reader.read(min(4096, limit - len(data)))
                except (ConnectionError, ssl.SSLError):
                    return bytes(data), "eof"
                if not chunk:
                    return bytes(data), "eof"
                data += chunk
                if done(bytes(data)):
                    return bytes(data), "done"
            return bytes(data), "limit"
    except TimeoutError:
        return bytes(data), "timeout"


@dataclass
class _Prober:
    config: ScanConfig
    limiter: RateLimiter
    address: str
    host: str | None  # the name to give in Host and SNI (HTTP ports)
    software: list[SoftwareSeen] = field(default_factory=list)

    @property
    def timeout(self) -> float:
        return self.config.timeout

    def _seen(self, spec: ServicePort, product: str | None, version: str | None,
              raw: str) -> None:
        if product is None:
            return
        where = f"{self.address} port {spec.port} ({spec.service})"
        self.software.append(SoftwareSeen(product, version, where, banners.banner_text(raw)))

    async def _open(self, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await open_limited(self.config, self.limiter, self.address, port)
        except TargetRefused as exc:
            raise NotOpen(ERROR, str(exc)) from None
        except ConnectionRefusedError:
            raise NotOpen(CLOSED, None) from None
        except TimeoutError:
            raise NotOpen(FILTERED, f"no answer to the connection within {self.timeout:g} s "
                                     "(probably dropped by a firewall)") from None
        except OSError as exc:
            raise NotOpen(ERROR, describe(exc)) from None

    async def probe(self, spec: ServicePort) -> PortProbe:
        try:
            return await self._probe(spec)
        except Exception as exc:  # a bug must cost one port's answer, never the others'
            return PortProbe(spec.port, spec.service, ERROR,
                             error=f"internal error while probing ({describe(exc)})")

    async def _probe(self, spec: ServicePort) -> PortProbe:
        base = PortProbe(spec.port, spec.service, OPEN)
        handler = getattr(self, f"_{spec.probe}")
        try:
            if spec.probe in ("http", "https"):
                return await handler(spec, base)
            reader, writer = await self._open(spec.port)
        except NotOpen as exc:
            return PortProbe(spec.port, spec.service, exc.state, error=exc.error
                             if exc.state == ERROR else None, note=exc.error
                             if exc.state != ERROR else None)
        try:
            async with asyncio.timeout(3 * self.timeout):
                return await handler(spec, base, reader, writer)
        except TimeoutError:
            return _with(base, note=f"open; no complete answer within {3 * self.timeout:g} s")
        except (OSError, EOFError, ValueError, ssl.SSLError) as exc:
            return _with(base, note=f"open; the exchange failed ({describe(exc)})")
        finally:
            writer.close()

    async def _read(self, reader, done, limit: int = GREETING_BYTES) -> tuple[bytes, str]:
        return await read_until(reader, done, limit=limit, timeout=self.timeout)

    # Servers that speak first.

    async def _ssh(self, spec, base, reader, writer) -> PortProbe:
        data, how = await self._read(reader, _complete_line_starting(b"SSH-"))
        ident = banners.parse_ssh_banner(data)
        if ident is None:
            return _unconfirmed(base, data, how)
        self._seen(spec, ident.product, ident.version, ident.text)
        return _with(base, answer="SSH", banner=banners.banner_text(ident.text))

    async def _ftp(self, spec, base, reader, writer) -> PortProbe:
        return await self._reply_greeting(spec, base, reader, writer, "FTP", banners.ftp_product)

    async def _smtp(self, spec, base, reader, writer) -> PortProbe:
        return await self._reply_greeting(spec, base, reader, writer, "SMTP",
                                          banners.smtp_product)

    async def _reply_greeting(self, spec, base, reader, writer, protocol, identify):
        data, how = await self._read(reader, banners.reply_complete)
        if banners.reply_code(data) is None:
            return _unconfirmed(base, data, how)
        writer.write(b"QUIT\r\n")
        found = identify(data)
        if found:
            self._seen(spec, found[0], found[1], banners.as_text(data, 300))
        return _with(base, answer=protocol, banner=banners.banner_text(data))

    async def _pop3(self, spec, base, reader, writer) -> PortProbe:
        data, how = await self._read(reader, _has_line)
        if not banners.is_pop3_greeting(data):
            return _unconfirmed(base, data, how)
        self._mail_software(spec, data)
        writer.write(b"CAPA\r\n")
        capa, how = await self._read(reader, banners.pop3_capa_complete)
        writer.write(b"QUIT\r\n")
        caps = banners.pop3_capabilities(capa)
        greeting = banners.banner_text(data)
        if caps is not None:
            return _with(base, answer="POP3", banner=greeting, starttls="STLS" in caps)
        if capa.startswith(b"-"):  # no CAPA (RFC 1939 only): STLS is announced by CAPA
            return _with(base, answer="POP3", banner=greeting, starttls=False,
                         note="the server does not list its capabilities (no CAPA), so it "
                              "offers no STARTTLS")
        return _with(base, answer="POP3", banner=greeting, note=f"no answer to CAPA ({how})")

    async def _imap(self, spec, base, reader, writer) -> PortProbe:
        data, how = await self._read(reader, _has_line)
        if not banners.is_imap_greeting(data):
            return _unconfirmed(base, data, how)
        self._mail_software(spec, data)
        caps = banners.imap_capabilities(data)
        if caps is None:
            writer.write(b"a1 CAPABILITY\r\n")
            answer, how = await self._read(reader,
                                           lambda d: banners.imap_tagged_done(d, "a1"))
            caps = banners.imap_capabilities(answer)
        writer.write(b"a2 LOGOUT\r\n")
        if caps is None:
            return _with(base, answer="IMAP", banner=banners.banner_text(data),
                         note=f"no CAPABILITY answer ({how})")
        return _with(base, answer="IMAP", banner=banners.banner_text(data),
                     starttls="STARTTLS" in caps)

    def _mail_software(self, spec, data: bytes) -> None:
        found = banners.mail_product(data)
        if found:
            self._seen(spec, found[0], found[1], banners.as_text(data, 300))

    async def _mysql(self, spec, base, reader, writer) -> PortProbe:
        data, how = await self._read(reader, banners.mysql_packet_complete)
        greeting = banners.parse_mysql_greeting(data)
        if greeting is None:
            return _unconfirmed(base, data, how)
        name = "MariaDB" if greeting.product == "mariadb" else "MySQL"
        if greeting.server_version:
            self._seen(spec, greeting.product, greeting.version, greeting.server_version)
            return _with(base, answer=name, banner=greeting.server_version)
        return _with(base, answer=name, banner=greeting.error,
                     note="the server answers, but refuses connections from the scanner")

    async def _vnc(self, spec, base, reader, writer) -> PortProbe:
        data, how = await self._read(reader, lambda d: len(d) >= 12)
        version = banners.vnc_version(data)
        if version is None:
            return _unconfirmed(base, data, how)
        return _with(base, answer="VNC", banner=banners.banner_text(data[:12]))

    async def _telnet(self, spec, base, reader, writer) -> PortProbe:
        data, how = await self._read(reader, banners.is_telnet)
        if not banners.is_telnet(data):
            return _unconfirmed(base, data, how)
        return _with(base, answer="Telnet", banner=banners.telnet_text(data) or None)

    async def _rsync(self, spec, base, reader, writer) -> PortProbe:
        data, how = await self._read(reader, _has_line)
        version = banners.rsync_version(data)
        if version is None:
            return _unconfirmed(base, data, how)
        return _with(base, answer="rsync", banner=banners.banner_text(data))

    async def _silent(self, spec, base, reader, writer) -> PortProbe:
        data, how = await self._read(reader, lambda d: b"\n" in d)
        ident = banners.parse_ssh_banner(data) if data else None
        if ident is not None:
            return _with(base, answer="SSH", banner=ident.text,
                         note="an SSH server, not the usual service of this port")
        return _unconfirmed(base, data, how)

    # Servers that wait for the client's first message.

    async def _rdp(self, spec, base, reader, writer) -> PortProbe:
        writer.write(banners.RDP_PROBE)
        data, how = await self._read(reader, banners.rdp_answer_complete, limit=1024)
        if not banners.is_rdp_answer(data):
            return _unconfirmed(base, data, how)
        return _with(base, answer="RDP")

    async def _postgres(self, spec, base, reader, writer) -> PortProbe:
        writer.write(banners.POSTGRES_SSL_REQUEST)
        data, how = await self._read(
            reader, lambda d: d[:1] in (b"S", b"N") or b"\x00\x00" in d[1:], limit=1024)
        if not banners.is_postgres_ssl_answer(data):
            return _unconfirmed(base, data, how)
        note = {b"S": "it offers encryption (SSL)", b"N": "it does not offer encryption"}.get(
            data[:1])
        return _with(base, answer="PostgreSQL", note=note)

    async def _redis(self, spec, base, reader, writer) -> PortProbe:
        writer.write(banners.REDIS_PROBE)
        data, how = await self._read(reader, banners.redis_reply_complete, limit=16 * 1024)
        reply = banners.parse_redis_reply(data)
        if reply is None:
            return _unconfirmed(base, data, how)
        if reply.access == "open":
            self._seen(spec, "redis", reply.version, f"redis_version:{reply.version}")
        banner = f"Redis {reply.version}" if reply.version else reply.message
        return _with(base, answer="Redis", access=reply.access, banner=banner)

    async def _memcached(self, spec, base, reader, writer) -> PortProbe:
        writer.write(banners.MEMCACHED_PROBE)
        data, how = await self._read(reader, lambda d: b"\r\n" in d, limit=1024)
        version = banners.parse_memcached_version(data)
        if version is None:
            return _unconfirmed(base, data, how)
        self._seen(spec, "memcached", version, banners.banner_text(data))
        return _with(base, answer="memcached", access="open", banner=f"memcached {version}")

    # Web ports.

    async def _http(self, spec, base) -> PortProbe:
        return await self._web(spec, base, tls_first=False)

    async def _https(self, spec, base) -> PortProbe:
        return await self._web(spec, base, tls_first=True)

    async def _web(self, spec: ServicePort, base: PortProbe, *, tls_first: bool) -> PortProbe:
        fetch = await http_get(self.config, self.limiter, self.address, spec.port, "/",
                               host=self.host, tls=tls_first)  # raises NotOpen
        if fetch.answer is None:  # open, but not HTTP in the scheme guessed: try the other
            try:
                with_other = await http_get(self.config, self.limiter, self.address,
                                            spec.port, "/", host=self.host, tls=not tls_first)
            except NotOpen:
                with_other = None
            if with_other is not None and with_other.answer is not None:
                fetch = with_other
        if fetch.answer is None:
            return _with(base, note=f"open; no web page ({fetch.error or 'no HTTP answer'})")
        first_location = fetch.answer.header("location")
        for _ in range(2):  # a login page is often one or two redirects from "/"
            path = _same_origin_path(fetch.answer)
            if path is None:
                break
            try:
                hop = await http_get(self.config, self.limiter, self.address, spec.port, path,
                                     host=self.host, tls=fetch.tls)
            except NotOpen:
                break
            if hop.answer is None:
                break
            fetch = hop
        answer = fetch.answer
        scheme = "https" if fetch.tls else "http"
        identity = banners.identify_web(answer, first_location)
        for product, version in identity.software:
            self._seen(spec, product, version, identity.server or "")
        result = _with(base, answer="HTTPS" if fetch.tls else "HTTP", title=identity.title,
                       banner=f"HTTP {answer.status}" + (f", Server: {identity.server}"
                                                         if identity.server else ""),
                       panel=identity.panel, login=identity.login_realm)
        if identity.portal is not None:
            product, version = identity.portal
            self._seen(spec, product, version, identity.title or fetch.path)
            result = _with(result, portal=product, panel=None, login=None)
        found = banners.json_service(answer)
        if found is not None:
            product, version = found
            self._seen(spec, product, version, banners.banner_text(answer.text, 200))
            name = {"couchdb": "CouchDB", "elasticsearch": "Elasticsearch",
                    "opensearch": "OpenSearch"}[product]
            result = _with(result, answer=name, access="open", panel=None, login=None,
                           banner=f"{name} {version}" if version else name)
        elif spec.port in (9200, 5984) and answer.status == 401:
            result = _with(result, access="password", panel=None, login=None)
        return _with(result, note=f"{scheme}://…:{spec.port}{fetch.path} answered "
                                  f"{answer.status}")


def _with(probe: PortProbe, **changes) -> PortProbe:
    return replace(probe, **changes)


def _unconfirmed(base: PortProbe, data: bytes, how: str) -> PortProbe:
    """An open port whose service did not say what it is."""
    if not data:
        said = {"timeout": "it said nothing", "eof": "it closed the connection at once",
                "reset": "it reset the connection"}.get(how, "it said nothing")
        return _with(base, note=f"open; {said}: service unconfirmed")
    return _with(base, banner=banners.banner_text(data, 120),
                 note="open; the answer is not the usual service's: service unconfirmed")


def _has_line(data: bytes) -> bool:
    return b"\n" in data


def _complete_line_starting(prefix: bytes) -> Callable[[bytes], bool]:
    def done(data: bytes) -> bool:
        return any(line.startswith(prefix) for line in data.split(b"\n")[:-1])

    return done


def _same_origin_path(answer: banners.HttpAnswer) -> str | None:
    if answer.status not in (301, 302, 303, 307, 308):
        return None
    location = (answer.header("location") or "").strip()
    if location.startswith("/") and not location.startswith("//") and len(location) < 300:
        return location
    return None


# --- HTTP over one checked connection ----------------------------------------------------------


@dataclass(frozen=True)
class HttpFetch:
    path: str
    tls: bool
    answer: banners.HttpAnswer | None
    error: str | None = None
    truncated: bool = False


async def http_get(config: ScanConfig, limiter: RateLimiter, address: str, port: int,
                   path: str, *, host: str | None, tls: bool,
                   limit: int = HTTP_BYTES) -> HttpFetch:
    """GET ``path`` from ``address`` (HTTP/1.0, one connection, Host and SNI ``host``), the
    certificate not verified (a portal's self-signed certificate must not hide it); the
    answer is read up to ``limit`` bytes. Raises NotOpen when the connection fails."""
    try:
        reader, writer = await open_limited(config, limiter, address, port)
    except TargetRefused as exc:
        raise NotOpen(ERROR, str(exc)) from None
    except ConnectionRefusedError:
        raise NotOpen(CLOSED, None) from None
    except TimeoutError:
        raise NotOpen(FILTERED, f"no answer to the connection within {config.timeout:g} s "
                                 "(probably dropped by a firewall)") from None
    except OSError as exc:
        raise NotOpen(ERROR, describe(exc)) from None
    host_header = host or (f"[{address}]" if ":" in address else address)
    request = (f"GET {path} HTTP/1.0\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
               "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n")
    try:
        async with asyncio.timeout(3 * config.timeout):
            if tls:
                await writer.start_tls(client_tls_context(config.ca_file, verify=False),
                                       server_hostname=host,
                                       ssl_handshake_timeout=config.timeout)
            writer.write(request.encode("ascii", "replace"))
            data, how = await read_until(reader, _http_done, limit=limit,
                                         timeout=2 * config.timeout)
    except TimeoutError:
        return HttpFetch(path, tls, None, f"no answer within {3 * config.timeout:g} s")
    except (OSError, ssl.SSLError, EOFError, ValueError) as exc:
        return HttpFetch(path, tls, None, ("TLS failed: " if tls else "") + describe(exc))
    finally:
        writer.close()
    answer = banners.parse_http_response(data, eof=how == "eof")
    if answer is None:
        what = "no answer" if not data else "not an HTTP answer"
        return HttpFetch(path, tls, None, f"{what} ({how})")
    return HttpFetch(path, tls, answer, None, truncated=how == "limit")


def _http_done(data: bytes) -> bool:
    answer = banners.parse_http_response(data, eof=False)
    return answer is not None and answer.complete
