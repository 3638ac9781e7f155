"""Scoring the inside view: formula `cyberbasics.assessment/1` (docs/scoring.md).

* An answer is worth its option's value: met 1, partly 0.5, not met 0. "I don't know" and a
  question left unanswered are worth 0 and are listed apart ("things you did not know");
  "not applicable", and a question whose `applies_if` is decidedly false, leave the
  denominator.
* A basic control's score is the weighted mean of its counted questions; an area's is the
  weighted mean of its controls' scores, × 100; the overall score is the mean of the area
  scores weighted by each area's risk weight. The outside view's areas come in with the
  scores of the scan's grades (its `error` findings already left out there).
* Scores are rounded half up to a whole number before they are banded.
* Critical-control cap: while a critical control scores 0 (no MFA on email, no working
  backups, unsupported systems, shared admin accounts), the overall score is at most 59
  (band "Basic"), and the result names the controls.

Pure and deterministic: the same catalogue and answers always give the same result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from .catalogue import DONT_KNOW, NOT_APPLICABLE, Catalogue, Question
from .conditions import applies

FORMULA = "cyberbasics.assessment/1"
CAP = 59
BANDS = (("strong", 90), ("good", 75), ("developing", 60), ("basic", 40), ("starting", 0))


@dataclass(frozen=True)
class AreaScore:
    id: str
    score: int | None  # None: nothing in the area could be counted
    band: str | None
    unknown: tuple[str, ...] = ()  # questions answered "I don't know" or left unanswered
    source: str = "answers"  # "answers" or "scan"


@dataclass(frozen=True)
class Assessment:
    formula: str
    overall: int | None
    band: str | None
    capped_by: tuple[str, ...]  # critical controls that hold the score at CAP
    uncapped: int | None
    areas: tuple[AreaScore, ...]
    controls: Mapping[str, float | None]  # control id -> 0..1, None when nothing counted
    asked: tuple[str, ...]  # the questions that apply to this business
    unknown: tuple[str, ...] = field(default=())

    def control_state(self, control_id: str) -> str:
        """met / partly / not_met / unknown, for framework readiness."""
        value = self.controls.get(control_id)
        if value is None:
            return "unknown"
        if value >= 1:
            return "met"
        return "partly" if value > 0 else "not_met"


def band_for(score: int | None) -> str | None:
    if score is None:
        return None
    return next(name for name, lowest in BANDS if score >= lowest)


def round_half_up(value: Fraction) -> int:
    return int((Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP))


def applicable_questions(catalogue: Catalogue, business: Mapping[str, Any],
                         answers: Mapping[str, str]) -> list[Question]:
    """The questions this business is asked, in catalogue order."""
    return [q for q in catalogue.questions if applies(q.condition, business, answers)]


def score(catalogue: Catalogue, business: Mapping[str, Any], answers: Mapping[str, str],
          scan_areas: Mapping[str, tuple[int | None, int]] | None = None) -> Assessment:
    """Score one business's answers ({question id: option id}); `scan_areas` gives the
    outside view's areas as {area id: (score 0-100 or None, risk weight)}."""
    asked = applicable_questions(catalogue, business, answers)
    # Sums in halves (values 0, 0.5 and 1 are 0, 1 and 2 halves): integers until the one
    # division per control, so the result stays exact and quick.
    control_sums: dict[str, list[int]] = {}
    unknown_by_area: dict[str, list[str]] = {}
    for question in asked:
        option_id = answers.get(question.id, DONT_KNOW)
        option = question.option(option_id) or question.option(DONT_KNOW)
        if option.id == NOT_APPLICABLE:
            continue
        halves = 0 if option.value is None else int(option.value * 2)
        if option.id == DONT_KNOW:
            unknown_by_area.setdefault(catalogue.area_of(question), []).append(question.id)
        sums = control_sums.setdefault(question.control, [0, 0])
        sums[0] += halves * question.weight
        sums[1] += 2 * question.weight
    controls: dict[str, Fraction | None] = {
        c.id: (Fraction(control_sums[c.id][0], control_sums[c.id][1])
               if c.id in control_sums and control_sums[c.id][1] else None)
        for c in catalogue.controls}
    areas, weighted = [], []
    for area in catalogue.areas:
        parts = [(controls[c.id], c.weight) for c in catalogue.controls_by_area[area.id]
                 if controls[c.id] is not None]
        total = sum(weight for _, weight in parts)
        exact = (sum(v * w for v, w in parts) / total * 100) if total else None
        value = None if exact is None else round_half_up(exact)
        areas.append(AreaScore(area.id, value, band_for(value),
                               tuple(unknown_by_area.get(area.id, ()))))
        if exact is not None:
            weighted.append((exact, area.weight))
    for area_id, (value, weight) in (scan_areas or {}).items():
        areas.append(AreaScore(area_id, value, band_for(value), (), "scan"))
        if value is not None:
            weighted.append((Fraction(value), weight))
    total_weight = sum(weight for _, weight in weighted)
    uncapped = (round_half_up(sum(v * w for v, w in weighted) / total_weight)
                if total_weight else None)
    capped_by = tuple(c.id for c in catalogue.controls
                      if c.critical and controls[c.id] is not None and controls[c.id] == 0)
    overall = uncapped
    if overall is not None and capped_by:
        overall = min(overall, CAP)
    unknown = tuple(q for area in areas for q in area.unknown)
    return Assessment(FORMULA, overall, band_for(overall), capped_by, uncapped, tuple(areas),
                      {k: (None if v is None else float(v)) for k, v in controls.items()},
                      tuple(q.id for q in asked), unknown)
