"""RFC 7208 §4 check_host(): evaluate the SPF policy of a domain for one client IP.

The DNS object is anything with ``async lookup(name, rdtype) -> DnsAnswer`` (the
scanner's DnsClient, or the lab's). Only TXT, A, AAAA, MX and PTR are asked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cyberbasics.net.dns import ERROR, NOERROR, NXDOMAIN, DnsAnswer, normalise_name
from cyberbasics.protocols.spf_syntax import (
    DOMAIN_MACRO_LETTERS,
    EXPLAIN_MACRO_LETTERS,
    QUALIFIER_RESULTS,
    MacroExpand,
    MacroToken,
    Mechanism,
    Modifier,
    SpfRecord,
    SpfSyntaxError,
    is_spf_record,
    macro_tokens,
    parse_record,
)

RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")

MAX_DNS_TERMS = 10  # §4.6.4: include, a, mx, ptr, exists and redirect, over the whole evaluation
MAX_VOID_LOOKUPS = 2  # §4.6.4: RECOMMENDED default
MAX_MX_NAMES = 10  # §4.6.4: more MX records than this is a permerror
MAX_PTR_NAMES = 10  # §4.6.4: PTR names past the first 10 are ignored
DEFAULT_TIMEOUT = 20.0  # §4.6.4: at least 20 seconds, then temperror
MAX_EXPLANATION = 1000  # §6.2: implementations MAY limit its length

_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class SpfResult:
    """The outcome of check_host() and why, in plain language."""

    result: str  # one of RESULTS
    explanation: str  # why, for people; on "fail" it ends with the domain's exp= text if any
    mechanism: str | None  # the term of the checked domain's record chain that decided
    domain: str  # the domain that was checked
    lookups: int  # DNS-querying terms evaluated (limit 10)
    void_lookups: int  # lookups that found no data or no such name (limit 2)
    matched_domain: str | None = None  # the domain whose record held `mechanism`
    exp_text: str | None = None  # the domain's own explanation (exp=), only on "fail"

    def to_json(self) -> dict:
        return {
            "result": self.result,
            "explanation": self.explanation,
            "mechanism": self.mechanism,
            "domain": self.domain,
            "matched_domain": self.matched_domain,
            "exp_text": self.exp_text,
            "lookups": self.lookups,
            "void_lookups": self.void_lookups,
        }


class _Abort(Exception):
    """permerror or temperror: ends the whole evaluation (§4.6.2, §5, §5.2, §6.1)."""

    def __init__(self, result: str, reason: str):
        super().__init__(reason)
        self.result = result
        self.reason = reason


@dataclass(frozen=True)
class _Outcome:
    result: str
    why: str
    term: str | None = None
    domain: str | None = None  # where `term` is
    exp: Modifier | None = None  # the exp= of the deciding record (redirect replaces it)
    exp_domain: str | None = None  # <domain> for expanding that exp=


class _Context:
    """Arguments and counters shared by all nested evaluations (§4.1: one global limit)."""

    def __init__(self, dns: Any, ip: Address, sender: str, local: str, sender_domain: str,
                 helo: str | None, receiver: str):
        self.dns = dns
        self.ip = ip
        self.ipv4 = ip.version == 4
        self.sender = sender
        self.local = local
        self.sender_domain = sender_domain
        self.helo = helo
        self.receiver = receiver
        self.now = time.time()
        self.lookups = 0
        self.voids = 0
        self._validated: list[str] | None = None  # for %{p}

    @property
    def address_type(self) -> str:
        return "A" if self.ipv4 else "AAAA"

    def count_term(self, term: str, domain: str) -> None:
        self.lookups += 1
        if self.lookups > MAX_DNS_TERMS:
            raise _Abort("permerror", (
                f"evaluating {term} in the record of {domain} needs DNS-querying term number "
                f"{self.lookups}; RFC 7208 allows at most {MAX_DNS_TERMS} (include, a, mx, ptr, "
                "exists and redirect, counted across all included records)"))

    def count_void(self, term: str, domain: str, name: str) -> None:
        self.voids += 1
        if self.voids > MAX_VOID_LOOKUPS:
            raise _Abort("permerror", (
                f"{term} in the record of {domain} looked up {name}, which has no such data: "
                f"that is void lookup number {self.voids}, and RFC 7208 allows at most "
                f"{MAX_VOID_LOOKUPS}"))

    async def lookup(self, name: str, rdtype: str) -> DnsAnswer:
        """Ask the DNS; a DNS layer that raises counts as a DNS error, never a crash."""
        try:
            return await self.dns.lookup(name, rdtype)
        except Exception as exc:
            return DnsAnswer(name, rdtype, ERROR, error=f"{exc.__class__.__name__}: {exc}")

    async def query(self, name: str, rdtype: str, term: str, domain: str) -> DnsAnswer:
        """A lookup whose DNS error ends the evaluation with temperror (§5)."""
        answer = await self.lookup(name, rdtype)
        if answer.rcode not in (NOERROR, NXDOMAIN):
            reason = answer.error or answer.rcode
            raise _Abort("temperror", f"the DNS lookup of {rdtype} {name} for {term} in the "
                                      f"record of {domain} failed ({reason})")
        return answer

    async def validated_names(self) -> list[str]:
        """PTR names of <ip> whose own addresses include <ip> (§5.5), at most 10 tried."""
        if self._validated is None:
            answer = await self.lookup(self.ip.reverse_pointer, "PTR")
            names = [normalise_name(n) for n in answer.records[:MAX_PTR_NAMES]] \
                if answer.rcode == NOERROR else []
            self._validated = [n for n in names if await self.confirms(n)]
        return self._validated

    async def confirms(self, name: str) -> bool:
        """Whether ``name`` has <ip> among its addresses; DNS errors just skip the name."""
        target = target_name(name)
        if target is None:
            return False
        answer = await self.lookup(target, self.address_type)
        return answer.rcode == NOERROR and any(self.matches(r) for r in answer.records)

    def matches(self, address: str, cidr4: int | None = None, cidr6: int | None = None) -> bool:
        length = (32 if cidr4 is None else cidr4) if self.ipv4 else \
            (128 if cidr6 is None else cidr6)
        try:
            network = ipaddress.ip_network(f"{address}/{length}", strict=False)
        except ValueError:
            return False
        return network.version == self.ip.version and self.ip in network


# -- arguments (§4.1, §4.3) ---------------------------------------------------------------


def client_address(ip: str | Address) -> Address:
    """The client IP; an IPv4-mapped IPv6 address is its IPv4 address (§5)."""
    address = ipaddress.ip_address(ip.strip() if isinstance(ip, str) else ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            raise ValueError(f"{ip!r} has a scope id; give the plain client address")
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


def sender_parts(sender: str, helo: str | None) -> tuple[str, str, str]:
    """(<sender>, local-part, domain), with postmaster@helo for a null sender (§4.3, §2.4)."""
    sender = (sender or "").strip()
    if not sender:
        sender = f"postmaster@{helo.strip()}" if helo else ""
    local, at, domain = sender.rpartition("@")
    if not at:
        local, domain = "", sender
    if not local:
        local = "postmaster"
    return f"{local}@{domain}", local, domain


def initial_domain(domain: str) -> str | None:
    """The <domain> in normal form, or None if it is malformed (§4.3: result "none")."""
    name = domain[:-1] if domain.endswith(".") else domain
    name = name.lower()
    if not name or len(name) > 253 or not name.isascii():
        return None
    labels = name.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return None
    if not all(_LDH_LABEL.fullmatch(label) for label in labels):
        return None
    return name


def target_name(text: str) -> str | None:
    """A <target-name> ready to query, or None when no DNS query can be made from it.

    One trailing dot is ignored; a name over 253 characters loses labels from the
    left until it fits (§7.3); empty or over-long labels, and characters outside
    US-ASCII (names must be A-labels), make it unusable.
    """
    name = text[:-1] if text.endswith(".") else text
    while len(name) > 253 and "." in name:
        name = name.split(".", 1)[1]
    if not name or len(name) > 253 or not name.isascii():
        return None
    if any(not label or len(label) > 63 for label in name.split(".")):
        return None
    return name.lower()


# -- macros (§7) --------------------------------------------------------------------------


async def expand(ctx: _Context, tokens: tuple[MacroToken, ...], domain: str) -> str:
    parts: list[str] = []
    for token in tokens:
        if isinstance(token, str):
            parts.append(token)
        elif isinstance(token, MacroExpand):
            value = transform(await _macro_value(ctx, token.letter.lower(), domain), token)
            if token.letter.isupper():
                value = quote(value, safe="")  # §7.3: escape all but RFC 3986 "unreserved"
            parts.append(value)
        else:
            parts.append(token.value)
    return "".join(parts)


def transform(value: str, macro: MacroExpand) -> str:
    """Split on the delimiters, reverse, keep the right-hand parts, rejoin with dots (§7.3)."""
    if macro.digits is None and not macro.reverse and not macro.delimiters:
        return value
    delimiters = macro.delimiters or "."
    parts = re.split("[" + re.escape(delimiters) + "]", value)
    if macro.reverse:
        parts.reverse()
    if macro.digits is not None and macro.digits < len(parts):
        parts = parts[-macro.digits:]
    return ".".join(parts)


def expand_static(tokens: tuple[MacroToken, ...], domain: str) -> str | None:
    """Expand a macro-string whose only macros are %{d...}, which need no message.

    Returns None when another macro letter makes the value depend on the message.
    """
    parts: list[str] = []
    for token in tokens:
        if isinstance(token, str):
            parts.append(token)
        elif isinstance(token, MacroExpand):
            if token.letter.lower() != "d":
                return None
            value = transform(domain, token)
            parts.append(quote(value, safe="") if token.letter.isupper() else value)
        else:
            parts.append(token.value)
    return "".join(parts)


async def _macro_value(ctx: _Context, letter: str, domain: str) -> str:
    if letter == "s":
        return ctx.sender
    if letter == "l":
        return ctx.local
    if letter == "o":
        return ctx.sender_domain
    if letter == "d":
        return domain
    if letter == "i":
        if ctx.ipv4:
            return str(ctx.ip)
        return ".".join(f"{int(ctx.ip):032x}")
    if letter == "c":
        return str(ctx.ip)  # dotted quad, or RFC 5952 text for IPv6
    if letter == "v":
        return "in-addr" if ctx.ipv4 else "ip6"
    if letter == "h":
        return ctx.helo or "unknown"
    if letter == "r":
        return ctx.receiver or "unknown"
    if letter == "t":
        return str(int(ctx.now))
    if letter == "p":
        names = await ctx.validated_names()
        if not names:
            return "unknown"
        if domain in names:
            return domain
        return next((n for n in names if n.endswith("." + domain)), names[0])
    raise AssertionError(f"macro letter {letter!r} passed the parser")  # pragma: no cover


# -- record lookup and evaluation (§4.4 - §4.7, §5, §6) -----------------------------------


async def _fetch_record(ctx: _Context, domain: str) -> tuple[SpfRecord | None, str]:
    answer = await ctx.lookup(domain, "TXT")
    if answer.rcode == NXDOMAIN:
        return None, f"{domain} does not exist (NXDOMAIN), so it has no SPF record"
    if answer.rcode != NOERROR:
        raise _Abort("temperror", f"the DNS lookup of the TXT records of {domain} failed "
                                  f"({answer.error or answer.rcode})")
    records = [r for r in answer.records if is_spf_record(r)]
    if not records:
        return None, f"{domain} has no SPF record (no TXT record starting with v=spf1)"
    if len(records) > 1:
        raise _Abort("permerror", f"{domain} publishes {len(records)} SPF records; there "
                                  "must be exactly one")
    try:
        return parse_record(records[0]), ""
    except SpfSyntaxError as exc:
        raise _Abort("permerror", f"the SPF record of {domain} is invalid: {exc}") from None


async def evaluate(ctx: _Context, domain: str) -> _Outcome:
    record, why_none = await _fetch_record(ctx, domain)
    if record is None:
        return _Outcome("none", why_none)
    for mechanism in record.mechanisms:
        matched, detail = await _match(ctx, mechanism, domain)
        if matched:
            why = f"{ctx.ip} matched {mechanism.text} in the record of {domain}"
            if detail:
                why += f" ({detail})"
            return _Outcome(mechanism.result, why, mechanism.text, domain, record.exp, domain)
    redirect = record.redirect
    if redirect is not None and record.all is None:  # §4.7: redirect is ignored beside "all"
        ctx.count_term(redirect.text, domain)
        target = await _target(ctx, redirect.value, domain)
        if target is None:
            raise _Abort("permerror", f"{redirect.text} in the record of {domain} does not "
                                      "give a valid domain name")
        inner = await evaluate(ctx, target)
        if inner.result == "none":
            raise _Abort("permerror", f"{redirect.text} in the record of {domain} points to a "
                                      f"domain without an SPF record: {inner.why}")
        why = f"nothing in the record of {domain} matched, so it redirects to {target}: " \
              f"{inner.why}"
        return _Outcome(inner.result, why, inner.term, inner.domain, inner.exp, inner.exp_domain)
    return _Outcome("neutral", f"no mechanism in the record of {domain} matched {ctx.ip} and "
                               "there is no redirect, so the result is neutral (the default)",
                    None, domain)


async def _target(ctx: _Context, spec: str | None, domain: str) -> str | None:
    if spec is None:
        return domain
    return target_name(await expand(ctx, macro_tokens(spec), domain))


async def _match(ctx: _Context, mech: Mechanism, domain: str) -> tuple[bool, str]:
    name = mech.name
    if name == "all":
        return True, ""
    if name == "ip4":
        return ctx.ipv4 and ctx.matches(mech.network or "", cidr4=mech.cidr4), ""
    if name == "ip6":
        return (not ctx.ipv4) and ctx.matches(mech.network or "", cidr6=mech.cidr6), ""

    ctx.count_term(mech.text, domain)
    target = await _target(ctx, mech.domain_spec, domain)

    if name == "include":
        if target is None:
            raise _Abort("permerror", f"{mech.text} in the record of {domain} does not give a "
                                      "valid domain name")
        inner = await evaluate(ctx, target)
        if inner.result == "none":  # §5.2: none -> permerror
            raise _Abort("permerror", f"{mech.text} in the record of {domain} points to a "
                                      f"domain without an SPF record: {inner.why}")
        if inner.result == "pass":
            return True, f"the record of {target} passes it: {inner.why}"
        return False, ""  # fail, softfail and neutral do not match

    if target is None:  # a name no query can be made for: nothing there (void)
        ctx.count_void(mech.text, domain, "an invalid domain name")
        return False, ""

    if name == "a":
        answer = await ctx.query(target, ctx.address_type, mech.text, domain)
        if not answer.records:
            ctx.count_void(mech.text, domain, target)
        for address in answer.records:
            if ctx.matches(address, mech.cidr4, mech.cidr6):
                return True, f"{target} has address {address}"
        return False, ""

    if name == "mx":
        answer = await ctx.query(target, "MX", mech.text, domain)
        if not answer.records:
            ctx.count_void(mech.text, domain, target)
            return False, ""  # §5.4: no implicit MX
        if len(answer.records) > MAX_MX_NAMES:
            raise _Abort("permerror", (
                f"{mech.text} in the record of {domain}: {target} has {len(answer.records)} MX "
                f"records, and RFC 7208 allows at most {MAX_MX_NAMES}"))
        for _, host in _mx_hosts(answer):
            host_name = target_name(host) if host else None
            if host_name is None:
                continue  # a null MX ("0 .") names no host
            addresses = await ctx.query(host_name, ctx.address_type, mech.text, domain)
            for address in addresses.records:
                if ctx.matches(address, mech.cidr4, mech.cidr6):
                    return True, f"mail server {host_name} of {target} has address {address}"
        return False, ""

    if name == "ptr":
        answer = await ctx.lookup(ctx.ip.reverse_pointer, "PTR")
        if answer.rcode not in (NOERROR, NXDOMAIN):
            return False, ""  # §5.5: a DNS error on the PTR lookup is just no match
        if not answer.records:
            ctx.count_void(mech.text, domain, ctx.ip.reverse_pointer)
        for host in answer.records[:MAX_PTR_NAMES]:
            host = normalise_name(host)
            if (host == target or host.endswith("." + target)) and await ctx.confirms(host):
                return True, f"{ctx.ip} has the validated reverse name {host}"
        return False, ""

    # exists: an A query whatever the client's address family (§5.7)
    answer = await ctx.query(target, "A", mech.text, domain)
    if not answer.records:
        ctx.count_void(mech.text, domain, target)
        return False, ""
    return True, f"{target} exists"


def _mx_hosts(answer: DnsAnswer) -> list[tuple[int, str]]:
    hosts = []
    for text in answer.records:
        pref, _, host = text.partition(" ")
        try:
            hosts.append((int(pref), normalise_name(host)))
        except ValueError:
            continue
    return sorted(hosts)


async def explanation(ctx: _Context, exp: Modifier, domain: str) -> str | None:
    """The exp= text (§6.2), or None whenever it cannot be had: never an error."""
    name = target_name(await expand(ctx, macro_tokens(exp.value, DOMAIN_MACRO_LETTERS), domain))
    if name is None:
        return None
    answer = await ctx.lookup(name, "TXT")
    if answer.rcode != NOERROR or len(answer.records) != 1:
        return None
    try:
        tokens = macro_tokens(answer.records[0], EXPLAIN_MACRO_LETTERS, True)
    except SpfSyntaxError:
        return None
    text = await expand(ctx, tokens, domain)
    if not text.isascii():
        return None  # §6.2: US-ASCII only
    return text[:MAX_EXPLANATION]


async def check_host(
    ip: str,
    domain: str,
    sender: str,
    *,
    helo: str | None,
    dns: Any,
    receiver: str = "unknown",
    timeout: float = DEFAULT_TIMEOUT,
) -> SpfResult:
    """RFC 7208 check_host(<ip>, <domain>, <sender>).

    ``sender`` is the MAIL FROM address ("" for a null reverse-path, which checks
    postmaster@``helo``); ``domain`` may be "" to use the sender's domain. ``receiver``
    is the checking host's name for the %{r} macro. Raises ValueError only for an
    ``ip`` that is not an IP address.
    """
    address = client_address(ip)
    full_sender, local, sender_domain = sender_parts(sender, helo)
    checked = (domain or "").strip() or sender_domain
    ctx = _Context(dns, address, full_sender, local, sender_domain, helo, receiver)
    name = initial_domain(checked)
    if name is None:
        return SpfResult("none", f"{checked!r} is not a valid domain name (RFC 7208 §4.3 needs "
                                 "a fully qualified name of letters, digits and hyphens), so "
                                 "it has no SPF policy", None, checked, 0, 0)
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        async with asyncio.timeout_at(deadline):
            outcome = await evaluate(ctx, name)
    except _Abort as abort:
        return SpfResult(abort.result, abort.reason, None, name, ctx.lookups, ctx.voids)
    except TimeoutError:
        return SpfResult("temperror", f"checking the SPF policy of {name} took longer than "
                                      f"{timeout:g} s", None, name, ctx.lookups, ctx.voids)

    exp_text = None
    why = outcome.why
    if outcome.result == "fail" and outcome.exp is not None and outcome.exp_domain:
        try:
            async with asyncio.timeout_at(deadline):
                exp_text = await explanation(ctx, outcome.exp, outcome.exp_domain)
        except TimeoutError:
            exp_text = None
        if exp_text is not None:
            why += f'. The domain\'s own explanation (exp=) says: "{exp_text}"'
    return SpfResult(outcome.result, why, outcome.term, name, ctx.lookups, ctx.voids,
                     outcome.domain, exp_text)


__all__ = ["QUALIFIER_RESULTS", "RESULTS", "SpfResult", "check_host"]
