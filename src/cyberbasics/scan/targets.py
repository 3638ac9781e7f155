"""What the user typed, turned into a domain to scan, or a clear reason why not."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class InvalidTarget(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Target:
    domain: str  # ASCII (A-label) form, lower case, no trailing dot
    input: str
    notice: str | None = None  # said to the user when we changed what they typed


def parse_target(text: str) -> Target:
    raw = text
    text = text.strip()
    if not text:
        raise InvalidTarget("invalid_domain", "Empty input: enter a domain such as example.com.")
    notice = None
    host = text
    if "://" in text or "/" in text or "?" in text:
        try:
            host = urlsplit(text if "://" in text else "//" + text).hostname or ""
        except ValueError:  # e.g. an unclosed "[" of an IPv6 literal
            host = ""
        if not host:
            raise InvalidTarget("invalid_domain", f"{raw!r} is not a domain or web address.")
        notice = "web address"
    elif "@" in text:
        host = text.rpartition("@")[2]
        notice = "email address"
    host = host.strip().rstrip(".")
    _reject_ip(host, raw)
    if host.lower().startswith("www.") and host.count(".") >= 2:
        host = host[4:]
        notice = notice or "www"
    domain = _to_ascii(host, raw)
    if notice == "web address":
        notice = f"You entered a web address; we scanned its domain {domain}."
    elif notice == "email address":
        notice = f"You entered an email address; we scanned its domain {domain}."
    elif notice == "www":
        notice = f"We scanned the domain {domain} (the website www.{domain} is part of it)."
    return Target(domain, raw, notice)


def _reject_ip(host: str, raw: str) -> None:
    candidate = host.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return
    raise InvalidTarget("ip_address",
                        f"{raw!r} is an IP address; enter the business's domain name instead "
                        "(for example example.com).")


def _to_ascii(host: str, raw: str) -> str:
    import idna

    try:
        ascii_host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidTarget("invalid_domain", f"{raw!r} is not a valid domain name ({exc}).") \
            from None
    ascii_host = ascii_host.lower()
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidTarget("invalid_domain", f"{raw!r} is not a valid domain name.")
    if len(labels) < 2:
        raise InvalidTarget("invalid_domain",
                            f"{raw!r} is not a complete domain: enter a name such as example.com.")
    if labels[-1].isdigit():
        raise InvalidTarget("invalid_domain", f"{raw!r} is not a valid domain name.")
    return ascii_host
