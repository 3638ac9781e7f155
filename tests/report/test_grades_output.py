"""Grades in the JSON and text outputs, and the HTTP Observatory comparison, from findings
built by hand (the registry gives each check's severity)."""

import io
import json
from importlib import resources

import jsonschema
import pytest
from rich.console import Console

from cyberbasics.report import scan_output
from cyberbasics.report.wording import Words, area_phrase, confidence_sentence
from cyberbasics.scan.grades import (
    OBSERVATORY_TESTS,
    grade_result,
    observatory_comparison,
    score_domain,
)
from cyberbasics.scan.model import DomainResult, Finding, ScanFailure, Severity, Status

SCHEMA = json.loads(resources.files("cyberbasics.schemas").joinpath("scan-1.json").read_text())
STARTED = "2026-01-01T00:00:00.000Z"


def finding(check, status, result="key", evidence=None, title=None):
    return Finding(check, check.split(".")[0], Status(status), Severity.INFO, result,
                   title or f"Title of {check}", f"Summary of {check}.", "Why.", "Fix.",
                   evidence if evidence is not None else {})


def result(*findings, domain="example.com", error=None):
    return DomainResult(domain, domain or "nosuch.example", "passive", STARTED, 5, error,
                        tuple(findings))


# The worked example of docs/scoring.md: e-mail 18.5 of 29 points, STARTTLS could not check.
EMAIL_EXAMPLE = (
    finding("email.spf.record", "pass"),
    finding("email.spf.all", "fail"),
    finding("email.dmarc.record", "pass"),
    finding("email.dmarc.policy", "warn"),
    finding("email.dkim", "pass"),
    finding("email.mta_sts", "warn"),
    finding("email.tls_rpt", "fail"),
    finding("email.dmarc.reporting", "info"),
    finding("email.starttls", "error", title="Email to you travels encrypted"),
)


def brochure_site(csp="csp-not-implemented", xfo=None, referrer="strict-origin-when-cross-origin",
                  hsts="max-age=31536000", cookies=(), redirect="ok", framing_result=None):
    """The brochure site of docs/scoring.md ("How an advisor explains the difference")."""
    csp_status = "pass" if csp.startswith("csp-implemented-with-no-unsafe") else "fail"
    framing = framing_result or ("x-frame-options" if xfo else "missing")
    return (
        finding("web.https", "pass", "ok"),
        finding("web.http_redirect", "pass" if redirect == "ok" else "fail", redirect,
                {"http": {}}),
        finding("web.hsts", "pass", "ok", {"url": "https://example.com/",
                                           "strict-transport-security": hsts}),
        finding("web.headers.csp", csp_status, "missing", {"url": "https://example.com/",
                                                           "csp": {"result": csp}}),
        finding("web.headers.framing", "pass" if xfo or framing_result else "fail", framing,
                {"url": "https://example.com/", "x-frame-options": xfo}),
        finding("web.headers.nosniff", "pass", "ok", {"x-content-type-options": "nosniff"}),
        finding("web.headers.referrer", "pass", "ok", {"referrer-policy": referrer}),
        finding("web.cookies", "pass" if cookies else "info", "ok" if cookies else "none",
                {"cookies": list(cookies)}),
        finding("web.mixed_content", "pass", "ok"),
        finding("web.security_txt", "info", "missing"),
        finding("web.software", "pass", "quiet"),
    )


# -- JSON --------------------------------------------------------------------------------


def test_json_has_the_documented_grades_and_validates():
    domain = (finding("domain.resolves", "pass"), finding("domain.nameservers", "fail"),
              finding("domain.dnssec", "pass"), finding("domain.caa", "warn"))
    document = json.loads(scan_output.to_json([result(*EMAIL_EXAMPLE, *domain)]))
    jsonschema.validate(document, SCHEMA)
    grades = document["results"][0]["grades"]
    assert grades["formula"] == "cyberbasics.grades/1"
    assert list(grades["areas"]) == ["domain", "email", "web", "services", "vulns"]
    email = grades["areas"]["email"]
    assert (email["score"], email["grade"]) == (64, "C")
    assert (email["checked"], email["unchecked"], email["not_applicable"]) == (7, 1, 1)
    assert email["confidence"] == 0.875
    assert email["unchecked_checks"] == ["email.starttls"]
    assert email["weakest"] == ["email.spf.all", "email.dmarc.policy", "email.tls_rpt"]
    # domain: resolves 10 + dnssec 3 + caa 0.5 of 10 + 3 + 3 + 1 = 13.5 / 17 = 79.4 → 79, B
    assert (grades["areas"]["domain"]["score"], grades["areas"]["domain"]["grade"]) == (79, "B")
    # overall: 32 of 46 points → 69.6 → 70, C; 11 judged, 1 unchecked
    overall = grades["overall"]
    assert (overall["earned"], overall["possible"]) == (32.0, 46)
    assert (overall["score"], overall["grade"]) == (70, "C")
    assert overall["confidence"] == 11 / 12
    assert grades["areas"]["services"] == {
        "area": "services", "score": None, "grade": None, "checked": 0, "unchecked": 0,
        "not_applicable": 0, "confidence": 0.0, "weakest": [], "unchecked_checks": [],
        "capped_by": [], "uncapped_score": None, "earned": 0.0, "possible": 0}
    assert grades["observatory_comparison"] is None  # no website findings


def test_json_grades_equal_score_domain():
    scanned = result(*EMAIL_EXAMPLE, *brochure_site())
    shown = json.loads(scan_output.to_json([scanned]))["results"][0]["grades"]
    expected = score_domain(scanned.findings).to_json()
    assert {k: shown[k] for k in expected} == json.loads(json.dumps(expected))


def test_error_finding_lowers_confidence_never_the_grade():
    passed = json.loads(scan_output.to_json([result(*EMAIL_EXAMPLE[:-1])]))
    unchecked = json.loads(scan_output.to_json([result(*EMAIL_EXAMPLE)]))
    before = passed["results"][0]["grades"]["areas"]["email"]
    after = unchecked["results"][0]["grades"]["areas"]["email"]
    assert (before["score"], before["grade"]) == (after["score"], after["grade"])
    assert before["confidence"] == 1.0 > after["confidence"]


def test_a_domain_that_could_not_be_scanned_has_null_grades():
    failed = result(domain=None, error=ScanFailure("nxdomain", "nosuch.example does not exist"))
    document = json.loads(scan_output.to_json([failed]))
    jsonschema.validate(document, SCHEMA)
    assert document["results"][0]["grades"] is None


def test_findings_that_cannot_be_graded_give_null_grades_not_a_crash():
    odd = result(finding("domain.resolves", "pass"), finding("domain.resolves", "fail"))
    document = json.loads(scan_output.to_json([odd]))
    assert document["results"][0]["grades"] is None
    assert "Overall grade" not in scan_output.to_plain_text([odd])


def test_schema_is_strict_about_grades():
    document = json.loads(scan_output.to_json([result(*EMAIL_EXAMPLE, *brochure_site())]))
    jsonschema.validate(document, SCHEMA)
    grades = document["results"][0]["grades"]
    for broken in ({**grades, "surprise": 1},
                   {**grades, "formula": "cyberbasics.grades/2"},
                   {**grades, "areas": {**grades["areas"], "web": {**grades["areas"]["web"],
                                                                   "grade": "E"}}},
                   {**grades, "areas": {k: v for k, v in grades["areas"].items()
                                        if k != "vulns"}},
                   {**grades, "overall": {**grades["overall"], "score": None}},
                   {**grades, "observatory_comparison": {
                       **grades["observatory_comparison"], "grade": "E"}}):
        bad = {**document, "results": [{**document["results"][0], "grades": broken}]}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SCHEMA)


def test_documents_without_grades_still_validate():
    # Written before grades were added: still a valid cyberbasics.scan/1 document.
    old = json.loads(scan_output.to_json([result(*EMAIL_EXAMPLE)]))
    del old["results"][0]["grades"]
    jsonschema.validate(old, SCHEMA)


# -- the HTTP Observatory comparison -------------------------------------------------------


def test_brochure_site_compares_as_documented():
    """docs/scoring.md: the Observatory gives 55 (C), formula /1 gives the website 82 (B)."""
    scanned = result(*brochure_site())
    graded = grade_result(scanned)
    assert (graded.grades["web"].score, graded.grades["web"].grade) == (82, "B")
    comparison = graded.observatory
    assert (comparison.score, comparison.grade) == (55, "C")
    keys = {test.test: test.result for test in comparison.tests}
    assert keys == {
        "content-security-policy": "csp-not-implemented",
        "cookies": "cookies-not-found",
        "redirection": "redirection-to-https",
        "referrer-policy": "referrer-policy-private",
        "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
        "x-content-type-options": "x-content-type-options-nosniff",
        "x-frame-options": "x-frame-options-not-implemented",
    }
    assert comparison.observatory.bonuses == 5 and not comparison.observatory.bonuses_awarded
    shown = json.loads(scan_output.to_json([scanned]))["results"][0]["grades"]
    assert shown["observatory_comparison"]["score"] == 55
    assert shown["observatory_comparison"]["method"] == "mdn-http-observatory"
    assert [t["test"] for t in shown["observatory_comparison"]["tests"]] == \
        [test for test, _ in OBSERVATORY_TESTS]
    assert shown["areas"]["web"]["score"] == 82  # the comparison never changes our grade


def test_well_configured_site_gets_the_bonuses():
    cookie = {"name": "session", "secure": True, "http_only": True, "same_site": "Lax"}
    comparison = observatory_comparison(brochure_site(
        csp="csp-implemented-with-no-unsafe-default-src-none", framing_result="frame-ancestors",
        cookies=[cookie]))
    # No penalty: 100 + CSP 10 + via-CSP framing 5 + referrer 5 + cookies 5
    assert comparison.observatory.penalties == 0
    assert (comparison.score, comparison.grade) == (125, "A+")


@pytest.mark.parametrize(("cookies", "hsts", "expected"), [
    ([{"name": "cart", "secure": True, "http_only": False, "same_site": "Default"}],
     "max-age=31536000", "cookies-secure-with-httponly-sessions"),
    ([{"name": "cart", "secure": False, "http_only": False, "same_site": "Lax"}],
     "max-age=31536000", "cookies-without-secure-flag-but-protected-by-hsts"),
    ([{"name": "cart", "secure": False, "http_only": False, "same_site": "Lax"}],
     "max-age=60", "cookies-without-secure-flag"),
    ([{"name": "PHPSESSID", "secure": True, "http_only": False, "same_site": "Lax"}],
     "max-age=31536000", "cookies-session-without-httponly-flag"),
    ([{"name": "cart", "secure": False, "http_only": True, "same_site": "Lax"},
      {"name": "login_token", "secure": False, "http_only": True, "same_site": "Lax"}],
     "max-age=60", "cookies-session-without-secure-flag"),
    ([{"name": "csrftoken", "secure": True, "http_only": False, "same_site": "Default"}],
     "max-age=31536000", "cookies-anticsrf-without-samesite-flag"),
    ([{"name": "tracker", "secure": False, "http_only": False, "same_site": "None"}],
     "max-age=31536000", "cookies-samesite-flag-invalid"),
])
def test_cookie_results_follow_the_observatory(cookies, hsts, expected):
    comparison = observatory_comparison(brochure_site(cookies=cookies, hsts=hsts))
    assert {t.test: t.result for t in comparison.tests}["cookies"] == expected


@pytest.mark.parametrize(("xfo", "expected"), [
    ("DENY", "x-frame-options-sameorigin-or-deny"),
    (" sameorigin ", "x-frame-options-sameorigin-or-deny"),
    ("ALLOW-FROM https://partner.example", "x-frame-options-allow-from-origin"),
    ("DENY, DENY", "x-frame-options-header-invalid"),  # the Observatory's way, not browsers'
])
def test_x_frame_options_follow_the_observatory(xfo, expected):
    comparison = observatory_comparison(brochure_site(xfo=xfo))
    assert {t.test: t.result for t in comparison.tests}["x-frame-options"] == expected


@pytest.mark.parametrize(("redirect", "expected"), [
    ("no-redirect", "redirection-missing"),
    ("redirect-not-https", "redirection-not-to-https"),
    ("redirect-other-host", "redirection-off-host-from-http"),
    ("no-plain-http", "redirection-not-needed-no-http"),
])
def test_redirection_follows_our_finding(redirect, expected):
    comparison = observatory_comparison(brochure_site(redirect=redirect))
    assert {t.test: t.result for t in comparison.tests}["redirection"] == expected


def test_no_comparison_without_an_https_page_or_with_a_missing_finding():
    site = brochure_site()
    assert observatory_comparison(site) is not None
    no_https = [finding(f.check, "info", "no-https-site", {"tried": []})
                if f.check.startswith("web.headers") or f.check in ("web.hsts", "web.cookies")
                else f for f in site]
    assert observatory_comparison(no_https) is None
    assert observatory_comparison([f for f in site if f.check != "web.headers.referrer"]) is None
    errored = [finding("web.hsts", "error", "could-not-check") if f.check == "web.hsts" else f
               for f in site]
    assert observatory_comparison(errored) is None
    odd = [finding("web.headers.csp", "fail", "weak", {"csp": "not an object"})
           if f.check == "web.headers.csp" else f for f in site]
    assert observatory_comparison(odd) is None


# -- text ----------------------------------------------------------------------------------


def test_plain_text_shows_grades_before_the_findings():
    text = scan_output.to_plain_text([result(*EMAIL_EXAMPLE, *brochure_site())])
    lines = text.split("\n")
    assert lines[0] == "example.com"
    # e-mail 18.5 of 29 and website 18 of 22: 36.5 of 51 → 71.6 → 72, C
    assert lines[1] == "  Overall grade C (72 of 100). Fair: several things to fix."
    assert lines[2] == ("  By area: Domain: not scanned, E-mail C (64), Website B (82), "
                        "Exposed services: not scanned, Known vulnerabilities: not scanned.")
    assert lines[3].startswith("  We could do 16 of 17 checks; 1 could not be checked "
                               "(Email to you travels encrypted).")
    assert "Observatory" in lines[4] and "C (55 points)" in lines[4]
    assert lines[5].startswith("  [PASS] Title of email.spf.record")


def test_plain_text_names_a_critical_cap():
    # 36.5 of 61 points → 59.8 → 60, a C, held at 59 by the failed critical check
    capped = result(finding("domain.resolves", "fail"), *EMAIL_EXAMPLE, *brochure_site())
    text = scan_output.to_plain_text([capped])
    assert "Overall grade D (59 of 100)" in text
    assert ("held at D because a critical check failed (Title of domain.resolves); without "
            "it the score would be 60.") in text


def test_plain_text_of_a_failed_domain_has_no_grade():
    failed = result(domain=None, error=ScanFailure("nxdomain", "it does not exist"))
    assert scan_output.to_plain_text([failed]) == \
        "nosuch.example\n  could not scan: it does not exist\n"


def test_rich_text_shows_grades():
    file = io.StringIO()
    console = Console(file=file, width=200, color_system=None)
    scan_output.print_text([result(*EMAIL_EXAMPLE, *brochure_site())], console=console)
    output = file.getvalue()
    assert "Overall grade C (72 of 100). Fair: several things to fix." in output
    assert "E-mail C (64)" in output and "Website B (82)" in output
    assert "1 could not be checked" in output
    assert output.index("Overall grade") < output.index("Title of email.spf.record")


def test_confidence_and_area_words():
    words = Words()
    graded = score_domain(EMAIL_EXAMPLE)
    assert area_phrase(words, graded["email"]) == "E-mail C (64)"
    assert area_phrase(words, graded["services"]) == "Exposed services: not scanned"
    no_site = score_domain([finding("web.https", "info", "no-website")])
    assert area_phrase(words, no_site["web"]) == "Website: nothing to judge"
    all_errors = score_domain([finding("web.https", "error")])
    assert area_phrase(words, all_errors["web"]) == "Website: could not check"
    assert confidence_sentence(words, all_errors["web"], {}).startswith(
        "We could do 0 of 1 checks; 1 could not be checked (web.https).")
    assert confidence_sentence(words, graded["domain"], {}) == \
        "Nothing could be judged, so there is no grade."
