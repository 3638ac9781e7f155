"""Scan domains: gather the evidence the chosen checks need, run the checks, keep going
whatever fails. The public entry point is `scan_domains`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterable
from functools import partial

from ..config import ScanConfig
from ..texts import MissingText, check_texts, fill, result_text
from .gather import DomainContext, EvidenceView, ScanSession
from .model import DomainResult, Finding, Outcome, ScanFailure, Severity, Status
from .registry import Check, all_checks, select
from .targets import InvalidTarget, parse_target

Progress = Callable[[DomainResult], None]
# (domain, evidence name): one piece of evidence a check needs is in (or could not be had),
# so callers can show which areas are finished before the whole domain is.
EvidenceDone = Callable[[str, str], None]

all_checks()  # registers every check (and imports their evidence modules) before any scan


async def scan_domains(
    inputs: Iterable[str],
    config: ScanConfig,
    *,
    progress: Progress | None = None,
    session: ScanSession | None = None,
    language: str = "en",
    on_evidence: EvidenceDone | None = None,
) -> list[DomainResult]:
    """Scan each input (a domain, or a URL or address to take the domain from), in order;
    the findings' texts in `language` (English where a text has no translation).
    `progress` hears of each finished domain, `on_evidence` of each piece of evidence the
    checks need as it comes in (both called in the event loop: keep them quick)."""
    checks = select(config.checks, active=config.active)
    own_session = session is None
    session = session or ScanSession(config)
    preparing = asyncio.ensure_future(_prepare(config))
    slots = asyncio.Semaphore(config.concurrency)

    async def one(text: str) -> DomainResult:
        async with slots:
            result = await scan_one(text, checks, session, language, on_evidence=on_evidence)
        if progress:
            progress(result)
        return result

    try:
        return list(await asyncio.gather(*(one(text) for text in inputs)))
    finally:
        await preparing
        if own_session:
            await session.aclose()


async def _prepare(config: ScanConfig) -> None:
    """Load what every scan needs once (trust stores, the Public Suffix List, the texts) in
    the loop's idle moments while the first queries are out, not on the critical path when
    a check first needs it. Each step runs after a short pause, so the scans' own ready work
    goes first; every step is cached, so a failure here only means loading it later."""
    from ..net.connect import client_tls_context, https_tls_context
    from ..protocols.psl import organisational_domain

    steps = (lambda: client_tls_context(config.ca_file),
             lambda: https_tls_context(config.ca_file),
             lambda: organisational_domain("example.com"),
             lambda: check_texts("domain.resolves"))
    for step in steps:
        await asyncio.sleep(0.002)
        with contextlib.suppress(Exception):
            step()


async def scan_one(text: str, checks: list[Check], session: ScanSession,
                   language: str = "en", *, on_evidence: EvidenceDone | None = None
                   ) -> DomainResult:
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    config = session.config

    def finish(domain, *, error=None, findings=(), notice=None) -> DomainResult:
        mode = "active" if config.active else "passive"
        return DomainResult(domain, text, mode, _rfc3339(started),
                            int((time.perf_counter() - clock) * 1000), error, tuple(findings),
                            notice)

    try:
        target = parse_target(text)
    except InvalidTarget as exc:
        return finish(None, error=ScanFailure(exc.code, exc.message))
    ctx = DomainContext(target.domain, session)
    needs = _needs(checks)
    if on_evidence is not None:  # done, failed or cancelled, each piece is reported once
        for name in needs:
            ctx.get(name).add_done_callback(partial(_evidence_done, on_evidence, ctx.domain,
                                                    name))
    gathering = asyncio.ensure_future(ctx.gather(needs, config.domain_timeout))
    if await _is_nxdomain(ctx, config.domain_timeout):
        gathering.cancel()
        await ctx.cancel()
        return finish(target.domain, notice=target.notice, error=ScanFailure(
            "nxdomain", f"{target.domain} does not exist in DNS (NXDOMAIN). Check the spelling, "
                        "or whether the registration has lapsed."))
    evidence = await gathering
    findings = [run_check(check, evidence, language) for check in checks]
    return finish(target.domain, findings=findings, notice=target.notice)


async def _is_nxdomain(ctx: DomainContext, timeout: float) -> bool:
    """Whether the domain does not exist; asked alongside the rest, not before it."""
    task = ctx.get("soa")
    await asyncio.wait([task], timeout=timeout)
    return (task.done() and not task.cancelled() and task.exception() is None
            and task.result().rcode == "NXDOMAIN")


def _evidence_done(on_evidence: EvidenceDone, domain: str, name: str, _task) -> None:
    with contextlib.suppress(Exception):  # a listener's bug must not cost the scan
        on_evidence(domain, name)


def _needs(checks: list[Check]) -> list[str]:
    # The SOA is always asked: it tells whether the domain exists at all, whatever checks run.
    return list(dict.fromkeys(["soa", *(n for c in checks for n in c.needs)]))


def run_check(check: Check, evidence: EvidenceView, language: str = "en") -> Finding:
    """Run one check; a bug in a check becomes an `error` finding, never a crashed scan."""
    try:
        outcome = check.run(evidence)
    except Exception as exc:  # checks are meant to be total; this is the safety net
        outcome = Outcome(Status.ERROR, "could-not-check", {"internal_error": repr(exc)},
                          {"what": check.id, "reason": f"internal error ({exc!r})"})
    return render(check, outcome, language)


def render(check: Check, outcome: Outcome, language: str = "en") -> Finding:
    texts = check_texts(check.id, language)
    summary = _summary(check.id, outcome, language)
    return Finding(check.id, check.area, outcome.status, _severity(check, outcome.status),
                   outcome.result, texts["title"], summary, texts.get("why", ""),
                   texts.get("fix", ""), outcome.evidence)


def _summary(check_id: str, outcome: Outcome, language: str) -> str:
    """The result's text; a missing or malformed translation falls back to English, and
    English to the result key, so one bad text never costs a batch its results."""
    for lang in dict.fromkeys((language, "en")):
        try:
            return fill(result_text(check_id, outcome.result, lang), outcome.params)
        except (MissingText, ValueError, IndexError):
            continue
    return outcome.result


def _severity(check: Check, status: Status) -> Severity:
    """The check's severity when it fails, a step lower for a warning, `info` otherwise."""
    if status == Status.FAIL:
        return check.severity
    if status == Status.WARN:
        order = list(Severity)
        return order[max(1, order.index(check.severity) - 1)]
    return Severity.INFO


def _rfc3339(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
