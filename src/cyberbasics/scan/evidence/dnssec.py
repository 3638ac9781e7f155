"""DNSSEC: walk the chain of trust from the closest trust anchor down to the domain.

Keys validated for a zone are remembered for the whole batch, so a thousand domains
under one TLD validate the root's and the TLD's keys once.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.dnssec
import dns.message
import dns.name
import dns.rdatatype

from ...net.dns import DnsAnswer
from ...net.trust_anchors import TrustAnchorError, TrustAnchors, load_trust_anchors
from ..gather import DomainContext, ScanSession, collector

SECURE = "secure"  # signed, and the chain validates up to the trust anchor
INSECURE = "insecure"  # not signed (or a parent delegates without DS)
ISLAND = "island"  # signed, but the parent publishes no DS: nobody can validate it
BOGUS = "bogus"  # signed, but validation fails: resolvers that check will refuse the domain
ERROR = "error"  # could not find out (timeout, SERVFAIL, no anchor covers the name)


@dataclass(frozen=True)
class DnssecView:
    state: str
    reason: str
    chain: tuple[str, ...]  # zones whose keys validated, anchor first

    def to_json(self) -> dict:
        return {"state": self.state, "reason": self.reason, "chain": list(self.chain)}


@dataclass(frozen=True)
class _ZoneKeys:
    state: str  # SECURE (keys set), INSECURE, ISLAND, BOGUS, ERROR, or "no_cut"
    reason: str = ""
    keys: object = None  # the validated DNSKEY rrset


async def _anchors(session: ScanSession) -> TrustAnchors | str:
    async def load():
        try:
            return load_trust_anchors(session.config.trust_anchor_file)
        except TrustAnchorError as exc:
            return str(exc)

    return await session.memo("dnssec:anchors", load)


@collector("dnssec")
async def dnssec(ctx: DomainContext) -> DnssecView:
    anchors = await _anchors(ctx.session)
    if isinstance(anchors, str):
        return DnssecView(ERROR, anchors, ())
    target = dns.name.from_text(ctx.domain)
    top = anchors.closest_to(target)
    if top is None:
        return DnssecView(ERROR, f"no trust anchor covers {ctx.domain}", ())
    _prefetch_chain(ctx, top, target)
    zone = await _anchor_keys(ctx, anchors, top)
    chain = [_text(top)]
    if zone.state != SECURE:
        return DnssecView(zone.state, zone.reason, ())
    keys = zone.keys
    for depth in range(len(top) + 1, len(target) + 1):
        child = target.split(depth)[1]
        step = await _child_keys(ctx, child, keys)
        if step.state == "no_cut":
            continue
        if step.state != SECURE:
            return DnssecView(step.state, step.reason, tuple(chain))
        keys = step.keys
        chain.append(_text(child))
    soa = await ctx.dns.lookup(ctx.domain, "SOA", dnssec=True)
    problem = _validate(soa, keys, ctx)
    if problem:
        return DnssecView(BOGUS if soa.ok else ERROR, problem, tuple(chain))
    return DnssecView(SECURE, f"the chain of trust validates from {chain[0]} down to "
                              f"{ctx.domain}", tuple(chain))


def _prefetch_chain(ctx: DomainContext, top, target) -> None:
    """Ask every key and DS the walk may need at once: validation is sequential, the
    round trips need not be (the DNS client keeps the answers)."""
    names = [target.split(depth)[1] for depth in range(len(top), len(target) + 1)]
    for name in names:
        text = _text(name)
        ctx.dns.prefetch(text, "DNSKEY", dnssec=True)
        if name != top:
            ctx.dns.prefetch(text, "DS", dnssec=True)
    ctx.dns.prefetch(ctx.domain, "SOA", dnssec=True)


async def _anchor_keys(ctx: DomainContext, anchors: TrustAnchors, owner) -> _ZoneKeys:
    async def make() -> _ZoneKeys:
        answer = await ctx.dns.lookup(owner.to_text(), "DNSKEY", dnssec=True)
        if not answer.ok:
            return _ZoneKeys(ERROR, f"DNSKEY of {_text(owner)}: {answer.error or answer.rcode}")
        if answer.rrset is None:
            return _ZoneKeys(BOGUS, f"the trust anchor zone {_text(owner)} publishes no DNSKEY")
        matched = [k for k in answer.rrset if _matches_any(owner, k, anchors.by_owner[owner])]
        if not matched:
            return _ZoneKeys(BOGUS, f"no DNSKEY of {_text(owner)} matches the trust anchor")
        problem = _validate(answer, answer.rrset, ctx)
        if problem:
            return _ZoneKeys(BOGUS, problem)
        return _ZoneKeys(SECURE, keys=answer.rrset)

    return await ctx.session.memo(f"dnssec:anchor:{owner}", make)


async def _child_keys(ctx: DomainContext, child, parent_keys) -> _ZoneKeys:
    async def make() -> _ZoneKeys:
        name = _text(child)
        ds = await ctx.dns.lookup(name, "DS", dnssec=True)
        if not ds.ok:
            return _ZoneKeys(ERROR, f"DS of {name}: {ds.error or ds.rcode}")
        if ds.rrset is None:
            return await _unsigned_or_island(ctx, name)
        problem = _validate(ds, parent_keys, ctx)
        if problem:
            return _ZoneKeys(BOGUS, problem)
        keys = await ctx.dns.lookup(name, "DNSKEY", dnssec=True)
        if not keys.ok:
            return _ZoneKeys(ERROR, f"DNSKEY of {name}: {keys.error or keys.rcode}")
        if keys.rrset is None:
            return _ZoneKeys(BOGUS, f"the parent of {name} publishes a DS record, "
                                    f"but {name} publishes no DNSKEY")
        if not any(_matches_any(child, k, tuple(ds.rrset)) for k in keys.rrset):
            return _ZoneKeys(BOGUS, f"no DNSKEY of {name} matches the DS record its parent "
                                    "publishes (a broken key roll-over?)")
        problem = _validate(keys, keys.rrset, ctx)
        if problem:
            return _ZoneKeys(BOGUS, problem)
        return _ZoneKeys(SECURE, keys=keys.rrset)

    return await ctx.session.memo(f"dnssec:zone:{child}", make)


async def _unsigned_or_island(ctx: DomainContext, name: str) -> _ZoneKeys:
    soa = await ctx.dns.lookup(name, "SOA")
    if not soa.ok:
        return _ZoneKeys(ERROR, f"SOA of {name}: {soa.error or soa.rcode}")
    if not soa.records:
        return _ZoneKeys("no_cut")
    keys = await ctx.dns.lookup(name, "DNSKEY")
    if not keys.ok:
        return _ZoneKeys(ERROR, f"DNSKEY of {name}: {keys.error or keys.rcode}")
    if keys.records:
        return _ZoneKeys(ISLAND, f"{name} is signed, but its parent zone publishes no DS "
                                 "record for it, so nobody can validate the signatures")
    # A no-data answer for DS is taken as it comes: its NSEC/NSEC3 proof is not checked.
    return _ZoneKeys(INSECURE, f"its parent zone publishes no DS record for {name}")


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=name != dns.name.root)


def _matches_any(owner, key, anchors) -> bool:
    for anchor in anchors:
        if anchor.rdtype == dns.rdatatype.DNSKEY:
            if anchor == key:
                return True
        else:  # a DS anchor; the SEP flag is only advisory (RFC 4034 §2.1.1)
            try:
                digest = dns.dnssec.make_ds(owner, key, anchor.digest_type)
            except (dns.dnssec.UnsupportedAlgorithm, ValueError):
                continue
            if digest.key_tag == anchor.key_tag and digest.digest == anchor.digest:
                return True
    return False


def _validate(answer: DnsAnswer, keys, ctx: DomainContext) -> str | None:
    """None when the answer's signature validates with the keys; else the reason."""
    if answer.rrset is None:
        return f"{answer.name} {answer.rdtype}: {answer.error or 'no records to validate'}"
    if answer.rrsigs is None:
        return f"{answer.name} {answer.rdtype} is not signed"
    try:
        dns.dnssec.validate(answer.rrset, answer.rrsigs, {keys.name: keys},
                            now=ctx.config.clock())
    except dns.dnssec.ValidationFailure as exc:
        return f"the signature on {answer.name} {answer.rdtype} does not validate ({exc})"
    return None
