"""Loopback stand-ins for the services an active scan looks for, for tests and demos.

Nothing here is a real server: each says just enough for the scanner to recognise it (a
greeting, an answer to the one standard message a client sends first) and refuses anything
else. Every web page says plainly that it is a lab fake.

:class:`BannerServer` sends a greeting, then answers each message by its first bytes; the
factories below configure it as SSH, FTP, SMTP, POP3, IMAP, MySQL, Redis, PostgreSQL, RDP,
VNC, Telnet, rsync and memcached. Web stand-ins (a control panel, a fake VPN portal, an
Elasticsearch, websites with and without exposed files, a "soft 404" site) are
:class:`~cyberbasics.lab.web.LabWebServer` sites. Silent, slow and garbage services are
:class:`~cyberbasics.lab.faults.FaultServer` ones.

:class:`ServiceLab` runs a layout (address → standard port → server) the way the scanner's
port map needs: one lab port per standard port, shared by every address; on an address
without a server for it that port is closed (bound, not listening: connections are
refused) or, on request, filtered (connections time out).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Self

from .faults import FaultServer, LoopbackServer, require_loopback
from .web import LabWebServer, Response, Site

ServerFactory = Callable[[str, int], LoopbackServer]  # (host, port) -> a server, not started


class BannerServer(LoopbackServer):
    """Greets, then answers each message that starts with a known prefix; closes after
    ``idle`` seconds of silence or when a reply is marked final."""

    def __init__(self, greeting: bytes = b"", replies: Iterable[tuple[bytes, bytes]] = (),
                 *, final: Iterable[bytes] = (), unknown: bytes | None = None,
                 idle: float = 5.0, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host=host, port=port)
        self.greeting = greeting
        self.replies = tuple(replies)
        self.final = tuple(final)
        self.unknown = unknown
        self.idle = idle
        self.received: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.greeting:
            writer.write(self.greeting)
            await writer.drain()
        try:
            async with asyncio.timeout(self.idle):
                while data := await reader.read(4096):
                    self.received.append(data)
                    reply = next((r for prefix, r in self.replies
                                  if data.upper().startswith(prefix.upper())), self.unknown)
                    if reply:
                        writer.write(reply)
                        await writer.drain()
                    if any(data.upper().startswith(p.upper()) for p in self.final):
                        return
        except TimeoutError:
            return


class RecordingServer(LoopbackServer):
    """Accepts, notes the time (monotonic clock) and the peer, and closes: for measuring
    how fast a scanner opens connections."""

    def __init__(self, log: list[tuple[float, int]] | None = None, *,
                 host: str = "127.0.0.1", port: int = 0):
        super().__init__(host=host, port=port, max_connections=256)
        self.log = log if log is not None else []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.log.append((time.monotonic(), self.port))


# --- greeting servers ------------------------------------------------------------------------

OLD_OPENSSH = "OpenSSH_7.4"  # RHEL/CentOS 7's, out of support
CURRENT_OPENSSH = "OpenSSH_9.6p1 Ubuntu-3ubuntu13.5"


def ssh(version: str = CURRENT_OPENSSH) -> ServerFactory:
    return lambda host, port: BannerServer(f"SSH-2.0-{version}\r\n".encode(), host=host,
                                           port=port)


def ftp(greeting: str = "220 (vsFTPd 3.0.3)") -> ServerFactory:
    return lambda host, port: BannerServer(
        f"{greeting}\r\n".encode(), [(b"QUIT", b"221 Goodbye.\r\n")], final=[b"QUIT"],
        unknown=b"530 Please login with USER and PASS.\r\n", host=host, port=port)


def smtp(greeting: str = "220 mail.lab.example ESMTP Exim 4.94.2 (lab)") -> ServerFactory:
    return lambda host, port: BannerServer(
        f"{greeting}\r\n".encode(), [(b"QUIT", b"221 Bye\r\n")], final=[b"QUIT"],
        unknown=b"503 lab server\r\n", host=host, port=port)


def pop3(*, starttls: bool, capa: bool = True) -> ServerFactory:
    capabilities = b"+OK\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\n" + (
        b"STLS\r\n" if starttls else b"") + b".\r\n"
    replies = [(b"CAPA", capabilities if capa else b"-ERR unknown command\r\n"),
               (b"QUIT", b"+OK Logging out.\r\n"), (b"STLS", b"-ERR lab: no TLS here\r\n")]
    return lambda host, port: BannerServer(b"+OK Dovecot (lab) ready.\r\n", replies,
                                           final=[b"QUIT"], unknown=b"-ERR lab server\r\n",
                                           host=host, port=port)


def imap(*, starttls: bool, in_greeting: bool = False) -> ServerFactory:
    caps = b"IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE" + (b" STARTTLS" if starttls else b"") \
        + b" AUTH=PLAIN"
    greeting = (b"* OK [CAPABILITY " + caps + b"] Dovecot (lab) ready.\r\n" if in_greeting
                else b"* OK Dovecot (lab) ready.\r\n")
    replies = [(b"a1 CAPABILITY", b"* CAPABILITY " + caps + b"\r\na1 OK Capabilities.\r\n"),
               (b"a2 LOGOUT", b"* BYE Logging out\r\na2 OK Logout completed.\r\n")]
    return lambda host, port: BannerServer(greeting, replies, final=[b"a2 LOGOUT"],
                                           unknown=b"* BAD lab server\r\n", host=host,
                                           port=port)


def mysql_greeting(version: str) -> bytes:
    """A protocol-10 handshake packet announcing ``version`` (MySQL speaks first)."""
    payload = (b"\x0a" + version.encode() + b"\x00" + (7).to_bytes(4, "little")
               + b"labsalt1" + b"\x00" + b"\xff\xf7" + b"\x21" + b"\x02\x00" + b"\xff\x81"
               + b"\x15" + b"\x00" * 10 + b"labsaltlab12\x00" + b"mysql_native_password\x00")
    return len(payload).to_bytes(3, "little") + b"\x00" + payload


def mysql(version: str = "8.0.36-0ubuntu0.22.04.1") -> ServerFactory:
    return lambda host, port: BannerServer(mysql_greeting(version), host=host, port=port)


def redis(*, password: bool, version: str = "7.2.4") -> ServerFactory:
    info = (f"# Server\r\nredis_version:{version}\r\nredis_mode:standalone\r\n"
            "os:Linux (lab)\r\n").encode()
    answer = b"-NOAUTH Authentication required.\r\n" if password else \
        b"$" + str(len(info)).encode() + b"\r\n" + info + b"\r\n"
    return lambda host, port: BannerServer(b"", [(b"INFO", answer), (b"PING", b"+PONG\r\n")],
                                           unknown=b"-ERR lab server\r\n", host=host,
                                           port=port)


def postgres() -> ServerFactory:
    return lambda host, port: BannerServer(b"", [(bytes.fromhex("0000000804d2162f"), b"N")],
                                           host=host, port=port)


def rdp() -> ServerFactory:
    # TPKT + X.224 Connection Confirm + RDP Negotiation Response (CredSSP chosen).
    confirm = bytes.fromhex("030000130ed000001234000200080002000000")
    return lambda host, port: BannerServer(b"", [(b"\x03\x00", confirm)], host=host, port=port)


def vnc() -> ServerFactory:
    return lambda host, port: BannerServer(b"RFB 003.008\n", host=host, port=port)


def telnet() -> ServerFactory:
    negotiation = b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"
    return lambda host, port: BannerServer(negotiation + b"\r\nlab login: ", host=host,
                                           port=port)


def rsync() -> ServerFactory:
    return lambda host, port: BannerServer(b"@RSYNCD: 31.0\n", host=host, port=port)


def memcached(version: str = "1.6.21") -> ServerFactory:
    return lambda host, port: BannerServer(b"", [(b"version", f"VERSION {version}\r\n".encode())],
                                           unknown=b"ERROR\r\n", host=host, port=port)


def silent() -> ServerFactory:
    """Accepts and says nothing (as SMB, MS SQL or MongoDB do until the client speaks)."""
    return lambda host, port: FaultServer("drop", host=host, port=port, max_duration=10.0)


def garbage(seed: int = 4) -> ServerFactory:
    return lambda host, port: FaultServer("garbage", host=host, port=port, seed=seed,
                                          size=2048)


def slow(payload: bytes = b"SSH-2.0-OpenSSH_9.6\r\n", delay: float = 0.5) -> ServerFactory:
    return lambda host, port: FaultServer("slow", host=host, port=port, payload=payload,
                                          delay=delay, max_duration=10.0)


# --- web stand-ins -----------------------------------------------------------------------------

LAB_NOTE = "Cyber Basics lab: a fake page for testing, not a real product."


def _html(title: str, body: str) -> Response:
    page = (f"<!doctype html><html><head><title>{title}</title></head><body>{body}"
            f"<p>{LAB_NOTE}</p></body></html>")
    return Response.text(page, content_type="text/html; charset=utf-8")


def _web(routes: Mapping[str, Response], *, name: str = "lab.example", tls=None,
         server: type[LabWebServer] = LabWebServer) -> ServerFactory:
    return lambda host, port: server({name: Site(routes=dict(routes))}, host=host, port=port,
                                     tls=tls, idle_timeout=5.0)


def control_panel(tls=None) -> ServerFactory:
    """A hosting control panel's login page (named like cPanel's, plainly a fake)."""
    return _web({"/": _html("cPanel Login (lab fake)", "<form>user, password</form>")},
                tls=tls)


def web_page(title: str = "Coming soon", tls=None) -> ServerFactory:
    """An ordinary web page (a web service that is not a control panel)."""
    return _web({"/": _html(title, "<h1>Coming soon</h1>")}, tls=tls)


FAKE_FORTIOS_VERSION = "7.0.1"


def vpn_portal(tls=None, version: str | None = FAKE_FORTIOS_VERSION) -> ServerFactory:
    """A FortiGate-like SSL VPN login page: "/" redirects to /remote/login, as on the real
    thing; the lab page shows a (vulnerable-looking) FortiOS version, which real portals
    do not."""
    shown = f"<p>FortiOS v{version}</p>" if version else ""
    login = _html("Lab fake FortiGate SSL VPN",
                  f"<form action=\"/remote/logincheck\">user, password</form>{shown}")
    redirect = Response(302, (("Location", "/remote/login?lang=en"),), b"")
    return _web({"/": redirect, "/remote/login": login}, tls=tls)


def elasticsearch(version: str = "7.10.2") -> ServerFactory:
    body = json.dumps({"name": "lab", "cluster_name": "lab-cluster",
                       "version": {"number": version}, "tagline": "You Know, for Search"})
    return _web({"/": Response.text(body, content_type="application/json")})


def exposed_files_routes(domain: str) -> dict[str, Response]:
    """A website's home page plus files that should never be published (lab content)."""
    zip_bytes = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64
    return {
        "/": _html("Welcome", "<h1>Welcome</h1>"),
        "/.git/HEAD": Response.text("ref: refs/heads/main\n"),
        "/.env": Response.text("APP_ENV=production\nDB_HOST=localhost\n"
                               "DB_PASSWORD=lab-not-a-secret\nAPI_KEY=lab-fake-key\n"),
        f"/{domain}.zip": Response(200, (("Content-Type", "application/zip"),), zip_bytes),
    }


class SoftNotFoundServer(LabWebServer):
    """Answers every address with 200 and the same HTML "page not found" (a soft 404)."""

    def route(self, request):
        site, response = super().route(request)
        if response.status == 404:
            return site, _html("Page not found", "<h1>Sorry, this page does not exist</h1>")
        return site, response


def website(routes: Mapping[str, Response], *, name: str, tls=None,
            soft_404: bool = False) -> ServerFactory:
    return _web(routes, name=name, tls=tls,
                server=SoftNotFoundServer if soft_404 else LabWebServer)


# --- running a layout ---------------------------------------------------------------------------


class ServiceLab:
    """Servers on loopback addresses, one lab port per standard port (see the module doc).

    ``layout``: {address: {standard port: factory}}; ``ports``: every standard port to
    reserve (closed where no server is given); ``filtered``: {address: ports} whose
    connections time out. ``port_map`` maps each standard port to its lab port.
    """

    def __init__(self, layout: Mapping[str, Mapping[int, ServerFactory]], *,
                 ports: Iterable[int] = (), filtered: Mapping[str, Iterable[int]] | None = None):
        self.layout = {require_loopback(a): dict(servers) for a, servers in layout.items()}
        self.filtered = {require_loopback(a): set(p) for a, p in (filtered or {}).items()}
        self.addresses = list(dict.fromkeys([*self.layout, *self.filtered]))
        wanted = set(ports)
        for servers in self.layout.values():
            wanted.update(servers)
        for extra in self.filtered.values():
            wanted.update(extra)
        self.ports = sorted(wanted)
        self.port_map: dict[int, int] = {}
        self.servers: dict[tuple[str, int], LoopbackServer] = {}
        self._sockets: list[socket.socket] = []
        self._stack = contextlib.AsyncExitStack()

    async def start(self) -> Self:
        try:
            for standard in self.ports:
                lab_port, placeholders = _reserve(self.addresses)
                self.port_map[standard] = lab_port
                for address, placeholder in placeholders.items():
                    factory = self.layout.get(address, {}).get(standard)
                    if factory is not None:
                        placeholder.close()
                        server = await self._stack.enter_async_context(
                            factory(address, lab_port))
                        self.servers[(address, standard)] = server
                    elif standard in self.filtered.get(address, ()):
                        placeholder.close()
                        self._sockets.extend(_filtered(address, lab_port))
                    else:
                        self._sockets.append(placeholder)  # bound, not listening: refused
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
        await self._stack.aclose()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    def server(self, address: str, standard_port: int) -> LoopbackServer:
        return self.servers[(address, standard_port)]


def _reserve(addresses: list[str]) -> tuple[int, dict[str, socket.socket]]:
    """One port number free on every address: bound placeholder sockets holding it."""
    for _ in range(50):
        held: dict[str, socket.socket] = {}
        try:
            port = 0
            for address in addresses:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                held[address] = sock
                sock.bind((address, port))
                port = sock.getsockname()[1]
            return port, held
        except OSError:
            for sock in held.values():
                sock.close()
    raise OSError("no port free on every lab address")


def _filtered(address: str, port: int) -> list[socket.socket]:
    """A listener whose queue is full, so that new connections time out as if a firewall
    dropped them (the kernel drops SYNs it has no room for)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(0)
    filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    filler.settimeout(1.0)
    filler.connect((address, port))  # fills the queue; nobody ever accepts it
    return [filler, listener]


# --- the demo world ---------------------------------------------------------------------------

def demo_layout() -> dict[str, dict[int, ServerFactory]]:
    """Services on the demo world's own mail hosts (`lab.world`), for active scans of it:
    the bakery's mail server is tidy, the plumber's exposes nearly everything, the florist's
    sits behind a fake VPN portal. The web address is listed without services so that the
    lab ports are reserved (closed) there too."""
    from .world import WEB_ADDRESS

    return {
        WEB_ADDRESS: {},
        "127.0.10.1": {22: ssh(CURRENT_OPENSSH), 143: imap(starttls=True, in_greeting=True),
                       110: pop3(starttls=True)},
        "127.0.10.2": {22: ssh(OLD_OPENSSH), 21: ftp(), 23: telnet(), 3389: rdp(),
                       110: pop3(starttls=False), 143: imap(starttls=False),
                       3306: mysql("5.7.33-0ubuntu0.18.04.1"), 6379: redis(password=False),
                       2083: control_panel()},
        "127.0.10.3": {22: ssh(CURRENT_OPENSSH), 10443: vpn_portal()},
        "127.0.10.4": {},
    }


def demo_ports(taken: Iterable[int] = (25, 53, 80, 443)) -> list[int]:
    """The standard ports an active scan probes, less those the world already maps."""
    from ..scan.evidence.services import PORTS

    return sorted({p.port for p in PORTS} - set(taken))
