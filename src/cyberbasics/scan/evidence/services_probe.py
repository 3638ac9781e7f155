"""One port of one address, probed: connect, then a harmless exchange (see `services`).

Every port's probe is bounded in time as a whole: the connection by the operation timeout
(after the rate limit's wait), a greeting exchange by three times it, a web port's requests
together (the scheme guessed, the other one, two redirects) by `WEB_EXCHANGE_TIMEOUTS` times
it, and everything by the deadline the collector gives (so that one port that hangs, for
whatever reason, costs that port's answer and never the others')."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ...config import ScanConfig
from ...net.ratelimit import RateLimiter
from ...protocols import banners
from ..software import SoftwareSeen
from .services_http import (
    HttpFetch,
    NotOpen,
    describe,
    http_exchange,
    http_get,
    open_port,
    read_until,
)
from .services_model import ERROR, OPEN, PortProbe, ServicePort

GREETING_BYTES = 4096
# A web port's requests together, once its first connection is open: this many times the
# operation timeout (one request may take three: a TLS handshake, then the answer).
WEB_EXCHANGE_TIMEOUTS = 4


@dataclass
class PortProber:
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

    async def probe(self, spec: ServicePort, *, deadline: float | None = None) -> PortProbe:
        """The port's answer; never raises. ``deadline`` (event loop time): the latest the
        answer may come, whatever the port does (past it the port is an ERROR)."""
        bound = asyncio.timeout_at(deadline)
        try:
            async with bound:
                return await self._probe(spec)
        except TimeoutError as exc:
            if not bound.expired():
                return _internal_error(spec, exc)
            return PortProbe(spec.port, spec.service, ERROR,
                             error="not finished in the time the domain's scan allows "
                                   f"({self.config.domain_timeout:g} s in all)")
        except Exception as exc:  # a bug must cost one port's answer, never the others'
            return _internal_error(spec, exc)

    async def _probe(self, spec: ServicePort) -> PortProbe:
        base = PortProbe(spec.port, spec.service, OPEN)
        handler = getattr(self, f"_{spec.probe}")
        try:
            reader, writer = await open_port(self.config, self.limiter, self.address,
                                              spec.port)
        except NotOpen as exc:
            return PortProbe(spec.port, spec.service, exc.state, error=exc.error
                             if exc.state == ERROR else None, note=exc.error
                             if exc.state != ERROR else None)
        if spec.probe in ("http", "https"):
            return await handler(spec, base, reader, writer)
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

    async def _http(self, spec, base, reader, writer) -> PortProbe:
        return await self._web(spec, base, reader, writer, tls_first=False)

    async def _https(self, spec, base, reader, writer) -> PortProbe:
        return await self._web(spec, base, reader, writer, tls_first=True)

    async def _web(self, spec: ServicePort, base: PortProbe, reader, writer, *,
                   tls_first: bool) -> PortProbe:
        """"/" in the scheme guessed (the other one if that gets no HTTP answer), then up
        to two redirects on the same port: all within one time bound, keeping the last
        answer that arrived in time."""
        budget = WEB_EXCHANGE_TIMEOUTS * self.timeout
        fetch: HttpFetch | None = None
        first_location = None
        cut = False
        try:
            async with asyncio.timeout(budget):
                first = await self._get(spec.port, "/", tls_first, (reader, writer))
                if first.answer is None:  # open, but not HTTP in the scheme guessed
                    try:
                        with_other = await self._get(spec.port, "/", not tls_first)
                    except NotOpen:
                        with_other = None
                    if with_other is not None and with_other.answer is not None:
                        first = with_other
                if first.answer is None:
                    return _with(base, note="open; no web page "
                                            f"({first.error or 'no HTTP answer'})")
                fetch, first_location = first, first.answer.header("location")
                for _ in range(2):  # a login page is often one or two redirects from "/"
                    path = _same_origin_path(fetch.answer)
                    if path is None:
                        break
                    try:
                        hop = await self._get(spec.port, path, fetch.tls)
                    except NotOpen:
                        break
                    if hop.answer is None:
                        break
                    fetch = hop
        except TimeoutError:
            if fetch is None:
                return _with(base, note=f"open; no web page within {budget:g} s")
            cut = True
        finally:
            writer.close()  # (the first request closes it too; closing twice is harmless)
        result = self._judge_web(spec, base, fetch, first_location)
        if cut:
            result = _with(result, note=f"{result.note}; no further answer within {budget:g} s")
        return result

    async def _get(self, port: int, path: str, tls: bool, connection=None) -> HttpFetch:
        """One GET, over the connection given or a new one (NotOpen when that fails)."""
        if connection is None:
            return await http_get(self.config, self.limiter, self.address, port, path,
                                  host=self.host, tls=tls)
        reader, writer = connection
        return await http_exchange(self.config, reader, writer, self.address, path,
                                   host=self.host, tls=tls)

    def _judge_web(self, spec: ServicePort, base: PortProbe, fetch: HttpFetch,
                   first_location: str | None) -> PortProbe:
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


def _internal_error(spec: ServicePort, exc: BaseException) -> PortProbe:
    return PortProbe(spec.port, spec.service, ERROR,
                     error=f"internal error while probing ({describe(exc)})")


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
