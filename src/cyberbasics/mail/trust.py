"""Which headers we believe: the trust boundary and Authentication-Results.

Everything a sender writes arrives below the Received header that the business's own
receiving side added; an attacker can write any header there, including a Received or an
Authentication-Results that says "pass". So we trust only headers at or above the boundary:
by default the topmost Received; with `mx_hosts` the topmost Received whose "by" names one
of them (and everything above it). An Authentication-Results counts only above the boundary
AND from an authserv-id the business named (RFC 8601 §5: ids are not proof on their own).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .message import Message

_FROM_CLAUSE = re.compile(r"^\s*from\s+(?P<helo>[^\s()]+)?\s*(?P<rest>.*?)(?=\bby\b|$)",
                          re.IGNORECASE | re.DOTALL)
_BY_CLAUSE = re.compile(r"\bby\s+(?P<host>[^\s;()]+)", re.IGNORECASE)
_BRACKETED_IP = re.compile(r"\[(?:IPv6:)?(?P<ip>[0-9a-fA-F:.]+)\]")


@dataclass(frozen=True)
class Hop:
    position: int  # index in Message.headers
    by: str | None
    helo: str | None
    ip: str | None
    raw: str

    def to_dict(self) -> dict:
        return {"by": self.by, "helo": self.helo, "ip": self.ip, "received": self.raw}


@dataclass(frozen=True)
class AuthResult:
    method: str  # spf, dkim, dmarc, arc, ...
    result: str  # pass, fail, softfail, none, ...
    properties: dict[str, str] = field(default_factory=dict)  # "header.from" -> "example.com"
    comment: str = ""
    policy: str | None = None  # DMARC policy applied, when the header says (p=reject)

    def to_dict(self) -> dict:
        return {"method": self.method, "result": self.result, "properties": self.properties,
                "policy": self.policy}


@dataclass(frozen=True)
class AuthHeader:
    position: int
    authserv_id: str
    results: tuple[AuthResult, ...]
    raw: str


@dataclass(frozen=True)
class TrustView:
    hop: Hop | None  # the boundary hop, None when no Received matched
    boundary: int  # headers at positions <= boundary are trusted; -1 = none
    trusted_auth: tuple[AuthHeader, ...]
    ignored_auth: tuple[tuple[AuthHeader, str], ...]  # (header, why: below/untrusted_id)
    mx_hosts_missing: bool = False

    def trusted(self, position: int) -> bool:
        return position <= self.boundary


def parse_received(position: int, value: str) -> Hop:
    by_match = _BY_CLAUSE.search(value)
    by = by_match.group("host").rstrip(".").lower() if by_match else None
    helo = ip = None
    from_match = _FROM_CLAUSE.match(value)
    if from_match:
        helo = from_match.group("helo")
        for candidate in _BRACKETED_IP.findall(from_match.group("rest")):
            try:
                ip = str(ipaddress.ip_address(candidate))
                break
            except ValueError:
                continue
    return Hop(position, by, helo, ip, value)


def _strip_comments(text: str) -> tuple[str, str]:
    """Text without (comments) (nested, quoted strings respected) and the comments."""
    out, comments, depth, quoted, escape = [], [], 0, False, False
    for char in text:
        if escape:
            (comments if depth else out).append(char)
            escape = False
        elif char == "\\":
            escape = True
            (comments if depth else out).append(char)
        elif quoted:
            out.append(char)
            quoted = char != '"'
        elif char == '"' and not depth:
            quoted = True
            out.append(char)
        elif char == "(":
            depth += 1
            comments.append(" ")
        elif char == ")" and depth:
            depth -= 1
        else:
            (comments if depth else out).append(char)
    return "".join(out), "".join(comments)


def parse_authentication_results(position: int, value: str) -> AuthHeader | None:
    """RFC 8601 Authentication-Results, leniently; None when it has no authserv-id."""
    parts = value.split(";")
    head, _ = _strip_comments(parts[0])
    tokens = head.split()
    if not tokens:
        return None
    authserv_id = tokens[0].rstrip(".").lower()
    results = []
    for part in parts[1:]:
        clean, comment = _strip_comments(part)
        pairs = re.findall(r"([A-Za-z0-9_.\-/]+)\s*=\s*(\"[^\"]*\"|[^\s]+)", clean)
        if not pairs:
            continue
        method, result = pairs[0]
        method = method.split("/")[0].lower()
        properties = {k.lower(): v.strip('"') for k, v in pairs[1:]}
        policy = None
        if method == "dmarc":
            found = (properties.get("policy.dmarc")
                     or properties.get("policy.published-domain-policy")
                     or _comment_policy(comment))
            policy = found.lower() if found else None
        results.append(AuthResult(method, result.strip('"').lower(), properties,
                                  comment.strip(), policy))
    return AuthHeader(position, authserv_id, tuple(results), value)


def _comment_policy(comment: str) -> str | None:
    match = re.search(r"\bp=([A-Za-z]+)", comment)
    return match.group(1) if match else None


def trust_view(message: Message, mx_hosts: Iterable[str] = (),
               trusted_authserv_ids: Iterable[str] = ()) -> TrustView:
    hosts = {h.strip().rstrip(".").lower() for h in mx_hosts if h.strip()}
    ids = {i.strip().rstrip(".").lower() for i in trusted_authserv_ids if i.strip()}
    hops = [parse_received(pos, value) for pos, value in message.get_all("Received")]
    hop: Hop | None = None
    if hosts:
        hop = next((h for h in hops if h.by in hosts), None)
    elif hops:
        hop = hops[0]
    boundary = hop.position if hop else -1
    trusted, ignored = [], []
    for pos, value in message.get_all("Authentication-Results"):
        header = parse_authentication_results(pos, value)
        if header is None:
            continue
        if pos > boundary:
            ignored.append((header, "below_boundary"))
        elif header.authserv_id not in ids:
            ignored.append((header, "untrusted_id"))
        else:
            trusted.append(header)
    return TrustView(hop, boundary, tuple(trusted), tuple(ignored),
                     mx_hosts_missing=bool(hosts) and hop is None)
