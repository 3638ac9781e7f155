"""From a parsed message to a verdict: authentic, suspicious, forged or unknown.

The verdict never says `authentic` on weak evidence. Two kinds of authentication evidence
feed it: a trusted Authentication-Results (source "header": what the business's own server
found when the message arrived) and our own checks through DNS (source "checked",
`authcheck.check`: SPF from the trusted hop, DKIM, DMARC alignment, ARC). A trusted header
wins over our own check, which may run days later, after keys have been rotated.

- `authentic`: DMARC passes for the From domain (or, with no DMARC policy, an aligned SPF or
  DKIM passes) and nothing tries to deceive;
- `forged`: DMARC fails under p=reject or p=quarantine and no valid ARC chain explains it;
- `suspicious`: a deception signal (lookalike domain, display-name or reply-to trick, link
  mismatch, new sending infrastructure without a DMARC pass), or SPF hard-fails for an
  aligned envelope domain that has no DMARC policy;
- `unknown`: everything else. Offline (`analyse`, no DNS) an ARC chain cannot be validated,
  so an enforced failure with a chain is only `suspicious`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
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
    "lookalike_domain", "link_text_mismatch", "link_ip_target", "link_punycode_target",
    "several_from", "from_not_a_domain", "address_in_local_part",
    # a validly signed message added to after signing (`authcheck.tampering`)
    "dkim_body_beyond_length", "unsigned_header_copy"})
# A sign of deception only when nothing proves the message comes from its domain: a
# supplier moving to a new mail provider still passes DMARC.
UNPROVEN_DECEPTION = frozenset({"new_sending_infrastructure"})
_ADDRESS_IN_TEXT = re.compile(r"[\w.+\-]+@([\w\-]+(?:\.[\w\-]+)+)", re.UNICODE)
_DOMAIN_IN_TEXT = re.compile(r"(?<![\w@.\-])((?:[\w\-]+\.)+[a-z]{2,})(?![\w\-])", re.IGNORECASE)


@dataclass(frozen=True)
class Reason:
    id: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def text(self, language: str = "en") -> str:
        texts = words("email", language)
        values = {k: v for k, v in self.evidence.items() if not isinstance(v, dict)}
        if "source" in values:  # who found it: the business's own server, or our check
            values["by"] = fill(texts["sources"][values["source"]],
                                {"authserv_id": values.get("authserv_id") or ""})
        return fill(texts["reasons"][self.id], values)

    def to_dict(self, language: str = "en") -> dict:
        return {"id": self.id, "text": self.text(language), "evidence": self.evidence}


@dataclass(frozen=True)
class SourcedAuth:
    method: str
    result: str
    source: str  # "header" (a trusted Authentication-Results) or "checked" (our own check)
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
    contact_domains: tuple[str, ...] = ()  # correspondents the business has seen before
    # From organisational domain -> infrastructure keys seen before (`Analysis.infrastructure`);
    # None: no history is kept (anonymous use), so nothing can be "newly seen".
    seen_infrastructure: Mapping[str, frozenset[str]] | None = None
    # Forwarders and mailing lists whose ARC seal may excuse a DMARC failure: anyone can seal
    # a chain of their own, so an untrusted seal never turns "forged" into "unknown".
    trusted_arc_sealers: tuple[str, ...] = ()


@dataclass
class Analysis:
    message: Message
    trust: TrustView
    own_domains: tuple[str, ...]
    contact_domains: tuple[str, ...]
    reasons: list[Reason] = field(default_factory=list)
    auth: list[SourcedAuth] = field(default_factory=list)
    has_arc: bool = False
    arc: str | None = None  # our ARC validation: pass, fail, temperror; None: not checked
    arc_trusted: bool = False  # its newest sealer is one the business trusts
    infrastructure: tuple[str, ...] = ()  # who handed it over: ip:…, helo:…, dkim:…
    checks: dict[str, Any] = field(default_factory=dict)  # our own checks' details
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
            "arc_validation": self.arc,
            "arc_trusted_sealer": self.arc_trusted,
            "infrastructure": list(self.infrastructure),
            "checks": self.checks,
            "headers_only": self.message.headers_only,
        }


def _org(domain: str) -> str:
    return organisational_domain(domain) or domain


def _domains(values: Iterable[str]) -> tuple[str, ...]:
    found = {_org(normalise_domain(v)) for v in values if v and v.strip()}
    return tuple(sorted(d for d in found if d))


def analyse(message: Message, options: Options | None = None) -> Analysis:
    """Every signal that needs no DNS, and the verdict on them (`authcheck.check` adds DNS)."""
    analysis = signals(message, options)
    infrastructure_signal(analysis, (options or Options()).seen_infrastructure)
    if analysis.has_arc:
        analysis.reasons.append(Reason("arc_not_checked", {}))
    analysis.verdict = decide(analysis)
    return analysis


def signals(message: Message, options: Options | None = None) -> Analysis:
    """The signals in the message itself, without a verdict yet."""
    options = options or Options()
    trust = trust_view(message, options.mx_hosts, options.trusted_authserv_ids)
    own = _domains([*options.own_domains, *(a.domain for a in message.recipients)])
    contacts = _domains([*options.contact_domains,
                         *(ref.rpartition("@")[2] for ref in message.references)])
    contacts = tuple(d for d in contacts if d not in own)
    analysis = Analysis(message, trust, own, contacts)
    analysis.has_arc = any(n.lower().startswith("arc-") for n, _ in message.headers)
    analysis.infrastructure = hop_infrastructure(trust)
    if "several_from" in message.notes:  # RFC 7489 §6.6.1: which one would DMARC judge?
        analysis.reasons.append(Reason("several_from", {"address": message.from_address.address}))
    local = message.from_address.address.rpartition("@")[0]
    if "@" in local:  # "ceo@bank.example"@elsewhere.example shows the wrong address first
        analysis.reasons.append(Reason("address_in_local_part", {
            "address": message.from_address.address, "domain": message.from_address.domain}))
    _display_name(analysis)
    _reply_to(analysis)
    _lookalike(analysis)
    for finding in links_module.check_links(message.html_bodies):
        analysis.reasons.append(Reason(f"link_{finding.kind}", finding.to_dict()))
    _authentication(analysis)
    return analysis


def hop_infrastructure(trust: TrustView) -> tuple[str, ...]:
    """A key for the network that handed the message to the business (a /24 or a /48: big
    senders move between neighbouring addresses). Not the name it gave (HELO): a sender
    chooses that freely, so it would let an impostor pass as a known server. `authcheck`
    adds the domains that vouch for the sender: an SPF pass (spf:) and valid signatures
    (dkim:)."""
    hop = trust.hop
    if hop is None or not hop.ip:
        return ()
    try:
        address = ipaddress.ip_address(hop.ip)
    except ValueError:
        return ()
    prefix = 24 if address.version == 4 else 48
    return (f"net:{ipaddress.ip_network((address, prefix), strict=False)}",)


def infrastructure_signal(analysis: Analysis, seen: Mapping[str, frozenset[str]] | None) -> None:
    """Flag a known sender arriving through servers never seen for it before."""
    if seen is None or not analysis.infrastructure:
        return
    from_org = _org(analysis.message.from_address.domain)
    before = seen.get(from_org)
    if before and not before & set(analysis.infrastructure):
        analysis.reasons.append(Reason("new_sending_infrastructure", {
            "domain": from_org, "now": ", ".join(analysis.infrastructure),
            "before": ", ".join(sorted(before)[:10])}))


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
            policy = result.policy
            if result.method == "dmarc":
                action = result.properties.get("action", "").lower()
                # Microsoft writes the policy it applied as action= ("oreject": rejected
                # by an override of its own), not as a policy
                policy = policy or _ACTIONS.get(action)
                if _not_applied(result.properties, result.comment):
                    policy = "none"  # the receiver itself chose not to act on the failure
            analysis.auth.append(SourcedAuth(result.method, result.result, "header",
                                             result.properties, policy, header.authserv_id))


_NOT_APPLIED = re.compile(r"\bdis=none\b", re.IGNORECASE)
_ACTIONS = {"reject": "reject", "oreject": "reject", "quarantine": "quarantine"}


def _not_applied(properties: Mapping[str, str], comment: str) -> bool:
    """The receiving server says it did not apply the domain's policy: Microsoft writes
    `action=none`, Gmail `(p=REJECT sp=REJECT dis=NONE)`. Usually a forwarder or a local
    exception it knows of: its own failure is then no proof of forgery."""
    return properties.get("action", "").lower() in ("none", "pass") \
        or bool(_NOT_APPLIED.search(comment or ""))


def aligned(domain: str, from_domain: str, mode: str = "r") -> bool:
    """DMARC identifier alignment: strict needs the same name, relaxed the same
    organisational domain."""
    domain, from_domain = normalise_domain(domain), normalise_domain(from_domain)
    if not domain or not from_domain:
        return False
    return domain == from_domain if mode == "s" else _org(domain) == _org(from_domain)


def _dmarc_reason(reason_id: str, a: SourcedAuth, from_domain: str, **extra) -> Reason:
    return Reason(reason_id, {"domain": from_domain, "source": a.source,
                              "authserv_id": a.authserv_id, **extra})


def decide(analysis: Analysis) -> str:
    """The verdict, adding the reasons that explain it."""
    from_domain = analysis.message.from_address.domain
    reasons = analysis.reasons
    header = [a for a in analysis.auth if a.method == "dmarc" and a.source == "header"]
    checked = [a for a in analysis.auth if a.method == "dmarc" and a.source == "checked"]
    dmarc = header or checked  # the receiving server's own finding wins over a later check
    failed = [a for a in dmarc if a.result == "fail"]
    enforced = [a for a in failed if a.policy in ("reject", "quarantine")]
    passed = [a for a in dmarc if a.result == "pass"
              and normalise_domain(a.properties.get("header.from", "")) == from_domain]
    misaligned = [a for a in dmarc if a.result == "pass" and a not in passed]
    for a in enforced:
        reasons.append(_dmarc_reason("dmarc_fail_enforced", a, from_domain, policy=a.policy))
    for a in failed:
        if a not in enforced:
            reasons.append(_dmarc_reason("dmarc_fail", a, from_domain))
    for a in passed:
        reasons.append(_dmarc_reason(_pass_reason(a), a, from_domain))
    for a in misaligned:
        reasons.append(_dmarc_reason("dmarc_pass_other_domain", a, from_domain,
                                     header_from=a.properties.get("header.from", "")))
    ids = {r.id for r in reasons}
    deceptive = bool(ids & DECEPTION) or bool(ids & UNPROVEN_DECEPTION and not passed)
    if enforced:
        if analysis.arc == "pass" and analysis.arc_trusted:
            reasons.append(Reason("arc_forwarded", {"domain": from_domain}))
            return "suspicious" if deceptive else "unknown"
        if analysis.arc == "pass":
            sealer_trusted = analysis.checks.get("arc", {}).get("trusted")
            reasons.append(Reason("arc_no_recorded_pass" if sealer_trusted
                                  else "arc_untrusted_sealer", {"domain": from_domain}))
            return "suspicious"
        if analysis.has_arc and analysis.arc != "fail":  # a chain we could not check
            reasons.append(Reason("forged_but_arc", {"domain": from_domain}))
            return "suspicious"
        return "forged"
    if deceptive:
        return "suspicious"
    if passed and not failed and not misaligned:
        return "authentic"
    if any(a.result == "incomplete" and a.policy in ("reject", "quarantine")
           and a.properties.get("unchecked_by_sender") for a in dmarc):
        return "suspicious"  # failed all we could check, and the sender hid the rest
    if not dmarc and _spf_fails_without_policy(analysis, from_domain):
        reasons.append(Reason("spf_fail_no_policy", {"domain": from_domain}))
        return "suspicious"
    if not dmarc and not any(a.source == "checked" for a in analysis.auth):
        reasons.append(Reason("no_trusted_authentication", {}))
    return "unknown"


def _pass_reason(auth: SourcedAuth) -> str:
    if auth.source != "checked" or auth.policy is not None:
        return "dmarc_pass"
    if auth.properties.get("policy_unknown"):
        return "dmarc_aligned_policy_unknown"  # the policy lookup failed, not "no policy"
    return "dmarc_aligned_no_policy"


def _spf_fails_without_policy(analysis: Analysis, from_domain: str) -> bool:
    """Our own SPF check failed hard for an envelope domain of the sender's organisation,
    and the sender publishes no DMARC policy (with one, DMARC decides)."""
    if analysis.checks.get("dmarc", {}).get("policy") is not None:
        return False
    return any(a.method == "spf" and a.source == "checked" and a.result == "fail"
               and aligned(a.properties.get("smtp.mailfrom", ""), from_domain)
               for a in analysis.auth)
