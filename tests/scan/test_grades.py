"""Formula cyberbasics.grades/1: worked examples by hand, every cut-off, the critical cap, and
properties (errors never move a score, order never matters) checked with Hypothesis."""

import json
import math
from dataclasses import dataclass, replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.protocols.csp import OBSERVATORY_MODIFIERS
from cyberbasics.scan.grades import (
    AREAS,
    CRITICAL_FAIL_CAP,
    FORMULA,
    GRADE_CUTOFFS,
    SEVERITY_POINTS,
    WEB_HEADER_MODIFIERS,
    grade_for,
    observatory_grade_for,
    observatory_score,
    score_domain,
)
from cyberbasics.scan.model import Finding, Severity, Status

PROPERTY = settings(max_examples=300, deadline=None)


@dataclass(frozen=True)
class Chk:
    """What score_domain reads of a registry Check."""

    id: str
    area: str
    severity: Severity


def finding(check: str, status: str, area: str | None = None) -> Finding:
    # The finding's own severity is what the engine shows (lowered for warn, info for pass);
    # the formula must not read it, so it is always "info" here.
    return Finding(check, area or check.split(".")[0], Status(status), Severity.INFO, "key",
                   "title", "summary", "why", "fix", {})


def grade(pairs, severities):
    """Grades for [(check id, status)] with {check id: severity}."""
    checks = [Chk(c, c.split(".")[0], Severity(severities[c])) for c, _ in pairs]
    return score_domain([finding(c, s) for c, s in pairs], checks)


# -- grade_for: every cut-off --------------------------------------------------------------

@pytest.mark.parametrize(("score", "expected"), [
    (100, "A"), (90, "A"), (89, "B"), (75, "B"), (74, "C"), (60, "C"), (59, "D"), (40, "D"),
    (39, "F"), (0, "F"), (89.99, "B"), (90.0, "A"),
])
def test_grade_for_cut_offs(score, expected):
    assert grade_for(score) == expected


@pytest.mark.parametrize("score", [-1, 101, math.nan, True, -0.01, 100.01])
def test_grade_for_refuses_what_is_not_a_score(score):
    with pytest.raises(ValueError):
        grade_for(score)


def test_cut_offs_are_the_documented_ones():
    assert GRADE_CUTOFFS == (("A", 90), ("B", 75), ("C", 60), ("D", 40), ("F", 0))
    assert CRITICAL_FAIL_CAP == 59 and grade_for(CRITICAL_FAIL_CAP) == "D"


@pytest.mark.parametrize(("lowest", "above", "below"),
                         [(90, "A", "B"), (75, "B", "C"), (60, "C", "D"), (40, "D", "F")])
def test_every_cut_off_through_the_formula(lowest, above, below):
    # 100 low checks: the score is the number of passes, so each boundary is reachable exactly.
    def area(passes):
        pairs = [(f"web.c{i:03}", "pass" if i < passes else "fail") for i in range(100)]
        return grade(pairs, dict.fromkeys((c for c, _ in pairs), "low"))["web"]

    at, under = area(lowest), area(lowest - 1)
    assert (at.score, at.grade) == (lowest, above)
    assert (under.score, under.grade) == (lowest - 1, below)


# -- worked examples, by hand --------------------------------------------------------------

EMAIL_SEVERITIES = {
    "email.spf.record": "high", "email.spf.all": "high", "email.dmarc.record": "high",
    "email.dmarc.policy": "high", "email.dkim": "medium", "email.mta_sts": "low",
    "email.tls_rpt": "low", "email.dmarc.reporting": "low", "email.starttls": "high",
}


def test_worked_example_of_docs_scoring_md():
    grades = grade([
        ("email.spf.record", "pass"),   # high 6 of 6
        ("email.spf.all", "fail"),      # high 0 of 6
        ("email.dmarc.record", "pass"),  # high 6 of 6
        ("email.dmarc.policy", "warn"),  # high 3 of 6
        ("email.dkim", "pass"),         # medium 3 of 3
        ("email.mta_sts", "warn"),      # low 0.5 of 1
        ("email.tls_rpt", "fail"),      # low 0 of 1
        ("email.dmarc.reporting", "info"),  # not applicable: out of the sum
        ("email.starttls", "error"),    # could not check: out of the sum, unchecked
    ], EMAIL_SEVERITIES)
    email = grades["email"]
    # 18.5 of 29 points = 63.79… → 64 → C
    assert (email.earned, email.possible, email.score, email.grade) == (18.5, 29, 64, "C")
    assert (email.checked, email.unchecked, email.not_applicable) == (7, 1, 1)
    assert email.confidence == 7 / 8
    assert email.unchecked_checks == ("email.starttls",)
    # lost: spf.all 6, dmarc.policy 3, tls_rpt 1, mta_sts 0.5
    assert email.weakest == ("email.spf.all", "email.dmarc.policy", "email.tls_rpt")
    assert email.capped_by == () and email.uncapped_score == 64
    # only e-mail was scanned: the overall result is the same sum
    assert grades.overall.to_json() == {**email.to_json(), "area": "overall"}
    for other in ("domain", "web", "services", "vulns"):
        assert grades[other].score is None and grades[other].confidence == 0.0


def test_overall_pools_the_points_of_every_area():
    grades = grade([
        ("domain.a", "pass"), ("domain.b", "fail"),    # medium 3 + medium 0 of 6  → 50
        ("web.a", "pass"), ("web.b", "pass"), ("web.c", "warn"),  # high 6+6+3 of 18 → 83
        ("email.a", "error"),
    ], {"domain.a": "medium", "domain.b": "medium", "web.a": "high", "web.b": "high",
        "web.c": "high", "email.a": "high"})
    assert (grades["domain"].score, grades["domain"].grade) == (50, "D")
    assert (grades["web"].score, grades["web"].grade) == (83, "B")
    # (3 + 15) of (6 + 18) = 75 → B: web holds three times domain's points, so it counts 3×.
    overall = grades.overall
    assert (overall.earned, overall.possible, overall.score, overall.grade) == (18, 24, 75, "B")
    assert (overall.checked, overall.unchecked, overall.confidence) == (5, 1, 5 / 6)
    assert overall.weakest == ("domain.b", "web.c")  # both lost 3; the outright fail first
    assert grades["email"].score is None and grades["email"].confidence == 0.0


def test_all_pass_and_all_fail():
    sev = {"web.a": "high", "web.b": "low"}
    assert grade([("web.a", "pass"), ("web.b", "pass")], sev)["web"].score == 100
    assert grade([("web.a", "fail"), ("web.b", "fail")], sev)["web"].grade == "F"


def test_scores_round_half_up():
    # 177 of 200 = 88.5 → 89 (Python's round() would say 88)
    pairs = [(f"web.c{i:03}", "pass" if i < 177 else "fail") for i in range(200)]
    assert grade(pairs, dict.fromkeys((c for c, _ in pairs), "low"))["web"].score == 89
    # 7.5 of 8 = 93.75 → 94
    pairs = [(f"web.c{i}", "warn" if i == 0 else "pass") for i in range(8)]
    assert grade(pairs, dict.fromkeys((c for c, _ in pairs), "low"))["web"].score == 94


def test_severity_points_table():
    assert dict(SEVERITY_POINTS) == {Severity.CRITICAL: 10, Severity.HIGH: 6,
                                     Severity.MEDIUM: 3, Severity.LOW: 1, Severity.INFO: 0}


# -- no judgement, no grade ----------------------------------------------------------------

def test_all_error_area_has_no_grade_and_confidence_zero():
    grades = grade([("web.a", "error"), ("web.b", "error"), ("email.a", "pass")],
                   {"web.a": "high", "web.b": "low", "email.a": "low"})
    web = grades["web"]
    assert (web.score, web.grade, web.uncapped_score) == (None, None, None)
    assert (web.checked, web.unchecked, web.confidence) == (0, 2, 0.0)
    assert web.unchecked_checks == ("web.a", "web.b")
    assert web.weakest == ()
    # the errors are left out of the overall score too: e-mail alone decides it
    assert (grades.overall.score, grades.overall.confidence) == (100, 1 / 3)


def test_info_only_area_has_no_grade():
    web = grade([("web.a", "info"), ("web.b", "info")], {"web.a": "high", "web.b": "low"})["web"]
    assert (web.score, web.grade) == (None, None)
    assert (web.checked, web.unchecked, web.not_applicable) == (0, 0, 2)
    assert web.confidence == 1.0  # everything asked was answered: nothing here applies


def test_area_with_nothing_has_no_grade():
    grades = score_domain([], [])
    assert [a.area for a in grades.areas] == list(AREAS)
    for graded in (*grades.areas, grades.overall):
        assert (graded.score, graded.grade, graded.confidence) == (None, None, 0.0)


def test_weightless_checks_give_no_grade():
    web = grade([("web.a", "fail")], {"web.a": "info"})["web"]
    assert (web.score, web.checked, web.possible) == (None, 1, 0)


# -- a critical failure caps the grade -----------------------------------------------------

def test_a_critical_fail_caps_the_area_and_the_overall_grade():
    pairs = [("services.rdp", "fail")] + [(f"services.c{i}", "pass") for i in range(20)]
    sev = {"services.rdp": "critical", **{f"services.c{i}": "high" for i in range(20)}}
    pairs.append(("email.a", "pass"))
    sev["email.a"] = "high"
    grades = grade(pairs, sev)
    services = grades["services"]
    # 120 of 130 = 92 (an A) without the cap
    assert services.uncapped_score == 92
    assert (services.score, services.grade) == (CRITICAL_FAIL_CAP, "D")
    assert services.capped_by == ("services.rdp",)
    assert services.weakest[0] == "services.rdp"
    assert (grades.overall.uncapped_score, grades.overall.score) == (93, 59)
    assert grades.overall.capped_by == ("services.rdp",)
    assert grades["email"].score == 100 and grades["email"].capped_by == ()


def test_the_cap_is_a_ceiling_and_only_for_a_critical_fail():
    low = grade([("domain.r", "fail"), ("domain.a", "pass")],
                {"domain.r": "critical", "domain.a": "low"})["domain"]
    assert (low.score, low.grade, low.capped_by) == (9, "F", ("domain.r",))  # 1 of 11
    pairs = [("domain.r", "warn")] + [(f"domain.c{i}", "pass") for i in range(10)]
    sev = {"domain.r": "critical", **{f"domain.c{i}": "high" for i in range(10)}}
    warned = grade(pairs, sev)["domain"]  # 65 of 70 = 93: a critical warning does not cap
    assert (warned.score, warned.grade, warned.capped_by) == (93, "A", ())
    errored = grade([("domain.r", "error"), *pairs[1:]], sev)["domain"]
    assert (errored.score, errored.capped_by) == (100, ())  # could not check: no cap either


# -- input checks, the registry, the selected checks ---------------------------------------

def test_weights_come_from_the_registry_not_the_finding():
    # A passing finding says severity "info"; the registry says email.spf.record is high.
    grades = score_domain([finding("email.spf.record", "pass"), finding("email.tls_rpt", "fail")])
    assert (grades["email"].earned, grades["email"].possible, grades["email"].score) == (6, 7, 86)


def test_a_selected_check_without_a_finding_is_unchecked():
    checks = [Chk("web.a", "web", Severity.HIGH), Chk("web.b", "web", Severity.LOW)]
    web = score_domain([finding("web.b", "pass")], checks)["web"]
    assert (web.score, web.checked, web.unchecked, web.unchecked_checks) == (100, 1, 1, ("web.a",))
    assert web.confidence == 0.5


@pytest.mark.parametrize(("findings", "checks", "message"), [
    ([finding("web.a", "pass")], [], "not a known check"),
    ([finding("web.a", "pass"), finding("web.a", "fail")], [Chk("web.a", "web", "low")],
     "two findings"),
    ([finding("web.a", "pass", area="email")], [Chk("web.a", "web", "low")], "has area"),
    ([finding("lab.a", "pass")], [Chk("lab.a", "lab", "low")], "unknown area"),
    ([], [Chk("lab.a", "lab", "low")], "unknown area"),
    ([], [Chk("web.a", "web", "low"), Chk("web.a", "web", "low")], "listed twice"),
    ([finding("web.nope", "pass")], None, "not a known check"),
])
def test_input_that_cannot_be_graded_honestly_is_refused(findings, checks, message):
    with pytest.raises(ValueError, match=message):
        score_domain(findings, checks)


def test_every_registered_check_has_an_area_and_a_severity_the_formula_knows():
    from cyberbasics.scan.registry import all_checks

    for check in all_checks():
        assert check.area in AREAS, check.id
        assert Severity(check.severity) in SEVERITY_POINTS, check.id


def test_to_json_is_versioned_and_serialisable():
    grades = grade([("web.a", "pass"), ("email.a", "error")], {"web.a": "low", "email.a": "low"})
    doc = grades.to_json()
    assert doc["formula"] == FORMULA == "cyberbasics.grades/1"
    assert list(doc["areas"]) == list(AREAS)
    assert doc["areas"]["web"]["grade"] == "A" and doc["areas"]["email"]["grade"] is None
    assert json.loads(json.dumps(doc)) == doc
    with pytest.raises(KeyError):
        grades["overall-ish"]


# -- properties ----------------------------------------------------------------------------

STATUSES = ["pass", "warn", "fail", "info", "error"]
JUDGED = {"pass", "warn", "fail"}


@st.composite
def scans(draw, min_size=0):
    """A domain's findings: unique check ids, any areas, severities and statuses."""
    rows = draw(st.lists(st.tuples(st.sampled_from(AREAS), st.sampled_from(list(Severity)),
                                   st.sampled_from(STATUSES)), min_size=min_size, max_size=25))
    checks = [Chk(f"{area}.c{i}", area, sev) for i, (area, sev, _) in enumerate(rows)]
    findings = [finding(c.id, status) for c, (_, _, status) in zip(checks, rows, strict=True)]
    return findings, checks


def with_status(findings, i, status):
    return [*findings[:i], replace(findings[i], status=Status(status)), *findings[i + 1:]]


def score_part(graded):
    """Everything an AreaGrade says that depends on the judged findings only."""
    return (graded.score, graded.grade, graded.uncapped_score, graded.capped_by,
            graded.earned, graded.possible, graded.weakest)


def all_parts(grades):
    return [score_part(g) for g in (*grades.areas, grades.overall)]


@PROPERTY
@given(scans(min_size=1), st.data())
def test_an_error_never_changes_a_score_only_the_confidence(scan, data):
    """What this proves, for any findings F and any judged finding f in F:

    1. F with f turned into `error` gets, in every area and overall, exactly the score, grade,
       uncapped score, cap, points and weakest list of F without f: an error finding adds
       nothing to any score, as if its check had not been run;
    2. in f's area and overall, it has one `checked` fewer and one `unchecked` more than F,
       so its confidence is strictly lower than F's; every other area is unchanged.
    (Turning f into an error can change the score compared with F itself, since f's points
    leave the sum; that is the formula's intent, not an error moving the score.)"""
    findings, checks = scan
    judged = [i for i, f in enumerate(findings) if f.status in JUDGED]
    if not judged:
        return
    i = data.draw(st.sampled_from(judged))
    area = findings[i].area
    before = score_domain(findings, checks)
    after = score_domain(with_status(findings, i, "error"), checks)
    without = score_domain(findings[:i] + findings[i + 1:], checks[:i] + checks[i + 1:])

    assert all_parts(after) == all_parts(without)
    for name in (area, "overall"):
        old, new = (before.overall, after.overall) if name == "overall" else (before[name],
                                                                                after[name])
        assert (new.checked, new.unchecked) == (old.checked - 1, old.unchecked + 1)
        assert new.confidence < old.confidence
        assert findings[i].check in new.unchecked_checks
    for other in AREAS:
        if other != area:
            assert after[other] == before[other]


@PROPERTY
@given(scans(), st.lists(st.tuples(st.sampled_from(AREAS), st.sampled_from(["info", "error"])),
                         max_size=10))
def test_adding_could_not_check_or_not_applicable_findings_never_moves_a_score(scan, extra):
    findings, checks = scan
    more = [Chk(f"{area}.extra{i}", area, Severity.CRITICAL) for i, (area, _) in enumerate(extra)]
    added = [finding(c.id, status) for c, (_, status) in zip(more, extra, strict=True)]
    assert (all_parts(score_domain(findings + added, checks + more))
            == all_parts(score_domain(findings, checks)))


@PROPERTY
@given(scans(), st.randoms(use_true_random=False))
def test_the_order_of_findings_and_checks_does_not_matter(scan, rnd):
    findings, checks = scan
    expected = score_domain(findings, checks)
    shuffled_f, shuffled_c = list(findings), list(checks)
    rnd.shuffle(shuffled_f)
    rnd.shuffle(shuffled_c)
    again = score_domain(shuffled_f, shuffled_c)
    assert again == expected
    assert json.dumps(again.to_json()) == json.dumps(expected.to_json())


def _half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


@PROPERTY
@given(scans())
def test_the_formula_against_a_plain_reference(scan):
    findings, checks = scan
    grades = score_domain(findings, checks)
    credit = {"pass": Fraction(1), "warn": Fraction(1, 2), "fail": Fraction(0)}
    severity = {c.id: c.severity for c in checks}
    for name in (*AREAS, "overall"):
        mine = [f for f in findings if name in ("overall", f.area)]
        judged = [f for f in mine if f.status in JUDGED]
        possible = sum(SEVERITY_POINTS[severity[f.check]] for f in judged)
        earned = sum(SEVERITY_POINTS[severity[f.check]] * credit[f.status] for f in judged)
        unchecked = sum(f.status == "error" for f in mine)
        graded = grades.overall if name == "overall" else grades[name]
        assert (graded.checked, graded.unchecked) == (len(judged), unchecked)
        assert graded.not_applicable == sum(f.status == "info" for f in mine)
        assert (graded.earned, graded.possible) == (earned, possible)
        if judged or unchecked:
            assert graded.confidence == len(judged) / (len(judged) + unchecked)
        if not possible:
            assert graded.score is None and graded.grade is None
            continue
        uncapped = _half_up(100 * earned / possible)
        critical_fail = any(f.status == "fail" and severity[f.check] == Severity.CRITICAL
                            for f in judged)
        assert graded.uncapped_score == uncapped
        assert graded.score == (min(uncapped, CRITICAL_FAIL_CAP) if critical_fail else uncapped)
        assert 0 <= graded.score <= 100 and graded.grade == grade_for(graded.score)
        assert 0 <= graded.confidence <= 1
        assert len(graded.weakest) <= 3
        assert set(graded.weakest) <= {f.check for f in judged if f.status != "pass"}


@PROPERTY
@given(scans(min_size=1), st.data())
def test_fixing_something_never_lowers_a_score(scan, data):
    findings, checks = scan
    better = {"fail": ["warn", "pass"], "warn": ["pass"]}
    fixable = [i for i, f in enumerate(findings) if f.status in better]
    if not fixable:
        return
    i = data.draw(st.sampled_from(fixable))
    fixed = data.draw(st.sampled_from(better[findings[i].status]))
    before = score_domain(findings, checks)
    after = score_domain(with_status(findings, i, fixed), checks)
    for old, new in zip((*before.areas, before.overall), (*after.areas, after.overall),
                        strict=True):
        if old.score is not None:
            assert new.score >= old.score


# -- the HTTP Observatory hook -------------------------------------------------------------

def test_csp_modifiers_agree_with_the_csp_module():
    assert {k: v for k, v in WEB_HEADER_MODIFIERS.items() if k.startswith("csp-")} \
        == OBSERVATORY_MODIFIERS


def test_observatory_table_covers_its_tests():
    prefixes = ("csp-", "cookies-", "cross-origin-resource-sharing-", "redirection-",
                "referrer-policy-", "hsts-", "sri-", "x-content-type-options-",
                "x-frame-options-", "corp-", "html-not-parseable")
    assert all(k.startswith(prefixes) for k in WEB_HEADER_MODIFIERS)
    assert len(WEB_HEADER_MODIFIERS) == 66  # the Expectation enum of mdn-http-observatory
    # the best of every test, no penalty: 100 + 45
    best = ["csp-implemented-with-no-unsafe-default-src-none",
            "cookies-secure-with-httponly-sessions-and-samesite", "referrer-policy-private",
            "hsts-preloaded", "sri-implemented-and-all-scripts-loaded-securely",
            "x-frame-options-implemented-via-csp", "corp-implemented-with-same-origin",
            "redirection-to-https", "x-content-type-options-nosniff",
            "cross-origin-resource-sharing-not-implemented"]
    assert (observatory_score(best).score, observatory_score(best).grade) == (145, "A+")


def test_observatory_worked_example_of_docs_scoring_md():
    brochure = observatory_score([
        "redirection-to-https", "hsts-implemented-max-age-at-least-six-months",
        "csp-not-implemented", "x-frame-options-not-implemented",
        "x-content-type-options-nosniff", "referrer-policy-private", "cookies-not-found",
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        "cross-origin-resource-sharing-not-implemented", "corp-not-implemented",
    ])
    # 100 − 25 − 20 = 55; the +5 is not awarded below 90
    assert (brochure.score, brochure.grade) == (55, "C")
    assert (brochure.penalties, brochure.bonuses, brochure.bonuses_awarded) == (-45, 5, False)
    assert brochure.to_json()["method"] == "mdn-http-observatory"
    # the same site by formula /1 (web checks as the registry weighs them)
    ours = score_domain([
        finding("web.https", "pass"), finding("web.http_redirect", "pass"),
        finding("web.hsts", "pass"), finding("web.headers.csp", "fail"),
        finding("web.headers.framing", "fail"), finding("web.headers.nosniff", "pass"),
        finding("web.headers.referrer", "pass"), finding("web.cookies", "info"),
        finding("web.mixed_content", "pass"), finding("web.security_txt", "info"),
        finding("web.software", "pass"),
    ])["web"]
    assert (ours.earned, ours.possible, ours.score, ours.grade) == (18, 22, 82, "B")


def test_observatory_bonus_only_from_ninety():
    at_90 = observatory_score(["hsts-implemented-max-age-less-than-six-months",
                               "referrer-policy-private"])
    assert (at_90.score, at_90.grade, at_90.bonuses_awarded) == (95, "A", True)
    at_85 = observatory_score(["hsts-implemented-max-age-less-than-six-months",
                               "referrer-policy-unsafe", "hsts-preloaded"])
    assert (at_85.score, at_85.grade, at_85.bonuses_awarded) == (85, "A-", False)
    floor = observatory_score(["cookies-session-without-secure-flag", "csp-not-implemented",
                               "sri-not-implemented-and-external-scripts-not-loaded-securely"])
    assert (floor.score, floor.grade) == (0, "F")


@pytest.mark.parametrize(("score", "letter"), [
    (145, "A+"), (100, "A+"), (99, "A"), (90, "A"), (89, "A-"), (85, "A-"), (84, "B+"),
    (80, "B+"), (79, "B"), (70, "B"), (69, "B-"), (65, "B-"), (64, "C+"), (60, "C+"),
    (59, "C"), (50, "C"), (49, "C-"), (45, "C-"), (44, "D+"), (40, "D+"), (39, "D"),
    (30, "D"), (29, "D-"), (25, "D-"), (24, "F"), (0, "F"),
])
def test_observatory_grade_chart(score, letter):
    assert observatory_grade_for(score) == letter


def test_observatory_refuses_unknown_keys_and_bad_scores():
    with pytest.raises(ValueError, match="not an HTTP Observatory result key"):
        observatory_score(["csp-implemented-with-no-unsafe", "ok"])
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError):
            observatory_grade_for(bad)
