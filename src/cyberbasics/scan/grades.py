"""Area scores, grades and confidence from a domain's findings: formula `cyberbasics.grades/1`.

The formula in plain words, with a worked example, is in ``docs/scoring.md``; this module is
its only implementation.  In short:

* every *judged* check (``pass``, ``warn``, ``fail``) is worth points by its check's severity
  (:data:`SEVERITY_POINTS`); ``pass`` earns them all, ``warn`` half, ``fail`` none;
* ``info`` (not applicable) and ``error`` (could not check) leave the denominator: they never
  raise or lower a score; ``error`` is counted as *unchecked* and lowers the confidence;
* an area's score is earned / possible × 100, rounded half up; its grade comes from
  :data:`GRADE_CUTOFFS`; a failed critical check caps the score at
  :data:`CRITICAL_FAIL_CAP` (a D);
* the overall score is the same formula over every judged check of every area (areas count
  by the points they hold), capped the same way;
* an area in which nothing could be judged has no score and no grade, never a made-up one.

The weight of a check is its *check's* severity from the registry, not the finding's
``severity`` field, which the engine lowers for a warning and sets to ``info`` for a pass.

Everything here is pure and deterministic: no I/O, no clock, and the order of the findings
does not matter.  :data:`WEB_HEADER_MODIFIERS` and :func:`observatory_score` score the website's
headers the way the Mozilla/MDN HTTP Observatory does, and :func:`observatory_comparison` reads
its results from our website findings, so reports can show its score next to ours; formula /1
does not use them in the area scores (see ``docs/scoring.md``, "The HTTP Observatory").
:func:`grade_result` gives both for one domain's result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from .model import DomainResult, Finding, Severity, Status

__all__ = [
    "AREAS",
    "CRITICAL_FAIL_CAP",
    "FORMULA",
    "GRADE_CUTOFFS",
    "OBSERVATORY_GRADE_CHART",
    "OBSERVATORY_SOURCE",
    "OBSERVATORY_TESTS",
    "OBSERVATORY_TESTS_NOT_RUN",
    "SEVERITY_POINTS",
    "WEAKEST_LIMIT",
    "WEB_HEADER_MODIFIERS",
    "AreaGrade",
    "Grades",
    "ObservatoryComparison",
    "ObservatoryScore",
    "ObservatoryTest",
    "ResultGrades",
    "grade_for",
    "grade_result",
    "observatory_comparison",
    "observatory_grade_for",
    "observatory_score",
    "score_domain",
]

FORMULA = "cyberbasics.grades/1"

# The areas, in the order reports show them.  The issue names the first four; "vulns" (software
# with known exploited vulnerabilities) is an area of findings too, and a critical failure
# there must not be left out of the overall grade.
AREAS = ("domain", "email", "web", "services", "vulns")

# Lowest score for each grade, best first; the inside view's bands use the same cut-offs.
GRADE_CUTOFFS: tuple[tuple[str, int], ...] = (("A", 90), ("B", 75), ("C", 60), ("D", 40),
                                              ("F", 0))

# Points a judged check is worth, by its check's severity.  A `high` is worth two `medium`s,
# a `medium` three `low`s, a `critical` a little under two `high`s.  An `info`-severity check
# (none exists today) is counted as checked but weighs nothing.
SEVERITY_POINTS: Mapping[Severity, int] = MappingProxyType({
    Severity.CRITICAL: 10,
    Severity.HIGH: 6,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
    Severity.INFO: 0,
})

# Share of a check's points each judged status earns, in halves (pass 2/2, warn 1/2, fail 0/2):
# integers, so no floating-point rounding ever enters a score.
_HALVES = {Status.PASS: 2, Status.WARN: 1, Status.FAIL: 0}

# The best score an area (or the overall result) can have while any critical check fails:
# the top of the D band.
CRITICAL_FAIL_CAP = 59

# How many check ids `weakest` names at most.
WEAKEST_LIMIT = 3


def grade_for(score: float) -> str:
    """The grade for a score from 0 to 100: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, F below."""
    if isinstance(score, bool) or not 0 <= score <= 100:  # also refuses NaN
        raise ValueError(f"a score is a number from 0 to 100, not {score!r}")
    return next(grade for grade, lowest in GRADE_CUTOFFS if score >= lowest)


class _CheckLike(Protocol):
    id: str
    area: str
    severity: Severity


@dataclass(frozen=True)
class AreaGrade:
    """The score, grade and confidence of one area (or of all of them: ``area="overall"``)."""

    area: str
    score: int | None  # 0-100; None when nothing could be judged
    grade: str | None  # None exactly when score is None
    checked: int  # judged findings: pass, warn, fail
    unchecked: int  # could not check: error findings (and selected checks without a finding)
    not_applicable: int  # info findings
    confidence: float  # checked / (checked + unchecked); see docs/scoring.md for 0 / 0
    weakest: tuple[str, ...] = ()  # check ids that cost the most points, most first
    unchecked_checks: tuple[str, ...] = ()  # the ids behind `unchecked`, sorted
    capped_by: tuple[str, ...] = ()  # failed critical checks that capped the score, sorted
    uncapped_score: int | None = None  # the score before the critical cap
    earned: float = 0.0  # points earned (multiples of 0.5)
    possible: int = 0  # points at stake in the judged checks

    def to_json(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "score": self.score,
            "grade": self.grade,
            "checked": self.checked,
            "unchecked": self.unchecked,
            "not_applicable": self.not_applicable,
            "confidence": self.confidence,
            "weakest": list(self.weakest),
            "unchecked_checks": list(self.unchecked_checks),
            "capped_by": list(self.capped_by),
            "uncapped_score": self.uncapped_score,
            "earned": self.earned,
            "possible": self.possible,
        }


@dataclass(frozen=True)
class Grades:
    """Every area's grade (in :data:`AREAS` order) and the overall one."""

    areas: tuple[AreaGrade, ...]
    overall: AreaGrade
    formula: str = FORMULA

    def __getitem__(self, area: str) -> AreaGrade:
        for graded in self.areas:
            if graded.area == area:
                return graded
        raise KeyError(area)

    def to_json(self) -> dict[str, Any]:
        return {
            "formula": self.formula,
            "overall": self.overall.to_json(),
            "areas": {graded.area: graded.to_json() for graded in self.areas},
        }


@dataclass(frozen=True)
class _Judged:
    check: str
    status: Status
    points: int  # the check's weight
    critical: bool

    @property
    def earned_halves(self) -> int:
        return self.points * _HALVES[self.status]

    @property
    def lost_halves(self) -> int:
        return 2 * self.points - self.earned_halves


def score_domain(findings: Iterable[Finding], checks: Iterable[_CheckLike] | None = None
                 ) -> Grades:
    """Grade one domain's findings with formula /1.

    ``checks`` are the checks that were selected for the scan (``registry.select(...)``): each
    finding's weight comes from its check's severity there, and a selected check that left no
    finding counts as unchecked.  Without ``checks`` the registry gives the severities and
    only the findings count.

    Raises ``ValueError`` for input that cannot be graded honestly: two findings for one
    check, a finding for an unknown check or area, or a finding whose area is not its
    check's.
    """
    findings = list(findings)
    if checks is None:
        from .registry import all_checks

        known = {c.id: c for c in all_checks()}
        selected: set[str] = set()
    else:
        known = {}
        for c in checks:
            if c.id in known:
                raise ValueError(f"check {c.id} is listed twice")
            known[c.id] = c
        selected = set(known)

    judged: dict[str, list[_Judged]] = {area: [] for area in AREAS}
    unchecked: dict[str, list[str]] = {area: [] for area in AREAS}
    not_applicable = dict.fromkeys(AREAS, 0)
    seen: set[str] = set()
    for finding in findings:
        check = known.get(finding.check)
        if check is None:
            raise ValueError(f"finding for {finding.check}, which is not a known check")
        if finding.check in seen:
            raise ValueError(f"two findings for {finding.check}")
        seen.add(finding.check)
        if finding.area != check.area:
            raise ValueError(f"finding for {finding.check} has area {finding.area!r}, "
                             f"its check {check.area!r}")
        if finding.area not in judged:
            raise ValueError(f"finding for {finding.check} has an unknown area "
                             f"{finding.area!r}; areas are {', '.join(AREAS)}")
        status = Status(finding.status)
        if status is Status.ERROR:
            unchecked[finding.area].append(finding.check)
        elif status is Status.INFO:
            not_applicable[finding.area] += 1
        else:
            severity = Severity(check.severity)
            judged[finding.area].append(_Judged(finding.check, status,
                                                SEVERITY_POINTS[severity],
                                                severity is Severity.CRITICAL))
    for missing in selected - seen:  # selected, but no answer came back: could not check
        area = known[missing].area
        if area not in unchecked:
            raise ValueError(f"check {missing} has an unknown area {area!r}")
        unchecked[area].append(missing)

    areas = tuple(_grade(area, judged[area], unchecked[area], not_applicable[area])
                  for area in AREAS)
    overall = _grade("overall", [j for area in AREAS for j in judged[area]],
                     [c for area in AREAS for c in unchecked[area]],
                     sum(not_applicable.values()))
    return Grades(areas, overall)


def _grade(area: str, judged: list[_Judged], unchecked: list[str], not_applicable: int
           ) -> AreaGrade:
    checked = len(judged)
    if checked + len(unchecked):
        confidence = checked / (checked + len(unchecked))
    else:  # nothing was judged nor left unchecked: sure that nothing applies, or nothing ran
        confidence = 1.0 if not_applicable else 0.0
    possible_halves = 2 * sum(j.points for j in judged)
    earned_halves = sum(j.earned_halves for j in judged)
    losers = sorted((j for j in judged if j.lost_halves),
                    key=lambda j: (-j.lost_halves, j.status is not Status.FAIL, j.check))
    common = dict(
        area=area, checked=checked, unchecked=len(unchecked), not_applicable=not_applicable,
        confidence=confidence, unchecked_checks=tuple(sorted(unchecked)),
        earned=earned_halves / 2, possible=possible_halves // 2,
        weakest=tuple(j.check for j in losers[:WEAKEST_LIMIT]),
    )
    if not possible_halves:  # nothing judged (or only weightless checks): no grade to give
        return AreaGrade(score=None, grade=None, **common)
    # 100 × earned / possible, rounded half up, in integers.
    uncapped = (200 * earned_halves + possible_halves) // (2 * possible_halves)
    capped_by = tuple(sorted(j.check for j in judged
                             if j.critical and j.status is Status.FAIL))
    score = min(uncapped, CRITICAL_FAIL_CAP) if capped_by else uncapped
    return AreaGrade(score=score, grade=grade_for(score), capped_by=capped_by,
                     uncapped_score=uncapped, **common)


# -- The HTTP Observatory: the hook for scoring the website's headers its way ----------------

OBSERVATORY_SOURCE = (
    "https://github.com/mdn/mdn-http-observatory/blob/"
    "a57b50e3362d55c55dd5fd108664f63a54922f11/src/grader/charts.js"
)

# The Observatory's score modifier for each of its result keys, test by test: SCORE_TABLE in
# OBSERVATORY_SOURCE (its scanner's ALGORITHM_VERSION 4).  Where the published page
# https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring differs (see
# docs/scoring.md), the code wins: it is what the Observatory computes.  The CSP rows must
# equal `protocols.csp.OBSERVATORY_MODIFIERS` (a test checks that).
WEB_HEADER_MODIFIERS: Mapping[str, int] = MappingProxyType({
    # Content-Security-Policy
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-but-duplicate-directives": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "csp-not-implemented-but-reporting-enabled": -25,
    # Cookies
    "cookies-secure-with-httponly-sessions-and-samesite": 5,
    "cookies-secure-with-httponly-sessions": 0,
    "cookies-not-found": 0,
    "cookies-without-secure-flag-but-protected-by-hsts": -5,
    "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
    "cookies-without-secure-flag": -20,
    "cookies-samesite-flag-invalid": -20,
    "cookies-anticsrf-without-samesite-flag": -20,
    "cookies-session-without-httponly-flag": -30,
    "cookies-session-without-secure-flag": -40,
    # Cross-origin resource sharing
    "cross-origin-resource-sharing-not-implemented": 0,
    "cross-origin-resource-sharing-implemented-with-public-access": 0,
    "cross-origin-resource-sharing-implemented-with-restricted-access": 0,
    "cross-origin-resource-sharing-implemented-with-universal-access": -50,
    # Redirection
    "redirection-all-redirects-preloaded": 0,
    "redirection-to-https": 0,
    "redirection-not-needed-no-http": 0,
    "redirection-off-host-from-http": -5,
    "redirection-not-to-https-on-initial-redirection": -10,
    "redirection-not-to-https": -20,
    "redirection-missing": -20,
    "redirection-invalid-cert": -20,
    # Referrer-Policy
    "referrer-policy-private": 5,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    # Strict-Transport-Security
    "hsts-preloaded": 5,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    "hsts-invalid-cert": -20,
    # Subresource Integrity
    "sri-implemented-and-all-scripts-loaded-securely": 5,
    "sri-implemented-and-external-scripts-loaded-securely": 5,
    "sri-not-implemented-response-not-html": 0,
    "sri-not-implemented-but-no-scripts-loaded": 0,
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": 0,
    "sri-not-implemented-but-external-scripts-loaded-securely": -5,
    "sri-implemented-but-external-scripts-not-loaded-securely": -20,
    "sri-not-implemented-and-external-scripts-not-loaded-securely": -50,
    # X-Content-Type-Options
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    # X-Frame-Options
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 0,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    # Cross-Origin-Resource-Policy
    "corp-implemented-with-same-origin": 10,
    "corp-implemented-with-same-site": 10,
    "corp-implemented-with-cross-origin": 0,
    "corp-not-implemented": 0,
    "corp-header-invalid": -5,
    # Any test
    "html-not-parseable": -20,
})

# The Observatory's letter for a score (its GRADE_CHART, by steps of five); above 100: A+.
OBSERVATORY_GRADE_CHART: tuple[tuple[int, str], ...] = (
    (100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"),
    (50, "C"), (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F"),
)
_OBSERVATORY_BASELINE = 100
_OBSERVATORY_EXTRA_CREDIT_FROM = 90  # MINIMUM_SCORE_FOR_EXTRA_CREDIT


@dataclass(frozen=True)
class ObservatoryScore:
    """A score computed the HTTP Observatory's way from its result keys."""

    score: int  # 0 and up (145 at most with today's table: every bonus, no penalty)
    grade: str  # A+ to F
    modifiers: tuple[tuple[str, int], ...]  # (result key, modifier), sorted by key
    penalties: int  # sum of the negative modifiers (≤ 0)
    bonuses: int  # sum of the positive modifiers (≥ 0), whether awarded or not
    bonuses_awarded: bool  # only when 100 + penalties ≥ 90

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "mdn-http-observatory",
            "score": self.score,
            "grade": self.grade,
            "modifiers": [{"result": key, "modifier": value} for key, value in self.modifiers],
            "penalties": self.penalties,
            "bonuses": self.bonuses,
            "bonuses_awarded": self.bonuses_awarded,
        }


def observatory_score(result_keys: Iterable[str]) -> ObservatoryScore:
    """Score the Observatory's result keys its way: start at 100, subtract every penalty,
    add the bonuses only if that leaves 90 or more, floor at 0; the letter is looked up by
    steps of five (100 and above: A+).  One key per Observatory test is expected; an unknown
    key raises ``ValueError`` rather than counting as 0."""
    keys = sorted(set(result_keys))
    unknown = [key for key in keys if key not in WEB_HEADER_MODIFIERS]
    if unknown:
        raise ValueError(f"not an HTTP Observatory result key: {', '.join(unknown)}")
    modifiers = tuple((key, WEB_HEADER_MODIFIERS[key]) for key in keys)
    penalties = sum(value for _, value in modifiers if value < 0)
    bonuses = sum(value for _, value in modifiers if value > 0)
    uncurved = _OBSERVATORY_BASELINE + penalties
    awarded = uncurved >= _OBSERVATORY_EXTRA_CREDIT_FROM
    score = max(0, uncurved + bonuses if awarded else uncurved)
    return ObservatoryScore(score, observatory_grade_for(score), modifiers, penalties, bonuses,
                            awarded)


def observatory_grade_for(score: int) -> str:
    """The Observatory's letter for a score: its chart looked up by steps of five, 100 and
    above A+ (getGradeForScore)."""
    if isinstance(score, bool) or not isinstance(score, int) or score < 0:
        raise ValueError(f"an Observatory score is a whole number from 0 up, not {score!r}")
    step = min(score - score % 5, 100)
    return next(letter for lowest, letter in OBSERVATORY_GRADE_CHART if step >= lowest)


# -- The HTTP Observatory's score of a scanned website, for comparison -----------------------
#
# Computed from our own website findings (their result keys and evidence), never from a second
# fetch, and never part of formula /1: reports show it next to our website grade so an advisor
# can explain why the two differ (docs/scoring.md, "The HTTP Observatory").

# The Observatory's tests we map, and the finding each one is read from.
OBSERVATORY_TESTS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", "web.headers.csp"),
    ("cookies", "web.cookies"),
    ("redirection", "web.http_redirect"),
    ("referrer-policy", "web.headers.referrer"),
    ("strict-transport-security", "web.hsts"),
    ("x-content-type-options", "web.headers.nosniff"),
    ("x-frame-options", "web.headers.framing"),
)
# Its tests we have no check for; their results are left out (modifier 0, which is what a
# typical small-business site without external scripts, CORS or CORP headers gets anyway).
OBSERVATORY_TESTS_NOT_RUN = ("cross-origin-resource-policy", "cross-origin-resource-sharing",
                             "subresource-integrity")

# The Observatory's cookie results, least bad first: a worse one replaces a better one
# (the `goodness` list and `onlyIfWorse` of its cookies test).
_COOKIE_ORDER = (
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
)
_HSTS_PASSES = ("hsts-implemented-max-age-at-least-six-months", "hsts-preloaded")
_REDIRECTION = {  # our web.http_redirect result key → the Observatory's
    "ok": "redirection-to-https",
    "no-plain-http": "redirection-not-needed-no-http",
    "no-website": "redirection-not-needed-no-http",
    "no-redirect": "redirection-missing",
    # We read only the first answer to http://; the Observatory says
    # redirection-not-to-https-on-initial-redirection (-10) when later hops reach HTTPS.
    "redirect-not-https": "redirection-not-to-https",
    "redirect-other-host": "redirection-off-host-from-http",
}


class _NoComparison(Exception):
    """A finding the comparison needs is missing, unjudged or not in the expected shape."""


@dataclass(frozen=True)
class ObservatoryTest:
    test: str  # the Observatory's test name, e.g. "x-frame-options"
    result: str  # its result key
    modifier: int
    check: str  # the check of ours whose finding gave it

    def to_json(self) -> dict[str, Any]:
        return {"test": self.test, "result": self.result, "modifier": self.modifier,
                "check": self.check}


@dataclass(frozen=True)
class ObservatoryComparison:
    """The HTTP Observatory's header score of a website, from our findings: for comparison
    with our website grade, never part of it."""

    observatory: ObservatoryScore
    tests: tuple[ObservatoryTest, ...]
    not_run: tuple[str, ...] = OBSERVATORY_TESTS_NOT_RUN

    @property
    def score(self) -> int:
        return self.observatory.score

    @property
    def grade(self) -> str:
        return self.observatory.grade

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "mdn-http-observatory",
            "source": OBSERVATORY_SOURCE,
            "score": self.observatory.score,
            "grade": self.observatory.grade,
            "penalties": self.observatory.penalties,
            "bonuses": self.observatory.bonuses,
            "bonuses_awarded": self.observatory.bonuses_awarded,
            "tests": [test.to_json() for test in self.tests],
            "not_run": list(self.not_run),
        }


def observatory_comparison(findings: Iterable[Finding]) -> ObservatoryComparison | None:
    """The HTTP Observatory's score for the website these findings describe, or None when
    there is nothing to compare: no HTTPS home page was reached (the Content-Security-Policy
    check was not judged), or a finding it needs is missing (not selected) or could not be
    checked.  Pure; it never raises for odd findings (it returns None)."""
    by_check = {finding.check: finding for finding in findings}
    try:
        keys = {test: _OBSERVATORY_READERS[test](by_check) for test, _ in OBSERVATORY_TESTS}
    except _NoComparison:
        return None
    scored = observatory_score(keys.values())
    tests = tuple(ObservatoryTest(test, keys[test], WEB_HEADER_MODIFIERS[keys[test]], check)
                  for test, check in OBSERVATORY_TESTS)
    return ObservatoryComparison(scored, tests)


def _finding(by_check: Mapping[str, Finding], check: str, *, judged: bool = False) -> Finding:
    finding = by_check.get(check)
    if finding is None or finding.status == Status.ERROR:
        raise _NoComparison(check)
    if judged and finding.status not in (Status.PASS, Status.WARN, Status.FAIL):
        raise _NoComparison(check)
    if not isinstance(finding.evidence, Mapping):
        raise _NoComparison(check)
    return finding


def _header(finding: Finding, name: str) -> str | None:
    if name not in finding.evidence:
        raise _NoComparison(finding.check)
    value = finding.evidence[name]
    if value is not None and not isinstance(value, str):
        raise _NoComparison(finding.check)
    return value


def _csp_result(by_check: Mapping[str, Finding]) -> str:
    # Judged only when the HTTPS home page was reached: the comparison needs one.
    csp = _finding(by_check, "web.headers.csp", judged=True).evidence.get("csp")
    key = csp.get("result") if isinstance(csp, Mapping) else None
    if key not in WEB_HEADER_MODIFIERS or not str(key).startswith("csp-"):
        raise _NoComparison("web.headers.csp")
    return key


def _hsts_result(by_check: Mapping[str, Finding]) -> str:
    from ..protocols.http_headers import HttpHeaderError, parse_hsts

    value = _header(_finding(by_check, "web.hsts", judged=True), "strict-transport-security")
    if value is None:
        return "hsts-not-implemented"
    try:
        return parse_hsts(value).result  # preloading is not looked up: never hsts-preloaded
    except HttpHeaderError:
        return "hsts-header-invalid"


def _cookies_result(by_check: Mapping[str, Finding]) -> str:
    finding = _finding(by_check, "web.cookies")
    if finding.status == Status.INFO and finding.result != "none":
        raise _NoComparison("web.cookies")  # no HTTPS page: nothing to compare
    cookies = finding.evidence.get("cookies")
    if not isinstance(cookies, list) or not all(isinstance(c, Mapping) for c in cookies):
        raise _NoComparison("web.cookies")
    if not cookies:
        return "cookies-not-found"
    hsts = _hsts_result(by_check) in _HSTS_PASSES
    worst = -1
    missing_same_site = False
    for cookie in cookies:
        name = str(cookie.get("name", "")).lower()
        secure, http_only = bool(cookie.get("secure")), bool(cookie.get("http_only"))
        same_site = cookie.get("same_site")
        session = "login" in name or "sess" in name
        found = []
        if not secure and same_site == "None":
            found.append("cookies-samesite-flag-invalid")
        if not secure:
            found.append("cookies-without-secure-flag-but-protected-by-hsts" if hsts
                         else "cookies-without-secure-flag")
        if same_site in (None, "Default"):  # absent (or a value browsers do not know)
            missing_same_site = True
            if "csrf" in name:
                found.append("cookies-anticsrf-without-samesite-flag")
        if session and not secure:
            found.append("cookies-session-without-secure-flag-but-protected-by-hsts" if hsts
                         else "cookies-session-without-secure-flag")
        if session and not http_only:
            found.append("cookies-session-without-httponly-flag")
        worst = max([worst, *(_COOKIE_ORDER.index(key) for key in found)])
    if worst >= 0:
        return _COOKIE_ORDER[worst]
    if missing_same_site:
        return "cookies-secure-with-httponly-sessions"
    return "cookies-secure-with-httponly-sessions-and-samesite"


def _redirection_result(by_check: Mapping[str, Finding]) -> str:
    finding = _finding(by_check, "web.http_redirect")
    key = _REDIRECTION.get(finding.result)
    if key is None:
        raise _NoComparison("web.http_redirect")
    return key


def _referrer_result(by_check: Mapping[str, Finding]) -> str:
    from ..protocols.http_headers import HttpHeaderError, parse_referrer_policy

    value = _header(_finding(by_check, "web.headers.referrer", judged=True), "referrer-policy")
    if value is None:
        return "referrer-policy-not-implemented"
    try:
        return parse_referrer_policy(value).result  # the last known policy wins, as there
    except HttpHeaderError:
        return "referrer-policy-header-invalid"


def _nosniff_result(by_check: Mapping[str, Finding]) -> str:
    value = _header(_finding(by_check, "web.headers.nosniff", judged=True),
                    "x-content-type-options")
    if value is None:
        return "x-content-type-options-not-implemented"
    # The Observatory compares the whole first value, not its first list item.
    if value.strip().lower() == "nosniff":
        return "x-content-type-options-nosniff"
    return "x-content-type-options-header-invalid"


def _framing_result(by_check: Mapping[str, Finding]) -> str:
    finding = _finding(by_check, "web.headers.framing", judged=True)
    value = _header(finding, "x-frame-options")
    # Any frame-ancestors directive counts for the Observatory; ours, one that protects.
    if finding.result == "frame-ancestors":
        return "x-frame-options-implemented-via-csp"
    if value is None:
        return "x-frame-options-not-implemented"
    value = value.strip().lower()  # the Observatory's test, on the first value as it is
    if value in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny"
    if value.startswith("allow-from"):
        return "x-frame-options-allow-from-origin"
    return "x-frame-options-header-invalid"


_OBSERVATORY_READERS = {
    "content-security-policy": _csp_result,
    "cookies": _cookies_result,
    "redirection": _redirection_result,
    "referrer-policy": _referrer_result,
    "strict-transport-security": _hsts_result,
    "x-content-type-options": _nosniff_result,
    "x-frame-options": _framing_result,
}


# -- A whole domain result ------------------------------------------------------------------

@dataclass(frozen=True)
class ResultGrades:
    """What the reports show for one scanned domain: formula /1's grades and, apart from
    them, the Observatory's score of its website."""

    grades: Grades
    observatory: ObservatoryComparison | None

    def to_json(self) -> dict[str, Any]:
        data = self.grades.to_json()
        data["observatory_comparison"] = (self.observatory.to_json()
                                          if self.observatory is not None else None)
        return data


def grade_result(result: DomainResult) -> ResultGrades | None:
    """Grades for one domain's result; None when the domain could not be scanned at all.
    Raises ``ValueError`` as :func:`score_domain` does for findings it cannot grade."""
    if result.error is not None:
        return None
    return ResultGrades(score_domain(result.findings), observatory_comparison(result.findings))
