"""Email transport: mail exchangers and their STARTTLS."""

from __future__ import annotations

from ..model import Outcome, Severity, Status
from ..registry import check
from ._common import dns_error, unavailable

_GOOD_TLS = ("TLSv1.2", "TLSv1.3")


@check("email.mx", area="email", severity=Severity.MEDIUM, needs=("mx",))
def mx(ev) -> Outcome:
    view = ev["mx"]
    problem = unavailable(view, "the MX records") or dns_error(view.answer, "the MX records")
    if problem:
        return problem
    evidence = view.to_json()
    if view.null_mx:
        return Outcome(Status.INFO, "null-mx", evidence, {"domain": ev.domain})
    if not view.hosts:
        return Outcome(Status.INFO, "none", evidence, {"domain": ev.domain})
    real = [h for h in view.hosts if h.name]
    definite = [h for h in real if not h.addresses and not h.error]  # no address, for sure
    uncertain = [h for h in real if not h.addresses and h.error]  # our lookup failed
    if definite:
        status = Status.FAIL if len(definite) == len(real) else Status.WARN
        return Outcome(status, "unresolved", evidence,
                       {"names": ", ".join(h.name for h in definite)})
    if view.mixed_null_mx:
        return Outcome(Status.WARN, "null-mx-mixed", evidence,
                       {"names": ", ".join(h.name for h in real)})
    if uncertain:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": f"the address of {uncertain[0].name}",
                        "reason": uncertain[0].error})
    return Outcome(Status.PASS, "ok", evidence, {"names": ", ".join(h.name for h in real)})


@check("email.starttls", area="email", severity=Severity.HIGH, needs=("mx", "starttls"))
def starttls(ev) -> Outcome:
    view, probes = ev["mx"], ev["starttls"]
    problem = unavailable(view, "the MX records") or unavailable(probes, "the mail servers")
    if problem:
        return problem
    problem = dns_error(view.answer, "the MX records")
    if problem:
        return problem
    if not view.receives_mail:
        return Outcome(Status.INFO, "no-mail", {"mx": view.to_json()}, {"domain": ev.domain})
    evidence = {"servers": [p.to_json() for p in probes]}
    if not probes:  # no mail server could be probed: nothing to judge
        return Outcome(Status.INFO, "no-servers", {"mx": view.to_json(), **evidence}, {})
    no_tls = [p.host for p in probes if p.starttls_offered is False]
    bad_cert = [p for p in probes if p.certificate_valid is False]
    old = [p for p in probes if p.tls_version and p.tls_version not in _GOOD_TLS]
    unknown = [p for p in probes if p.error]
    if no_tls:
        return Outcome(Status.FAIL, "not-offered", evidence, {"names": ", ".join(no_tls)})
    if old:
        return Outcome(Status.FAIL, "old-tls", evidence,
                       {"names": ", ".join(p.host for p in old),
                        "version": old[0].tls_version})
    if bad_cert:
        return Outcome(Status.WARN, "bad-certificate", evidence,
                       {"names": ", ".join(p.host for p in bad_cert),
                        "reason": bad_cert[0].certificate_error})
    if unknown:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": f"STARTTLS on {unknown[0].host}", "reason": unknown[0].error})
    return Outcome(Status.PASS, "ok", evidence,
                   {"names": ", ".join(p.host for p in probes),
                    "versions": ", ".join(sorted({p.tls_version for p in probes}))})
