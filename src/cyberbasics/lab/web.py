"""The lab's HTTP/1.1 server (plain or TLS): many name-based sites on one loopback port.

A site is chosen by the Host header (port stripped; unknown hosts get the default site), and,
with TLS, its certificate by SNI (unknown or missing SNI gets the default site's certificate).
Each site has its own certificate from the lab CA, of the site's ``cert_kind``, so one server can
present a good certificate for one name and an expired one for the next.

Routing is deliberately small: an exact path match (query string ignored) answers with the
route's :class:`Response`; otherwise a site with ``redirect_to`` answers 301 to the same path on
that base URL; otherwise 404. GET and HEAD only. Requests are parsed strictly and bounded; a bad
one gets a 4xx and the connection is closed, never an exception in the server.

Example, an MTA-STS policy host::

    policy = Response.text("version: STSv1\\nmode: enforce\\nmx: mx.example.com\\nmax_age: 86400")
    sites = {"mta-sts.example.com": Site(routes={"/.well-known/mta-sts.txt": policy})}
    async with LabWebServer(sites, tls=ca) as server:
        ...  # https://127.0.0.1:{server.port}/... with SNI and Host mta-sts.example.com
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import http
import re
import ssl
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

from cyberbasics.lab.ca import CERT_KINDS, KEY_TYPES, IssuedCert, LabCA
from cyberbasics.lab.faults import LoopbackServer

MAX_HEADER_BYTES = 32 * 1024  # request line + all header lines
MAX_LINE_BYTES = 16 * 1024
MAX_HEADERS = 100
MAX_BODY_BYTES = 64 * 1024  # a request body is read and discarded, up to this size
SERVER_NAME = "cyberbasics-lab"

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VERSION = re.compile(r"HTTP/(\d)\.(\d)")
_FORBIDDEN_IN_HEADERS = re.compile(r"[\r\n\0]")


@dataclass(frozen=True)
class Response:
    """What a route answers. Content-Length (and Connection, Date, Server) are added unless set."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 999:
            raise ValueError(f"bad HTTP status {self.status}")
        for name, value in self.headers:
            if not _TOKEN.fullmatch(name) or _FORBIDDEN_IN_HEADERS.search(value):
                raise ValueError(f"bad header {name!r}: {value!r}")

    @classmethod
    def text(
        cls,
        body: str,
        *,
        status: int = 200,
        content_type: str = "text/plain",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Response:
        """A UTF-8 text response with a Content-Type (``text/plain`` by default)."""
        return cls(status, (("Content-Type", content_type), *headers), body.encode("utf-8"))

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)


@dataclass(frozen=True)
class Site:
    """One name-based site: its certificate kind (with TLS), its routes and optional redirect."""

    cert_kind: str = "good"
    routes: Mapping[str, Response] = field(default_factory=dict)
    redirect_to: str | None = None  # base URL, e.g. "https://example.com": 301 keeping the path
    cert_key: str = "ec256"

    def __post_init__(self) -> None:
        if self.cert_kind not in CERT_KINDS:
            raise ValueError(f"unknown certificate kind {self.cert_kind!r}")
        if self.cert_key not in KEY_TYPES:
            raise ValueError(f"unknown key type {self.cert_key!r}")
        for path in self.routes:
            if not path.startswith("/"):
                raise ValueError(f"route paths start with '/': {path!r}")
        if self.redirect_to is not None and _FORBIDDEN_IN_HEADERS.search(self.redirect_to):
            raise ValueError(f"bad redirect target {self.redirect_to!r}")


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered (kept in :attr:`LabWebServer.requests`)."""

    site: str | None  # the site that answered, None when no site matched and there's no default
    host: str | None  # the Host header, port stripped
    method: str
    target: str
    status: int
    sni: str | None = None


class _BadRequest(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class _Request:
    method: str
    target: str
    path: str
    version: tuple[int, int]
    headers: list[tuple[str, str]]
    host: str | None

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def tokens(self, name: str) -> set[str]:
        values = [value for key, value in self.headers if key == name]
        return {token.strip().lower() for value in values for token in value.split(",")}


def normalise_host(host: str) -> str:
    """Lower case, without port or trailing dot (``Example.COM.:8443`` → ``example.com``)."""
    host = host.strip()
    if host.startswith("["):  # IPv6 literal
        end = host.find("]")
        host = host[: end + 1] if end != -1 else host
    elif host.count(":") == 1:
        name, _, port = host.partition(":")
        if port.isdigit() or not port:
            host = name
    return host.rstrip(".").lower()


class LabWebServer(LoopbackServer):
    """An asyncio HTTP/1.1 server for name-based lab sites, over plain TCP or TLS."""

    stream_limit = MAX_LINE_BYTES

    def __init__(
        self,
        sites: Mapping[str, Site],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: LabCA | None = None,
        default_site: str | None = None,
        min_tls_version: ssl.TLSVersion | None = None,
        max_tls_version: ssl.TLSVersion | None = None,
        idle_timeout: float = 10.0,
        max_connections: int = 256,
        max_requests_per_connection: int = 100,
    ) -> None:
        super().__init__(host=host, port=port, max_connections=max_connections)
        self.sites: dict[str, Site] = {normalise_host(name): site for name, site in sites.items()}
        if default_site is not None:
            default_site = normalise_host(default_site)
            if default_site not in self.sites:
                raise ValueError(f"default_site {default_site!r} is not one of the sites")
        elif self.sites:
            default_site = next(iter(self.sites))
        if tls is not None and not self.sites:
            raise ValueError("a TLS server needs at least one site (for its certificate)")
        self.default_site = default_site
        self.tls = tls
        self.min_tls_version = min_tls_version
        self.max_tls_version = max_tls_version
        self.idle_timeout = idle_timeout
        self.max_requests_per_connection = max_requests_per_connection
        self.requests: collections.deque[RequestRecord] = collections.deque(maxlen=1000)
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._sni: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()

    # --- TLS --------------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    def url(self, path: str = "/") -> str:
        """``scheme://127.0.0.1:port/path`` (connect there, with SNI/Host set to a site name)."""
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def certificate_for(self, name: str) -> IssuedCert:
        """The certificate the site ``name`` presents (issued on first use)."""
        if self.tls is None:
            raise ValueError("plain HTTP server: no certificates")
        site = self.sites[normalise_host(name)]
        return self.tls.issue([normalise_host(name)], kind=site.cert_kind, key=site.cert_key)

    def server_ssl_context(self) -> ssl.SSLContext | None:
        if self.tls is None:
            return None
        for name in self.sites:
            self._contexts[name] = self.certificate_for(name).ssl_context(
                minimum_version=self.min_tls_version, maximum_version=self.max_tls_version
            )
        assert self.default_site is not None
        context = self._contexts[self.default_site]
        context.sni_callback = self._sni_callback
        return context

    def _sni_callback(
        self, sslobj: ssl.SSLObject, server_name: str | None, context: ssl.SSLContext
    ) -> None:
        if server_name is None:
            return None  # the default site's context is already in place
        self._sni[sslobj] = server_name
        site = self.find_site(server_name)
        if site is not None and site in self._contexts:
            sslobj.context = self._contexts[site]
        return None

    # --- routing ----------------------------------------------------------------------------

    def find_site(self, host: str | None) -> str | None:
        """The site name for a Host/SNI name: exact, then ``*.parent`` wildcard, then default."""
        if host:
            name = normalise_host(host)
            if name in self.sites:
                return name
            _, dot, parent = name.partition(".")
            if dot and f"*.{parent}" in self.sites:
                return f"*.{parent}"
        return self.default_site

    def route(self, request: _Request) -> tuple[str | None, Response]:
        site_name = self.find_site(request.host)
        site = self.sites.get(site_name) if site_name is not None else None
        if request.method not in ("GET", "HEAD"):
            return site_name, _error(405, ("Allow", "GET, HEAD"))
        if site is None:
            return site_name, _error(404)
        response = site.routes.get(request.path)
        if response is not None:
            return site_name, response
        if site.redirect_to is not None:
            location = site.redirect_to.rstrip("/") + request.target
            return site_name, Response.text(
                f"Moved to {location}\n", status=301, headers=(("Location", location),)
            )
        return site_name, _error(404)

    # --- connections ------------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ssl_object = writer.get_extra_info("ssl_object")
        sni = self._sni.get(ssl_object) if ssl_object is not None else None
        for _ in range(self.max_requests_per_connection):
            try:
                async with asyncio.timeout(self.idle_timeout):
                    lines = await _read_head(reader)
                if lines is None:
                    return  # the client closed between requests
                request = _parse(lines)
                async with asyncio.timeout(self.idle_timeout):
                    await _skip_body(reader, request)
            except TimeoutError:
                return
            except _BadRequest as bad:
                await self._respond(writer, _error(bad.status), head_only=False, close=True)
                self.requests.append(RequestRecord(None, None, "", "", bad.status, sni))
                return
            site, response = self.route(request)
            close = not _keep_alive(request)
            head_only = request.method == "HEAD"
            await self._respond(writer, response, head_only=head_only, close=close)
            self.requests.append(
                RequestRecord(
                    site, request.host, request.method, request.target, response.status, sni
                )
            )
            if close:
                return

    async def _respond(
        self,
        writer: asyncio.StreamWriter,
        response: Response,
        *,
        head_only: bool,
        close: bool,
    ) -> None:
        present = {name.lower() for name, _ in response.headers}
        lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}"]
        lines += [f"{name}: {value}" for name, value in response.headers]
        if "content-length" not in present and response.status >= 200 and response.status != 204:
            lines.append(f"Content-Length: {len(response.body)}")
        if "date" not in present:
            lines.append(f"Date: {email.utils.formatdate(usegmt=True)}")
        if "server" not in present:
            lines.append(f"Server: {SERVER_NAME}")
        if "connection" not in present:
            lines.append(f"Connection: {'close' if close else 'keep-alive'}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not head_only:
            data += response.body
        writer.write(data)
        await writer.drain()


def _error(status: int, *headers: tuple[str, str]) -> Response:
    return Response.text(f"{status} {_reason(status)}\n", status=status, headers=headers)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


async def _read_head(reader: asyncio.StreamReader) -> list[bytes] | None:
    """The request line and header lines (without line ends); None on a clean EOF."""
    lines: list[bytes] = []
    total = 0
    while True:
        try:
            line = await reader.readline()
        except ValueError:  # a line longer than the stream limit
            raise _BadRequest(431, "header line too long") from None
        total += len(line)
        if total > MAX_HEADER_BYTES or len(lines) > MAX_HEADERS:
            raise _BadRequest(431, "headers too large")
        if not line.endswith(b"\n"):
            if not lines and not line.strip():
                return None  # closed between requests
            raise _BadRequest(400, "incomplete request")
        line = line.rstrip(b"\r\n")
        if not line:
            if not lines:
                continue  # tolerate empty lines before the request line (RFC 9112 2.2)
            return lines
        lines.append(line)


def _parse(head: list[bytes]) -> _Request:
    try:
        request_line, *header_lines = (line.decode("latin-1") for line in head)
    except ValueError:
        raise _BadRequest(400, "empty request") from None
    parts = request_line.split(" ")
    if len(parts) != 3:
        raise _BadRequest(400, "malformed request line")
    method, target, version_text = parts
    if not _TOKEN.fullmatch(method):
        raise _BadRequest(400, "malformed method")
    version_match = _VERSION.fullmatch(version_text)
    if version_match is None:
        raise _BadRequest(400, "malformed version")
    version = (int(version_match[1]), int(version_match[2]))
    if version[0] != 1:
        raise _BadRequest(505, "only HTTP/1.x")

    headers: list[tuple[str, str]] = []
    for line in header_lines:
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name):  # also rejects obs-fold and "Name :"
            raise _BadRequest(400, "malformed header")
        if "\0" in value or "\r" in value:
            raise _BadRequest(400, "malformed header value")
        headers.append((name.lower(), value.strip(" \t")))

    hosts = [value for key, value in headers if key == "host"]
    if len(hosts) > 1 or (version >= (1, 1) and not hosts):
        raise _BadRequest(400, "exactly one Host header is required")
    host = normalise_host(hosts[0]) if hosts else None

    if target.startswith("/"):
        path = target.partition("?")[0]
    elif re.match(r"https?://", target, re.IGNORECASE):  # absolute form: the authority wins
        rest = target.split("://", 1)[1]
        authority, slash, tail = rest.partition("/")
        authority = authority.rpartition("@")[2]
        if not authority:
            raise _BadRequest(400, "malformed target")
        host = normalise_host(authority)
        target = slash + tail if slash else "/"
        path = target.partition("?")[0]
    else:
        raise _BadRequest(400, "malformed target")
    return _Request(method, target, path, version, headers, host)


async def _skip_body(reader: asyncio.StreamReader, request: _Request) -> None:
    if request.header("transfer-encoding") is not None:
        raise _BadRequest(501, "chunked request bodies are not supported")
    lengths = {value for key, value in request.headers if key == "content-length"}
    if not lengths:
        return
    if len(lengths) > 1 or not next(iter(lengths)).isdigit():
        raise _BadRequest(400, "bad Content-Length")
    length = int(next(iter(lengths)))
    if length > MAX_BODY_BYTES:
        raise _BadRequest(413, "request body too large")
    try:
        await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        raise _BadRequest(400, "incomplete body") from None


def _keep_alive(request: _Request) -> bool:
    tokens = request.tokens("connection")
    if request.version >= (1, 1):
        return "close" not in tokens
    return "keep-alive" in tokens
