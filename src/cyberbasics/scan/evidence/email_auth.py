"""Email authentication evidence: SPF, DMARC, DKIM, MTA-STS and TLS-RPT records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ...net.dns import NXDOMAIN, DnsAnswer
from ...net.http import Fetched, fetch_text
from ...protocols import dkim, dmarc, mta_sts, spf_audit, tls_rpt
from ..gather import DomainContext, collector
from .web import http_client


@collector("spf")
async def spf(ctx: DomainContext) -> spf_audit.SpfPolicyReport:
    return await spf_audit.analyse_policy(ctx.domain, dns=ctx.dns)


@collector("dmarc")
async def dmarc_policy(ctx: DomainContext) -> dmarc.DmarcDiscovery:
    return await dmarc.discover(ctx.domain, dns=ctx.dns)


@collector("dmarc_reporting")
async def dmarc_reporting(ctx: DomainContext) -> dict[str, bool | None]:
    """For each aggregate report address: may it receive this domain's reports?"""
    found = await ctx.get("dmarc")
    if found.record is None:
        return {}
    uris = [u for u in found.record.rua if u.valid]
    verdicts = await asyncio.gather(*(
        dmarc.external_report_authorised(found.record_domain or ctx.domain, u, dns=ctx.dns,
                                         org_domain=found.org_domain) for u in uris))
    return {u.uri: v for u, v in zip(uris, verdicts, strict=True)}


@dataclass(frozen=True)
class DkimSelector:
    selector: str
    answer: DnsAnswer
    key: dkim.DkimKey | None
    error: str | None  # the record exists but cannot be read

    def to_json(self) -> dict:
        data = {"selector": self.selector, "records": list(self.answer.records)}
        if self.key is not None:
            data["key"] = self.key.to_json()
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class DkimView:
    probed: tuple[str, ...]
    found: tuple[DkimSelector, ...]
    errors: tuple[str, ...]  # lookups that failed, so a key may have been missed
    no_domainkey_tree: bool  # _domainkey.<domain> does not exist: no selector can exist

    def to_json(self) -> dict:
        return {"probed": list(self.probed), "found": [s.to_json() for s in self.found],
                "errors": list(self.errors), "no_domainkey_tree": self.no_domainkey_tree}


# The selectors of the providers most small businesses use, asked first; the rest of the
# common selectors only when none of these has a usable key.
FIRST_SELECTORS = ("selector1", "selector2", "google", "default", "k1", "s1")


@collector("dkim")
async def dkim_keys(ctx: DomainContext) -> DkimView:
    # RFC 8020: below a name that does not exist, nothing exists; one query spares ~25.
    base = await ctx.dns.lookup(f"_domainkey.{ctx.domain}", "TXT")
    if base.rcode == NXDOMAIN:
        return DkimView(dkim.COMMON_SELECTORS, (), (), True)
    first = [s for s in FIRST_SELECTORS if s in dkim.COMMON_SELECTORS]
    found, errors = await _probe_selectors(ctx, first)
    probed = list(first)
    if not any(s.key is not None and s.key.usable_for_email and not s.key.revoked
               for s in found):
        rest = [s for s in dkim.COMMON_SELECTORS if s not in first]
        more, more_errors = await _probe_selectors(ctx, rest)
        found, errors, probed = found + more, errors + more_errors, probed + rest
    return DkimView(tuple(probed), tuple(found), tuple(errors), False)


async def _probe_selectors(ctx: DomainContext,
                           selectors: list[str]) -> tuple[list[DkimSelector], list[str]]:
    answers = await asyncio.gather(*(ctx.dns.lookup(f"{s}._domainkey.{ctx.domain}", "TXT")
                                     for s in selectors))
    found, errors = [], []
    for selector, answer in zip(selectors, answers, strict=True):
        if not answer.ok:
            errors.append(f"{selector}: {answer.error or answer.rcode}")
            continue
        keys = [r for r in answer.records if "p=" in r]
        if not keys:
            continue
        try:
            found.append(DkimSelector(selector, answer, dkim.parse_key_record(keys[0]), None))
        except dkim.DkimKeyError as exc:
            found.append(DkimSelector(selector, answer, None, str(exc)))
    return found, errors


@dataclass(frozen=True)
class MtaStsView:
    answer: DnsAnswer
    record: mta_sts.StsRecord | None
    record_error: str | None
    fetched: Fetched | None
    policy: mta_sts.StsPolicy | None
    policy_error: str | None

    def to_json(self) -> dict:
        return {"txt": self.answer.to_json(),
                "record": self.record.to_json() if self.record else None,
                "record_error": self.record_error,
                "fetched": self.fetched.to_json() if self.fetched else None,
                "policy": self.policy.to_json() if self.policy else None,
                "policy_error": self.policy_error}


@collector("mta_sts")
async def mta_sts_policy(ctx: DomainContext) -> MtaStsView:
    answer = await ctx.dns.lookup(f"_mta-sts.{ctx.domain}", "TXT")
    texts = [t for t in answer.records if mta_sts.is_sts_record(t)]
    if not texts:
        return MtaStsView(answer, None, None, None, None, None)
    if len(texts) > 1:
        return MtaStsView(answer, None, "more than one MTA-STS record", None, None, None)
    try:
        record = mta_sts.parse_sts_record(texts[0])
    except mta_sts.StsRecordError as exc:
        return MtaStsView(answer, None, str(exc), None, None, None)
    client = await http_client(ctx)
    fetched = await fetch_text(client, f"https://mta-sts.{ctx.domain}/.well-known/mta-sts.txt",
                               limit=mta_sts.MAX_POLICY_BYTES,
                               deadline=3 * ctx.config.timeout)
    if fetched.kind == "too_large":
        return MtaStsView(answer, record, None, fetched, None,
                          f"the policy is larger than {mta_sts.MAX_POLICY_BYTES} bytes")
    if fetched.error or fetched.status != 200:
        return MtaStsView(answer, record, None, fetched, None,
                          fetched.error or f"the policy URL answered HTTP {fetched.status}")
    try:
        policy = mta_sts.parse_sts_policy(fetched.body or "")
    except mta_sts.StsPolicyError as exc:
        return MtaStsView(answer, record, None, fetched, None, str(exc))
    return MtaStsView(answer, record, None, fetched, policy, None)


@dataclass(frozen=True)
class TlsRptView:
    answer: DnsAnswer
    record: tls_rpt.TlsRptRecord | None
    error: str | None

    def to_json(self) -> dict:
        return {"txt": self.answer.to_json(),
                "record": self.record.to_json() if self.record else None, "error": self.error}


@collector("tls_rpt")
async def tls_rpt_record(ctx: DomainContext) -> TlsRptView:
    answer = await ctx.dns.lookup(f"_smtp._tls.{ctx.domain}", "TXT")
    texts = [t for t in answer.records if tls_rpt.is_tlsrpt_record(t)]
    if not texts:
        return TlsRptView(answer, None, None)
    if len(texts) > 1:
        return TlsRptView(answer, None, "more than one TLS-RPT record")
    try:
        return TlsRptView(answer, tls_rpt.parse_tlsrpt_record(texts[0]), None)
    except tls_rpt.TlsRptError as exc:
        return TlsRptView(answer, None, str(exc))
