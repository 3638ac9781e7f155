"""The Help now triage: a few single-choice questions that lead to the right playbook
(docs/help-now.md).

A pure state machine over the answers given so far (a mapping of question id to choice id):
the questions are asked in the order of ``content/incident/triage.yaml``, each only when its
``ask_if`` holds for the answers before it, never more than ``max_questions`` on any path. The
words are in ``content/<lang>/triage.yaml``. Nothing here keeps state, so the web (one request
per tap) and the CLI share it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cyberbasics.texts import CONTENT_DIR, DEFAULT_LANGUAGE

from .data_files import ContentDataError, read_yaml
from .playbooks import PLAYBOOK_IDS

STRUCTURE_PATH = CONTENT_DIR / "incident" / "triage.yaml"
WORDS_NAME = "triage"
FLAGS = ("money", "personal_data", "ongoing")
_CONDITIONS = ("answered", "playbook", "not_playbook", "any_flag")
_CHOICE_KEYS = frozenset({"id", "playbook", "also", "noticed", *FLAGS})


class TriageError(ValueError):
    """Answers that do not fit the questions: an unknown question or choice, an answer to a
    question that is not on the path, or asking for the outcome before the end."""


class TriageDataError(ContentDataError):
    """The triage structure file is not valid; ``problems`` lists every reason."""

    what = "triage data"


@dataclass(frozen=True)
class Choice:
    id: str
    text: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    help: str
    choices: tuple[Choice, ...]

    def choice(self, choice_id: str) -> Choice:
        return next(choice for choice in self.choices if choice.id == choice_id)


@dataclass(frozen=True)
class Outcome:
    playbook: str
    also: tuple[str, ...]  # other playbooks that apply too, e.g. personal_data_breach
    money: bool  # show "call your bank now" first
    personal_data: bool  # show the breach clock
    ongoing: bool
    noticed: str | None  # the `noticed` choice id, None when not asked

    def to_dict(self) -> dict[str, Any]:
        return {"playbook": self.playbook, "also": list(self.also), "money": self.money,
                "personal_data": self.personal_data, "ongoing": self.ongoing,
                "noticed": self.noticed}


# --- structure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceRule:
    id: str
    playbook: str | None
    also: tuple[str, ...]
    flags: frozenset[str]  # the FLAGS this choice sets
    noticed: bool


@dataclass(frozen=True)
class QuestionRule:
    id: str
    choices: tuple[ChoiceRule, ...]
    optional: bool
    ask_if: Mapping[str, Any]

    @property
    def choice_ids(self) -> tuple[str, ...]:
        return tuple(choice.id for choice in self.choices)

    def choice(self, choice_id: str) -> ChoiceRule:
        return next(choice for choice in self.choices if choice.id == choice_id)


@dataclass(frozen=True)
class Rules:
    questions: tuple[QuestionRule, ...]
    max_questions: int

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(question.id for question in self.questions)

    def question(self, question_id: str) -> QuestionRule:
        return next(question for question in self.questions if question.id == question_id)


def parse_rules(raw: Any) -> Rules:
    """The questions in the language-neutral file, checked; every problem reported at once."""
    problems: list[str] = []
    if not isinstance(raw, Mapping) or not isinstance(raw.get("questions"), list):
        raise TriageDataError(["the file must hold a list 'questions'"])
    limit = raw.get("max_questions")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        problems.append("max_questions must be a whole number of at least 1")
        limit = 1
    questions: list[QuestionRule] = []
    for index, item in enumerate(raw["questions"]):
        question = _parse_question(f"questions[{index}]", item, questions, problems)
        if question is not None:
            questions.append(question)
    if problems:
        raise TriageDataError(problems)
    return Rules(tuple(questions), limit)


def _parse_question(
    where: str, item: Any, earlier: Sequence[QuestionRule], problems: list[str]
) -> QuestionRule | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
        problems.append(f"{where}: must be a mapping with an id")
        return None
    question_id = item["id"]
    where = f"{where} ({question_id})"
    if question_id in {question.id for question in earlier}:
        problems.append(f"{where}: the id is used twice")
    unknown = sorted(str(key) for key in item if key not in {"id", "choices", "optional",
                                                             "ask_if"})
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    raw_choices = item.get("choices")
    if not isinstance(raw_choices, list) or len(raw_choices) < 2:
        problems.append(f"{where}: needs a list of at least two choices")
        return None
    choices = [_parse_choice(f"{where}.choices[{i}]", c, problems)
               for i, c in enumerate(raw_choices)]
    ids = [choice.id for choice in choices if choice is not None]
    if len(ids) != len(set(ids)):
        problems.append(f"{where}: a choice id is used twice")
    ask_if = item.get("ask_if", {})
    _check_condition(f"{where}.ask_if", ask_if, earlier, problems)
    if not isinstance(item.get("optional", False), bool):
        problems.append(f"{where}: optional must be true or false")
    return QuestionRule(
        id=question_id,
        choices=tuple(choice for choice in choices if choice is not None),
        optional=item.get("optional") is True,
        ask_if=ask_if if isinstance(ask_if, Mapping) else {},
    )


def _parse_choice(where: str, item: Any, problems: list[str]) -> ChoiceRule | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
        problems.append(f"{where}: must be a mapping with an id (quote it: \"no\", not no)")
        return None
    unknown = sorted(str(key) for key in item if key not in _CHOICE_KEYS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    playbook = item.get("playbook")
    if playbook is not None and playbook not in PLAYBOOK_IDS:
        problems.append(f"{where}: playbook {playbook!r} is not one of {', '.join(PLAYBOOK_IDS)}")
    also = item.get("also", [])
    if not isinstance(also, list) or any(other not in PLAYBOOK_IDS for other in also):
        problems.append(f"{where}: also must be a list of playbook ids")
        also = []
    for key in (*FLAGS, "noticed"):
        if not isinstance(item.get(key, False), bool):
            problems.append(f"{where}: {key} must be true or false")
    return ChoiceRule(
        id=item["id"],
        playbook=playbook if isinstance(playbook, str) else None,
        also=tuple(also),
        flags=frozenset(flag for flag in FLAGS if item.get(flag) is True),
        noticed=item.get("noticed") is True,
    )


def _check_condition(
    where: str, ask_if: Any, earlier: Sequence[QuestionRule], problems: list[str]
) -> None:
    if not isinstance(ask_if, Mapping):
        problems.append(f"{where}: must be a mapping")
        return
    for kind, value in ask_if.items():
        if kind not in _CONDITIONS:
            problems.append(f"{where}: unknown condition {kind!r} ({', '.join(_CONDITIONS)})")
        elif kind == "answered":
            _check_answered(f"{where}.answered", value, earlier, problems)
        elif not isinstance(value, list) or not value:
            problems.append(f"{where}.{kind}: must be a non-empty list")
        elif kind == "any_flag" and any(flag not in FLAGS for flag in value):
            problems.append(f"{where}.any_flag: flags are {', '.join(FLAGS)}")
        elif kind != "any_flag" and any(other not in PLAYBOOK_IDS for other in value):
            problems.append(f"{where}.{kind}: must list playbook ids")


def _check_answered(
    where: str, value: Any, earlier: Sequence[QuestionRule], problems: list[str]
) -> None:
    # Only questions asked before may be named: the machine walks the questions in order.
    before = {question.id: question for question in earlier}
    if not isinstance(value, Mapping) or not value:
        problems.append(f"{where}: must map earlier question ids to lists of choices")
        return
    for question_id, choices in value.items():
        if question_id not in before:
            problems.append(f"{where}: {question_id!r} is not an earlier question")
        elif not isinstance(choices, list) or any(
            choice not in before[question_id].choice_ids for choice in choices
        ):
            problems.append(f"{where}.{question_id}: must list choices of that question")


def load_rules(path: Path = STRUCTURE_PATH) -> Rules:
    return parse_rules(read_yaml(path, TriageDataError))


@cache
def rules() -> Rules:
    """The shipped questions (cached)."""
    return load_rules()


# --- the state machine -----------------------------------------------------------------------


@dataclass
class _State:
    answers: dict[str, str] = field(default_factory=dict)
    playbook: str | None = None
    flags: set[str] = field(default_factory=set)

    def holds(self, ask_if: Mapping[str, Any]) -> bool:
        for kind, value in ask_if.items():
            if kind == "answered" and not all(
                self.answers.get(question_id) in choices for question_id, choices in value.items()
            ):
                return False
            if kind == "playbook" and self.playbook not in value:
                return False
            if kind == "not_playbook" and (self.playbook is None or self.playbook in value):
                return False
            if kind == "any_flag" and not self.flags & set(value):
                return False
        return True

    def take(self, question: QuestionRule, choice: ChoiceRule) -> None:
        self.answers[question.id] = choice.id
        if self.playbook is None and choice.playbook is not None:
            self.playbook = choice.playbook
        self.flags |= choice.flags


def _walk(
    answers: Mapping[str, str], table: Rules
) -> tuple[list[tuple[QuestionRule, ChoiceRule]], QuestionRule | None]:
    """The answered questions on the path, in order, and the next question (None at the end).
    Stops at the first question on the path without an answer."""
    state = _State()
    taken: list[tuple[QuestionRule, ChoiceRule]] = []
    for question in table.questions:
        if question.optional and len(taken) >= table.max_questions:
            continue
        if not state.holds(question.ask_if):
            continue
        choice_id = answers.get(question.id)
        if choice_id is None:
            return taken, question
        choice = question.choice(choice_id)
        state.take(question, choice)
        taken.append((question, choice))
    return taken, None


def validate(answers: Mapping[str, str], table: Rules | None = None) -> dict[str, str]:
    """The answers, checked and in the order they were asked. Anything that does not fit (not a
    mapping, an unknown question or choice, an answer to a question not on the path) is a
    :class:`TriageError` saying which and what is allowed; nothing is dropped silently."""
    table = table or rules()
    if not isinstance(answers, Mapping):
        raise TriageError("the answers must be a mapping of question id to choice id")
    for question_id, choice_id in answers.items():
        if not isinstance(question_id, str) or question_id not in table.ids:
            raise TriageError(f"unknown question {question_id!r}; questions are "
                              f"{', '.join(table.ids)}")
        allowed = table.question(question_id).choice_ids
        if not isinstance(choice_id, str) or choice_id not in allowed:
            raise TriageError(f"unknown choice {choice_id!r} for question {question_id!r}; "
                              f"choices are {', '.join(allowed)}")
    taken, following = _walk(answers, table)
    on_path = {question.id for question, _ in taken}
    stray = [question_id for question_id in table.ids
             if question_id in answers and question_id not in on_path]
    if stray:
        expected = (f"the next question is {following.id!r}" if following is not None
                    else "the questions are finished")
        raise TriageError(f"question {stray[0]!r} is not on the path of these answers ("
                          f"{expected}); answered on the path: "
                          f"{', '.join(on_path) if on_path else 'nothing yet'}")
    return {question.id: choice.id for question, choice in taken}


def _question(rule: QuestionRule, language: str) -> Question:
    from cyberbasics.texts import words

    entry = words(WORDS_NAME, language).get("questions", {}).get(rule.id, {})
    texts = entry.get("choices", {})
    return Question(
        id=rule.id,
        text=_line(entry.get("text"), rule.id),
        help=_line(entry.get("help", ""), rule.id, required=False),
        choices=tuple(Choice(choice.id, _line(texts.get(choice.id), f"{rule.id}.{choice.id}"))
                      for choice in rule.choices),
    )


def _line(value: Any, where: str, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise TriageDataError([f"no text for {where}"])
    return " ".join(value.split())


def question(question_id: str, language: str = DEFAULT_LANGUAGE) -> Question:
    """One question in ``language``, whether or not it is on a path."""
    table = rules()
    if question_id not in table.ids:
        raise TriageError(f"unknown question {question_id!r}; questions are "
                          f"{', '.join(table.ids)}")
    return _question(table.question(question_id), language)


def next_question(
    answers: Mapping[str, str], language: str = DEFAULT_LANGUAGE
) -> Question | None:
    """The next question to ask, or None when the answers are complete."""
    validate(answers)
    _, following = _walk(answers, rules())
    return None if following is None else _question(following, language)


def path(
    answers: Mapping[str, str], language: str = DEFAULT_LANGUAGE
) -> tuple[tuple[Question, Choice], ...]:
    """The questions answered so far with the choices made, in order (the "your answers, change"
    list)."""
    validate(answers)
    taken, _ = _walk(answers, rules())
    shown = []
    for rule, choice in taken:
        asked = _question(rule, language)
        shown.append((asked, asked.choice(choice.id)))
    return tuple(shown)


def outcome(answers: Mapping[str, str]) -> Outcome:
    """Where the finished answers lead. Unfinished answers: :class:`TriageError` naming the
    question still to answer."""
    validate(answers)
    taken, following = _walk(answers, rules())
    if following is not None:
        raise TriageError(f"the answers are not finished: question {following.id!r} is next")
    state = _State()
    noticed = None
    for rule, choice in taken:
        state.take(rule, choice)
        if choice.noticed:
            noticed = choice.id
    if state.playbook is None:  # the data test makes sure every path chooses one
        raise TriageDataError(["these answers lead to no playbook"])
    also = tuple(dict.fromkeys(other for _, choice in taken for other in choice.also
                               if other != state.playbook))
    return Outcome(
        playbook=state.playbook,
        also=also,
        money="money" in state.flags,
        personal_data="personal_data" in state.flags,
        ongoing="ongoing" in state.flags,
        noticed=noticed,
    )
