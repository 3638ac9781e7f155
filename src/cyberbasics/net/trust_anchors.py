"""DNSSEC trust anchors: the root's by default, or the lab's (or any) from a file.

The file holds DS or DNSKEY records in zone-file form, one per line, with absolute owner
names (``. IN DS 20326 8 2 E06D...``); ``;`` starts a comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tokenizer

ROOT_ANCHORS_FILE = Path(__file__).with_name("root-anchors.txt")


class TrustAnchorError(ValueError):
    """The trust anchor file cannot be used; the message names the line."""


@dataclass(frozen=True)
class TrustAnchors:
    by_owner: dict[dns.name.Name, tuple]  # owner -> DS and DNSKEY rdatas

    def closest_to(self, name: dns.name.Name) -> dns.name.Name | None:
        owners = [o for o in self.by_owner if name.is_subdomain(o)]
        return max(owners, key=len) if owners else None


def load_trust_anchors(path: Path | None = None) -> TrustAnchors:
    path = Path(path) if path else ROOT_ANCHORS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustAnchorError(f"cannot read trust anchors from {path}: {exc}") from None
    return parse_trust_anchors(text, source=str(path))


def parse_trust_anchors(text: str, *, source: str = "trust anchors") -> TrustAnchors:
    anchors: dict[dns.name.Name, list] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        try:
            owner = dns.name.from_text(fields[0])
            rest = fields[1:]
            while rest and (rest[0].isdigit() or rest[0].upper() == "IN"):
                rest = rest[1:]  # optional TTL and class
            if not rest or rest[0].upper() not in ("DS", "DNSKEY"):
                raise TrustAnchorError(f"{source} line {number}: expected a DS or DNSKEY record")
            rdata = dns.rdata.from_text(dns.rdataclass.IN, rest[0].upper(), " ".join(rest[1:]))
        except TrustAnchorError:
            raise
        except (dns.exception.DNSException, ValueError, IndexError) as exc:
            raise TrustAnchorError(f"{source} line {number}: {exc}") from None
        anchors.setdefault(owner, []).append(rdata)
    if not anchors:
        raise TrustAnchorError(f"{source} holds no DS or DNSKEY record")
    return TrustAnchors({owner: tuple(rdatas) for owner, rdatas in anchors.items()})
