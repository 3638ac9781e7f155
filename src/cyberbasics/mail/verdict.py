"""From a parsed message to a verdict: authentic, suspicious, forged or unknown.

The verdict never says `authentic` on weak evidence. In this step (no DNS checks of our own)
`authentic` needs a trusted Authentication-Results with dmarc=pass for the From domain and
no sign of deception; `forged` needs a trusted dmarc=fail under p=reject or p=quarantine and
no ARC chain (ARC is validated in the next step: until then a chain turns `forged` into
`suspicious`). The authentication checks of the next step add `AuthResult`s with source
"checked" to `Analysis.auth`; `decide` reads both sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..protocols.psl import organisational_domain
from ..texts import fill, words
from . import links as links_module
from .lookalike import find_lookalike, to_unicode
from .message import Message, normalise_domain
from .trust import TrustView, trust_view

VERDICTS = ("authentic", "suspicious", "forged", "unknown")
DECEPTION = frozenset({
    "display_name_address", "display_name_domain", "reply_to_other_domain",
    "lookalike_domain", "link_text_mismatch", "link_ip_target", "link_punycode_target"})
_ADDRESS_IN_TEXT = re.compile(r"[\w.+\-]+@([\w\-]+(?:\.[\w\-]+)+)", re.UNICODE)
_DOMAIN_IN_TEXT = re.compile(r"(?<![\w@.\-])((?:[\w\-]+\.)+[a-z]{2,})(?![\w\-])", re.IGNORECASE)


@dataclass(frozen=True)
class Reason:
    id: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def text(self, language: str = "en") -> str:
        entry = words("email", language)["reasons"][self.id]
        return fill(entry, {k: v for k, v in self.evidence.items() if not isinstance(v, dict)})

    def to_dict(self, language: str = "en") -> dict:
        return {"id": self.id, "text": self.text(language), "evidence": self.evidence}


@dataclass(frozen=True)
class SourcedAuth:
    method: str
    result: str
    source: str  # "header" (a trusted Authentication-Results); next step: "checked"
    properties: dict[str, str]
    policy: str | None = None
    authserv_id: str | None = None

    def to_dict(self) -> dict:
        return {"method": self.method, "result": self.result, "source": self.source,
                "properties": self.properties, "policy": self.policy,
                "authserv_id": self.authserv_id}


@dataclass(frozen=True)
class Options:
    own_domains: tuple[str, ...] = ()
    mx_hosts: tuple[str, ...] = ()
    trusted_authserv_ids: tuple[str, ...] = ()


@dataclass
class Analysis:
    message: Message
    trust: TrustView
    own_domains: tuple[str, ...]
    contact_domains: tuple[str, ...]
    reasons: list[Reason] = field(default_factory=list)
    auth: list[SourcedAuth] = field(default_factory=list)
    has_arc: bool = False
    verdict: str = "unknown"

    def to_dict(self, language: str = "en") -> dict:
        sender = self.message.from_address
        hop = self.trust.hop
        return {
            "verdict": self.verdict,
            "summary": words("email", language)["verdicts"][self.verdict],
            "reasons": [r.to_dict(language) for r in self.reasons],
            "from": {"display_name": sender.display_name, "address": sender.address,
                     "domain": sender.domain},
            "trusted_hop": hop.to_dict() if hop else None,
            "authentication": [a.to_dict() for a in self.auth],
            "own_domains": list(self.own_domains),
            "contact_domains": list(self.contact_domains),
            "arc": self.has_arc,
            "headers_only": self.message.headers_only,
        }


def _org(domain: str) -> str:
    return organisational_domain(domain) or domain


def _domains(values: Iterable[str]) -> tuple[str, ...]:
    found = {_org(normalise_domain(v)) for v in values if v and v.strip()}
    return tuple(sorted(d for d in found if d))


def analyse(message: Message, options: Options | None = None) -> Analysis:
    """Every signal this step can see without DNS, and the verdict."""
    options = options or Options()
    trust = trust_view(message, options.mx_hosts, options.trusted_authserv_ids)
    own = _domains([*options.own_domains, *(a.domain for a in message.recipients)])
    contacts = _domains(ref.rpartition("@")[2] for ref in message.references)
    contacts = tuple(d for d in contacts if d not in own)
    analysis = Analysis(message, trust, own, contacts)
    analysis.has_arc = any(n.lower().startswith("arc-") for n, _ in message.headers)
    _display_name(analysis)
    _reply_to(analysis)
    _lookalike(analysis)
    for finding in links_module.check_links(message.html_bodies):
        analysis.reasons.append(Reason(f"link_{finding.kind}", finding.to_dict()))
    _authentication(analysis)
    analysis.verdict = decide(analysis)
    return analysis


def _display_name(analysis: Analysis) -> None:
    sender = analysis.message.from_address
    name = sender.display_name
    if not name:
        return
    from_org = _org(sender.domain)
    for match in _ADDRESS_IN_TEXT.finditer(name):
        if match.group(0).lower() != sender.address.lower():
            analysis.reasons.append(Reason("display_name_address", {
                "display_name": name, "shown": match.group(0), "address": sender.address}))
            return
    for match in _DOMAIN_IN_TEXT.finditer(name):
        domain = normalise_domain(match.group(1))
        known = {*analysis.own_domains, *analysis.contact_domains}
        if _org(domain) != from_org and (_org(domain) in known
                                         or links_module.known_suffix(domain)):
            analysis.reasons.append(Reason("display_name_domain", {
                "display_name": name, "shown": match.group(1), "address": sender.address}))
            return


def _reply_to(analysis: Analysis) -> None:
    sender = analysis.message.from_address
    from_org = _org(sender.domain)
    for reply in analysis.message.reply_to:
        if _org(reply.domain) != from_org:
            analysis.reasons.append(Reason("reply_to_other_domain", {
                "reply_to": reply.address, "address": sender.address}))
            return


def _lookalike(analysis: Analysis) -> None:
    sender = analysis.message.from_address
    found = find_lookalike(sender.domain, analysis.own_domains)
    whose = "own"
    if found is None:
        found = find_lookalike(sender.domain, analysis.contact_domains)
        whose = "contact"
    if found is not None:
        evidence = found.to_dict()
        if found.shown != found.domain:  # both forms: the Unicode one looks identical
            evidence["shown"] = f"{found.shown} ({found.domain})"
        analysis.reasons.append(Reason("lookalike_domain", {
            **evidence, "whose": whose, "address": sender.address,
            "looks_like_shown": to_unicode(found.looks_like)}))


def _authentication(analysis: Analysis) -> None:
    trust = analysis.trust
    if trust.mx_hosts_missing:
        analysis.reasons.append(Reason("mx_host_not_found", {}))
    for header, why in trust.ignored_auth:
        analysis.reasons.append(Reason(f"auth_ignored_{why}", {
            "authserv_id": header.authserv_id, "header": header.raw[:500]}))
    for header in trust.trusted_auth:
        for result in header.results:
            analysis.auth.append(SourcedAuth(result.method, result.result, "header",
                                             result.properties, result.policy,
                                             header.authserv_id))
    if analysis.has_arc:
        analysis.reasons.append(Reason("arc_not_checked", {}))


def _dmarc(analysis: Analysis) -> list[SourcedAuth]:
    return [a for a in analysis.auth if a.method == "dmarc"]


def decide(analysis: Analysis) -> str:
    """The verdict, adding the reasons that explain it."""
    from_domain = analysis.message.from_address.domain
    reasons = analysis.reasons
    deceptive = any(r.id in DECEPTION for r in reasons)
    dmarc = _dmarc(analysis)
    failed = [a for a in dmarc if a.result == "fail"]
    enforced = [a for a in failed if a.policy in ("reject", "quarantine")]
    passed = [a for a in dmarc if a.result == "pass"
              and normalise_domain(a.properties.get("header.from", "")) == from_domain]
    misaligned = [a for a in dmarc if a.result == "pass" and a not in passed]
    for a in enforced:
        reasons.append(Reason("dmarc_fail_enforced", {
            "domain": from_domain, "policy": a.policy, "authserv_id": a.authserv_id}))
    for a in failed:
        if a not in enforced:
            reasons.append(Reason("dmarc_fail", {"domain": from_domain,
                                                 "authserv_id": a.authserv_id}))
    for a in passed:
        reasons.append(Reason("dmarc_pass", {"domain": from_domain,
                                             "authserv_id": a.authserv_id}))
    for a in misaligned:
        reasons.append(Reason("dmarc_pass_other_domain", {
            "domain": from_domain, "header_from": a.properties.get("header.from", ""),
            "authserv_id": a.authserv_id}))
    if enforced:
        if analysis.has_arc:
            reasons.append(Reason("forged_but_arc", {"domain": from_domain}))
            return "suspicious"
        return "forged"
    if deceptive:
        return "suspicious"
    if passed and not failed and not misaligned:
        return "authentic"
    if not dmarc:
        reasons.append(Reason("no_trusted_authentication", {}))
    return "unknown"
