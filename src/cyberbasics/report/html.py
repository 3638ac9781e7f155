"""Scan results as one self-contained, accessible HTML page (``--format html``).

The page needs nothing but itself: CSS inline, no script, no font, image or link to another
host, so it works offline, can be mailed as an attachment and prints cleanly. Its own
Content-Security-Policy (``default-src 'none'``) keeps any script from running, should some
markup ever get through.

Accessibility: ``lang`` on the page, one ``h1`` and headings in order (domain ``h2``, its
sections ``h3``, areas ``h4``, findings ``h5``), landmarks (banner, navigation, main,
contentinfo) and a skip link, text contrast of at least 4.5:1 (:data:`PALETTE`, tested), grades
and statuses always in words and letters beside any colour or icon, icons hidden from screen
readers, technical evidence behind ``<details>``.

Outside text (domain names, what users typed, records and banners quoted in summaries, the
evidence) is escaped by Jinja2's autoescape and, like the text outputs, made visible by
:func:`safe_text` first, so neither markup nor bidi or control characters get through.
The template's own words come from ``content/<lang>/report.yaml`` (see :mod:`.wording`).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from ..scan.grades import AREAS, FORMULA, AreaGrade, ObservatoryComparison
from ..scan.model import DomainResult, Finding
from .safe_text import safe_text
from .wording import (
    Words,
    area_state,
    capped_sentence,
    confidence_sentence,
    page_language,
)

TEMPLATE = "report.html.j2"

# Text colour on background colour for grades, statuses and the page; each pair has a
# contrast ratio of at least 4.5:1 (WCAG 2.2 AA; a test computes them).
PALETTE: dict[str, tuple[str, str]] = {
    "page": ("#1a1a1a", "#ffffff"),
    "muted": ("#4b5563", "#ffffff"),
    "link": ("#0b4f96", "#ffffff"),
    "code": ("#1a1a1a", "#f3f4f6"),
    "grade-A": ("#14532d", "#dcfce7"),
    "grade-B": ("#1e3a8a", "#dbeafe"),
    "grade-C": ("#713f12", "#fef9c3"),
    "grade-D": ("#7c2d12", "#ffedd5"),
    "grade-F": ("#7f1d1d", "#fee2e2"),
    "grade-none": ("#374151", "#f3f4f6"),
    "status-pass": ("#14532d", "#dcfce7"),
    "status-warn": ("#713f12", "#fef9c3"),
    "status-fail": ("#7f1d1d", "#fee2e2"),
    "status-info": ("#1e3a8a", "#e0e7ff"),
    "status-error": ("#581c87", "#f3e8ff"),
}

ICONS = {"pass": "✔", "warn": "!", "fail": "✘", "info": "i", "error": "?"}
# Worst first: problems, then what needs attention, then what we could not check.
_STATUS_RANK = {"fail": 0, "warn": 1, "error": 2, "pass": 3, "info": 4}
_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
_PROBLEMS = ("fail", "warn", "error")
_SLUG = re.compile(r"[^a-z0-9]+")


def to_html(results: list[DomainResult], language: str = "en") -> str:
    """The results as one HTML page; ``language`` picks the interface texts (the findings
    bring their own). Raises ``ValueError`` for a language we do not know."""
    from .scan_output import result_grades

    words = Words(language)
    lang = page_language(language)
    domains = [_domain_view(words, f"d{number}", result, result_grades(result))
               for number, result in enumerate(results, 1)]
    return _template().render(t=words, lang=lang, domains=domains, formula=FORMULA,
                              palette=PALETTE, icons=ICONS)


@cache
def _template():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(
        loader=PackageLoader("cyberbasics.report", "templates"),
        autoescape=True,  # every value is escaped unless the template says otherwise (never)
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template(TEMPLATE)


def _slug(text: str) -> str:
    return _SLUG.sub("-", str(text).lower()).strip("-") or "x"


def evidence_text(evidence: Any) -> str:
    """Evidence as indented JSON for a ``<pre>``: readable letters of any script kept, but
    control, bidi and invisible characters shown as escapes, line by line."""
    text = json.dumps(evidence, indent=2, ensure_ascii=False, default=str)
    return "\n".join(safe_text(line) for line in text.split("\n"))


def _check_severities() -> dict[str, str]:
    from ..scan.registry import all_checks

    return {c.id: str(c.severity) for c in all_checks()}


def _order(finding: Finding, severities: dict[str, str]) -> tuple[int, int]:
    severity = severities.get(finding.check, str(finding.severity))
    return _STATUS_RANK.get(str(finding.status), 5), _SEVERITY_RANK.get(severity, 5)


def _finding_view(words: Words, anchor: str, finding: Finding) -> dict[str, Any]:
    status = str(finding.status)
    problem = status in _PROBLEMS
    return {
        "id": anchor,
        "status": status if status in ICONS else "info",
        "status_word": words.status(status),
        "icon": ICONS.get(status, "i"),
        "severity": words.severity(str(finding.severity)) if status in ("fail", "warn")
        else None,
        "title": safe_text(finding.title),
        "summary": safe_text(finding.summary),
        "why": safe_text(finding.why),
        "fix": safe_text(finding.fix),
        "fix_label": words("fix") if problem else words("keep_right"),
        "check": safe_text(finding.check),
        "result": safe_text(finding.result),
        "evidence": evidence_text(finding.evidence),
    }


def _grade_view(words: Words, graded: AreaGrade) -> dict[str, Any]:
    state = area_state(graded)
    return {
        "area": graded.area,
        "name": words.area(graded.area),
        "letter": graded.grade,
        "score": graded.score,
        "css": f"grade-{graded.grade}" if graded.grade else "grade-none",
        "state": words.entry("area_states", state) if state else None,
        "checked": graded.checked,
        "unchecked": graded.unchecked,
    }


def _observatory_view(words: Words, comparison: ObservatoryComparison) -> dict[str, Any]:
    scored = comparison.observatory
    return {
        "grade": comparison.grade,
        "score": comparison.score,
        "summary": words("observatory_summary", grade=comparison.grade,
                         score=comparison.score),
        "intro": words("observatory_intro", grade=comparison.grade, score=comparison.score),
        "tests": [{"test": test.test, "result": test.result, "check": test.check,
                   "modifier": f"{test.modifier:+d}" if test.modifier else "0"}
                  for test in comparison.tests],
        "bonuses_note": (None if scored.bonuses_awarded or not scored.bonuses
                         else words("observatory_bonuses_not_awarded",
                                    bonuses=f"+{scored.bonuses}")),
        "not_run": words("observatory_not_run", tests=", ".join(comparison.not_run)),
    }


def _domain_view(words: Words, anchor: str, result: DomainResult, graded) -> dict[str, Any]:
    titles = {f.check: safe_text(f.title) for f in result.findings}
    name = safe_text(result.domain or result.input)
    view: dict[str, Any] = {
        "id": anchor,
        "name": name,
        "entered": (words("you_entered", input=safe_text(result.input))
                    if result.domain and result.input != result.domain else None),
        "notice": safe_text(result.notice) if result.notice else None,
        "error": (words("could_not_scan", message=safe_text(result.error.message))
                  if result.error else None),
        "overall": None,
        "areas": [],
        "fix_first": [],
        "groups": [],
        "observatory": None,
        "observatory_none": None,
    }
    ids: list[str] = []  # one per finding, unique even if a check appears twice
    for finding in result.findings:
        base = f"{anchor}-{_slug(finding.check)}"
        ids.append(base if base not in ids else f"{base}-{len(ids)}")
    anchors = {f.check: ids[i] for i, f in reversed(list(enumerate(result.findings)))}
    if graded is not None:
        grades = graded.grades
        overall = grades.overall
        view["overall"] = {
            **_grade_view(words, overall),
            "headline": (words("overall_grade", grade=overall.grade, score=overall.score)
                         if overall.score is not None else words("overall_no_grade")),
            "meaning": words.meaning(overall.grade) if overall.grade else None,
            "confidence": confidence_sentence(words, overall, titles),
            "capped": capped_sentence(words, overall, titles),
            "not_applicable": (words("not_applicable_count", count=overall.not_applicable)
                               if overall.not_applicable else None),
        }
        view["areas"] = [_grade_view(words, area) for area in grades.areas]
        view["fix_first"] = [{"id": anchors[check], "title": titles[check]}
                             for check in overall.weakest if check in anchors]
        if graded.observatory is not None:
            view["observatory"] = _observatory_view(words, graded.observatory)
        elif grades["web"].checked:
            view["observatory_none"] = words("observatory_none")
    by_area = {area: grades[area] for area in AREAS} if graded is not None else {}
    severities = _check_severities() if result.findings else {}
    areas = list(dict.fromkeys([*AREAS, *(f.area for f in result.findings)]))
    for area in areas:
        findings = sorted((i for i, f in enumerate(result.findings) if f.area == area),
                          key=lambda i: _order(result.findings[i], severities))
        if not findings:
            continue
        graded_area = by_area.get(area)
        view["groups"].append({
            "id": f"{anchor}-area-{_slug(area)}",
            "name": words.area(area),
            "grade": _grade_view(words, graded_area) if graded_area is not None else None,
            "findings": [_finding_view(words, ids[i], result.findings[i]) for i in findings],
        })
    return view
