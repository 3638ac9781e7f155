"""The answers file: the business profile and the owner's answers, read from YAML with every
problem named by its line, and nothing already answered lost.

    catalogue: "2026.11.0"
    business: {name: "Bakery Ltd", country: PL, size: 3, platforms: [microsoft365]}
    answers:
      backups.regular: automatic_daily
      mfa.email: {option: some, source: advisor, note: "owner's account has no MFA"}

A problem never stops the reading: an unknown question, an option the question does not
have, or a malformed entry is reported (`AnswerProblem`, with its line) and left out of the
answers, and everything else is kept. Answers from an older catalogue version are kept when
their question and option still exist, and the rest are flagged, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Catalogue

SOURCES = ("self", "advisor", "scan")
REQUIRED_BUSINESS = ("name", "country")


class AnswersFileError(ValueError):
    """The file cannot be read as YAML at all (the message names the line)."""


@dataclass(frozen=True)
class Answer:
    question: str
    option: str
    source: str = "self"  # self-declared, advisor-checked, scan-verified
    note: str | None = None


@dataclass(frozen=True)
class AnswerProblem:
    line: int | None  # 1-based, when known
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class Answers:
    catalogue_version: str | None
    business: dict[str, Any]
    answers: dict[str, Answer]
    problems: tuple[AnswerProblem, ...] = field(default=())


def read_answers(path: Path, catalogue: Catalogue) -> Answers:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswersFileError(f"cannot read {path}: {exc}") from None
    return parse_answers(text, catalogue)


def parse_answers(text: str, catalogue: Catalogue) -> Answers:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise AnswersFileError(f"{where}not valid YAML ({getattr(exc, 'problem', exc)})") \
            from None
    problems: list[AnswerProblem] = []
    if root is None:
        return Answers(None, {}, {}, (AnswerProblem(None, "the file is empty"),))
    if not isinstance(root, yaml.MappingNode):
        raise AnswersFileError(f"line {_line(root)}: expected catalogue, business and answers")
    top = _mapping(root)
    version = _scalar(top.get("catalogue"))
    if version is None:
        problems.append(AnswerProblem(1, "no catalogue version: answers are read against "
                                         f"the current one ({catalogue.version})"))
    elif str(version) != catalogue.version:
        problems.append(AnswerProblem(_line(top["catalogue"]), (
            f"answers written for catalogue {version}, read against {catalogue.version}: "
            "answers whose question or option changed are listed below")))
    business = _business(top.get("business"), problems)
    answers = _answers(top.get("answers"), catalogue, problems)
    for key, node in top.items():
        if key not in ("catalogue", "business", "answers"):
            problems.append(AnswerProblem(_line(node), f"unknown section {key!r}"))
    return Answers(None if version is None else str(version), business, answers,
                   tuple(problems))


def _business(node, problems: list[AnswerProblem]) -> dict[str, Any]:
    import yaml

    if node is None:
        problems.append(AnswerProblem(None, "no business section (name and country needed)"))
        return {}
    if not isinstance(node, yaml.MappingNode):
        problems.append(AnswerProblem(_line(node), "business must be a mapping"))
        return {}
    business = yaml.safe_load(yaml.serialize(node)) or {}
    for name in REQUIRED_BUSINESS:
        if not business.get(name):
            problems.append(AnswerProblem(_line(node), f"business.{name} is required"))
    return {str(k): v for k, v in business.items()}


def _answers(node, catalogue: Catalogue, problems: list[AnswerProblem]) -> dict[str, Answer]:
    import yaml

    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        problems.append(AnswerProblem(_line(node), "answers must be a mapping of question "
                                                   "id to option id"))
        return {}
    found: dict[str, Answer] = {}
    for key_node, value_node in node.value:
        question_id = str(key_node.value)
        line = _line(key_node)
        question = catalogue.question(question_id)
        if question is None:
            problems.append(AnswerProblem(line, f"unknown question {question_id!r} (kept "
                                                "out of the scoring; nothing else is lost)"))
            continue
        if question_id in found:
            problems.append(AnswerProblem(line, f"{question_id} is answered twice; the "
                                                "first answer is kept"))
            continue
        answer = _answer(question_id, value_node, problems)
        if answer is None:
            continue
        if question.option(answer.option) is None:
            options = ", ".join(o.id for o in question.options)
            problems.append(AnswerProblem(line, f"{question_id}: {answer.option!r} is not an "
                                                f"option (options: {options})"))
            continue
        found[question_id] = answer
    return found


def _answer(question_id: str, node, problems: list[AnswerProblem]) -> Answer | None:
    import yaml

    line = _line(node)
    if isinstance(node, yaml.ScalarNode):
        return Answer(question_id, _option_text(node.value))
    if not isinstance(node, yaml.MappingNode):
        problems.append(AnswerProblem(line, f"{question_id}: give an option id, or "
                                            "{option, source, note}"))
        return None
    fields = {str(k.value): v for k, v in node.value}
    unknown = set(fields) - {"option", "source", "note"}
    if unknown:
        problems.append(AnswerProblem(line, f"{question_id}: unknown field(s) "
                                            f"{', '.join(sorted(unknown))}"))
    option = _scalar(fields.get("option"))
    if option is None:
        problems.append(AnswerProblem(line, f"{question_id}: no option given"))
        return None
    source = str(_scalar(fields.get("source")) or "self")
    if source not in SOURCES:
        problems.append(AnswerProblem(line, f"{question_id}: source must be one of "
                                            f"{', '.join(SOURCES)}; read as self"))
        source = "self"
    note = _scalar(fields.get("note"))
    return Answer(question_id, _option_text(option), source,
                  None if note is None else str(note))


def _option_text(value: Any) -> str:
    # YAML 1.1 reads a bare yes/no as true/false; option ids are text.
    if value is True or value == "true":
        return "yes"
    if value is False or value == "false":
        return "no"
    return str(value).strip()


def _mapping(node) -> dict[str, Any]:
    return {str(k.value): v for k, v in node.value}


def _scalar(node):
    import yaml

    if node is None or not isinstance(node, yaml.ScalarNode):
        return None
    return node.value


def _line(node) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark else None
