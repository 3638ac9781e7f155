"""Lab zone data: plain records in, dnspython zones (optionally DNSSEC-signed) out.

Records are data: ``{"example.com": [("MX", "10 mx.example.com."), ("TXT", '"v=spf1 -all"')]}``
with owner names written without the trailing dot. A `LabZoneSet` turns zones of such records
into signed or unsigned dnspython zones, links signed children to their parents with DS
records, and gives the trust anchor that a scanner must be told about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

Records = Mapping[str, Iterable[tuple[str, str]]]

DEFAULT_TTL = 300
# A fixed point in time keeps signatures and test results reproducible.
SIGNATURE_INCEPTION = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
SIGNATURE_EXPIRATION = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
EXPIRED_SIGNATURE_END = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)

# How a signed zone may be broken on purpose, for the DNSSEC checks' tests and demos.
DNSSEC_FAULTS = ("expired_signatures", "wrong_ds", "no_ds")


@dataclass(frozen=True)
class ZoneSpec:
    """One zone of the lab: its apex, its records, and whether (and how) it is signed."""

    origin: str
    records: Records = field(default_factory=dict)
    signed: bool = False
    dnssec_fault: str | None = None  # one of DNSSEC_FAULTS
    nameservers: tuple[str, ...] = ()  # NS names; default ns1/ns2.<origin>
    serial: int = 2026010101

    def __post_init__(self):
        if self.dnssec_fault is not None and self.dnssec_fault not in DNSSEC_FAULTS:
            raise ValueError(f"unknown DNSSEC fault {self.dnssec_fault!r}")


def to_name(text: str) -> dns.name.Name:
    text = text.strip()
    return dns.name.root if text in ("", ".") else dns.name.from_text(text.rstrip(".") + ".")


@cache
def _zone_keys(origin: str) -> tuple:
    """A (KSK, ZSK) pair per zone, made once per process: ECDSA P-256 is quick and small."""
    from cryptography.hazmat.primitives.asymmetric import ec

    alg = dns.dnssec.Algorithm.ECDSAP256SHA256
    ksk = ec.generate_private_key(ec.SECP256R1())
    zsk = ec.generate_private_key(ec.SECP256R1())
    ksk_key = dns.dnssec.make_dnskey(ksk.public_key(), alg, flags=257)
    zsk_key = dns.dnssec.make_dnskey(zsk.public_key(), alg, flags=256)
    return ((ksk, ksk_key), (zsk, zsk_key))


class LabZoneSet:
    """All zones the lab DNS server answers for, with the chain of trust between them."""

    def __init__(self, specs: Iterable[ZoneSpec]):
        self.specs = {to_name(s.origin): s for s in specs}
        self.zones: dict[dns.name.Name, dns.zone.Zone] = {}
        self.trust_anchors: list[dns.rrset.RRset] = []
        self._build()

    @classmethod
    def from_records(cls, records: Records, origin: str = ".") -> LabZoneSet:
        """One unsigned zone holding every record: enough for protocol tests."""
        return cls([ZoneSpec(origin, records)])

    def zone_for(self, qname: dns.name.Name, *, parent_side: bool = False):
        """The deepest zone that holds qname; for DS, the zone above the cut."""
        name = qname.parent() if parent_side and qname != dns.name.root else qname
        while True:
            zone = self.zones.get(name)
            if zone is not None:
                return zone
            if name == dns.name.root:
                return None
            name = name.parent()

    def trust_anchor_text(self) -> str:
        """The anchors in zone-file form, as `--trust-anchor` reads them."""
        return "".join(rrset.to_text() + "\n" for rrset in self.trust_anchors)

    # Building: children are signed first, so each parent can carry its children's DS.
    def _build(self) -> None:
        for origin, spec in self.specs.items():
            self.zones[origin] = self._unsigned_zone(origin, spec)
        for origin in sorted(self.zones, key=len, reverse=True):
            spec = self.specs[origin]
            if spec.signed:
                self._sign(origin, spec)
        for origin, spec in self.specs.items():
            parent = self._parent_of(origin)
            if spec.signed and (parent is None or not self.specs[parent].signed):
                (_, ksk_key), _ = _zone_keys(origin.to_text())
                self.trust_anchors.append(
                    dns.rrset.from_rdata(origin, DEFAULT_TTL, dns.dnssec.make_ds(origin, ksk_key,
                                                                                  "SHA256")))

    def _parent_of(self, origin: dns.name.Name) -> dns.name.Name | None:
        candidates = [o for o in self.zones if o != origin and origin.is_subdomain(o)]
        return max(candidates, key=len) if candidates else None

    def _unsigned_zone(self, origin: dns.name.Name, spec: ZoneSpec) -> dns.zone.Zone:
        zone = dns.zone.Zone(origin, relativize=False)
        apex_text = origin.to_text()
        nameservers = spec.nameservers or (f"ns1.{apex_text}", f"ns2.{apex_text}")
        if origin == dns.name.root:
            nameservers = spec.nameservers or ("a.root-servers.lab.",)
        with zone.writer() as txn:
            has_soa = has_ns = False
            for owner, rrs in spec.records.items():
                name = to_name(owner)
                if not name.is_subdomain(origin):
                    raise ValueError(f"{owner!r} is outside the zone {apex_text}")
                for rdtype, text in rrs:
                    rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, text, origin=origin,
                                                relativize=False)
                    txn.add(name, DEFAULT_TTL, rdata)
                    has_soa |= name == origin and rdata.rdtype == dns.rdatatype.SOA
                    has_ns |= name == origin and rdata.rdtype == dns.rdatatype.NS
            if not has_soa:
                hostmaster = "hostmaster." + ("" if origin == dns.name.root else apex_text)
                soa = (f"{_absolute(nameservers[0])} {hostmaster} {spec.serial} "
                       "3600 600 604800 300")
                txn.add(origin, DEFAULT_TTL, dns.rdata.from_text("IN", "SOA", soa))
            if not has_ns:
                for ns in nameservers:
                    txn.add(origin, DEFAULT_TTL, dns.rdata.from_text("IN", "NS", _absolute(ns)))
        return zone

    def _sign(self, origin: dns.name.Name, spec: ZoneSpec) -> None:
        ksk, zsk = _zone_keys(origin.to_text())
        zone = self.zones[origin]
        expired = spec.dnssec_fault == "expired_signatures"
        dns.dnssec.sign_zone(
            zone,
            keys=[ksk, zsk],
            inception=SIGNATURE_INCEPTION,
            expiration=EXPIRED_SIGNATURE_END if expired else SIGNATURE_EXPIRATION,
        )
        parent = self._parent_of(origin)
        if parent is None or spec.dnssec_fault == "no_ds":
            return
        key_for_ds = ksk[1]
        if spec.dnssec_fault == "wrong_ds":
            # A DS that names a key the child never published: a classic broken key roll.
            from cryptography.hazmat.primitives.asymmetric import ec

            stray = ec.generate_private_key(ec.SECP256R1())
            key_for_ds = dns.dnssec.make_dnskey(stray.public_key(),
                                                dns.dnssec.Algorithm.ECDSAP256SHA256, flags=257)
        ds = dns.dnssec.make_ds(origin, key_for_ds, "SHA256")
        parent_zone = self.zones[parent]
        with parent_zone.writer() as txn:
            txn.add(origin, DEFAULT_TTL, ds)
            # NS at the cut, so the parent knows the delegation, as a real parent does.
            for ns in zone.get_rdataset(origin, "NS") or ():
                txn.add(origin, DEFAULT_TTL, ns)


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."
