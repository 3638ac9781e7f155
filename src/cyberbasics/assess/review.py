"""A review: the answers, fused with the scan when there is one, scored, and turned into an
action plan; and its JSON contract `cyberbasics.result/1` (docs/result-json.md).

A review without a scan is still a review, and says so (`scan: null`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..texts import DEFAULT_LANGUAGE, LANGUAGES, words
from .answers import Answers
from .catalogue import Catalogue
from .fusion import Fused, fuse
from .plan import Plan, make_plan
from .scan_file import ScanSummary
from .scoring import Assessment, score

RESULT_SCHEMA = "cyberbasics.result/1"


@dataclass(frozen=True)
class Review:
    catalogue: Catalogue
    answers: Answers
    fused: Fused
    assessment: Assessment
    plan: Plan
    scan: ScanSummary | None
    language: str = DEFAULT_LANGUAGE


def build_review(catalogue: Catalogue, answers: Answers, scan: ScanSummary | None = None,
                 language: str = DEFAULT_LANGUAGE) -> Review:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; languages are {', '.join(LANGUAGES)}")
    fused = fuse(catalogue, answers.answers, scan.findings if scan else ())
    options = {question: answer.option for question, answer in fused.answers.items()}
    scan_areas = None
    if scan is not None:
        scan_areas = {area.id: (scan.area_scores.get(area.id), area.weight)
                      for area in catalogue.scan_areas}
    assessment = score(catalogue, answers.business, options, scan_areas)
    return Review(catalogue, answers, fused, assessment, make_plan(catalogue, assessment), scan,
                  language)


def catalogue_words(language: str) -> Mapping[str, Any]:
    """The catalogue's words in `language`, English for any text it lacks."""
    return words("catalogue", language)


def framework_readiness(review: Review):
    """Readiness against every shipped framework, from the review's control states."""
    from .frameworks import load_frameworks, readiness

    states = {c.id: review.assessment.control_state(c.id) for c in review.catalogue.controls}
    return [readiness(framework, states) for framework in load_frameworks()]


def _framework_json(result, language: str) -> dict[str, Any]:
    from .frameworks import load_framework

    framework = load_framework(result.framework)
    names = words("frameworks", language)
    counts = result.counts
    return {"id": result.framework,
            "name": (names.get(f"framework.{result.framework}") or {}).get("name")
            or framework.name,
            "met": counts.get("met", 0), "partly": counts.get("partly", 0),
            "not_met": counts.get("not_met", 0), "unknown": counts.get("unknown", 0),
            "blockers": list(result.blockers_not_met), "predicted": result.prediction,
            "requirements_missing": len(result.missing)}


def area_name(language: str, area_id: str, source: str = "answers") -> str:
    """An area's name: the catalogue's for the inside view, the scan report's for the
    outside view's areas."""
    if source == "answers":
        return word(language, f"area.{area_id}")
    from ..report.wording import report_texts

    return str((report_texts(language).get("areas") or {}).get(area_id, area_id))


def word(language: str, key: str, field: str = "name") -> str:
    entry = catalogue_words(language).get(key) or {}
    value = entry.get(field)
    return value if isinstance(value, str) else key


def to_result_json(review: Review) -> dict[str, Any]:
    """The review as `cyberbasics.result/1`, every text in the review's language."""
    lang, assessment = review.language, review.assessment
    return {
        "schema": RESULT_SCHEMA,
        "catalogue": review.catalogue.version,
        "formula": assessment.formula,
        "language": lang,
        "business": {key: review.answers.business.get(key)
                     for key in ("name", "country", "size", "sector")
                     if review.answers.business.get(key) is not None},
        "overall": {"score": assessment.overall, "band": assessment.band,
                    "capped_by": list(assessment.capped_by), "uncapped": assessment.uncapped},
        "areas": [{"id": area.id,
                   "name": area_name(lang, area.id, area.source),
                   "score": area.score, "band": area.band, "unknown": list(area.unknown),
                   "source": area.source} for area in assessment.areas],
        "frameworks": [_framework_json(r, lang) for r in framework_readiness(review)],
        "actions": [{"id": p.id, "priority": p.priority,
                     "title": word(lang, f"action.{p.id}", "title"), "area": p.area,
                     "effort_minutes": p.action.effort_minutes,
                     "cost_band": p.action.cost_band, "quick_win": p.action.quick_win,
                     "critical": p.critical,
                     "verify_by": {p.action.verify_by[0]: p.action.verify_by[1] or True},
                     "status": p.status} for p in review.plan.actions],
        "unknown": list(assessment.unknown),
        "conflicts": [{"question": c.question, "said": c.said, "seen": c.seen,
                       "check": c.check, "summary": c.summary}
                      for c in review.fused.conflicts],
        "answer_sources": {q: a.source for q, a in sorted(review.fused.answers.items())},
        "scan": None if review.scan is None else {
            "domains": list(review.scan.domains), "mode": review.scan.mode,
            "skipped": list(review.scan.skipped)},
        "problems": [str(p) for p in review.answers.problems],
    }
