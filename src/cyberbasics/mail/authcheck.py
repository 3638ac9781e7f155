"""Our own authentication checks of a message, through the configured resolver.

What the business's receiving server would have checked, done again from the outside view:

- SPF (RFC 7208, our evaluator) for the server that handed the message to the business
  (the trusted hop's address and HELO) and the envelope sender from a Return-Path above the
  trust boundary;
- every DKIM signature (RFC 6376) and the ARC chain (RFC 8617), verified by dkimpy with the
  keys fetched first through our DNS client: dkimpy's own lookups would go to the machine's
  resolver, so it only ever reads from what we fetched;
- DMARC (RFC 7489 / 9989): the From domain's policy discovered through our DNS client, and
  identifier alignment of the passing SPF and DKIM domains.

The results join `Analysis.auth` with source "checked"; `verdict.decide` reads them.
A lookup that failed is "could not check" (temperror), never a pass or a fail.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..protocols import dmarc as dmarc_protocol
from ..protocols.psl import organisational_domain
from ..protocols.spf_eval import check_host
from .message import Message, normalise_domain, parse_message
from .trust import parse_authentication_results
from .verdict import (
    Analysis,
    Options,
    Reason,
    SourcedAuth,
    aligned,
    decide,
    infrastructure_signal,
    signals,
)

SPF_TIMEOUT = 10.0
_ADDRESS = re.compile(r"<\s*([^<>]*?)\s*>")


@dataclass(frozen=True)
class KeyLookup:
    """The TXT answer for one selector._domainkey.domain name, fetched through our DNS."""

    name: str
    text: bytes | None  # the key record; None when there is none
    temporary_error: str | None = None


async def check(data: bytes, options: Options | None, dns: Any) -> Analysis:
    """Parse `data` (MessageError on bad input), read its signals and check its
    authentication through `dns` (anything with `async lookup(name, rdtype)`)."""
    options = options or Options()
    analysis, signed = prepare(data, options)
    # The lookups do not depend on each other: one wait for the slowest, not for each in turn.
    keys, spf, discovery = await asyncio.gather(*lookups(analysis, signed, options, dns))
    return conclude(analysis, signed, options, keys, spf, discovery)


async def _existence(domain: str, dns: Any) -> bool | None:
    """RFC 9989: a domain with no A, AAAA or MX name (NXDOMAIN for all three) does not
    exist, and its organisation's np= policy applies; None when a lookup failed."""
    answers = await asyncio.gather(*(dns.lookup(domain, kind) for kind in ("A", "AAAA", "MX")))
    if any(not answer.ok for answer in answers):
        return None
    return not all(answer.rcode == "NXDOMAIN" for answer in answers)


def prepare(data: bytes, options: Options) -> tuple[Analysis, SignedParts]:
    """The message's own signals and its signatures as dkimpy reads them (no DNS yet)."""
    analysis = signals(parse_message(data), options)
    return analysis, SignedParts.read(data, analysis.message)


def lookups(analysis: Analysis, signed: SignedParts, options: Options, dns: Any) -> tuple:
    """The three lookups a check needs (keys, SPF, the DMARC policy), not yet awaited."""
    return (fetch_keys(signed.key_names(), dns), check_spf(analysis, dns, options.mx_hosts),
            _discover(analysis, dns))


def conclude(analysis: Analysis, signed: SignedParts, options: Options,
             keys: dict[str, KeyLookup], spf: Any, discovery: Any) -> Analysis:
    """Verify the signatures with the fetched keys, record everything, decide."""
    dkim_results = verify_dkim(signed, keys)
    arc = (verify_arc(signed, keys, options.trusted_arc_sealers,
                      analysis.message.from_address.domain) if analysis.has_arc else None)
    analysis.reasons.extend(tampering(signed, dkim_results))
    _record(analysis, spf, dkim_results, arc, discovery, signed)
    if isinstance(spf, Reason) and spf.id == "spf_internal_hop":
        # The hop's network is the receiving provider's own relays, the same for every
        # sender: it says nothing about who sent the message.
        analysis.infrastructure = tuple(k for k in analysis.infrastructure
                                        if not k.startswith("net:"))
    infrastructure_signal(analysis, options.seen_infrastructure)
    analysis.verdict = decide(analysis)
    return analysis


async def _discover(analysis: Analysis, dns: Any):
    """The From domain's DMARC policy (and whether the domain exists, for np=); None when
    there is no domain to ask about."""
    from_domain = analysis.message.from_address.domain
    if not from_domain:
        return None
    try:
        discovery, exists = await asyncio.gather(
            dmarc_protocol.discover(from_domain, dns=dns), _existence(from_domain, dns))
    except ValueError:  # a From "domain" that is no domain name cannot be anyone's
        analysis.reasons.append(Reason("from_not_a_domain", {"domain": from_domain}))
        return None
    analysis.checks["from_domain_exists"] = exists
    return discovery


# -- what is signed, as dkimpy reads it ---------------------------------------------------------

MAX_SIGNATURES = 8  # DKIM signatures checked; real mail carries one to three
MAX_ARC_SETS = 50  # RFC 8617 §4.2.1: a chain with more sets fails
MAX_ARC_CHECKED = 10  # longer chains are not verified (each set hashes the whole body again)
MAX_KEY_LOOKUPS = 24  # distinct key names asked for one message


def _dkim():
    """dkimpy, with its body canonicalisation remembered for the last bodies: every signature
    and ARC set canonicalises the whole body again, which made one 2 MB message with many
    signatures cost seconds of CPU. The functions are pure (bytes in, bytes out)."""
    import functools

    import dkim
    from dkim import canonicalization

    for algorithm in (canonicalization.Simple, canonicalization.Relaxed):
        if not hasattr(algorithm.canonicalize_body, "cache_info"):
            algorithm.canonicalize_body = staticmethod(
                functools.lru_cache(maxsize=2)(algorithm.canonicalize_body))
    return dkim


def _tags(value: bytes) -> dict[str, str]:
    """A signature's tags exactly as dkimpy reads them (tag names are case-sensitive: a "D="
    is not "d=", and reading it as one would credit the wrong domain); {} when unreadable."""
    from dkim.util import InvalidTagValueList, parse_tag_value

    try:
        tags = parse_tag_value(value)
    except (InvalidTagValueList, ValueError):
        return {}
    return {k.decode("ascii", "replace"): v.decode("ascii", "replace") for k, v in tags.items()}


_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def _key_name(tags: dict[str, str]) -> str | None:
    """selector._domainkey.domain, or None when the signature names no usable DNS name."""
    selector, domain = tags.get("s", "").strip(), tags.get("d", "").strip()
    name = f"{selector}._domainkey.{domain}".rstrip(".").lower()
    if not selector or not domain or len(name) > 253:
        return None
    return name if all(_LABEL.match(label) for label in name.split(".")) else None


@dataclass
class SignedParts:
    """The signature headers exactly as dkimpy splits the message, so the signature we name
    is the one dkimpy verifies (our own parser may split headers differently, e.g. at a bare
    CR, and a signature it sees may not exist for dkimpy). One parse serves every check."""

    data: bytes
    headers_only: bool
    verifier: Any  # dkim.DKIM over the whole message, or None when dkimpy cannot read it
    collector: Any
    dkim: list[dict[str, str]]  # every DKIM-Signature, in dkimpy's order
    seals: list[dict[str, str]]  # ARC-Seal
    arc_signatures: list[dict[str, str]]  # ARC-Message-Signature
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)  # dkimpy's split
    unreadable: str | None = None
    checked: list[int] = field(default_factory=list)  # indexes of the signatures to verify
    skipped_aligned: int = 0  # signatures of the From domain's organisation left unchecked

    @classmethod
    def read(cls, data: bytes, message: Message) -> SignedParts:
        dkim = _dkim()
        logger, collector = _quiet_logger()
        try:
            verifier = dkim.DKIM(data, logger=logger, minkey=1024)
        except Exception as exc:  # dkimpy raises many kinds on bad input; none may sink a check
            return cls(data, message.headers_only, None, collector, [], [], [],
                       unreadable=str(exc)[:200] or type(exc).__name__)
        found: dict[bytes, list[dict[str, str]]] = {}
        for name, value in verifier.headers:
            found.setdefault(name.lower(), []).append(_tags(value))
        signed = cls(data, message.headers_only, verifier, collector,
                     found.get(b"dkim-signature", []), found.get(b"arc-seal", []),
                     found.get(b"arc-message-signature", []), list(verifier.headers))
        signed.choose(message.from_address.domain)
        return signed

    def choose(self, from_domain: str) -> None:
        """The signatures of the From domain's organisation first: only they can make DMARC
        pass, so padding a message with others cannot push them out of the checked few."""
        order = sorted(range(len(self.dkim)),
                       key=lambda i: not aligned(self.dkim[i].get("d", ""), from_domain))
        self.checked = order[:MAX_SIGNATURES]
        self.skipped_aligned = sum(1 for i in order[MAX_SIGNATURES:]
                                   if aligned(self.dkim[i].get("d", ""), from_domain))

    def key_names(self) -> list[str]:
        """The keys to fetch: the checked DKIM signatures' first, then the ARC chain's."""
        names = [_key_name(self.dkim[i]) for i in self.checked]
        if len(self.seals) <= MAX_ARC_CHECKED:
            names += [_key_name(t) for t in (*self.seals, *self.arc_signatures)]
        return list(dict.fromkeys(n for n in names if n))[:MAX_KEY_LOOKUPS]


def key_names(message_data: bytes) -> list[str]:
    """Every key name the message's signatures point at (as many as a check fetches)."""
    return SignedParts.read(message_data, parse_message(message_data)).key_names()


async def fetch_keys(names: list[str], dns: Any) -> dict[str, KeyLookup]:
    answers = await asyncio.gather(*(dns.lookup(name, "TXT") for name in names))
    keys = {}
    for name, answer in zip(names, answers, strict=True):
        if not answer.ok:
            keys[name] = KeyLookup(name, None, answer.error or answer.rcode)
            continue
        records = [r for r in answer.records if "p=" in r] or list(answer.records)
        keys[name] = KeyLookup(name, records[0].encode() if records else None)
    return keys


class _KeyNotFetched(Exception):
    pass


def _dns_function(keys: dict[str, KeyLookup]):
    """dkimpy's `dnsfunc`, answered only from what we fetched."""
    import dkim

    def lookup(name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        found = keys.get(text.rstrip(".").lower())
        if found is None:
            raise _KeyNotFetched(text)
        if found.temporary_error:
            raise dkim.DnsTimeoutError(found.temporary_error)
        return found.text

    return lookup


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.messages.append(record.getMessage())


def _quiet_logger() -> tuple[logging.Logger, _Collector]:
    """A logger of our own: dkimpy reports why a signature failed only by logging it."""
    logger = logging.Logger("cyberbasics.mail.dkim")
    collector = _Collector()
    logger.addHandler(collector)
    logger.propagate = False
    return logger, collector


# -- DKIM -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DkimResult:
    domain: str
    selector: str
    # pass, fail (incl. a signature too malformed to use); could not check: temperror (the
    # lookup failed), nokey (no key published now: it may have been removed since delivery),
    # unsupported (a key type this installation cannot verify)
    result: str
    why: str = ""

    def to_dict(self) -> dict:
        return {"domain": self.domain, "selector": self.selector, "result": self.result,
                "why": self.why}


def verify_dkim(signed: SignedParts, keys: dict[str, KeyLookup]) -> list[DkimResult]:
    if signed.headers_only or signed.verifier is None:
        return []
    return [_verify_one(signed, index, signed.dkim[index], keys) for index in signed.checked]


def _verify_one(signed: SignedParts, index: int, tags: dict[str, str],
                keys: dict[str, KeyLookup]) -> DkimResult:
    dkim = _dkim()
    domain, selector = normalise_domain(tags.get("d", "")), tags.get("s", "")
    name = _key_name(tags)
    key = keys.get(name) if name else None
    if name is None:
        return DkimResult(domain, selector, "fail", "the signature names no usable key")
    if key is None:
        return DkimResult(domain, selector, "temperror", "too many keys to fetch")
    if key.temporary_error:
        return DkimResult(domain, selector, "temperror", key.temporary_error)
    if key.text is None:
        return DkimResult(domain, selector, "nokey", "no key is published for it now")
    signed.collector.messages.clear()
    try:
        valid = signed.verifier.verify(idx=index, dnsfunc=_dns_function(keys))
    except (dkim.NaClNotFoundError, dkim.UnknownKeyTypeError) as exc:
        return DkimResult(domain, selector, "unsupported", f"{type(exc).__name__}: {exc}")
    except dkim.DKIMException as exc:
        return DkimResult(domain, selector, "fail", str(exc))
    except Exception as exc:  # dkimpy raises many kinds on bad input; none may sink a check
        return DkimResult(domain, selector, "fail", f"unreadable: {exc}")
    if valid:
        return DkimResult(domain, selector, "pass")
    why = "; ".join(signed.collector.messages[-2:]) or "the signature does not match"
    return DkimResult(domain, selector, "fail", why)


def tampering(signed: SignedParts, results: list[DkimResult]) -> list[Reason]:
    """Signs that a validly signed message was added to after signing: body beyond the
    signed length (l=), or a second copy of a signed header the signature does not cover
    (a receiver shows the top one; the signature covers the bottom one)."""
    if signed.verifier is None or len(results) != len(signed.checked):
        return []  # nothing was verified (raw headers only)
    found = []
    counts: dict[str, int] = {}
    for name, _ in signed.headers:
        counts[name.decode("ascii", "replace").lower()] = \
            counts.get(name.decode("ascii", "replace").lower(), 0) + 1
    body = len(signed.verifier.body or b"")
    for index, result in zip(signed.checked, results, strict=True):
        if result.result != "pass":
            continue
        tags = signed.dkim[index]
        length = tags.get("l", "").strip()
        if length.isdigit() and body > int(length) + 2:  # +2: a final line break
            found.append(Reason("dkim_body_beyond_length", {
                "domain": result.domain, "signed": int(length), "length": body}))
        covered = [h.strip().lower() for h in tags.get("h", "").split(":") if h.strip()]
        for header in ("from", "subject", "to", "reply-to", "date"):
            if header in covered and counts.get(header, 0) > covered.count(header):
                found.append(Reason("unsigned_header_copy", {
                    "domain": result.domain, "header": header.title()}))
                break
    return found


# -- ARC --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArcResult:
    result: str  # pass, fail, temperror (a key could not be fetched: not checked)
    why: str
    sealers: tuple[str, ...]  # newest first
    trusted: bool = False  # the newest sealer is one the business trusts
    recorded_pass: bool = False  # a sealer recorded dmarc=pass for the From domain

    def to_dict(self) -> dict:
        return {"result": self.result, "why": self.why, "sealers": list(self.sealers),
                "trusted": self.trusted, "recorded_pass": self.recorded_pass}


def _instance(tags: dict[str, str]) -> int:
    try:
        return int(tags.get("i", "0"))
    except ValueError:
        return 0


def verify_arc(signed: SignedParts, keys: dict[str, KeyLookup],
               trusted_sealers: tuple[str, ...] = (), from_domain: str = "") -> ArcResult:
    """Whether the chain holds. Anyone can seal a chain of their own, so an intact chain
    excuses a DMARC failure only when its newest sealer (as dkimpy verified it) is one the
    business trusts AND a sealer of the chain recorded that the From domain passed DMARC."""
    seals = sorted(signed.seals, key=_instance, reverse=True)
    claimed = tuple(dict.fromkeys(normalise_domain(t.get("d", "")) for t in seals))
    if signed.headers_only:
        return ArcResult("temperror", "only the headers were given", claimed)
    if len(seals) > MAX_ARC_SETS:
        return ArcResult("fail", f"more than {MAX_ARC_SETS} ARC sets (RFC 8617 allows no "
                                 "more)", claimed)
    if len(seals) > MAX_ARC_CHECKED:
        return ArcResult("temperror", f"more than {MAX_ARC_CHECKED} ARC sets are not checked",
                         claimed)
    names = [_key_name(t) for t in (*signed.seals, *signed.arc_signatures)]
    for name in filter(None, names):
        found = keys.get(name)
        if found is None:
            return ArcResult("temperror", "too many keys to fetch", claimed)
        if found.temporary_error:
            return ArcResult("temperror", f"{name}: {found.temporary_error}", claimed)
    dkim = _dkim()
    logger, _ = _quiet_logger()
    try:
        cv, sets, why = dkim.arc_verify(signed.data, logger=logger, dnsfunc=_dns_function(keys))
    except _KeyNotFetched as exc:
        return ArcResult("fail", f"a seal names no key ({exc})", claimed)
    except Exception as exc:  # a malformed chain is a failed chain
        return ArcResult("fail", f"unreadable: {exc}", claimed)
    if cv != dkim.CV_Pass:
        return ArcResult("fail", str(why), claimed)
    sealers = tuple(dict.fromkeys(
        normalise_domain(item["as-domain"].decode("ascii", "replace")) for item in sets))
    trusted_orgs = {organisational_domain(d) or d for d in map(normalise_domain, trusted_sealers)}
    newest = sealers[0] if sealers else ""
    trusted = bool(newest) and (organisational_domain(newest) or newest) in trusted_orgs
    passed = any(_recorded_pass(item.get("aar-value"), from_domain) for item in sets)
    return ArcResult("pass", str(why), sealers, trusted, passed)


def _recorded_pass(aar: bytes | None, from_domain: str) -> bool:
    """Whether an ARC-Authentication-Results records dmarc=pass for the From domain."""
    if not aar or not from_domain:
        return False
    text = aar.decode("utf-8", "replace")
    header = parse_authentication_results(0, text.split(";", 1)[1] if ";" in text else text)
    return header is not None and any(
        r.method == "dmarc" and r.result == "pass"
        and normalise_domain(r.properties.get("header.from", "")) == from_domain
        for r in header.results)


# -- SPF --------------------------------------------------------------------------------------

def envelope_sender(analysis: Analysis) -> str | None:
    """The MAIL FROM the business's server received: a Return-Path at or above the trust
    boundary ("" for the null sender <>); None when not shown."""
    for position, value in analysis.message.get_all("Return-Path"):
        if not analysis.trust.trusted(position):
            continue
        match = _ADDRESS.search(value)
        address = (match.group(1) if match else value).strip()
        return "" if address in ("", "<>") else address
    return None


async def check_spf(analysis: Analysis, dns: Any, mx_hosts: tuple[str, ...] = ()
                    ) -> tuple[Any, str] | Reason:
    """check_host() for the trusted hop, with the domain checked; or the reason it was not."""
    hop = analysis.trust.hop
    if hop is None or not hop.ip:
        return Reason("spf_no_client_address", {})
    # Only a guess while the receiving servers are unnamed; and only ever "not checked",
    # which never lets a message pass (an impostor can claim any HELO name).
    if not mx_hosts and _internal_hop(hop.helo, hop.by):
        return Reason("spf_internal_hop", {"helo": hop.helo, "by": hop.by})
    sender = envelope_sender(analysis)
    if sender is None:
        return Reason("spf_no_envelope", {})
    helo = (hop.helo or "").strip("[]") or None
    try:
        result = await check_host(hop.ip, "", sender, helo=helo, dns=dns,
                                  receiver=hop.by or "unknown", timeout=SPF_TIMEOUT)
    except ValueError:
        return Reason("spf_no_client_address", {})
    return result, hop.ip


def _internal_hop(helo: str | None, by: str | None) -> bool:
    """A hop between two servers of the same organisation (say, Microsoft 365's own relays):
    the boundary is not where the message entered, so SPF there says nothing about the
    sender. Naming the receiving servers (`mx_hosts`) moves the boundary to the right hop."""
    if not helo or not by or helo.startswith("["):
        return False
    helo_org = organisational_domain(normalise_domain(helo))
    return helo_org is not None and helo_org == organisational_domain(normalise_domain(by))


# -- putting it together ----------------------------------------------------------------------

def _spf_reason(result: Any, ip: str) -> Reason:
    evidence = {"domain": result.domain, "ip": ip, "result": result.result,
                "explanation": result.explanation}
    kinds = {"pass": "spf_pass", "fail": "spf_fail", "softfail": "spf_softfail",
             "neutral": "spf_neutral", "none": "spf_neutral"}
    return Reason(kinds.get(result.result, "spf_error"), evidence)


_DKIM_REASONS = {"pass": "dkim_pass", "temperror": "dkim_temperror", "nokey": "dkim_key_missing",
                 "unsupported": "dkim_unusable"}


def _dkim_reason(result: DkimResult) -> Reason:
    return Reason(_DKIM_REASONS.get(result.result, "dkim_fail"), result.to_dict())


def _arc_reason(arc: ArcResult) -> Reason:
    if arc.result == "pass":
        return Reason("arc_valid", {"sealers": ", ".join(arc.sealers)})
    if arc.result == "temperror":
        return Reason("arc_not_verified", {"why": arc.why})
    return Reason("arc_invalid", {"why": arc.why})


def _record(analysis: Analysis, spf: Any, dkim_results: list[DkimResult],
            arc: ArcResult | None, discovery: Any, signed: SignedParts) -> None:
    reasons, checks = analysis.reasons, analysis.checks
    temporary: list[str] = []
    spf_domain = None
    if isinstance(spf, Reason):
        reasons.append(spf)
        checks["spf"] = {"result": None, "why": spf.id}
    else:
        result, ip = spf
        spf_domain = result.domain
        reasons.append(_spf_reason(result, ip))
        checks["spf"] = result.to_json() | {"ip": ip}
        analysis.auth.append(SourcedAuth("spf", result.result, "checked",
                                         {"smtp.mailfrom": result.domain}))
        if result.result == "temperror":
            temporary.append(f"SPF {result.domain}")
        if result.result == "pass":  # a domain that vouches for the sending server
            vouching = organisational_domain(result.domain) or result.domain
            analysis.infrastructure = (*analysis.infrastructure, f"spf:{vouching}")
    unchecked_signatures = len(signed.dkim) - len(signed.checked)
    if analysis.message.headers_only and analysis.message.get_all("DKIM-Signature"):
        reasons.append(Reason("dkim_not_checked_headers_only", {}))
    elif signed.unreadable is not None:
        reasons.append(Reason("signatures_unreadable", {"why": signed.unreadable}))
    elif not dkim_results:
        reasons.append(Reason("no_signature", {}))
    if unchecked_signatures > 0 and not analysis.message.headers_only:
        reasons.append(Reason("dkim_too_many", {"count": unchecked_signatures,
                                                "checked": MAX_SIGNATURES}))
    for item in dkim_results:
        reasons.append(_dkim_reason(item))
        analysis.auth.append(SourcedAuth("dkim", item.result, "checked",
                                         {"header.d": item.domain, "header.s": item.selector}))
        if item.result == "temperror":
            temporary.append(f"DKIM {item.selector}._domainkey.{item.domain}")
        if item.result == "pass":
            analysis.infrastructure = (*analysis.infrastructure, f"dkim:{item.domain}")
    checks["dkim"] = [r.to_dict() for r in dkim_results]
    if arc is not None:
        analysis.arc = arc.result
        analysis.arc_trusted = arc.trusted and arc.recorded_pass
        checks["arc"] = arc.to_dict()
        reasons.append(_arc_reason(arc))
        if arc.result == "temperror":
            temporary.append("ARC")
    _record_dmarc(analysis, spf_domain, dkim_results, discovery, temporary, signed)
    if temporary:
        reasons.append(Reason("dns_temperror", {"what": ", ".join(temporary)}))


def _passing(spf_domain: str | None, analysis: Analysis,
             dkim_results: Iterable[DkimResult]) -> tuple[list[str], list[str]]:
    spf_pass = [spf_domain] if spf_domain and any(
        a.method == "spf" and a.source == "checked" and a.result == "pass"
        for a in analysis.auth) else []
    return spf_pass, [r.domain for r in dkim_results if r.result == "pass"]


def _record_dmarc(analysis: Analysis, spf_domain: str | None, dkim_results: list[DkimResult],
                  discovery: Any, temporary: list[str], signed: SignedParts) -> None:
    from_domain = analysis.message.from_address.domain
    if discovery is None:
        return
    record = discovery.record
    adkim = record.adkim if record else "r"
    aspf = record.aspf if record else "r"
    spf_pass, dkim_pass = _passing(spf_domain, analysis, dkim_results)
    by_spf = [d for d in spf_pass if aligned(d, from_domain, aspf)]
    by_dkim = [d for d in dkim_pass if aligned(d, from_domain, adkim)]
    # np= only for a domain shown not to exist; when that is unknown, the usual policy
    exists = analysis.checks.get("from_domain_exists") is not False
    policy = discovery.policy(domain_exists=exists) if discovery.found else None
    if policy in ("reject", "quarantine") and _testing(record):
        policy = "none"  # the owner asks receivers not to act on failures yet
    analysis.checks["dmarc"] = {"status": discovery.status, "policy": policy,
                                "record": record.raw if record else None,
                                "aligned_spf": by_spf, "aligned_dkim": by_dkim,
                                "adkim": adkim, "aspf": aspf}
    properties = {"header.from": from_domain}
    if discovery.could_not_check:
        temporary.append(f"DMARC _dmarc.{from_domain}")
        properties["policy_unknown"] = "yes"
    if by_dkim or by_spf:
        properties["aligned"] = ", ".join([*(f"dkim:{d}" for d in by_dkim),
                                           *(f"spf:{d}" for d in by_spf)])
        analysis.auth.append(SourcedAuth("dmarc", "pass", "checked", properties, policy))
        return
    if discovery.could_not_check:
        analysis.auth.append(SourcedAuth("dmarc", "temperror", "checked", properties, policy))
        return
    if not discovery.found or policy is None:
        analysis.reasons.append(Reason("dmarc_no_policy", {"domain": from_domain}))
        return
    missing, by_sender = _unchecked(analysis, spf_domain, dkim_results, signed)
    if missing:  # a failure is proof only when every way to pass was tried
        analysis.reasons.append(Reason("dmarc_incomplete", {"domain": from_domain,
                                                            "missing": ", ".join(missing)}))
        if by_sender:
            properties["unchecked_by_sender"] = "yes"
        analysis.auth.append(SourcedAuth("dmarc", "incomplete", "checked", properties, policy))
        return
    analysis.auth.append(SourcedAuth("dmarc", "fail", "checked", properties, policy))


def _testing(record: Any) -> bool:
    """t=y (DMARCbis) or pct below 100 (RFC 7489): failures are not to be acted on."""
    if record is None:
        return False
    return record.t == "y" or (record.pct is not None and record.pct < 100)


def _unchecked(analysis: Analysis, spf_domain: str | None, dkim_results: list[DkimResult],
               signed: SignedParts) -> tuple[list[str], bool]:
    """What could have made DMARC pass but was not checked (a failure is proof only without),
    and whether the sender could have caused that. Only identifiers of the From domain's
    organisation count: anything else could never have passed, so adding a signature of
    another domain or a lookup that fails on the sender's own DNS changes nothing. What a
    sender can cause (a selector with no key, an unreadable or surplus signature, a key type
    we cannot check, a HELO naming the receiver) makes a failure suspicious, not unknown."""
    from_domain = analysis.message.from_address.domain
    missing, by_sender = [], False
    spf_result = analysis.checks.get("spf", {}).get("result")
    spf_why = analysis.checks.get("spf", {}).get("why")
    if spf_result is None or (spf_result == "temperror" and aligned(spf_domain or "",
                                                                    from_domain)):
        missing.append("SPF")
        by_sender = spf_why == "spf_internal_hop"
    caused = signed.unreadable is not None or signed.skipped_aligned or any(
        r.result in ("nokey", "unsupported") and aligned(r.domain, from_domain)
        for r in dkim_results)
    if caused or (analysis.message.headers_only and analysis.message.get_all("DKIM-Signature")) \
            or any(r.result == "temperror" and aligned(r.domain, from_domain)
                   for r in dkim_results):
        missing.append("DKIM")
    return missing, by_sender or bool(caused)


__all__ = ["ArcResult", "DkimResult", "check"]
