"""What a service's first words say: pure parsers for the greetings and short answers an
active scan reads (SSH, FTP, SMTP, POP3, IMAP, MySQL, Redis, PostgreSQL, RDP, VNC, Telnet,
rsync, memcached, HTTP), and the products and versions they name.

Every function takes bytes or text as received, from anyone, and never raises: what it
does not recognise is None. Versions are read only where the text shows them plainly; a
product seen without a version has version None (the vulnerability check never guesses).
Products and versions in greetings (SSH, FTP, SMTP, POP3/IMAP) are read by
`software_names`, the one table the passive and active scans share; the rest of this module
reads protocols.

Greetings are read up to 4 KiB and pages up to 64 KiB, and a page is searched in time
linear in its size: a page written to stall the scanner costs no more than any other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from . import software_names

MAX_BANNER_CHARS = 200

# --- text --------------------------------------------------------------------------------------


def as_text(data: bytes | str, limit: int = 64 * 1024) -> str:
    """Bytes as text (UTF-8, undecodable bytes replaced), at most ``limit`` characters."""
    if isinstance(data, str):
        return data[:limit]
    return data[:limit * 4].decode("utf-8", "replace")[:limit]


def banner_text(data: bytes | str, limit: int = MAX_BANNER_CHARS) -> str:
    """A banner for evidence: one line's worth, line breaks shown as spaces, trimmed."""
    text = as_text(data, limit * 2)
    text = re.sub(r"[\r\n\t]+", " ", text).strip()
    return text[:limit] + ("…" if len(text) > limit else "")


def _lines(data: bytes | str) -> list[str]:
    return as_text(data).replace("\r\n", "\n").split("\n")


# --- SSH (RFC 4253 §4.2) --------------------------------------------------------------------------

# SSH-protoversion-softwareversion SP comments. The RFC keeps "-" out of the software
# version, but real servers use it ("SSH-2.0-Cisco-1.25"), so only spaces end it here.
_SSH = re.compile(r"SSH-(\d+\.\d+)-([\x21-\x7e]+)(?:[ \t]+([^\r\n]*))?")


@dataclass(frozen=True)
class SshIdent:
    protocol: str  # "2.0" (or "1.99")
    software: str  # "OpenSSH_8.9p1"
    comments: str | None  # "Ubuntu-3ubuntu0.1"
    product: str | None  # a software.PRODUCTS id, when recognised
    version: str | None
    # A vendor's own build, numbered and supported its own way (OpenSSH for Windows is
    # Microsoft's): product and version stay None, and this says whose it is.
    vendor_build: str | None = None

    @property
    def text(self) -> str:
        return f"SSH-{self.protocol}-{self.software}" + (f" {self.comments}"
                                                         if self.comments else "")


def parse_ssh_banner(data: bytes | str) -> SshIdent | None:
    """The identification line (servers may send other lines before it)."""
    for line in _lines(data)[:20]:
        match = _SSH.fullmatch(line.rstrip("\r"))
        if match:
            ident = f"SSH-{match[1]}-{match[2]}"
            named = software_names.from_ssh_banner(ident)
            product, version = (named[0].product, named[0].version) if named else (None, None)
            return SshIdent(match[1], match[2], match[3] or None, product, version,
                            software_names.ssh_vendor_build(ident))
    return None


# OpenSSH has no support periods of its own; distributions support what they ship. Every
# distribution release that shipped an OpenSSH older than 8.0 (April 2019) is past its
# regular support (RHEL 7, Ubuntu 18.04, Debian 10 and older); Dropbear releases before
# 2020 are as old.
OPENSSH_SUPPORTED_FROM = (8, 0)
DROPBEAR_SUPPORTED_FROM = 2020


def ssh_out_of_support(product: str | None, version: str | None) -> bool | None:
    """True when the version is older than anything still supported, None when unknown."""
    if product is None or version is None:
        return None
    if product == "openssh":
        match = re.match(r"(\d+)\.(\d+)", version)
        if match:
            return (int(match[1]), int(match[2])) < OPENSSH_SUPPORTED_FROM
    if product == "dropbear":
        match = re.match(r"(\d{4})\.", version)
        if match:
            return int(match[1]) < DROPBEAR_SUPPORTED_FROM
    return None


# --- FTP, SMTP, POP3, IMAP greetings -------------------------------------------------------------

_REPLY_LINE = re.compile(r"(\d{3})([ -])(.*)")


def reply_complete(data: bytes) -> bool:
    """A full FTP/SMTP reply has arrived: a line "NNN text" (not "NNN-") ends it."""
    return any((m := _REPLY_LINE.fullmatch(line.rstrip("\r"))) and m[2] == " "
               for line in _lines(data)[:-1])


def reply_code(data: bytes | str) -> int | None:
    """The code of an FTP/SMTP reply (the first line's), or None if it is not one."""
    match = _REPLY_LINE.fullmatch(_lines(data)[0].rstrip("\r"))
    return int(match[1]) if match else None


def _named(found: list[software_names.Named]) -> tuple[str, str | None] | None:
    return (found[0].product, found[0].version) if found else None


def ftp_product(greeting: bytes | str) -> tuple[str, str | None] | None:
    return _named(software_names.from_ftp_banner(as_text(greeting, 4096)))


def smtp_product(greeting: bytes | str) -> tuple[str, str | None] | None:
    return _named(software_names.from_smtp_banner(as_text(greeting, 4096)))


def mail_product(greeting: bytes | str) -> tuple[str, str | None] | None:
    """POP3/IMAP greetings (Dovecot says its name, not its version)."""
    return _named(software_names.from_mail_banner(as_text(greeting, 4096)))


def is_pop3_greeting(data: bytes | str) -> bool:
    return as_text(data, 512).startswith("+OK")


def pop3_capabilities(data: bytes | str) -> frozenset[str] | None:
    """The CAPA answer (RFC 2449): capability names, upper case; None if it was refused or
    is not a CAPA answer."""
    lines = [line.rstrip("\r") for line in _lines(data)]
    if not lines or not lines[0].startswith("+OK"):
        return None
    names = set()
    for line in lines[1:]:
        if line == ".":
            return frozenset(names)
        if line.split():
            names.add(line.split()[0].upper())
    return frozenset(names)  # incomplete, but what arrived is what the server offers


def pop3_capa_complete(data: bytes) -> bool:
    text = as_text(data)
    return (text.startswith("-") and "\n" in text) or "\n.\r\n" in text or "\n.\n" in text


_IMAP_CAPS = re.compile(r"\[CAPABILITY ([^\]]*)\]|^\* CAPABILITY (.*)$", re.I | re.M)


def is_imap_greeting(data: bytes | str) -> bool:
    return bool(re.match(r"\* (OK|PREAUTH|BYE)\b", as_text(data, 512), re.I))


def imap_capabilities(data: bytes | str) -> frozenset[str] | None:
    """Capabilities from a greeting's [CAPABILITY ...] code or a CAPABILITY answer."""
    names: set[str] = set()
    found = False
    for match in _IMAP_CAPS.finditer(as_text(data)):
        found = True
        names.update(word.upper() for word in (match[1] or match[2] or "").split())
    return frozenset(names) if found else None


def imap_tagged_done(data: bytes, tag: str) -> bool:
    return any(line.startswith(f"{tag} ") for line in _lines(data)[:-1])


# --- MySQL / MariaDB ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MysqlGreeting:
    server_version: str | None  # as sent, e.g. "8.0.36-0ubuntu0.22.04.1"
    error: str | None  # an error packet instead ("Host ... is not allowed to connect")
    product: str | None  # "mysql" or "mariadb"
    version: str | None


def mysql_packet_complete(data: bytes) -> bool:
    return len(data) >= 4 and len(data) >= 4 + int.from_bytes(data[:3], "little")


def parse_mysql_greeting(data: bytes) -> MysqlGreeting | None:
    """The server's first packet: a v10 handshake (its version string) or an error packet."""
    if len(data) < 5:
        return None
    length = int.from_bytes(data[:3], "little")
    payload = data[4:4 + length]
    if length < 2 or len(payload) < 2 or data[3] != 0:
        return None
    if payload[0] == 0x0A:
        end = payload.find(b"\x00", 1)
        if end < 2 or end > 80:
            return None
        try:
            text = payload[1:end].decode("ascii")
        except UnicodeDecodeError:
            return None
        if not text.isprintable() or not re.match(r"\d+\.\d+", text):
            return None
        product, version = _mysql_product(text)
        return MysqlGreeting(text, None, product, version)
    if payload[0] == 0xFF and len(payload) >= 3:
        message = payload[3:]
        if message.startswith(b"#"):
            message = message[6:]
        text = banner_text(message)
        if not text or not text.isprintable():
            return None
        return MysqlGreeting(None, text, "mysql" if "mysql" in text.lower() else None, None)
    return None


def _mysql_product(text: str) -> tuple[str, str | None]:
    if "mariadb" in text.lower():
        # MariaDB 10 announced itself as "5.5.5-10.x" so old clients would accept it.
        match = re.match(r"(?:5\.5\.5-)?(\d+\.\d+\.\d+)", text)
        return "mariadb", match[1] if match else None
    match = re.match(r"(\d+\.\d+\.\d+)", text)
    return "mysql", match[1] if match else None


# --- Redis, memcached, PostgreSQL ---------------------------------------------------------------

REDIS_PROBE = b"INFO server\r\n"  # read-only; a server with a password answers -NOAUTH


@dataclass(frozen=True)
class RedisReply:
    access: str  # "open" (answered without a password), "password", "protected", "error"
    version: str | None
    message: str | None


def redis_reply_complete(data: bytes) -> bool:
    if not data:
        return False
    if data[:1] == b"$":
        head, sep, rest = data.partition(b"\r\n")
        if not sep:
            return False
        try:
            size = int(head[1:])
        except ValueError:
            return True
        return size < 0 or len(rest) >= size
    return b"\r\n" in data


def parse_redis_reply(data: bytes) -> RedisReply | None:
    """The answer to `REDIS_PROBE`, or None if this is not Redis speaking."""
    text = as_text(data, 16 * 1024)
    first = text.split("\r\n", 1)[0]
    if first.startswith(("-NOAUTH", "-NOPERM", "-WRONGPASS")):
        return RedisReply("password", None, banner_text(first[1:]))
    if first.startswith("-DENIED"):
        return RedisReply("protected", None, banner_text(first[1:]))
    if first.startswith("-ERR"):
        return RedisReply("error", None, banner_text(first[1:]))
    if first.startswith("$") and "redis_version:" in text:
        match = re.search(r"^redis_version:(\d+\.\d+(?:\.\d+)?)\s*$", text, re.M)
        return RedisReply("open", match[1] if match else None, None)
    return None


MEMCACHED_PROBE = b"version\r\n"


def parse_memcached_version(data: bytes) -> str | None:
    """"VERSION 1.6.21" → "1.6.21"; anything else None."""
    match = re.fullmatch(r"VERSION (\d+\.\d+\.\d+)\S*", as_text(data, 200).split("\r\n")[0])
    return match[1] if match else None


# The PostgreSQL SSLRequest: the standard first message of an encrypted session, answered
# with one byte ("S" or "N") before anything else is said; it authenticates nothing.
POSTGRES_SSL_REQUEST = b"\x00\x00\x00\x08\x04\xd2\x16\x2f"


def is_postgres_ssl_answer(data: bytes) -> bool:
    return data in (b"S", b"N") or (data[:1] == b"E" and b"SFATAL" in data[:200])


# --- RDP, VNC, Telnet, rsync ----------------------------------------------------------------------

# TPKT + X.224 Connection Request + RDP Negotiation Request (TLS | CredSSP): how every RDP
# client begins (MS-RDPBCGR 2.2.1.1); no user, no credentials.
RDP_PROBE = bytes.fromhex("030000130ee000000000000100080003000000")


def rdp_answer_complete(data: bytes) -> bool:
    return len(data) >= 4 and len(data) >= int.from_bytes(data[2:4], "big")


def is_rdp_answer(data: bytes) -> bool:
    """TPKT version 3 carrying an X.224 Connection Confirm (0xD0)."""
    return len(data) >= 7 and data[0] == 3 and data[1] == 0 and data[5] & 0xF0 == 0xD0


_RFB = re.compile(rb"RFB (\d{3})\.(\d{3})\n")


def vnc_version(data: bytes) -> str | None:
    """The RFB protocol version a VNC server announces ("3.8"), or None."""
    match = _RFB.match(data[:12])
    return f"{int(match[1])}.{int(match[2])}" if match else None


def is_telnet(data: bytes) -> bool:
    """Telnet option negotiation (IAC DO/DONT/WILL/WONT) or a login prompt."""
    if len(data) >= 2 and data[0] == 0xFF and 0xFB <= data[1] <= 0xFE:
        return True
    tail = as_text(data[-200:], 200).strip().lower()
    return tail.endswith(("login:", "username:", "user name:", "password:"))


def telnet_text(data: bytes) -> str:
    """What a Telnet server printed, its option negotiation left out."""
    data = re.sub(rb"\xff\xfa.*?(\xff\xf0|$)", b"", data, flags=re.S)  # subnegotiation
    data = re.sub(rb"\xff[\xfb-\xfe].?|\xff[\xf1-\xf9\xff]", b"", data, flags=re.S)
    return banner_text(bytes(b for b in data if 32 <= b < 127 or b in (9, 10, 13)))


def rsync_version(data: bytes) -> str | None:
    match = re.match(rb"@RSYNCD: (\d+(?:\.\d+)?)", data[:40])
    return match[1].decode() if match else None


# --- HTTP -----------------------------------------------------------------------------------------

_STATUS_LINE = re.compile(r"HTTP/(\d)\.(\d) (\d{3})(?: ([^\r\n]*))?")
_MAX_HEADERS = 100


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value)
    body: bytes
    complete: bool  # the whole body arrived (by Content-Length, chunks or close)
    reason: str = ""

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    @property
    def text(self) -> str:
        return as_text(self.body)


def parse_http_response(data: bytes, *, eof: bool = True) -> HttpAnswer | None:
    """An HTTP/1.x response as read from a connection (``eof``: the server closed it)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, rest = data.partition(b"\n\n")
        if not sep:
            return None
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    match = _STATUS_LINE.fullmatch(lines[0])
    if not match:
        return None
    headers = []
    for line in lines[1:_MAX_HEADERS + 1]:
        name, colon, value = line.partition(":")
        if colon and name and " " not in name:
            headers.append((name.strip().lower(), value.strip()))
    body, complete = rest, eof
    transfer = next((v for k, v in headers if k == "transfer-encoding"), "")
    length = next((v for k, v in headers if k == "content-length"), None)
    if "chunked" in transfer.lower():
        body, complete = _dechunk(rest)
    elif length is not None and length.strip().isdigit():
        size = int(length.strip())
        complete = len(rest) >= size
        body = rest[:size]
    return HttpAnswer(int(match[3]), tuple(headers), body, complete, match[4] or "")


def _dechunk(data: bytes) -> tuple[bytes, bool]:
    out = bytearray()
    position = 0
    while True:
        end = data.find(b"\r\n", position)
        if end < 0:
            return bytes(out), False
        size_text = data[position:end].split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return bytes(out), False
        if size == 0:
            return bytes(out), True
        start = end + 2
        out += data[start:start + size]
        if len(data) < start + size + 2:
            return bytes(out), False
        position = start + size + 2


def http_head_complete(data: bytes) -> bool:
    return b"\r\n\r\n" in data or b"\n\n" in data


_TITLE_OPEN = re.compile(r"<title(?=[\s/>])", re.I)
_TITLE_CLOSE = re.compile(r"</title", re.I)
TITLE_WINDOW = 2048  # how far after "<title" its ">" and its "</title" may be


def html_title(text: str) -> str | None:
    """The first <title> element's text (spaces collapsed, at most 120 characters).

    Linear in the page: each search is a fixed-length pattern, and the tag's end and the
    closing tag are looked for only within `TITLE_WINDOW` characters, so a page of nothing
    but "<title>" costs one window, not the page's length for each of them."""
    text = text[:65536]
    opening = _TITLE_OPEN.search(text)
    if opening is None:
        return None
    window_end = opening.end() + TITLE_WINDOW
    start = text.find(">", opening.end(), window_end)
    if start < 0:
        return None
    closing = _TITLE_CLOSE.search(text, start + 1, window_end)
    if closing is None:
        return None
    return banner_text(" ".join(text[start + 1:closing.start()].split()), 120) or None


# --- what answers over HTTP: JSON services, control panels, VPN portals --------------------------


def json_service(answer: HttpAnswer) -> tuple[str, str | None] | None:
    """Elasticsearch (or OpenSearch) and CouchDB describe themselves at "/"."""
    text = answer.text.strip()
    if not text.startswith("{") or len(text) > 64 * 1024:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    version = data.get("version")
    if data.get("couchdb") == "Welcome":
        return "couchdb", version if isinstance(version, str) else None
    if isinstance(version, dict) and ("cluster_name" in data or "tagline" in data):
        number = version.get("number")
        if isinstance(number, str) and re.fullmatch(r"\d+\.\d+\.\d+\S*", number):
            tagline = str(data.get("tagline", ""))
            if "OpenSearch" in tagline or version.get("distribution") == "opensearch":
                return "opensearch", number
            return "elasticsearch", number
        return "elasticsearch", None
    return None


# Control panels of hosting, routers and storage boxes, by what their login pages say.
_PANELS = (
    ("whm", "cPanel WHM"), ("cpanel", "cPanel"), ("plesk", "Plesk"), ("webmin", "Webmin"),
    ("miniserv", "Webmin"), ("directadmin", "DirectAdmin"), ("ispconfig", "ISPConfig"),
    ("hestia", "Hestia Control Panel"), ("vestacp", "Vesta Control Panel"),
    ("cyberpanel", "CyberPanel"), ("synology", "Synology DiskStation Manager"),
    ("diskstation", "Synology DiskStation Manager"), ("qnap", "QNAP QTS"),
    ("proxmox", "Proxmox VE"), ("pfsense", "pfSense"), ("opnsense", "OPNsense"),
    ("routeros", "MikroTik RouterOS"), ("mikrotik", "MikroTik RouterOS"),
    ("fritz!box", "FRITZ!Box"), ("unifi", "UniFi Network"), ("phpmyadmin", "phpMyAdmin"),
    ("router", "a router's web interface"),
)


@dataclass(frozen=True)
class WebIdentity:
    title: str | None
    server: str | None
    panel: str | None  # a control panel recognised by name
    login_realm: str | None  # HTTP authentication asked for (realm), often a device
    portal: tuple[str, str | None] | None = None  # a VPN/firewall portal (product, version)
    software: tuple[tuple[str, str | None], ...] = field(default=())  # (product, version)


def identify_web(answer: HttpAnswer, location: str | None = None) -> WebIdentity:
    """What a web page on a service port is: its title, server, a control panel or a VPN
    portal by name, and software that names its version in the Server header."""
    text = answer.text[:65536]
    title = html_title(text)  # once: the portal and panel tests below share it
    server = answer.header("server")
    realm = None
    challenge = answer.header("www-authenticate")
    if answer.status == 401 and challenge:
        match = re.search(r'realm="([^"]{0,100})"', challenge, re.I)
        realm = banner_text(match[1], 100) if match else "(no name)"
    haystack = " ".join(x for x in (title, server, realm, text[:8192]) if x).lower()
    portal = _portal(answer, text, title, location)
    panel = None
    if portal is None:
        key_text = " ".join(x for x in (title, server, realm) if x).lower()
        panel = next((name for needle, name in _PANELS if needle in key_text), None)
        if panel is None:
            panel = next((name for needle, name in _PANELS[:-1] if needle in haystack), None)
    software = []
    if server:
        product = server_product(server)
        if product:
            software.append(product)
    return WebIdentity(title, banner_text(server, 120) if server else None, panel, realm,
                       portal, tuple(software))


def server_product(server: str) -> tuple[str, str | None] | None:
    """Software named in a Server header that the scan should report with its version."""
    match = re.search(r"MiniServ/(\d+\.\d+)", server)
    if match:
        return "webmin", match[1]
    return None


# Each portal by markers of its own (URL paths only it uses, found in the page or a
# redirect), or by its name in the page title or the Server header; a page that merely
# mentions a vendor (a reseller's blog) is not a portal.
_PORTALS = (
    ("fortinet-fortios", ("/remote/login", "/remote/fgt_lang", "ftnt-fortinet-grid"),
     ("fortigate", "fortinet", "fortios"),
     re.compile(r"FortiOS\s*v?(\d+\.\d+\.\d+)", re.I)),
    ("ivanti-connect-secure", ("/dana-na/",),
     ("pulse secure", "pulse connect secure", "ivanti connect secure"),
     re.compile(r"(?:Ivanti|Pulse) Connect Secure\s+(?:version\s+)?(\d+\.\d+R\d+(?:\.\d+)*)",
                re.I)),
    ("citrix-netscaler", ("/vpn/index.html", "/logon/logonpoint/"),
     ("citrix gateway", "netscaler gateway", "netscaler aaa"),
     re.compile(r"NetScaler\s+(?:ADC\s+|Gateway\s+)?(?:version\s+)?(\d+\.\d+-\d+\.\d+)", re.I)),
    ("sonicwall-sonicos", ("/cgi-bin/welcome", "sonicui", "/sslvpnlogin"),
     ("sonicwall",),
     re.compile(r"SonicOS(?: Enhanced)?\s+v?(\d+\.\d+\.\d+(?:\.\d+)?(?:-\d+\w*)?)", re.I)),
    ("paloalto-panos", ("/global-protect/",), ("globalprotect",),
     re.compile(r"PAN-OS\s+(\d+\.\d+\.\d+(?:-h\d+)?)", re.I)),
)


def identify_portal(answer: HttpAnswer, location: str | None = None
                    ) -> tuple[str, str | None] | None:
    """A VPN or firewall login portal (product id, version shown on the page or None)."""
    text = answer.text[:65536]
    return _portal(answer, text, html_title(text), location)


def _portal(answer: HttpAnswer, text: str, title: str | None, location: str | None
            ) -> tuple[str, str | None] | None:
    paths = " ".join(x for x in (location, answer.header("location"), text) if x).lower()
    names = " ".join(x for x in (title, answer.header("server")) if x).lower()
    for product, markers, product_names, version_pattern in _PORTALS:
        if any(m in paths for m in markers) or any(n in names for n in product_names):
            match = version_pattern.search(text)
            return product, match[1] if match else None
    return None
