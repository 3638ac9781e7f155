"""The reports' own words (headings, status names, grade sentences), from
``content/<lang>/report.yaml``, shared by the HTML page and the text outputs.

The texts are data so they can be translated; a language that lacks a key falls back to
English key by key. Findings bring their own texts (``content/<lang>/checks.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..scan.grades import AreaGrade, ResultGrades
from ..texts import DEFAULT_LANGUAGE, MissingText, _catalogue, fill, words

CATALOGUE = "report"


@cache
def report_texts(language: str = DEFAULT_LANGUAGE) -> Mapping[str, Any]:
    """Every report text in ``language``, English where it has none (nested tables such as
    ``status`` are merged entry by entry)."""
    return words(CATALOGUE, language)


def page_language(language: str) -> str:
    """The language the report's own texts are really in: ``language`` when it has a
    report catalogue, else English."""
    report_texts(language)  # refuses unknown languages
    return language if _catalogue(language, CATALOGUE) else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Words:
    """The report texts of one language, filled in: ``words("score_of", score=82)``."""

    language: str = DEFAULT_LANGUAGE

    @property
    def texts(self) -> Mapping[str, Any]:
        return report_texts(self.language)

    def __call__(self, key: str, **params: Any) -> str:
        text = self.texts.get(key)
        if not isinstance(text, str):
            raise MissingText(f"no report text {key!r}")
        return fill(text.strip(), params)

    def entry(self, table: str, key: str) -> str:
        """An entry of a nested table, e.g. ``entry("status", "fail")``; the key itself when
        the table lacks it, so a new status or area still shows."""
        value = (self.texts.get(table) or {}).get(key)
        return value.strip() if isinstance(value, str) else key

    def area(self, area: str) -> str:
        return self.entry("areas", area)

    def status(self, status: str) -> str:
        return self.entry("status", str(status))

    def severity(self, severity: str) -> str:
        return self.entry("severity", str(severity))

    def meaning(self, grade: str) -> str:
        return self.entry("grade_meaning", grade)


def area_state(graded: AreaGrade) -> str | None:
    """Why an area has no grade: ``unchecked`` (every check it had errored),
    ``not_applicable`` (nothing applied, e.g. no website) or ``not_scanned``; None when it
    has a grade."""
    if graded.score is not None:
        return None
    if graded.unchecked:
        return "unchecked"
    if graded.not_applicable or graded.checked:
        return "not_applicable"
    return "not_scanned"


def area_phrase(words: Words, graded: AreaGrade) -> str:
    """"Website B (82)", or "Exposed services: not scanned"."""
    name = words.area(graded.area)
    state = area_state(graded)
    if state is None:
        return words("area_grade", area=name, grade=graded.grade, score=graded.score)
    return words("area_state", area=name, state=words.entry("area_states", state))


def overall_phrase(words: Words, graded: AreaGrade) -> str:
    if graded.score is None:
        return words("overall_no_grade") + "."
    return (words("overall_grade", grade=graded.grade, score=graded.score) + ". "
            + words.meaning(graded.grade))


def confidence_sentence(words: Words, graded: AreaGrade, titles: Mapping[str, str]) -> str:
    """How sure the grade is, in words: which checks could not be done, by their titles."""
    total = graded.checked + graded.unchecked
    if graded.unchecked:
        names = "; ".join(titles.get(check, check) for check in graded.unchecked_checks)
        return words("confidence_partial", checked=graded.checked, total=total,
                     unchecked=graded.unchecked, checks=names)
    if graded.score is None:
        return words("confidence_nothing")
    return words("confidence_complete", checked=graded.checked)


def capped_sentence(words: Words, graded: AreaGrade, titles: Mapping[str, str]) -> str | None:
    if not graded.capped_by:
        return None
    names = "; ".join(titles.get(check, check) for check in graded.capped_by)
    return words("capped", checks=names, uncapped=graded.uncapped_score)


def grade_lines(words: Words, graded: ResultGrades, titles: Mapping[str, str]) -> list[str]:
    """The grade of one domain as a few lines of plain text: overall with its meaning, each
    area, how sure, and (when it applies) the critical cap and the Observatory comparison."""
    grades = graded.grades
    lines = [overall_phrase(words, grades.overall),
             words("by_area", areas=", ".join(area_phrase(words, a) for a in grades.areas)),
             confidence_sentence(words, grades.overall, titles)]
    capped = capped_sentence(words, grades.overall, titles)
    if capped:
        lines.append(capped)
    if graded.observatory is not None:
        lines.append(words("observatory_text", grade=graded.observatory.grade,
                           score=graded.observatory.score))
    return lines
