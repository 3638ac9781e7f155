"""Static audit of a domain's SPF policy, for the scanner and for advisors.

Unlike check_host() this evaluates no client IP: it reads the record, follows
every include and redirect (each distinct domain fetched once), and counts what
an evaluation could cost in the worst case: DNS-querying terms (§4.6.4, limit 10)
and void lookups (limit 2). A DNS error anywhere leaves the count unknown, which
the report says distinctly rather than as within or over the limit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from cyberbasics.net.dns import ERROR, NOERROR, NXDOMAIN, DnsAnswer
from cyberbasics.protocols.spf_eval import (
    MAX_DNS_TERMS,
    MAX_MX_NAMES,
    MAX_VOID_LOOKUPS,
    expand_static,
    initial_domain,
    target_name,
)
from cyberbasics.protocols.spf_syntax import (
    QUALIFIER_RESULTS,
    Mechanism,
    SpfRecord,
    SpfSyntaxError,
    is_spf_record,
    macro_tokens,
    parse_record,
)

MAX_AUDIT_DOMAINS = 50  # distinct domains whose TXT records are fetched
MAX_AUDIT_NODES = 250  # nodes in the tree (a domain included twice is two nodes)
MAX_AUDIT_DEPTH = 12  # nested include/redirect levels (evaluation stops at 10 lookups)
MAX_AUDIT_PROBES = 60  # a/mx/exists targets probed for void lookups


@dataclass(frozen=True)
class SpfPolicyNode:
    """One record in the include/redirect tree."""

    domain: str
    via: str  # "root", "include" or "redirect"
    term: str | None  # the term that led here (None for the root)
    status: str  # ok, none, multiple, syntax_error, dns_error, invalid_domain, loop, macro,
    #              truncated
    record: str | None = None
    error: str | None = None
    lookups: int = 0  # DNS-querying terms in this record itself
    void_lookups: int = 0  # void lookups found at this node
    children: tuple[SpfPolicyNode, ...] = ()

    @property
    def total_lookups(self) -> int:
        return self.lookups + sum(child.total_lookups for child in self.children)

    @property
    def total_void_lookups(self) -> int:
        return self.void_lookups + sum(child.total_void_lookups for child in self.children)

    def to_json(self) -> dict:
        data: dict = {"domain": self.domain, "via": self.via, "term": self.term,
                      "status": self.status, "lookups": self.lookups,
                      "void_lookups": self.void_lookups}
        if self.record is not None:
            data["record"] = self.record
        if self.error is not None:
            data["error"] = self.error
        if self.children:
            data["children"] = [child.to_json() for child in self.children]
        return data


@dataclass(frozen=True)
class SpfNestedError:
    """A problem below the root: an include or redirect target that would break evaluation."""

    domain: str
    kind: str  # none, multiple, syntax_error, dns_error, invalid_domain, loop, mx_limit
    message: str
    term: str | None  # the term that reaches it
    path: tuple[str, ...]  # domains from the root down to (and including) `domain`

    def to_json(self) -> dict:
        return {"domain": self.domain, "kind": self.kind, "message": self.message,
                "term": self.term, "path": list(self.path)}


@dataclass(frozen=True)
class SpfPolicyReport:
    domain: str
    status: str  # none, multiple, syntax_error, ok, dns_error
    records: tuple[str, ...] = ()  # every v=spf1 TXT record at the domain
    record: SpfRecord | None = None  # the parsed record when status is ok
    error: str | None = None
    all_qualifier: str | None = None  # "+", "-", "~" or "?" of the final all, if any
    all_domain: str | None = None  # the record holding that all (after redirects)
    all_status: str = "not_applicable"  # found, absent, broken, unknown (see _final_all)
    lookups: int = 0  # DNS-querying terms over the whole tree (a lower bound if unknown)
    lookup_status: str = "not_applicable"  # ok, over_limit, unknown, not_applicable
    void_lookups: int = 0
    void_status: str = "not_applicable"  # ok, over_limit, unknown, not_applicable
    loops: tuple[str, ...] = ()
    nested_errors: tuple[SpfNestedError, ...] = ()
    warnings: tuple[str, ...] = ()
    tree: SpfPolicyNode | None = None
    truncated: bool = False  # the walk stopped at a work cap

    @property
    def all_result(self) -> str | None:
        """What the final all gives ("fail" for -all); None when there is none."""
        return QUALIFIER_RESULTS[self.all_qualifier] if self.all_qualifier else None

    def to_json(self) -> dict:
        return {
            "domain": self.domain,
            "status": self.status,
            "records": list(self.records),
            "record": self.record.to_json() if self.record else None,
            "error": self.error,
            "all_qualifier": self.all_qualifier,
            "all_result": self.all_result,
            "all_domain": self.all_domain,
            "all_status": self.all_status,
            "lookups": self.lookups,
            "lookup_limit": MAX_DNS_TERMS,
            "lookup_status": self.lookup_status,
            "void_lookups": self.void_lookups,
            "void_limit": MAX_VOID_LOOKUPS,
            "void_status": self.void_status,
            "loops": list(self.loops),
            "nested_errors": [e.to_json() for e in self.nested_errors],
            "warnings": list(self.warnings),
            "tree": self.tree.to_json() if self.tree else None,
            "truncated": self.truncated,
        }


@dataclass(frozen=True)
class _Fetched:
    status: str  # ok, none, multiple, syntax_error, dns_error
    records: tuple[str, ...]
    record: SpfRecord | None
    error: str | None
    void: bool  # NXDOMAIN or no TXT data at all


class _Audit:
    def __init__(self, dns: Any):
        self.dns = dns
        self._answers: dict[tuple[str, str], asyncio.Task[DnsAnswer]] = {}
        self._fetched: dict[str, asyncio.Task[_Fetched]] = {}
        self.nodes = 0
        self.probes = 0
        self.truncated = False
        self.unknown = False  # a DNS error somewhere: counts are lower bounds
        self.loops: list[str] = []
        self.errors: list[SpfNestedError] = []
        self.warnings: list[str] = []
        self._prefetched = 0

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def lookup(self, name: str, rdtype: str) -> asyncio.Task[DnsAnswer]:
        key = (name, rdtype)
        task = self._answers.get(key)
        if task is None:
            task = asyncio.ensure_future(self._ask(name, rdtype))
            self._answers[key] = task
        return task

    async def _ask(self, name: str, rdtype: str) -> DnsAnswer:
        try:
            return await self.dns.lookup(name, rdtype)
        except Exception as exc:
            return DnsAnswer(name, rdtype, ERROR, error=f"{exc.__class__.__name__}: {exc}")

    def fetch(self, domain: str) -> asyncio.Task[_Fetched]:
        task = self._fetched.get(domain)
        if task is None:
            task = asyncio.ensure_future(self._fetch(domain))
            self._fetched[domain] = task
        return task

    async def _fetch(self, domain: str) -> _Fetched:
        answer = await self.lookup(domain, "TXT")
        if answer.rcode == NXDOMAIN:
            return _Fetched("none", (), None, f"{domain} does not exist (NXDOMAIN)", True)
        if answer.rcode != NOERROR:
            return _Fetched("dns_error", (), None, f"the DNS lookup of the TXT records of "
                            f"{domain} failed ({answer.error or answer.rcode})", False)
        records = tuple(r for r in answer.records if is_spf_record(r))
        if not records:
            return _Fetched("none", (), None, f"{domain} has no SPF record",
                            not answer.records)
        if len(records) > 1:
            return _Fetched("multiple", records, None, f"{domain} publishes {len(records)} SPF "
                            "records; there must be exactly one", False)
        try:
            record = parse_record(records[0])
        except SpfSyntaxError as exc:
            return _Fetched("syntax_error", records, None,
                            f"the SPF record of {domain} is invalid: {exc}", False)
        self._prefetch_followers(record, domain)
        return _Fetched("ok", records, record, None, False)

    def _prefetch_followers(self, record: SpfRecord, domain: str) -> None:
        """Ask for the records this one includes or redirects to as soon as it arrives, so
        the tree is fetched level by level in parallel while the walk stays in record order
        (and so deterministic). Only the lookup cache is warmed; the caps still apply."""
        specs = [t.domain_spec for t in record.mechanisms if t.name == "include"]
        if record.redirect is not None and record.all is None:  # else it is ignored (§6.1)
            specs.append(record.redirect.value)
        for spec in specs:
            target = _static_target(spec or "", domain)
            if target and self._prefetched < MAX_AUDIT_DOMAINS:
                self._prefetched += 1
                self.lookup(target, "TXT")

    def can_fetch(self, domain: str) -> bool:
        return domain in self._fetched or len(self._fetched) < MAX_AUDIT_DOMAINS

    async def walk(self, domain: str, via: str, term: str | None,
                   path: tuple[str, ...]) -> SpfPolicyNode:
        self.nodes += 1
        if self.nodes > MAX_AUDIT_NODES or len(path) > MAX_AUDIT_DEPTH or \
                not self.can_fetch(domain):
            self.truncated = True
            return SpfPolicyNode(domain, via, term, "truncated",
                                 error="not followed: the audit stops at a fixed amount of work")
        fetched = await self.fetch(domain)
        if fetched.status != "ok":
            if fetched.status == "dns_error":
                self.unknown = True
            if via != "root":
                kind = fetched.status
                self.errors.append(SpfNestedError(
                    domain, kind, _nested_message(via, term, fetched), term, (*path, domain)))
            record = fetched.records[0] if len(fetched.records) == 1 else None
            return SpfPolicyNode(domain, via, term, fetched.status, record, fetched.error,
                                 void_lookups=int(fetched.void and via != "root"))
        record = fetched.record
        assert record is not None
        here = (*path, domain)
        lookups = 0
        followers: list[tuple[str, str, str]] = []  # (via, term text, domain-spec)
        probes: list[Mechanism] = []
        seen_all = False
        for item in record.terms:
            if not isinstance(item, Mechanism):
                continue
            if seen_all:
                self.warn(f"the record of {domain} has terms after 'all'; they are never "
                          "evaluated")
                break
            if item.name == "all":
                seen_all = True
                if item.qualifier == "+":
                    self.warn(f"the record of {domain} ends in +all, which lets every server "
                              "on the internet send as this domain")
                continue
            if not item.queries_dns:
                continue
            lookups += 1
            if item.name == "include":
                followers.append(("include", item.text, item.domain_spec or ""))
            elif item.name == "ptr":
                self.warn(f"the record of {domain} uses the ptr mechanism, which RFC 7208 "
                          "says should not be used (slow and unreliable)")
            else:
                probes.append(item)
        redirect = record.redirect
        if redirect is not None:
            if record.all is not None:
                self.warn(f"the record of {domain} has both 'all' and {redirect.text}; the "
                          "redirect is ignored")
            else:
                lookups += 1
                followers.append(("redirect", redirect.text, redirect.value))

        # Warm the cache for every target at once, then walk in record order.
        targets = [_static_target(spec, domain) for _, _, spec in followers]
        for target in targets:
            if target and target not in here and self.can_fetch(target):
                self.fetch(target)
        probe_tasks = [asyncio.ensure_future(self._probe(m, domain)) for m in probes]
        children = []
        for (kind, text, spec), target in zip(followers, targets, strict=True):
            children.append(await self._follow(kind, text, spec, target, domain, here))
        void_results = await asyncio.gather(*probe_tasks)
        return SpfPolicyNode(domain, via, term, "ok", record.text, None, lookups,
                             sum(void_results), tuple(children))

    async def _follow(self, via: str, text: str, spec: str, target: str | None, domain: str,
                      here: tuple[str, ...]) -> SpfPolicyNode:
        if expand_static(macro_tokens(spec), domain) is None:
            self.warn(f"{text} in the record of {domain} uses macros, so its target depends on "
                      "the message and is not followed")
            self.unknown = True
            return SpfPolicyNode(spec, via, text, "macro",
                                 error="target depends on the message (macros)")
        if target is None:
            message = f"{text} in the record of {domain} does not give a valid domain name"
            self.errors.append(SpfNestedError(spec, "invalid_domain", message, text,
                                              (*here, spec)))
            return SpfPolicyNode(spec, via, text, "invalid_domain", error=message)
        if target in here:
            loop = " -> ".join((*here[here.index(target):], target))
            self.loops.append(loop)
            message = f"{text} in the record of {domain} loops back to {target} ({loop})"
            self.errors.append(SpfNestedError(target, "loop", message, text, (*here, target)))
            return SpfPolicyNode(target, via, text, "loop", error=message)
        return await self.walk(target, via, text, here)

    async def _probe(self, mech: Mechanism, domain: str) -> int:
        """1 when an a/mx/exists target has no data for any client (a void lookup), else 0."""
        spec = mech.domain_spec
        if spec is None:
            target: str | None = domain
        else:
            expanded = expand_static(macro_tokens(spec), domain)
            if expanded is None:
                return 0  # depends on the message
            target = target_name(expanded)
        if target is None:
            return 1
        self.probes += 1
        if self.probes > MAX_AUDIT_PROBES:
            self.truncated = True
            return 0
        if mech.name == "mx":
            answer = await self.lookup(target, "MX")
            if not answer.ok:
                self.unknown = True
                return 0
            if len(answer.records) > MAX_MX_NAMES:
                message = (f"{mech.text} in the record of {domain}: {target} has "
                           f"{len(answer.records)} MX records; more than {MAX_MX_NAMES} makes "
                           "the mx mechanism a permerror")
                self.errors.append(SpfNestedError(domain, "mx_limit", message, mech.text,
                                                  (domain,)))
            return int(not answer.records)
        types = ("A",) if mech.name == "exists" else ("A", "AAAA")
        answers = await asyncio.gather(*(self.lookup(target, t) for t in types))
        if not all(answer.ok for answer in answers):
            self.unknown = True
            return 0
        return int(not any(answer.records for answer in answers))


def _static_target(spec: str, domain: str) -> str | None:
    """The target of a domain-spec that needs no message (None if it does, or is invalid)."""
    expanded = expand_static(macro_tokens(spec), domain)
    return None if expanded is None else target_name(expanded)


def _nested_message(via: str, term: str | None, fetched: _Fetched) -> str:
    reason = fetched.error or fetched.status
    if fetched.status == "none":
        return f"{term} points to a domain without an SPF record ({reason}): evaluation " \
               "gives permerror"
    if fetched.status == "dns_error":
        return f"{term} could not be checked: {reason}"
    return f"{term}: {reason}: evaluation gives permerror"


def _final_all(audit: _Audit, node: SpfPolicyNode, record: SpfRecord,
               ) -> tuple[str | None, str | None, str]:
    """The qualifier of the all that ends evaluation, following redirect= when there is none,
    and how that was settled: "found"; "absent" (no all, no redirect: the result is
    neutral); "broken" (the redirect leads to no usable record: permerror, RFC 7208 §6.1);
    "unknown" (a DNS error, a macro or a cut-off walk on the way)."""
    for _ in range(MAX_AUDIT_DEPTH):
        if record.all is not None:
            return record.all.qualifier, node.domain, "found"
        child = next((c for c in node.children if c.via == "redirect"), None)
        if child is None:
            return None, None, "absent"
        if child.status in ("dns_error", "macro", "truncated"):
            return None, None, "unknown"
        if child.status != "ok":
            return None, child.domain, "broken"
        task = audit._fetched.get(child.domain)
        if task is None or not task.done() or task.result().record is None:
            return None, None, "unknown"
        node, record = child, task.result().record  # type: ignore[assignment]
    return None, None, "unknown"


def _limit_status(count: int, limit: int, unknown: bool) -> str:
    if count > limit:
        return "over_limit"
    return "unknown" if unknown else "ok"


async def analyse_policy(domain: str, *, dns: Any) -> SpfPolicyReport:
    """Audit the SPF policy published at ``domain`` (no client IP involved)."""
    name = initial_domain(domain.strip())
    if name is None:
        return SpfPolicyReport(domain, "none", error=f"{domain!r} is not a valid domain name")
    audit = _Audit(dns)
    try:
        tree = await audit.walk(name, "root", None, ())
    finally:
        for task in (*audit._answers.values(), *audit._fetched.values()):
            task.cancel()
    fetched = audit._fetched[name].result()
    if fetched.status != "ok":
        unknown = fetched.status == "dns_error"
        return SpfPolicyReport(
            name, fetched.status, fetched.records, None, fetched.error, tree=tree,
            lookup_status="unknown" if unknown else "not_applicable",
            void_status="unknown" if unknown else "not_applicable")
    record = fetched.record
    assert record is not None
    qualifier, all_domain, all_status = _final_all(audit, tree, record)
    lookups = tree.total_lookups
    voids = tree.total_void_lookups
    unknown = audit.unknown or audit.truncated
    lookup_status = "over_limit" if audit.loops else _limit_status(lookups, MAX_DNS_TERMS,
                                                                   unknown)
    return SpfPolicyReport(
        domain=name,
        status="ok",
        records=fetched.records,
        record=record,
        all_qualifier=qualifier,
        all_domain=all_domain,
        all_status=all_status,
        lookups=lookups,
        lookup_status=lookup_status,
        void_lookups=voids,
        void_status=_limit_status(voids, MAX_VOID_LOOKUPS, unknown),
        loops=tuple(audit.loops),
        nested_errors=tuple(audit.errors),
        warnings=tuple(audit.warnings),
        tree=tree,
        truncated=audit.truncated,
    )


__all__ = ["SpfNestedError", "SpfPolicyNode", "SpfPolicyReport", "analyse_policy"]
