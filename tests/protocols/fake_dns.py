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
                records = tuple(sorted(_record_text(_rdata(rdtype, text)) for text in wanted))
                return DnsAnswer(qname, rdtype, NOERROR, records, canonical_name=canonical)
            cnames = [text for kind, text in entries if kind.upper() == "CNAME"]
            if not cnames or rdtype == "CNAME":
                break
            current = normalise_name(_record_text(_rdata("CNAME", cnames[0])))
            canonical = current
        return DnsAnswer(qname, rdtype, NOERROR, canonical_name=canonical)


def _rdata(rdtype: str, text: str):
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)
