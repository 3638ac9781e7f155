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
from dataclasses import dataclass
from typing import Any

from ..protocols import dmarc as dmarc_protocol
from ..protocols.spf_eval import check_host
from .message import Message, normalise_domain, parse_message
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
_TAG = re.compile(r"(?:^|;)\s*([a-z]+)\s*=\s*([^;]*)", re.IGNORECASE)


@dataclass(frozen=True)
class KeyLookup:
    """The TXT answer for one selector._domainkey.domain name, fetched through our DNS."""

    name: str
    text: bytes | None  # the key record; None when there is none
    temporary_error: str | None = None


async def check(data: bytes, options: Options | None, dns: Any) -> Analysis:
    """Parse `data` (MessageError on bad input), read its signals and check its
    authentication through `dns` (anything with `async lookup(name, rdtype)`)."""
    message = parse_message(data)
    options = options or Options()
    analysis = signals(message, options)
    keys = await fetch_keys(message, dns)
    dkim_results = verify_dkim(data, message, keys)
    spf = await check_spf(analysis, dns)
    arc = verify_arc(data, message, keys) if analysis.has_arc else None
    from_domain = message.from_address.domain
    discovery = await dmarc_protocol.discover(from_domain, dns=dns) if from_domain else None
    _record(analysis, spf, dkim_results, arc, discovery)
    infrastructure_signal(analysis, options.seen_infrastructure)
    analysis.verdict = decide(analysis)
    return analysis


# -- keys -------------------------------------------------------------------------------------

def _tags(value: str) -> dict[str, str]:
    unfolded = re.sub(r"\s+", " ", value)
    return {k.lower(): re.sub(r"\s+", "", v) for k, v in _TAG.findall(unfolded)}


def key_names(message: Message) -> list[str]:
    """Every key name the message's DKIM-Signature, ARC-Message-Signature and ARC-Seal
    headers point at."""
    names = []
    for header in ("DKIM-Signature", "ARC-Message-Signature", "ARC-Seal"):
        for _, value in message.get_all(header):
            tags = _tags(value)
            selector, domain = tags.get("s", ""), tags.get("d", "")
            if selector and domain:
                names.append(f"{selector}._domainkey.{domain}".rstrip(".").lower())
    return list(dict.fromkeys(names))


async def fetch_keys(message: Message, dns: Any) -> dict[str, KeyLookup]:
    names = key_names(message)
    answers = await asyncio.gather(*(dns.lookup(name, "TXT") for name in names))
    keys = {}
    for name, answer in zip(names, answers, strict=True):
        if not answer.ok:
            keys[name] = KeyLookup(name, None, answer.error or answer.rcode)
            continue
        records = [r for r in answer.records if "p=" in r] or list(answer.records)
        keys[name] = KeyLookup(name, records[0].encode() if records else None)
    return keys


class _KeyMissing(Exception):
    pass


def _dns_function(keys: dict[str, KeyLookup]):
    """dkimpy's `dnsfunc`, answered only from what we fetched."""
    import dkim

    def lookup(name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        found = keys.get(text.rstrip(".").lower())
        if found is None:
            raise _KeyMissing(text)
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
    result: str  # pass, fail, temperror, permerror
    why: str = ""

    def to_dict(self) -> dict:
        return {"domain": self.domain, "selector": self.selector, "result": self.result,
                "why": self.why}


def verify_dkim(data: bytes, message: Message, keys: dict[str, KeyLookup]) -> list[DkimResult]:
    import dkim

    signatures = message.get_all("DKIM-Signature")
    if message.headers_only:
        return []
    results = []
    for index, (_, value) in enumerate(signatures):
        tags = _tags(value)
        domain = normalise_domain(tags.get("d", ""))
        selector = tags.get("s", "")
        key = keys.get(f"{selector}._domainkey.{domain}".lower())
        if key is not None and key.temporary_error:
            results.append(DkimResult(domain, selector, "temperror", key.temporary_error))
            continue
        logger, collector = _quiet_logger()
        try:
            verifier = dkim.DKIM(data, logger=logger, minkey=1024)
            valid = verifier.verify(idx=index, dnsfunc=_dns_function(keys))
        except _KeyMissing:
            results.append(DkimResult(domain, selector, "permerror", "no selector or domain"))
            continue
        except dkim.DKIMException as exc:
            results.append(DkimResult(domain, selector, "fail", str(exc)))
            continue
        except Exception as exc:  # dkimpy raises many kinds on bad input; none may sink the check
            results.append(DkimResult(domain, selector, "permerror", f"unreadable: {exc}"))
            continue
        if valid:
            results.append(DkimResult(domain, selector, "pass"))
        else:
            why = "; ".join(collector.messages[-2:]) or "the signature does not match"
            if key is None or key.text is None:
                why = "no key is published for this signature"
            results.append(DkimResult(domain, selector, "fail", why))
    return results


# -- ARC --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArcResult:
    result: str  # pass, fail
    why: str
    sealers: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"result": self.result, "why": self.why, "sealers": list(self.sealers)}


def verify_arc(data: bytes, message: Message, keys: dict[str, KeyLookup]) -> ArcResult:
    import dkim

    sealers = tuple(dict.fromkeys(normalise_domain(_tags(v).get("d", ""))
                                  for _, v in message.get_all("ARC-Seal")))
    if message.headers_only:
        return ArcResult("fail", "only the headers were given", sealers)
    logger, _ = _quiet_logger()
    try:
        cv, _, why = dkim.arc_verify(data, logger=logger, dnsfunc=_dns_function(keys))
    except _KeyMissing as exc:
        return ArcResult("fail", f"a seal names no key ({exc})", sealers)
    except Exception as exc:  # a malformed chain is a failed chain
        return ArcResult("fail", f"unreadable: {exc}", sealers)
    result = "pass" if cv == dkim.CV_Pass else "fail"
    return ArcResult(result, str(why), sealers)


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


async def check_spf(analysis: Analysis, dns: Any) -> tuple[Any, str] | Reason:
    """check_host() for the trusted hop, with the domain checked; or the reason it was not."""
    hop = analysis.trust.hop
    if hop is None or not hop.ip:
        return Reason("spf_no_client_address", {})
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


# -- putting it together ----------------------------------------------------------------------

def _spf_reason(result: Any, ip: str) -> Reason:
    evidence = {"domain": result.domain, "ip": ip, "result": result.result,
                "explanation": result.explanation}
    kinds = {"pass": "spf_pass", "fail": "spf_fail", "softfail": "spf_softfail",
             "neutral": "spf_neutral", "none": "spf_neutral"}
    return Reason(kinds.get(result.result, "spf_error"), evidence)


def _dkim_reason(result: DkimResult) -> Reason:
    kind = {"pass": "dkim_pass", "temperror": "dkim_temperror"}.get(result.result, "dkim_fail")
    return Reason(kind, result.to_dict())


def _record(analysis: Analysis, spf: Any, dkim_results: list[DkimResult],
            arc: ArcResult | None, discovery: Any) -> None:
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
    if analysis.message.headers_only and analysis.message.get_all("DKIM-Signature"):
        reasons.append(Reason("dkim_not_checked_headers_only", {}))
    elif not dkim_results:
        reasons.append(Reason("no_signature", {}))
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
        checks["arc"] = arc.to_dict()
        if arc.result == "pass":
            reasons.append(Reason("arc_valid", {"sealers": ", ".join(arc.sealers)}))
        else:
            reasons.append(Reason("arc_invalid", {"why": arc.why}))
    _record_dmarc(analysis, spf_domain, dkim_results, discovery, temporary)
    if temporary:
        reasons.append(Reason("dns_temperror", {"what": ", ".join(temporary)}))


def _passing(spf_domain: str | None, analysis: Analysis,
             dkim_results: Iterable[DkimResult]) -> tuple[list[str], list[str]]:
    spf_pass = [spf_domain] if spf_domain and any(
        a.method == "spf" and a.source == "checked" and a.result == "pass"
        for a in analysis.auth) else []
    return spf_pass, [r.domain for r in dkim_results if r.result == "pass"]


def _record_dmarc(analysis: Analysis, spf_domain: str | None, dkim_results: list[DkimResult],
                  discovery: Any, temporary: list[str]) -> None:
    from_domain = analysis.message.from_address.domain
    if discovery is None:
        return
    record = discovery.record
    adkim = record.adkim if record else "r"
    aspf = record.aspf if record else "r"
    spf_pass, dkim_pass = _passing(spf_domain, analysis, dkim_results)
    by_spf = [d for d in spf_pass if aligned(d, from_domain, aspf)]
    by_dkim = [d for d in dkim_pass if aligned(d, from_domain, adkim)]
    policy = discovery.policy(domain_exists=True) if discovery.found else None
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
    unsure = [a for a in analysis.auth if a.source == "checked"
              and a.method in ("spf", "dkim") and a.result == "temperror"]
    if discovery.could_not_check or unsure:
        analysis.auth.append(SourcedAuth("dmarc", "temperror", "checked", properties, policy))
        return
    if not discovery.found or policy is None:
        analysis.reasons.append(Reason("dmarc_no_policy", {"domain": from_domain}))
        return
    missing = _unchecked(analysis)
    if missing:  # a failure is proof only when every way to pass was tried
        analysis.reasons.append(Reason("dmarc_incomplete", {"domain": from_domain,
                                                            "missing": ", ".join(missing)}))
        analysis.auth.append(SourcedAuth("dmarc", "incomplete", "checked", properties, policy))
        return
    analysis.auth.append(SourcedAuth("dmarc", "fail", "checked", properties, policy))


def _unchecked(analysis: Analysis) -> list[str]:
    missing = []
    if analysis.checks.get("spf", {}).get("result") is None:
        missing.append("SPF")
    if analysis.message.headers_only and analysis.message.get_all("DKIM-Signature"):
        missing.append("DKIM")
    return missing


__all__ = ["ArcResult", "DkimResult", "check"]
