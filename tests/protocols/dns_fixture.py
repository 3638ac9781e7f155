"""An in-memory DNS for protocol tests: answers like DnsClient.lookup, from a dict.

    zone = {
        "_dmarc.example.com": [("TXT", '"v=DMARC1; p=reject"')],
        "example.com": [("MX", "10 mx.example.com.")],
    }
    dns = DictDns(zone, faults={"_dmarc.broken.example": "servfail"})
    answer = await dns.lookup("_dmarc.example.com", "TXT")

Owner names are written without the trailing dot; rdata is zone-file text and
goes through dnspython's parser and ``cyberbasics.net.dns._record_text``, so
answers look exactly like the real client's.  A name that owns no records but
has names below it answers NOERROR with no data (an empty non-terminal);
other unknown names answer NXDOMAIN.  ``*.`` owners act as wildcards for
names that do not exist.  ``faults`` maps a name to "servfail", "timeout",
"refused" or "error".  Every query is kept in ``queries``.
"""

from __future__ import annotations

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

_FAULTS = {
    "servfail": (SERVFAIL, "server answered SERVFAIL"),
    "timeout": (TIMEOUT, "no answer within 5 s"),
    "refused": (REFUSED, "server answered REFUSED"),
    "error": (ERROR, "bad answer"),
}


def txt(*strings: str) -> tuple[str, str]:
    """A ("TXT", rdata) pair for the given character-strings, quoted for the zone parser."""
    quoted = " ".join(
        '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in strings
    )
    return ("TXT", quoted)


class DictDns:
    def __init__(
        self,
        zone: dict[str, list[tuple[str, str]]],
        faults: dict[str, str] | None = None,
    ):
        self.zone = {normalise_name(name): list(rrs) for name, rrs in zone.items()}
        self.faults = {normalise_name(name): kind for name, kind in (faults or {}).items()}
        self.queries: list[tuple[str, str]] = []

    def _owner(self, name: str) -> str | None:
        """The owner answering for name: itself, or the closest wildcard if it does not exist."""
        if name in self.zone:
            return name
        if any(owner.endswith("." + name) for owner in self.zone):
            return name  # an empty non-terminal
        labels = name.split(".")
        for index in range(1, len(labels)):
            wildcard = "*." + ".".join(labels[index:])
            if wildcard in self.zone:
                return wildcard
        return None

    async def lookup(self, name: str, rdtype: str, **_ignored) -> DnsAnswer:
        qname = normalise_name(name)
        rdtype = rdtype.upper()
        self.queries.append((qname, rdtype))
        if qname in self.faults:
            rcode, error = _FAULTS[self.faults[qname]]
            return DnsAnswer(qname, rdtype, rcode, error=error)
        owner = self._owner(qname)
        if owner is None:
            return DnsAnswer(qname, rdtype, NXDOMAIN)
        wanted = dns.rdatatype.from_text(rdtype)
        records = tuple(sorted(
            _record_text(dns.rdata.from_text(dns.rdataclass.IN, wanted, text))
            for kind, text in self.zone.get(owner, [])
            if kind.upper() == rdtype
        ))
        return DnsAnswer(qname, rdtype, NOERROR, records)

    def queried(self, rdtype: str = "TXT") -> list[str]:
        """The names asked for, in order, for one record type."""
        return [name for name, kind in self.queries if kind == rdtype]
