"""An in-memory DNS with the DnsClient interface, serving scenario zone data.

    zone = {
        "_dmarc.example.com": [txt("v=DMARC1; p=reject")],
        "example.com": [("MX", "10 mx.example.com.")],
        "www.example.com": [("CNAME", "example.com.")],
    }
    dns = ZoneDns(zone, faults={"_dmarc.broken.example": "servfail"})
    answer = await dns.lookup("_dmarc.example.com", "TXT")

Zone data is ``{owner: [(rdtype, rdata text), ...]}`` with owner names without the
trailing dot and rdata in zone-file presentation format (names fully qualified
with a trailing dot); ``txt()`` and ``txt_rdata()`` quote TXT data.  Bad zone data
fails when the ZoneDns is made, not as a DNS error.

- CNAMEs are followed (up to 8), and the answer names the canonical name.
- A name that owns no records but has names below it answers NOERROR with no data
  (an empty non-terminal); other unknown names answer NXDOMAIN.
- ``*.`` owners act as wildcards for names below them that do not exist (not even
  as empty non-terminals); the closest wildcard wins.
- ``faults`` maps an owner name to "servfail", "timeout", "refused" or "error":
  every query for that name (or reaching it through a CNAME) then fails that way.
- ``delay`` seconds are waited before each answer.
- Every query is kept, in order, in ``queries``; ``query_counts``, ``asked()`` and
  ``queried()`` look at them.

Answers are built exactly as the real client builds them (dns.rdata.from_text,
then cyberbasics.net.dns._record_text, records sorted), so the lab DNS server can
later replace this class without changing the tests.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import lru_cache

import dns.rdata
import dns.rdataclass
import dns.rdatatype

from cyberbasics.net.dns import (
    ERROR,
    NOERROR,
    NXDOMAIN,
    REFUSED,
    SERVFAIL,
    TIMEOUT,
    DnsAnswer,
    _record_text,
    normalise_name,
)

Zone = dict[str, list[tuple[str, str]]]

_FAULTS = {"servfail": SERVFAIL, "timeout": TIMEOUT, "refused": REFUSED, "error": ERROR}
_MAX_CNAME_CHAIN = 8


class ZoneDns:
    """``await ZoneDns(zone, faults).lookup(name, rdtype)`` -> DnsAnswer."""

    def __init__(self, zone: Zone, faults: dict[str, str] | None = None, *,
                 delay: float = 0.0):
        self.zone = {normalise_name(owner): list(rrs) for owner, rrs in zone.items()}
        self.faults = {normalise_name(owner): kind for owner, kind in (faults or {}).items()}
        for kind in self.faults.values():
            if kind not in _FAULTS:
                raise ValueError(f"unknown fault {kind!r}; use one of {sorted(_FAULTS)}")
        self.delay = delay
        self.queries: list[tuple[str, str]] = []
        for owner, rrs in self.zone.items():  # bad zone data fails here, not as a DNS error
            for rdtype, text in rrs:
                try:
                    _presentation(rdtype.upper(), text)
                except Exception as exc:
                    raise ValueError(f"bad zone data at {owner}: {rdtype} {text!r}: {exc}") \
                        from exc

    @property
    def query_counts(self) -> Counter[tuple[str, str]]:
        return Counter(self.queries)

    def asked(self, name: str, rdtype: str | None = None) -> bool:
        """Whether name was asked for (for rdtype, if given)."""
        name = normalise_name(name)
        return any(n == name and (rdtype is None or t == rdtype) for n, t in self.queries)

    def queried(self, rdtype: str = "TXT") -> list[str]:
        """The names asked for, in order, for one record type."""
        return [name for name, kind in self.queries if kind == rdtype]

    async def lookup(self, name: str, rdtype: str, *, dnssec: bool = False,
                     server: tuple[str, int] | None = None) -> DnsAnswer:
        qname = normalise_name(name)
        rdtype = rdtype.upper()
        self.queries.append((qname, rdtype))
        if self.delay:
            await asyncio.sleep(self.delay)
        canonical = None
        current = qname
        for _ in range(_MAX_CNAME_CHAIN):
            fault = self.faults.get(current)
            if fault is not None:
                return DnsAnswer(qname, rdtype, _FAULTS[fault],
                                 error=f"lab fault: {fault} for {current}")
            entries = self._records_at(current)
            if entries is None:
                return DnsAnswer(qname, rdtype, NXDOMAIN, canonical_name=canonical)
            wanted = [text for kind, text in entries if kind.upper() == rdtype]
            if wanted:
                records = tuple(sorted(_presentation(rdtype, text) for text in wanted))
                return DnsAnswer(qname, rdtype, NOERROR, records, canonical_name=canonical)
            cnames = [text for kind, text in entries if kind.upper() == "CNAME"]
            if not cnames or rdtype == "CNAME":
                break
            current = normalise_name(_presentation("CNAME", cnames[0]))
            canonical = current
        return DnsAnswer(qname, rdtype, NOERROR, canonical_name=canonical)

    def _records_at(self, name: str) -> list[tuple[str, str]] | None:
        """The records answering for name: its own, none for an empty non-terminal, those
        of the closest wildcard if it does not exist, or None (NXDOMAIN)."""
        if name in self.zone:
            return self.zone[name]
        if any(owner.endswith("." + name) for owner in self.zone):
            return []
        labels = name.split(".")
        for index in range(1, len(labels)):
            wildcard = "*." + ".".join(labels[index:])
            if wildcard in self.zone:
                return self.zone[wildcard]
        return None


def txt(*strings: str) -> tuple[str, str]:
    """A ("TXT", rdata) pair holding the given character-strings, one each, escaped."""
    return ("TXT", " ".join(_quoted(s.encode("utf-8")) for s in strings))


def txt_rdata(text: str) -> str:
    """Zone-file rdata for a TXT record holding ``text``: 255-octet strings, escaped."""
    data = text.encode("utf-8")
    chunks = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
    return " ".join(_quoted(chunk) for chunk in chunks)


def _quoted(data: bytes) -> str:
    return '"' + "".join(_escape(octet) for octet in data) + '"'


def _escape(octet: int) -> str:
    if octet in (0x22, 0x5C):  # '"' and backslash
        return "\\" + chr(octet)
    if 0x20 <= octet <= 0x7E:
        return chr(octet)
    return f"\\{octet:03d}"


@lru_cache(maxsize=4096)
def _presentation(rdtype: str, text: str) -> str:
    """The record as DnsAnswer.records holds it (see cyberbasics.net.dns._record_text)."""
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)
    return _record_text(rdata)
