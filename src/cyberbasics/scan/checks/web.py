"""The website, passively: HTTPS, the redirect from HTTP, security headers, cookies, mixed
content, security.txt and software that tells its version."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from ...protocols import csp as csp_protocol
from ...protocols import http_headers as headers
from ...protocols.html_page import insecure_resources
from ...protocols.psl import organisational_domain
from ...protocols.security_txt import parse_security_txt
from ..model import Outcome, Severity, Status
from ..registry import check
from ._common import unavailable

# Six months as the HTTP Observatory's code counts it (180 days), so the two agree.
HSTS_MIN_AGE = headers.OBSERVATORY_HSTS_SIX_MONTHS
_VERSION = re.compile(r"\d+\.\d+(\.\d+)*")


def _page(ev, what: str):
    """(the HTTPS home page, None) or (None, an Outcome that says why there is none):
    `info` when the site definitely has no working HTTPS page (the HTTPS check reports
    that), `error` when we could not tell."""
    view = ev["web"]
    problem = unavailable(view, "the website")
    if problem:
        return None, problem
    evidence = view.to_json()
    page = view.https
    if page is not None and page.reached:
        status = page.final.status
        if status >= 500 or status == 429:
            return None, Outcome(Status.ERROR, "could-not-check", evidence,
                                 {"what": what, "reason": f"the site answered HTTP {status}"})
        if not page.secure_end:
            return None, Outcome(Status.INFO, "no-https-site", evidence, {
                "reason": f"the HTTPS address redirects to plain HTTP, {page.final.url}"})
        if _hosted_elsewhere(ev.domain, page.final.url):
            # A shop or social page on someone else's platform: its headers are theirs.
            return None, Outcome(Status.INFO, "hosted-elsewhere", evidence,
                                 {"url": page.final.url, "domain": ev.domain})
        return page, None
    if all(t.final.kind == "no_address" for t in view.tried):
        return None, Outcome(Status.INFO, "no-website", evidence, {"domain": ev.domain})
    stopped = next((t for t in view.tried if t.stopped), None)
    if stopped is not None:
        return None, Outcome(Status.INFO, "no-https-site", evidence, {"reason": stopped.stopped})
    if all(t.final.kind in _DEFINITE for t in view.tried):
        final = next((t.final for t in view.tried if t.final.kind == "tls"),
                     next(t.final for t in view.tried if t.final.kind != "no_address"))
        return None, Outcome(Status.INFO, "no-https-site", evidence, {"reason": final.error})
    reason = next((t.final.error for t in view.tried if t.final.error), "no answer")
    return None, Outcome(Status.ERROR, "could-not-check", evidence,
                         {"what": what, "reason": reason})


_DEFINITE = ("tls", "no_address", "refused", "bad_redirect")  # the site's doing, not ours


def _hosted_elsewhere(domain: str, url: str) -> bool:
    """The home page ends on another organisation's domain (not the domain or a name
    under it)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == domain or host.endswith("." + domain):
        return False
    ours = organisational_domain(domain) or domain
    return (organisational_domain(host) or host) != ours


@check("web.https", area="web", severity=Severity.HIGH, needs=("web",))
def https(ev) -> Outcome:
    view = ev["web"]
    problem = unavailable(view, "the website")
    if problem:
        return problem
    evidence = view.to_json()
    page = view.https
    if page is not None and page.reached and not page.secure_end:
        return Outcome(Status.FAIL, "redirects-to-http", evidence, {"url": page.final.url})
    broken = next((t for t in view.tried if t.stopped or t.final.kind == "bad_redirect"),
                  None)
    if page is not None and page.reached:
        apex = view.tried[0]
        if apex is not page and apex.final.kind == "tls":
            # www. works, but https://<domain> shows visitors a certificate warning.
            return Outcome(Status.WARN, "apex-certificate", evidence,
                           {"domain": ev.domain, "reason": apex.final.error})
        return Outcome(Status.PASS, "ok", evidence, {"url": page.start})
    if broken is not None:
        return Outcome(Status.FAIL, "broken-redirects", evidence,
                       {"reason": broken.stopped or broken.final.error})
    bad_certificate = next((t.final for t in view.tried if t.final.kind == "tls"), None)
    if bad_certificate is not None:
        return Outcome(Status.FAIL, "bad-certificate", evidence,
                       {"reason": bad_certificate.error})
    http = view.http
    https_definitely_absent = all(t.final.kind in _DEFINITE for t in view.tried)
    if http is not None and http.answered and https_definitely_absent:
        return Outcome(Status.FAIL, "http-only", evidence, {"domain": ev.domain})
    if all(t.final.kind == "no_address" for t in view.tried) and \
            (http is None or http.kind == "no_address"):
        return Outcome(Status.INFO, "no-website", evidence, {"domain": ev.domain})
    reason = next((t.final.error for t in view.tried if t.final.error), "no answer")
    return Outcome(Status.ERROR, "could-not-check", evidence,
                   {"what": "the website over HTTPS", "reason": reason})


@check("web.http_redirect", area="web", severity=Severity.MEDIUM, needs=("web",))
def http_redirect(ev) -> Outcome:
    view = ev["web"]
    problem = unavailable(view, "the website")
    if problem:
        return problem
    http = view.http
    evidence = {"http": view.to_json()["http"]}
    if http is None or not http.answered:
        if http is not None and http.kind == "no_address":
            return Outcome(Status.INFO, "no-website", evidence, {"domain": ev.domain})
        if http is not None and http.kind == "refused":
            return Outcome(Status.PASS, "no-plain-http", evidence, {})
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "the website over plain HTTP",
                        "reason": http.error if http else "not fetched"})
    location = http.header("location")
    if http.status not in (301, 302, 303, 307, 308) or not location:
        return Outcome(Status.FAIL, "no-redirect", evidence, {"status": http.status})
    target = urlsplit(location.strip())
    if target.scheme.lower() != "https":
        return Outcome(Status.FAIL, "redirect-not-https", evidence, {"location": location})
    asked = (urlsplit(http.url).hostname or ev.domain).lower()
    if target.hostname and target.hostname.lower() != asked:
        return Outcome(Status.WARN, "redirect-other-host", evidence, {"location": location})
    return Outcome(Status.PASS, "ok", evidence, {"location": location})


@check("web.hsts", area="web", severity=Severity.MEDIUM, needs=("web",))
def hsts(ev) -> Outcome:
    page, early = _page(ev, "HSTS")
    if early:
        return early
    value = page.final.header("strict-transport-security")
    evidence = {"url": page.final.url, "strict-transport-security": value}
    if value is None:
        return Outcome(Status.FAIL, "missing", evidence, {})
    try:
        parsed = headers.parse_hsts(value)
    except headers.HttpHeaderError as exc:
        return Outcome(Status.FAIL, "invalid", evidence, {"reason": str(exc)})
    if not parsed.valid:
        return Outcome(Status.FAIL, "invalid", evidence, {"reason": "; ".join(parsed.problems)})
    days = parsed.max_age // 86400
    if parsed.max_age < HSTS_MIN_AGE:
        return Outcome(Status.WARN, "short", evidence, {"days": days})
    return Outcome(Status.PASS, "ok", evidence, {"days": days})


@check("web.headers.csp", area="web", severity=Severity.MEDIUM, needs=("web",))
def content_security_policy(ev) -> Outcome:
    page, early = _page(ev, "the Content-Security-Policy")
    if early:
        return early
    assessment = ev["web"].csp
    evidence = {"url": page.final.url, "csp": assessment.to_json()}
    params = {"explanation": assessment.explanation, "key": assessment.result}
    if assessment.result in ("csp-not-implemented", "csp-not-implemented-but-reporting-enabled"):
        return Outcome(Status.FAIL, "missing", evidence, params)
    if assessment.passed:
        return Outcome(Status.PASS, "ok", evidence, params)
    return Outcome(Status.FAIL, "weak", evidence, params)


@check("web.headers.framing", area="web", severity=Severity.LOW, needs=("web",))
def framing(ev) -> Outcome:
    page, early = _page(ev, "protection against framing")
    if early:
        return early
    xfo = page.final.header("x-frame-options")
    evidence = {"url": page.final.url, "x-frame-options": xfo}
    if ev["web"].csp.framing_protected:
        return Outcome(Status.PASS, "frame-ancestors", evidence, {})
    if xfo is not None:
        try:
            if headers.parse_x_frame_options(xfo).protects:
                return Outcome(Status.PASS, "x-frame-options", evidence, {"value": xfo})
        except headers.HttpHeaderError:
            pass
    return Outcome(Status.FAIL, "missing", evidence, {})


@check("web.headers.nosniff", area="web", severity=Severity.LOW, needs=("web",))
def nosniff(ev) -> Outcome:
    page, early = _page(ev, "X-Content-Type-Options")
    if early:
        return early
    value = page.final.header("x-content-type-options")
    evidence = {"url": page.final.url, "x-content-type-options": value}
    if headers.nosniff(value):
        return Outcome(Status.PASS, "ok", evidence, {})
    return Outcome(Status.FAIL, "missing", evidence, {})


@check("web.headers.referrer", area="web", severity=Severity.LOW, needs=("web",))
def referrer(ev) -> Outcome:
    page, early = _page(ev, "the Referrer-Policy")
    if early:
        return early
    value = page.final.header("referrer-policy")
    evidence = {"url": page.final.url, "referrer-policy": value}
    if value is None:
        return Outcome(Status.WARN, "missing", evidence, {})
    try:
        policy = headers.parse_referrer_policy(value)
    except headers.HttpHeaderError as exc:
        return Outcome(Status.WARN, "invalid", evidence, {"reason": str(exc)})
    if policy.policy is None:
        return Outcome(Status.WARN, "invalid", evidence, {"reason": value})
    if policy.leaks_full_url_cross_origin:
        return Outcome(Status.FAIL, "leaks", evidence, {"policy": policy.policy})
    return Outcome(Status.PASS, "ok", evidence, {"policy": policy.policy})


@check("web.cookies", area="web", severity=Severity.MEDIUM, needs=("web",))
def cookies(ev) -> Outcome:
    page, early = _page(ev, "the website's cookies")
    if early:
        return early
    found = []
    for hop in page.hops:
        for value in hop.header_values("set-cookie"):
            try:
                found.append(headers.parse_set_cookie(value))
            except headers.HttpHeaderError:
                continue
    evidence = {"cookies": [c.to_json() for c in found]}
    if not found:
        return Outcome(Status.INFO, "none", evidence, {})
    insecure = [c.name for c in found if not c.secure]
    weak_sessions = [c.name for c in found if c.looks_like_session
                     and (not c.http_only or c.same_site in (None, "Default"))]
    if insecure:
        return Outcome(Status.FAIL, "not-secure", evidence, {"names": ", ".join(insecure)})
    if weak_sessions:
        return Outcome(Status.WARN, "session-flags", evidence,
                       {"names": ", ".join(weak_sessions)})
    return Outcome(Status.PASS, "ok", evidence, {"count": len(found)})


@check("web.mixed_content", area="web", severity=Severity.MEDIUM, needs=("web",))
def mixed_content(ev) -> Outcome:
    page, early = _page(ev, "the home page's resources")
    if early:
        return early
    html = ev["web"].html
    if html is None:
        return Outcome(Status.INFO, "not-html", {"url": page.final.url}, {})
    insecure = insecure_resources(html)
    evidence = {"url": page.final.url, "insecure": [r.to_json() for r in insecure[:20]],
                "resources": len(html.resources), "complete": html.complete,
                "truncated_page": page.final.truncated}
    if insecure and _upgrades_insecure_requests(page):
        return Outcome(Status.PASS, "upgraded", evidence, {"count": len(insecure)})
    active = [r for r in insecure if r.kind == "active"]
    if active:
        return Outcome(Status.FAIL, "active", evidence,
                       {"count": len(active), "example": active[0].url})
    if insecure:
        return Outcome(Status.WARN, "passive", evidence,
                       {"count": len(insecure), "example": insecure[0].url})
    return Outcome(Status.PASS, "ok", evidence, {})


def _upgrades_insecure_requests(page) -> bool:
    """CSP's upgrade-insecure-requests makes browsers fetch http:// resources over HTTPS."""
    for value in page.final.header_values("content-security-policy"):
        try:
            parsed = csp_protocol.parse_csp(value)
        except csp_protocol.CspError:
            continue
        if any(policy.get("upgrade-insecure-requests") is not None
               for policy in parsed.policies):
            return True
    return False


@check("web.security_txt", area="web", severity=Severity.LOW, needs=("security_txt",))
def security_txt(ev) -> Outcome:
    visit = ev["security_txt"]
    problem = unavailable(visit, "security.txt")
    if problem:
        return problem
    final = visit.final
    evidence = visit.to_json()
    if not final.answered:
        if final.kind == "no_address":
            return Outcome(Status.INFO, "no-website", evidence, {"domain": ev.domain})
        if final.kind in ("tls", "refused"):  # no HTTPS server there: nothing to publish on
            return Outcome(Status.INFO, "no-https-site", evidence, {"reason": final.error})
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "security.txt", "reason": final.error})
    if final.status >= 500 or final.status == 429:
        return Outcome(Status.ERROR, "could-not-check", evidence,
                       {"what": "security.txt", "reason": f"the site answered HTTP {final.status}"})
    if final.status != 200 or visit.stopped:
        return Outcome(Status.INFO, "missing", evidence, {})
    if not (final.content_type or "").lower().startswith("text/plain"):
        # RFC 9116 §3: served as text/plain; an HTML page here is the site's "not found".
        return Outcome(Status.INFO, "missing", evidence, {})
    fetched_at = dt.datetime.fromtimestamp(visit.fetched_at, dt.UTC)
    parsed = parse_security_txt(final.body or "", now=fetched_at, url=final.url)
    evidence["security_txt"] = parsed.to_json()
    fatal = [p for p in parsed.problems if p.fatal]
    if fatal:
        return Outcome(Status.WARN, "invalid", evidence, {"reason": fatal[0].message})
    return Outcome(Status.PASS, "ok", evidence, {"contacts": ", ".join(parsed.contact)})


@check("web.software", area="web", severity=Severity.LOW, needs=("web",))
def software(ev) -> Outcome:
    view = ev["web"]
    problem = unavailable(view, "the website")
    if problem:
        return problem
    # Whatever answered: the HTTPS home page, else the plain-HTTP one.
    pages = [view.https.final] if view.https and view.https.reached else []
    if view.http is not None and view.http.answered:
        pages.append(view.http)
    if not pages:
        http_absent = view.http is None or view.http.kind in _DEFINITE
        if all(t.final.kind in _DEFINITE for t in view.tried) and http_absent:
            return Outcome(Status.INFO, "no-website", view.to_json(), {"domain": ev.domain})
        return Outcome(Status.ERROR, "could-not-check", view.to_json(),
                       {"what": "the website", "reason": "it did not answer"})
    named = []
    for page in pages:
        named += [(name, value) for name in ("server", "x-powered-by")
                  for value in page.header_values(name)]
    for html in (view.html, view.http_html):
        if html is not None:
            named += [("generator", g) for g in html.generators]
    named = list(dict.fromkeys(named))
    evidence = {"urls": [p.url for p in pages], "named": [[k, v] for k, v in named]}
    versions = [value for _, value in named if _VERSION.search(value)]
    if versions:
        return Outcome(Status.WARN, "versions", evidence, {"software": "; ".join(versions)})
    if named:
        return Outcome(Status.PASS, "names-only", evidence,
                       {"software": "; ".join(v for _, v in named)})
    return Outcome(Status.PASS, "quiet", evidence, {})


