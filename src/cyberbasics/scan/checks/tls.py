"""The website's certificate and TLS configuration, from the `tls` evidence."""

from __future__ import annotations

from ...protocols.tls_suites import SUITES, WEAK_CLASSES, classes_of
from ..model import Outcome, Severity, Status
from ..registry import check
from ._common import unavailable

EXPIRY_WARN_DAYS = 30
EXPIRY_FAIL_DAYS = 7
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
_WEAK_HASHES = {"md5", "sha1", "md2", "md4"}
_INSECURE = ("null", "export", "anonymous", "rc4", "des")  # fail; no forward secrecy: warn
_NAME_TO_CODE = {f"TLS_{name}": code for code, name in SUITES.items()}


def _view(ev, what: str):
    """(TlsView, None), or (None, the Outcome saying why there is nothing to judge)."""
    view = ev["tls"]
    problem = unavailable(view, what)
    if problem:
        return None, problem
    if view.handshake_done:
        return view, None
    evidence = view.to_json()
    if view.host is None and view.definite:
        return None, Outcome(Status.INFO, "no-website", evidence, {"domain": ev.domain})
    if view.definite:
        return None, Outcome(Status.INFO, "no-https-site", evidence, {"reason": view.error})
    return None, Outcome(Status.ERROR, "could-not-check", evidence,
                         {"what": what, "reason": view.error})


def _certificate(ev, what: str):
    """(view, certificate facts, evidence, None), or Nones and the Outcome saying why the
    certificate cannot be judged."""
    view, outcome = _view(ev, what)
    if outcome:
        return None, None, None, outcome
    evidence = view.to_json()
    if view.certificate is None:
        return None, None, None, Outcome(Status.ERROR, "could-not-check", evidence, {
            "what": what, "reason": "the server sent no readable certificate"})
    return view, view.certificate, evidence, None


def _certificate_problem(error: str) -> str:
    text = error.lower()
    if "expired" in text:
        return "expired"
    if "not yet valid" in text:
        return "not-yet-valid"
    if "mismatch" in text:
        return "wrong-name"
    if "in certificate chain" in text:
        return "untrusted"  # a root nobody trusts, sent along with the leaf
    if "self-signed" in text or "self signed" in text:
        return "self-signed"
    return "untrusted"


@check("web.certificate.valid", area="web", severity=Severity.HIGH, needs=("tls",))
def certificate_valid(ev) -> Outcome:
    view, outcome = _view(ev, "the website's certificate")
    if outcome:
        return outcome
    evidence = view.to_json()
    params = {"host": view.host, "reason": view.certificate_error}
    if view.certificate_error is None:
        return Outcome(Status.PASS, "ok", evidence, params)
    return Outcome(Status.FAIL, _certificate_problem(view.certificate_error), evidence, params)


@check("web.certificate.expiry", area="web", severity=Severity.MEDIUM, needs=("tls",))
def certificate_expiry(ev) -> Outcome:
    view, facts, evidence, outcome = _certificate(ev, "the certificate's dates")
    if outcome:
        return outcome
    seconds_left = facts.not_after.timestamp() - view.checked_at
    days = int(seconds_left // 86400)
    params = {"host": view.host, "date": facts.not_after.date().isoformat(), "days": days}
    evidence["days_left"] = days
    if seconds_left <= 0:
        return Outcome(Status.FAIL, "expired", evidence, params)
    if days <= EXPIRY_FAIL_DAYS:
        return Outcome(Status.FAIL, "days", evidence, params)
    if days <= EXPIRY_WARN_DAYS:
        return Outcome(Status.WARN, "soon", evidence, params)
    return Outcome(Status.PASS, "ok", evidence, params)


@check("web.certificate.key", area="web", severity=Severity.MEDIUM, needs=("tls",))
def certificate_key(ev) -> Outcome:
    view, facts, evidence, outcome = _certificate(ev, "the certificate's key")
    if outcome:
        return outcome
    params = {"host": view.host, "key": f"{facts.key_type} {facts.key_bits or '?'} bits",
              "hash": facts.signature_hash or "built into the key type"}
    weak_key = ((facts.key_type == "RSA" and (facts.key_bits or 0) < MIN_RSA_BITS)
                or (facts.key_type == "EC" and (facts.key_bits or 0) < MIN_EC_BITS)
                or facts.key_type == "DSA")
    if weak_key:
        return Outcome(Status.FAIL, "weak-key", evidence, params)
    if facts.signature_hash in _WEAK_HASHES:
        return Outcome(Status.FAIL, "weak-signature", evidence, params)
    if facts.key_type not in ("RSA", "EC", "Ed25519", "Ed448"):
        return Outcome(Status.WARN, "unusual-key", evidence, params)
    return Outcome(Status.PASS, "ok", evidence, params)


def _offered_versions(view) -> dict[str, bool | None]:
    """Old version -> accepted (None: could not tell), from SSLyze when it ran."""
    if view.deep is not None and "all" not in view.deep.errors:
        return {v: (bool(view.deep.accepted[v]) if v in view.deep.accepted else None)
                for v in ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")}
    return {name: probe.accepted for name, probe in view.versions.items()}


@check("web.tls.versions", area="web", severity=Severity.HIGH, needs=("tls",))
def tls_versions(ev) -> Outcome:
    view, outcome = _view(ev, "the website's TLS versions")
    if outcome:
        return outcome
    evidence = view.to_json()
    offered = _offered_versions(view)
    accepted = [name for name, ok in offered.items() if ok]
    modern = view.protocol in ("TLSv1.2", "TLSv1.3")
    params = {"host": view.host, "versions": ", ".join(accepted), "best": view.protocol or "?"}
    if any(name in ("SSLv2", "SSLv3") for name in accepted):
        return Outcome(Status.FAIL, "ssl", evidence, params)
    if view.protocol is not None and not modern:
        return Outcome(Status.FAIL, "no-modern", evidence, params)
    if accepted:
        return Outcome(Status.WARN, "old-tls", evidence, params)
    unknown = [name for name, ok in offered.items() if ok is None]
    if unknown or view.protocol is None:
        reason = "; ".join(f"{name}: {view.versions[name].error}" for name in unknown
                           if name in view.versions) or "the negotiated version is unknown"
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "which TLS versions the website accepts", "reason": reason})
    return Outcome(Status.PASS, "ok", evidence, params)


@check("web.tls.tls13", area="web", severity=Severity.LOW, needs=("tls",))
def tls13(ev) -> Outcome:
    view, outcome = _view(ev, "whether the website offers TLS 1.3")
    if outcome:
        return outcome
    evidence = view.to_json()
    if view.protocol is None:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "whether the website offers TLS 1.3",
                        "reason": "the negotiated version is unknown"})
    params = {"host": view.host, "best": view.protocol}
    if view.protocol == "TLSv1.3":
        return Outcome(Status.PASS, "ok", evidence, params)
    return Outcome(Status.WARN, "missing", evidence, params)


def _accepted_weak(view) -> tuple[dict[str, list[str]], list[str]]:
    """({class: suites accepted}, [probes that could not be asked])."""
    found: dict[str, list[str]] = {}
    if view.deep is not None and "all" not in view.deep.errors:
        for version, suites in view.deep.accepted.items():
            if version == "TLSv1.3":
                continue  # every TLS 1.3 suite is sound and forward secret
            for suite in suites:
                for name in classes_of(_NAME_TO_CODE.get(suite, -1)):
                    found.setdefault(name, []).append(f"{suite} ({version})")
        return found, [f"{v}: {e}" for v, e in view.deep.errors.items()]
    unknown = []
    for name, probe in view.weak.items():
        if probe.accepted:
            found.setdefault(name, []).append(f"{probe.suite} ({probe.version})")
        elif probe.accepted is None:
            unknown.append(f"{name}: {probe.error}")
    return found, unknown


@check("web.tls.ciphers", area="web", severity=Severity.HIGH, needs=("tls",))
def tls_ciphers(ev) -> Outcome:
    view, outcome = _view(ev, "the website's cipher suites")
    if outcome:
        return outcome
    evidence = view.to_json()
    found, unknown = _accepted_weak(view)
    insecure = [name for name in _INSECURE if name in found]
    params = {"host": view.host,
              "classes": "; ".join(WEAK_CLASSES[name] for name in insecure),
              "suites": ", ".join(dict.fromkeys(s for name in found for s in found[name]))}
    if insecure:
        return Outcome(Status.FAIL, "weak", evidence, params)
    if "no_forward_secrecy" in found:
        return Outcome(Status.WARN, "no-forward-secrecy", evidence, params)
    if unknown:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "the website's cipher suites", "reason": "; ".join(unknown)})
    return Outcome(Status.PASS, "ok", evidence, params)
