"""Fusion with the outside view: scan findings answer or challenge the owner's answers.

A question that names `scan_checks` is answered by what the scan saw when the owner did not
know (or did not answer), and challenged when the owner's answer disagrees: the evidence
wins, the conflict is kept for the report ("you said your email is protected; the scan saw
no DMARC"), and the answer's source becomes "scan". A finding that is `error` (could not
check) or `info` (does not apply) is no evidence either way and changes nothing.

What a finding says, as an option: `fail` → the question's option worth 0, `warn` → the
option worth 0.5 (0 if the question has none), `pass` → the option worth 1. With several
checks, the worst finding speaks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..scan.model import Finding, Status
from .answers import Answer
from .catalogue import DONT_KNOW, NOT_APPLICABLE, Catalogue, Question

_SAYS = {Status.FAIL: 0, Status.WARN: 0.5, Status.PASS: 1}


@dataclass(frozen=True)
class Conflict:
    question: str
    said: str  # the owner's option
    seen: str  # the option the evidence gives
    check: str  # the finding that decided it
    summary: str  # the finding's own words


@dataclass(frozen=True)
class Fused:
    answers: dict[str, Answer]  # what scoring uses, each with its source
    conflicts: tuple[Conflict, ...]
    scan_answered: tuple[str, ...]  # questions the scan answered for an owner who did not know


def fuse(catalogue: Catalogue, answers: Mapping[str, Answer],
         findings: Iterable[Finding]) -> Fused:
    by_check = {f.check: f for f in findings}
    fused = dict(answers)
    conflicts, answered = [], []
    for question in catalogue.questions:
        evidence = _evidence(question, by_check)
        if evidence is None:
            continue
        finding, seen = evidence
        given = answers.get(question.id)
        if given is None or given.option == DONT_KNOW:
            fused[question.id] = Answer(question.id, seen, "scan",
                                        f"{finding.check}: {finding.summary}")
            answered.append(question.id)
            continue
        if given.option == NOT_APPLICABLE or given.option == seen:
            continue
        said = question.option(given.option)
        if said is None or said.value is None:
            continue
        if said.value != question.option(seen).value:
            conflicts.append(Conflict(question.id, given.option, seen, finding.check,
                                      finding.summary))
            fused[question.id] = Answer(question.id, seen, "scan",
                                        f"{finding.check}: {finding.summary}")
    return Fused(fused, tuple(conflicts), tuple(answered))


def _evidence(question: Question, by_check: Mapping[str, Finding]):
    """(the deciding finding, the option it gives), or None when the scan says nothing."""
    judged = [by_check[c] for c in question.scan_checks
              if c in by_check and by_check[c].status in _SAYS]
    if not judged:
        return None
    worst = min(judged, key=lambda f: _SAYS[f.status])
    value = _SAYS[worst.status]
    option = _option_worth(question, value)
    if option is None and value == 0.5:
        option = _option_worth(question, 0)
    return (worst, option) if option is not None else None


def _option_worth(question: Question, value: float) -> str | None:
    return next((o.id for o in question.options if o.value == value), None)
