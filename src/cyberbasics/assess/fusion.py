"""Fusion with the outside view: scan findings answer or challenge the owner's answers.

A question that names `scan_checks` is answered by what the scan saw when the owner did not
know (or did not answer): a problem seen answers it, a clean result only when every check
it names passed. An answer the scan shows to be too good is challenged: the evidence wins,
the conflict is kept for the report ("you said your email is protected; the scan saw no
DMARC"), and the answer's source becomes "scan". The scan never raises an owner's answer:
a clean outside says nothing of what it cannot see. A finding that is `error` (could not
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
        finding, seen, complete = evidence
        seen_value = question.option(seen).value
        given = answers.get(question.id)
        if given is None or given.option == DONT_KNOW:
            # A pass answers the question only when every check it names passed: the scan
            # sees the outside, and a question usually asks about more than one thing.
            if seen_value < 1 or complete:
                fused[question.id] = Answer(question.id, seen, "scan",
                                            f"{finding.check}: {finding.summary}")
                answered.append(question.id)
            continue
        if given.option == NOT_APPLICABLE or given.option == seen:
            continue
        said = question.option(given.option)
        if said is None or said.value is None:
            continue
        # The scan challenges an answer it shows to be too good; it never raises one, as
        # a clean outside says nothing of what it cannot see.
        if seen_value < said.value:
            conflicts.append(Conflict(question.id, given.option, seen, finding.check,
                                      finding.summary))
            fused[question.id] = Answer(question.id, seen, "scan",
                                        f"{finding.check}: {finding.summary}")
    return Fused(fused, tuple(conflicts), tuple(answered))


def _evidence(question: Question, by_check: Mapping[str, Finding]):
    """(the deciding finding, the option it gives, whether every named check was judged),
    or None when the scan says nothing."""
    judged = [by_check[c] for c in question.scan_checks
              if c in by_check and by_check[c].status in _SAYS]
    if not judged:
        return None
    worst = min(judged, key=lambda f: _SAYS[f.status])
    value = _SAYS[worst.status]
    option = _option_worth(question, value)
    if option is None and value == 0.5:
        option = _option_worth(question, 0)
    complete = len(judged) == len(question.scan_checks)
    return (worst, option, complete) if option is not None else None


def _option_worth(question: Question, value: float) -> str | None:
    return next((o.id for o in question.options if o.value == value), None)
