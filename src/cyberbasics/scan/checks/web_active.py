"""The website, actively: sensitive files anyone can download."""

from __future__ import annotations

from ..model import Outcome, Severity, Status
from ..registry import check
from ._common import unavailable


@check("web.sensitive_files", area="web", severity=Severity.HIGH, needs=("sensitive_files",),
       active=True)
def sensitive_files(ev) -> Outcome:
    what = "the website's sensitive files"
    view = ev["sensitive_files"]
    problem = unavailable(view, what)
    if problem:
        return problem
    evidence = view.to_json()
    if view.no_website:
        return Outcome(Status.INFO, "no-website", evidence, {"domain": ev.domain})
    if view.other_host:
        return Outcome(Status.INFO, "other-host", evidence,
                       {"host": view.other_host, "url": view.site})
    if view.error:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": what, "reason": view.error})
    readable = view.readable
    if readable:
        files = "; ".join(f"{view.site}{p.path} ({p.what}: {p.found})" for p in readable)
        return Outcome(Status.FAIL, "readable", evidence,
                       {"files": files, "count": len(readable)})
    failed = [p for p in view.probes if not p.checked]
    if failed:
        reasons = "; ".join(f"{p.path}: {p.error}" for p in failed[:3])
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": what, "reason": reasons})
    return Outcome(Status.PASS, "ok", evidence, {"count": len(view.probes), "site": view.site})
