"""Links in HTML bodies: text that names one place and a target that goes elsewhere,
targets that are bare IP addresses, and targets with internationalised (punycode) names."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from ..protocols.psl import organisational_domain
from .message import normalise_domain

MAX_LINKS = 500
_DOMAIN_IN_TEXT = re.compile(
    r"^\s*(?:[a-z][a-z0-9+.\-]*://)?(?:www\.)?(?P<host>(?:[\w\-]+\.)+[a-z\u00a1-\uffff]{2,})"
    r"(?::\d+)?(?:[/?#]\S*)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    href: str
    text: str


@dataclass(frozen=True)
class LinkFinding:
    kind: str  # text_mismatch, ip_target, punycode_target
    href: str
    text: str
    host: str
    shown_host: str | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "href": self.href, "text": self.text, "host": self.host,
                "text_host": self.shown_host}


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._close()
            self._href = next((v for k, v in attrs if k == "href" and v), None)
            self._text = []

    def handle_endtag(self, tag):
        if tag == "a":
            self._close()

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def _close(self):
        if self._href is not None and len(self.links) < MAX_LINKS:
            self.links.append(Link(self._href.strip(), " ".join("".join(self._text).split())))
        self._href = None


def extract_links(html: str) -> list[Link]:
    parser = _Anchors()
    try:
        parser.feed(html)
        parser.close()
        parser._close()
    except Exception:  # html.parser is lenient; keep what was found
        pass
    return parser.links


def _host(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https"):
            return None
        host = parts.hostname
    except ValueError:
        return None
    return host or None


# RFC 2606 / RFC 6761 reserved top-level domains: not in the PSL, but names under them are
# still names (the lab and documentation use them).
_RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost"})


def known_suffix(domain: str) -> bool:
    """Whether the name ends in a real top-level domain (so "invoice.pdf" is no web address)."""
    from ..protocols.psl import _suffix_list

    last = domain.rstrip(".").rpartition(".")[2].lower()
    return "." in domain and bool(last) and (last in _suffix_list().rules
                                             or last in _RESERVED_TLDS)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def check_links(html_bodies: tuple[str, ...]) -> list[LinkFinding]:
    findings: list[LinkFinding] = []
    seen: set[tuple[str, str]] = set()
    for html in html_bodies:
        for link in extract_links(html):
            host = _host(link.href)
            if host is None:
                continue
            key = (link.href, link.text)
            if key in seen:
                continue
            seen.add(key)
            if _is_ip(host):
                findings.append(LinkFinding("ip_target", link.href, link.text, host))
                continue
            ascii_host = normalise_domain(host)
            if any(label.startswith("xn--") for label in ascii_host.split(".")):
                findings.append(LinkFinding("punycode_target", link.href, link.text, ascii_host))
            match = _DOMAIN_IN_TEXT.match(link.text)
            if not match:
                continue
            shown = normalise_domain(match.group("host"))
            if not known_suffix(shown):
                continue
            shown_org = organisational_domain(shown) or shown
            target_org = organisational_domain(ascii_host) or ascii_host
            if shown_org != target_org:
                findings.append(LinkFinding("text_mismatch", link.href, link.text, ascii_host,
                                            shown))
    return findings
