"""An in-memory DNS with the DnsClient interface, serving scenario zone data.

Zone data is ``{owner: [(rdtype, rdata text), ...]}`` with owner names without the
trailing dot and rdata in zone-file presentation format (names fully qualified
with a trailing dot). ``faults`` maps an owner name to "servfail", "timeout",
"refused" or "error": every query for that name then fails that way.

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
        self._names = set(self.zone)
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
        name = normalise_name(name)
        return any(n == name and (rdtype is None or t == rdtype) for n, t in self.queries)

    async def lookup(self, name: str, rdtype: str, *, dnssec: bool = False) -> DnsAnswer:
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
            entries = self.zone.get(current)
            if entries is None:
                if any(other.endswith("." + current) for other in self._names):
                    return DnsAnswer(qname, rdtype, NOERROR, canonical_name=canonical)
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


def txt_rdata(text: str) -> str:
    """Zone-file rdata for a TXT record holding ``text``: 255-octet strings, escaped."""
    data = text.encode("utf-8")
    chunks = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
    return " ".join('"' + "".join(_escape(b) for b in chunk) + '"' for chunk in chunks)


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
