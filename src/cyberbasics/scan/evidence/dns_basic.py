"""Evidence about the domain's DNS: existence, nameservers, CAA, mail exchangers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ...net.dns import NOERROR, DnsAnswer
from ...net.guard import refusal_reason
from ..gather import DomainContext, collector

MAX_NAMESERVERS = 8
MAX_MX_HOSTS = 10


@collector("soa")
async def soa(ctx: DomainContext) -> DnsAnswer:
    return await ctx.dns.lookup(ctx.domain, "SOA")


@collector("ns")
async def ns(ctx: DomainContext) -> DnsAnswer:
    return await ctx.dns.lookup(ctx.domain, "NS")


@dataclass(frozen=True)
class NameserverView:
    """What one of the domain's nameservers says about the zone."""

    name: str
    addresses: tuple[str, ...]
    serial: int | None  # SOA serial it answered with
    error: str | None  # why it could not be asked, or why it gave no serial
    lame: bool = False  # definitely broken (no address, or not serving the zone), not a timeout
    checked: bool = True  # False: we could not ask it (our lookup failed, or not allowed)

    def to_json(self) -> dict:
        data = {"name": self.name, "addresses": list(self.addresses), "serial": self.serial,
                "lame": self.lame, "checked": self.checked}
        if self.error:
            data["error"] = self.error
        return data


@collector("ns_serials")
async def ns_serials(ctx: DomainContext) -> tuple[NameserverView, ...]:
    """Ask every nameserver (first address of each) for the zone's SOA serial."""
    answer = await ctx.get("ns")
    if not answer.exists:
        return ()
    names = sorted(answer.records)[:MAX_NAMESERVERS]
    return tuple(await asyncio.gather(*(_ask_nameserver(ctx, name) for name in names)))


async def _ask_nameserver(ctx: DomainContext, name: str) -> NameserverView:
    found, error = await ctx.dns.addresses(name)
    if not found:
        return NameserverView(name, (), None, error or "the name has no address",
                              lame=error is None, checked=error is None)
    allowed = [ip for ip in found if refusal_reason(ip, lab=ctx.config.lab) is None]
    if not allowed:
        return NameserverView(name, found, None,
                              refusal_reason(found[0], lab=ctx.config.lab), checked=False)
    # Prefer IPv4: the scanning host may have no IPv6 route.
    ip = sorted(allowed, key=lambda a: ":" in a)[0]
    reply = await ctx.dns.lookup(ctx.domain, "SOA", server=(ip, ctx.config.port(53)))
    if reply.rcode != NOERROR or not reply.records:
        definite = reply.rcode in (NOERROR, "NXDOMAIN", "REFUSED")
        return NameserverView(name, found, None,
                              reply.error or f"answered {reply.rcode} without an SOA record",
                              lame=definite)
    return NameserverView(name, found, int(reply.records[0].split()[2]), None)


@dataclass(frozen=True)
class CaaView:
    """The CAA record set that applies (RFC 8659 §3: the closest one up the tree)."""

    found_at: str | None
    records: tuple[str, ...]
    error: str | None  # a lookup on the way up failed, so the answer is unknown

    def to_json(self) -> dict:
        data = {"found_at": self.found_at, "records": list(self.records)}
        if self.error:
            data["error"] = self.error
        return data


@collector("caa")
async def caa(ctx: DomainContext) -> CaaView:
    labels = ctx.domain.split(".")
    names = [".".join(labels[i:]) for i in range(len(labels) - 1)]  # stop above the TLD
    answers = await asyncio.gather(*(ctx.dns.lookup(n, "CAA") for n in names))
    for name, answer in zip(names, answers, strict=True):
        if not answer.ok:
            return CaaView(None, (), f"CAA lookup for {name}: {answer.error or answer.rcode}")
        if answer.records:
            return CaaView(name, answer.records, None)
    return CaaView(None, (), None)


@dataclass(frozen=True)
class MxHost:
    name: str  # "" for a null MX
    preference: int
    addresses: tuple[str, ...]
    error: str | None

    def to_json(self) -> dict:
        data = {"name": self.name, "preference": self.preference,
                "addresses": list(self.addresses)}
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class MxView:
    answer: DnsAnswer
    hosts: tuple[MxHost, ...]

    @property
    def null_mx(self) -> bool:
        """RFC 7505: an MX with an empty exchange ('.') means no mail is accepted; it must
        stand alone, but several of them still say the same."""
        return bool(self.hosts) and all(h.name == "" for h in self.hosts)

    @property
    def mixed_null_mx(self) -> bool:
        """A null MX beside real ones: invalid (RFC 7505 §3), senders may do either."""
        return any(h.name == "" for h in self.hosts) and not self.null_mx

    @property
    def receives_mail(self) -> bool:
        return self.answer.exists and bool(self.hosts) and not self.null_mx

    def to_json(self) -> dict:
        return {"answer": self.answer.to_json(), "hosts": [h.to_json() for h in self.hosts],
                "null_mx": self.null_mx}


@collector("mx")
async def mx(ctx: DomainContext) -> MxView:
    answer = await ctx.dns.lookup(ctx.domain, "MX")
    if not answer.exists:
        return MxView(answer, ())
    pairs = answer.mx()[:MAX_MX_HOSTS]

    async def host(pref: int, name: str) -> MxHost:
        if name == "":
            return MxHost("", pref, (), None)
        found, error = await ctx.dns.addresses(name)
        return MxHost(name, pref, found, error)

    return MxView(answer, tuple(await asyncio.gather(*(host(p, n) for p, n in pairs))))
