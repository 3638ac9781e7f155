"""Domain health: existence, nameservers, DNSSEC, CAA."""

from __future__ import annotations

from ..evidence.dnssec import BOGUS, INSECURE, ISLAND, SECURE
from ..gather import Unavailable
from ..model import Outcome, Severity, Status
from ..registry import check
from ._common import dns_error, unavailable


@check("domain.resolves", area="domain", severity=Severity.CRITICAL, needs=("soa", "ns"))
def resolves(ev) -> Outcome:
    soa, ns = ev["soa"], ev["ns"]
    problem = unavailable(soa, "the domain's SOA record") or unavailable(ns, "its NS records")
    if problem:
        return problem
    evidence = {"soa": soa.to_json(), "ns": ns.to_json()}
    if soa.records or ns.records:
        return Outcome(Status.PASS, "exists", evidence, {"domain": ev.domain})
    problem = dns_error(soa, "the domain's SOA record") or dns_error(ns, "its NS records")
    if problem:
        return problem
    if soa.rcode == "NXDOMAIN":
        return Outcome(Status.FAIL, "nxdomain", evidence, {"domain": ev.domain})
    return Outcome(Status.WARN, "not-a-zone", evidence, {"domain": ev.domain})


@check("domain.nameservers", area="domain", severity=Severity.MEDIUM,
       needs=("ns", "ns_serials", "soa"))
def nameservers(ev) -> Outcome:
    ns, views, soa = ev["ns"], ev["ns_serials"], ev["soa"]
    problem = (unavailable(ns, "the NS records") or dns_error(ns, "the NS records")
               or unavailable(views, "the nameservers' answers"))
    if problem:
        return problem
    evidence = {"ns": ns.to_json(), "nameservers": [v.to_json() for v in views]}
    names = ", ".join(v.name for v in views)
    if not views:
        if not isinstance(soa, Unavailable) and soa.exists and not soa.records:
            return Outcome(Status.INFO, "not-a-zone", evidence, {"domain": ev.domain})
        return Outcome(Status.FAIL, "none", evidence, {})
    lame = [v for v in views if v.lame]
    unchecked = [v for v in views if not v.checked]
    silent = [v for v in views if v.serial is None and v.checked and not v.lame]
    serials = sorted({v.serial for v in views if v.serial is not None})
    if len(serials) > 1:
        return Outcome(Status.WARN, "serials-differ", evidence,
                       {"serials": ", ".join(map(str, serials)), "names": names})
    if lame:
        return Outcome(Status.FAIL if len(lame) == len(views) else Status.WARN, "lame", evidence,
                       {"names": ", ".join(v.name for v in lame), "reason": lame[0].error})
    if silent and serials:  # others answered, so these servers (not our network) are silent
        return Outcome(Status.WARN, "some-unreachable", evidence,
                       {"names": ", ".join(v.name for v in silent), "reason": silent[0].error})
    if silent or unchecked:
        first = (silent or unchecked)[0]
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": f"the nameserver {first.name}", "reason": first.error})
    if len(views) < 2:
        return Outcome(Status.WARN, "single", evidence, {"names": names})
    return Outcome(Status.PASS, "ok", evidence, {"count": len(views), "names": names,
                                                  "serial": serials[0]})


@check("domain.dnssec", area="domain", severity=Severity.MEDIUM, needs=("dnssec",))
def dnssec(ev) -> Outcome:
    view = ev["dnssec"]
    problem = unavailable(view, "DNSSEC")
    if problem:
        return problem
    evidence = view.to_json()
    params = {"reason": view.reason, "domain": ev.domain}
    if view.state == SECURE:
        return Outcome(Status.PASS, "secure", evidence, params)
    if view.state == BOGUS:
        return Outcome(Status.FAIL, "bogus", evidence, params)
    if view.state == ISLAND:
        return Outcome(Status.WARN, "island", evidence, params)
    if view.state == INSECURE:
        return Outcome(Status.WARN, "unsigned", evidence, params)
    return Outcome(Status.ERROR, "could-not-check", evidence,
                   {"what": "DNSSEC", "reason": view.reason})


@check("domain.caa", area="domain", severity=Severity.LOW, needs=("caa",))
def caa(ev) -> Outcome:
    view = ev["caa"]
    problem = unavailable(view, "CAA records")
    if problem:
        return problem
    evidence = view.to_json()
    if view.error:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "CAA records", "reason": view.error})
    issuers = sorted({_caa_value(r) for r in view.records if _caa_tag(r) == "issue"})
    if not view.records:
        return Outcome(Status.WARN, "none", evidence, {"domain": ev.domain})
    if not issuers:
        return Outcome(Status.WARN, "no-issue", evidence, {"found_at": view.found_at})
    return Outcome(Status.PASS, "limited", evidence,
                   {"issuers": ", ".join(i or "nobody" for i in issuers),
                    "found_at": view.found_at})


def _caa_tag(record: str) -> str:
    parts = record.split(None, 2)
    return parts[1].lower() if len(parts) == 3 else ""


def _caa_value(record: str) -> str:
    value = record.split(None, 2)[2].strip().strip('"')
    return value.split(";", 1)[0].strip()
