"""Email authentication: SPF, DMARC, DKIM, MTA-STS, TLS-RPT, and locking down domains
that send no mail."""

from __future__ import annotations

from ...protocols import dmarc as dmarc_protocol
from ...protocols import mta_sts as mta_sts_protocol
from ..model import Outcome, Severity, Status
from ..registry import check
from ._common import dns_error, unavailable

_STRICT_POLICIES = ("quarantine", "reject")


@check("email.spf.record", area="email", severity=Severity.HIGH, needs=("spf",))
def spf_record(ev) -> Outcome:
    report = ev["spf"]
    problem = unavailable(report, "the SPF record")
    if problem:
        return problem
    evidence = {"records": list(report.records), "status": report.status}
    if report.status == "ok":
        return Outcome(Status.PASS, "ok", evidence, {"record": report.records[0]})
    if report.status == "dns_error":
        return _spf_dns_error(report)
    if report.status == "multiple":
        return Outcome(Status.FAIL, "multiple", evidence, {"count": len(report.records)})
    if report.status == "syntax_error":
        return Outcome(Status.FAIL, "syntax-error", evidence, {"reason": report.error})
    return Outcome(Status.FAIL, "missing", evidence, {"domain": ev.domain})


def _spf_dns_error(report) -> Outcome:
    return Outcome(Status.ERROR, "could-not-check", {"records": list(report.records),
                                                      "status": report.status},
                   {"what": "the SPF record", "reason": report.error})


@check("email.spf.lookups", area="email", severity=Severity.MEDIUM, needs=("spf",))
def spf_lookups(ev) -> Outcome:
    report = ev["spf"]
    problem = unavailable(report, "the SPF record")
    if problem:
        return problem
    evidence = {k: v for k, v in report.to_json().items()
                if k in ("lookups", "lookup_limit", "lookup_status", "void_lookups",
                         "void_limit", "void_status", "loops", "nested_errors", "tree")}
    params = {"lookups": report.lookups, "voids": report.void_lookups}
    if report.status == "dns_error":
        return _spf_dns_error(report)
    if report.status != "ok":
        return Outcome(Status.INFO, "no-record", evidence, {})
    if "over_limit" in (report.lookup_status, report.void_status) or report.loops:
        result = "too-many-voids" if report.void_status == "over_limit" else "too-many"
        return Outcome(Status.FAIL, "loop" if report.loops else result, evidence, params)
    if "unknown" in (report.lookup_status, report.void_status):
        reason = next((e.message for e in report.nested_errors), "a lookup failed")
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "every SPF include", "reason": reason})
    return Outcome(Status.PASS, "ok", evidence, params)


@check("email.spf.all", area="email", severity=Severity.HIGH, needs=("spf",))
def spf_all(ev) -> Outcome:
    report = ev["spf"]
    problem = unavailable(report, "the SPF record")
    if problem:
        return problem
    evidence = {"all_qualifier": report.all_qualifier, "all_domain": report.all_domain,
                "record": report.records[0] if report.records else None}
    if report.status == "dns_error":
        return _spf_dns_error(report)
    if report.status != "ok":
        return Outcome(Status.INFO, "no-record", evidence, {})
    evidence["all_status"] = report.all_status
    if report.all_status == "unknown":
        reason = next((e.message for e in report.nested_errors), "a lookup on the way failed")
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "where your SPF record's redirect leads", "reason": reason})
    if report.all_status == "broken":
        return Outcome(Status.FAIL, "broken-redirect", evidence, {"target": report.all_domain})
    if report.all_qualifier in ("-", "~"):
        result = "hard" if report.all_qualifier == "-" else "soft"
        return Outcome(Status.PASS, result, evidence, {})
    if report.all_qualifier == "+":
        return Outcome(Status.FAIL, "pass-all", evidence, {})
    if report.all_qualifier == "?":
        return Outcome(Status.FAIL, "neutral-all", evidence, {})
    return Outcome(Status.FAIL, "no-all", evidence, {})


@check("email.dmarc.record", area="email", severity=Severity.HIGH, needs=("dmarc",))
def dmarc_record(ev) -> Outcome:
    found = ev["dmarc"]
    problem = _dmarc_unknown(found, "the DMARC record")
    if problem:
        return problem
    evidence = found.to_json()
    if found.status == dmarc_protocol.FOUND:
        result = "ok" if found.applies_via == dmarc_protocol.VIA_DOMAIN else "inherited"
        if found.org_domains_differ:
            result = "org-domains-differ"
        return Outcome(Status.PASS, result, evidence,
                       {"where": f"_dmarc.{found.record_domain}",
                        "org": found.org_domain, "psl_org": found.psl_org_domain})
    if found.status == dmarc_protocol.MULTIPLE_RECORDS:
        return Outcome(Status.FAIL, "multiple", evidence, {})
    if found.status == dmarc_protocol.INVALID_RECORD:
        # The domain's own record is at fault; found.record may be a parent's fallback.
        reason = found.lookups[0].error if found.lookups else ""
        return Outcome(Status.FAIL, "invalid", evidence, {"reason": reason or "unreadable"})
    if found.status == dmarc_protocol.UNUSABLE_RECORD:
        reason = "; ".join(found.record.problems) if found.record else ""
        return Outcome(Status.FAIL, "invalid", evidence, {"reason": reason or "unusable"})
    return Outcome(Status.FAIL, "missing", evidence, {"domain": ev.domain})


def _dmarc_unknown(found, what: str) -> Outcome | None:
    """`error` when the DMARC evidence is missing or a deciding lookup failed."""
    problem = unavailable(found, what)
    if problem or not found.could_not_check:
        return problem
    reason = next((x.error for x in found.lookups if x.state == "dns_error"), "a lookup failed")
    return Outcome(Status.ERROR, "could-not-check", found.to_json(),
                   {"what": what, "reason": reason})


@check("email.dmarc.policy", area="email", severity=Severity.HIGH, needs=("dmarc",))
def dmarc_policy(ev) -> Outcome:
    found = ev["dmarc"]
    problem = _dmarc_unknown(found, "the DMARC policy")
    if problem:
        return problem
    evidence = found.to_json()
    policy = found.policy()
    if found.record is None or policy is None:
        return Outcome(Status.FAIL, "no-policy", evidence, {})
    if policy not in _STRICT_POLICIES:
        return Outcome(Status.WARN, "monitor-only", evidence, {"policy": policy})
    if not found.record.applies_to_all_mail:
        record = found.record
        result = "testing" if record.t == "y" else "partial"
        pct = 100 if record.pct is None else record.pct
        return Outcome(Status.WARN, result, evidence, {"policy": policy, "pct": pct})
    return Outcome(Status.PASS, "enforced", evidence, {"policy": policy})


@check("email.dmarc.reporting", area="email", severity=Severity.LOW,
       needs=("dmarc", "dmarc_reporting"))
def dmarc_reporting(ev) -> Outcome:
    found, verdicts = ev["dmarc"], ev["dmarc_reporting"]
    problem = (_dmarc_unknown(found, "the DMARC record")
               or unavailable(verdicts, "report addresses"))
    if problem:
        return problem
    if found.record is None:
        return Outcome(Status.INFO, "no-record", {}, {})
    evidence = {"rua": [u.to_json() for u in found.record.rua], "authorised": verdicts}
    if not verdicts:
        return Outcome(Status.WARN, "no-rua", evidence, {})
    refused = [uri for uri, ok in verdicts.items() if ok is False]
    unknown = [uri for uri, ok in verdicts.items() if ok is None]
    if refused:
        return Outcome(Status.WARN, "unauthorised", evidence, {"uris": ", ".join(refused)})
    if unknown:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": f"whether {unknown[0]} accepts reports",
                        "reason": "the authorisation lookup failed"})
    return Outcome(Status.PASS, "ok", evidence, {"uris": ", ".join(verdicts)})


@check("email.dkim", area="email", severity=Severity.MEDIUM, needs=("dkim",))
def dkim(ev) -> Outcome:
    view = ev["dkim"]
    problem = unavailable(view, "DKIM keys")
    if problem:
        return problem
    evidence = view.to_json()
    keys = [s for s in view.found if s.key is not None and s.key.usable_for_email]
    strengths = {s.selector: s.key.strength for s in keys}
    good = [sel for sel, strength in strengths.items() if strength == "strong"]
    if good:
        return Outcome(Status.PASS, "strong", evidence, {"selectors": ", ".join(good)})
    acceptable = [sel for sel, strength in strengths.items() if strength == "acceptable"]
    if acceptable:
        return Outcome(Status.WARN, "short-key", evidence, {"selectors": ", ".join(acceptable)})
    weak = [sel for sel, strength in strengths.items() if strength == "weak"]
    if weak:
        return Outcome(Status.FAIL, "weak-key", evidence, {"selectors": ", ".join(weak)})
    broken = [s.selector for s in view.found if s.key is None or strengths.get(s.selector)
              == "invalid"]
    if broken:
        return Outcome(Status.FAIL, "invalid", evidence, {"selectors": ", ".join(broken)})
    revoked = [sel for sel, strength in strengths.items() if strength == "revoked"]
    if revoked:
        return Outcome(Status.WARN, "revoked-only", evidence, {"selectors": ", ".join(revoked)})
    if view.errors:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "DKIM keys", "reason": view.errors[0]})
    return Outcome(Status.INFO, "not-found", evidence, {"count": len(view.probed)})


def _mail_record_precheck(ev, view, mx, what: str) -> Outcome | None:
    """The shared first steps of checks on records that only matter for receiving mail."""
    problem = (unavailable(view, what) or unavailable(mx, "the MX records")
               or dns_error(mx.answer, "the MX records") or dns_error(view.answer, what))
    if problem:
        return problem
    if not mx.receives_mail:
        return Outcome(Status.INFO, "no-mail", view.to_json(), {"domain": ev.domain})
    return None


@check("email.mta_sts", area="email", severity=Severity.LOW, needs=("mta_sts", "mx"))
def mta_sts(ev) -> Outcome:
    view, mx = ev["mta_sts"], ev["mx"]
    early = _mail_record_precheck(ev, view, mx, "the MTA-STS record")
    if early:
        return early
    evidence = view.to_json()
    if view.record is None and view.record_error is None:
        return Outcome(Status.WARN, "missing", evidence, {})
    if view.record_error:
        return Outcome(Status.FAIL, "bad-record", evidence, {"reason": view.record_error})
    if view.policy is None:
        fetched = view.fetched
        if fetched is not None and not fetched.definite:
            return Outcome(Status.ERROR, "could-not-check", evidence,
                           {"what": "the MTA-STS policy", "reason": fetched.error})
        return Outcome(Status.FAIL, "bad-policy", evidence, {"reason": view.policy_error})
    hosts = [h.name for h in mx.hosts if h.name]
    uncovered = mta_sts_protocol.uncovered_mx_hosts(view.policy, hosts)
    if uncovered:
        return Outcome(Status.FAIL, "mx-not-covered", evidence,
                       {"names": ", ".join(uncovered), "mode": view.policy.mode})
    if view.policy.mode == "none":
        return Outcome(Status.WARN, "mode-none", evidence, {})
    result = "enforce" if view.policy.enforcing else "testing"
    return Outcome(Status.PASS, result, evidence, {"mode": view.policy.mode})


@check("email.tls_rpt", area="email", severity=Severity.LOW, needs=("tls_rpt", "mx"))
def tls_rpt(ev) -> Outcome:
    view, mx = ev["tls_rpt"], ev["mx"]
    early = _mail_record_precheck(ev, view, mx, "the TLS-RPT record")
    if early:
        return early
    evidence = view.to_json()
    if view.error:
        return Outcome(Status.FAIL, "invalid", evidence, {"reason": view.error})
    if view.record is None:
        return Outcome(Status.WARN, "missing", evidence, {})
    if not view.record.valid_rua:
        reason = next((u.problem for u in view.record.rua if u.problem), "no address")
        return Outcome(Status.FAIL, "invalid", evidence, {"reason": reason})
    return Outcome(Status.PASS, "ok", evidence,
                   {"uris": ", ".join(u.uri for u in view.record.valid_rua)})


@check("email.no_mail_lockdown", area="email", severity=Severity.MEDIUM,
       needs=("mx", "spf", "dmarc"))
def no_mail_lockdown(ev) -> Outcome:
    mx, report, found = ev["mx"], ev["spf"], ev["dmarc"]
    problem = (unavailable(mx, "the MX records") or unavailable(report, "the SPF record")
               or unavailable(found, "the DMARC record") or dns_error(mx.answer,
                                                                      "the MX records"))
    if problem:
        return problem
    if mx.receives_mail:
        return Outcome(Status.INFO, "receives-mail", {"mx": mx.to_json()}, {})
    evidence = {"mx": mx.to_json(), "spf": list(report.records), "dmarc": found.to_json()}
    if report.status == "dns_error" or found.could_not_check:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "the SPF and DMARC records", "reason": "a lookup failed"})
    if report.status == "ok" and _authorises_senders(report.record):
        # No MX, but SPF lists senders: the domain sends mail, so -all would break it.
        return Outcome(Status.INFO, "sends-mail", evidence, {})
    missing = []
    if not (report.status == "ok" and _only_all(report.records[0])):
        missing.append('an SPF record of exactly "v=spf1 -all"')
    if found.policy() != "reject":
        missing.append("a DMARC record with p=reject")
    if missing:
        return Outcome(Status.FAIL, "open", evidence, {"missing": " and ".join(missing)})
    return Outcome(Status.PASS, "locked", evidence, {})


def _authorises_senders(record) -> bool:
    """Whether an SPF record lets any server pass (anything but -all / ~all)."""
    if record.redirect is not None and record.all is None:
        return True
    return any(m.qualifier in ("+", "?") for m in record.mechanisms)


def _only_all(record: str) -> bool:
    return record.lower().split() == ["v=spf1", "-all"]
