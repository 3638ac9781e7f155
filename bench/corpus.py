"""A lab corpus of small-business domains with varied, realistic records.

Most small businesses sit on a few big providers (hosted mail with long SPF include chains,
shared MX hosts, shared DNS hosting), and a minority have broken or odd records. The mix
below imitates that, deterministically (seeded), under the reserved `.example` TLD.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from cyberbasics.lab.world import dkim_public_key, txt
from cyberbasics.lab.zones import ZoneSpec

SHARED_NS = ("ns1.dnshost.example", "ns2.dnshost.example")
MX_ADDRESSES = {  # the providers' mail servers, each served by a lab SMTP server
    "mx1.m365.example": "127.0.40.1",
    "aspmx.gmail.example": "127.0.40.2",
    "alt1.aspmx.gmail.example": "127.0.40.3",
    "mx.hoster.example": "127.0.40.4",
}
WEB_ADDRESS = "127.0.40.10"  # mta-sts.<domain> for the domains that publish a policy

PROVIDER_RECORDS = {
    "ns1.dnshost.example": [("A", "127.0.0.1")],
    "ns2.dnshost.example": [("A", "127.0.0.1")],
    **{name: [("A", address)] for name, address in MX_ADDRESSES.items()},
    # A hosted-mail provider with a nested include chain, as the big ones have.
    "spf.m365.example": [txt("v=spf1 include:spf-a.m365.example include:spf-b.m365.example "
                             "-all")],
    "spf-a.m365.example": [txt("v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:1::/48 -all")],
    "spf-b.m365.example": [txt("v=spf1 ip4:203.0.113.0/25 include:spf-c.m365.example -all")],
    "spf-c.m365.example": [txt("v=spf1 ip4:203.0.113.128/25 -all")],
    "_spf.gmail.example": [txt("v=spf1 include:_netblocks.gmail.example "
                               "include:_netblocks2.gmail.example "
                               "include:_netblocks3.gmail.example ~all")],
    "_netblocks.gmail.example": [txt("v=spf1 ip4:198.51.100.0/25 ~all")],
    "_netblocks2.gmail.example": [txt("v=spf1 ip6:2001:db8:2::/48 ~all")],
    "_netblocks3.gmail.example": [txt("v=spf1 ip4:203.0.113.0/24 ~all")],
    "spf.hoster.example": [txt("v=spf1 a:relay.hoster.example ~all")],
    "relay.hoster.example": [("A", "198.51.100.50")],
    "spf.mailer.example": [txt("v=spf1 include:spf1.mailer.example include:spf2.mailer.example "
                               "~all")],
    "spf1.mailer.example": [txt("v=spf1 ip4:198.51.100.128/25 ~all")],
    "spf2.mailer.example": [txt("v=spf1 ip4:203.0.113.64/26 ~all")],
    # A bloated marketing stack: with the rest, it takes a record past 10 lookups.
    **{f"s{n}.bloat.example": [txt(f"v=spf1 include:s{n + 1}.bloat.example ~all")]
       for n in range(9)},
    "s9.bloat.example": [txt("v=spf1 ip4:198.51.100.99 ~all")],
    "dmarc-reports.example": [("MX", "10 mx.hoster.example.")],
    "*._report._dmarc.dmarc-reports.example": [txt("v=DMARC1")],
}


@dataclass
class CorpusDomain:
    domain: str
    kind: str
    records: dict = field(default_factory=dict)
    signed: bool = False
    dnssec_fault: str | None = None
    mta_sts_policy: str | None = None


def _mail(kind: str, d: str, rng: random.Random) -> tuple[dict, str | None]:
    dmarc_policy = rng.choice(["none", "quarantine", "reject", None])
    records: dict = {}
    policy = None
    if kind == "m365":
        records[d] = [("MX", "0 mx1.m365.example."), txt("v=spf1 include:spf.m365.example -all")]
        records[f"selector1._domainkey.{d}"] = [txt(f"v=DKIM1; k=rsa; p={dkim_public_key(2048)}")]
        mx = ["mx1.m365.example"]
    elif kind == "gmail":
        records[d] = [("MX", "1 aspmx.gmail.example."), ("MX", "5 alt1.aspmx.gmail.example."),
                      txt("v=spf1 include:_spf.gmail.example ~all")]
        records[f"google._domainkey.{d}"] = [txt(f"v=DKIM1; k=rsa; p={dkim_public_key(1024)}")]
        mx = ["aspmx.gmail.example", "alt1.aspmx.gmail.example"]
    else:  # a hosting package: mail on the hoster, a marketing sender included
        records[d] = [("MX", "10 mx.hoster.example."),
                      txt("v=spf1 a mx include:spf.hoster.example include:spf.mailer.example "
                          "~all"), ("A", "198.51.100.80")]
        mx = ["mx.hoster.example"]
    if dmarc_policy:
        rua = rng.choice(["", f"; rua=mailto:dmarc@{d}", "; rua=mailto:x@dmarc-reports.example"])
        records[f"_dmarc.{d}"] = [txt(f"v=DMARC1; p={dmarc_policy}{rua}")]
    if rng.random() < 0.2:
        records[f"_smtp._tls.{d}"] = [txt(f"v=TLSRPTv1; rua=mailto:tls@{d}")]
    if rng.random() < 0.1:
        records[f"_mta-sts.{d}"] = [txt("v=STSv1; id=2026")]
        records[f"mta-sts.{d}"] = [("A", WEB_ADDRESS)]
        mode = rng.choice(["enforce", "testing"])
        policy = f"version: STSv1\nmode: {mode}\n" + "".join(f"mx: {m}\n" for m in mx) + \
            "max_age: 604800\n"
    return records, policy


def _broken(d: str, rng: random.Random) -> dict:
    variant = rng.randrange(6)
    apex = [("MX", "10 mx.hoster.example.")]
    if variant == 0:
        apex += [txt("v=spf1 mx -all"), txt("v=spf1 a -all")]  # two SPF records
    elif variant == 1:
        apex += [txt("v=spf1 mx include: -all")]  # syntax error
    elif variant == 2:
        apex += [txt("v=spf1 +all")]
    elif variant == 3:
        apex += [txt("v=spf1 include:s0.bloat.example include:spf.m365.example mx ~all")]
    elif variant == 4:
        apex += [txt("v=spf1 include:gone.example include:also-gone.example "
                     "include:never.example -all")]  # void lookups
    else:
        apex += [txt("v=spf1 mx ~all")]
    records = {d: apex}
    if variant in (1, 5):
        records[f"_dmarc.{d}"] = [txt("v=DMARC1; p=bogus; rua=nowhere")]
    return records


def build_corpus(count: int = 1000, seed: int = 7) -> list[CorpusDomain]:
    rng = random.Random(seed)
    domains = []
    for n in range(count):
        d = f"biz{n:04d}.example"
        roll = rng.random()
        policy = None
        if roll < 0.35:
            kind = "m365"
        elif roll < 0.60:
            kind = "gmail"
        elif roll < 0.80:
            kind = "hosting"
        elif roll < 0.92:
            kind = "broken"
        else:
            kind = "nomail"
        if kind in ("m365", "gmail", "hosting"):
            records, policy = _mail(kind, d, rng)
        elif kind == "broken":
            records = _broken(d, rng)
        else:
            records = {d: [("MX", "0 ."), txt("v=spf1 -all")],
                       f"_dmarc.{d}": [txt("v=DMARC1; p=reject")]}
        signed = rng.random() < 0.3
        fault = "wrong_ds" if signed and rng.random() < 0.05 else None
        domains.append(CorpusDomain(d, kind, records, signed, fault, policy))
    return domains


def slow_names(corpus: list[CorpusDomain], seed: int = 7) -> dict[str, str]:
    """A few names answer slowly or not at all, as real servers sometimes do."""
    rng = random.Random(seed + 1)
    faults = {}
    for item in corpus:
        roll = rng.random()
        if roll < 0.02:
            faults[f"_dmarc.{item.domain}"] = "delay:0.4"
        elif roll < 0.03:
            faults[f"_smtp._tls.{item.domain}"] = "servfail"
    return faults


def zone_specs(corpus: list[CorpusDomain]) -> list[ZoneSpec]:
    specs = [ZoneSpec(".", {}, signed=True),
             ZoneSpec("example", PROVIDER_RECORDS, signed=True, nameservers=SHARED_NS)]
    for item in corpus:
        specs.append(ZoneSpec(item.domain, item.records, signed=item.signed,
                              dnssec_fault=item.dnssec_fault, nameservers=SHARED_NS))
    return specs
