"""The Help now playbooks: what to do in the first hour and after, for each kind of incident
(docs/help-now.md).

The structure (the steps in order, which are for the first hour, whom to call at each step and
which of our tools help) is language-neutral data in ``content/incident/playbooks.yaml``; the
words (titles, what to do, why, what not to do, page labels) are in
``content/<lang>/playbooks.yaml``, read through :func:`cyberbasics.texts.words` so a language
that lacks a text shows the English one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cyberbasics.texts import CONTENT_DIR, DEFAULT_LANGUAGE

from .contacts import INCIDENTS, KINDS
from .data_files import ContentDataError, read_yaml

STRUCTURE_PATH = CONTENT_DIR / "incident" / "playbooks.yaml"
WORDS_NAME = "playbooks"

# The same ids, in the same order, as the contacts and the breach clock use.
PLAYBOOK_IDS: tuple[str, ...] = INCIDENTS
TOOLS = ("evidence_log", "breach_clock", "email_check")
FIRST_HOUR_STEPS = (5, 8)  # at least, at most: enough to act, few enough to do in an hour
LATER_STEPS = (3, 6)

_STEP_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_STEP_KEYS = frozenset({"id", "call", "tools"})
_PLAYBOOK_KEYS = frozenset({"first_hour", "later", "related"})


class UnknownPlaybook(ValueError):
    """A playbook id that is not one of :data:`PLAYBOOK_IDS`."""

    def __init__(self, playbook_id: object):
        self.playbook_id = playbook_id
        super().__init__(
            f"unknown playbook {playbook_id!r}; playbooks are {', '.join(PLAYBOOK_IDS)}"
        )


class PlaybookError(ContentDataError):
    """The playbooks' structure or words are not valid; ``problems`` lists every reason."""

    what = "playbooks"


@dataclass(frozen=True)
class Step:
    id: str
    do: str
    why: str
    dont: tuple[str, ...]
    call: tuple[str, ...]  # contact kinds, as in contacts.yaml
    tools: tuple[str, ...]  # links to our tools: evidence_log, breach_clock, email_check
    first_hour: bool

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "dont": list(self.dont), "call": list(self.call),
                "tools": list(self.tools)}


@dataclass(frozen=True)
class Playbook:
    id: str
    title: str
    summary: str
    first_hour: tuple[Step, ...]
    later: tuple[Step, ...]
    dont: tuple[str, ...]
    related: tuple[str, ...]

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.first_hour + self.later

    @property
    def call(self) -> tuple[str, ...]:
        """Every contact kind a step asks to call, in the order the steps ask."""
        return tuple(dict.fromkeys(kind for step in self.steps for kind in step.call))

    def to_dict(self) -> dict[str, Any]:
        """For JSON: plain lists and strings only."""
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "first_hour": [step.to_dict() for step in self.first_hour],
            "later": [step.to_dict() for step in self.later],
            "dont": list(self.dont),
            "related": list(self.related),
        }


# --- structure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepPlan:
    """A step without its words."""

    id: str
    call: tuple[str, ...]
    tools: tuple[str, ...]
    first_hour: bool


@dataclass(frozen=True)
class PlaybookPlan:
    """A playbook without its words."""

    id: str
    steps: tuple[StepPlan, ...]
    related: tuple[str, ...]


def parse_structure(raw: Any) -> dict[str, PlaybookPlan]:
    """The playbooks in the language-neutral file, checked; every problem is reported at once."""
    problems: list[str] = []
    table = raw.get("playbooks") if isinstance(raw, Mapping) else None
    if not isinstance(table, Mapping):
        raise PlaybookError(["the file must hold a mapping 'playbooks' of playbook id to steps"])
    for stray in sorted(str(key) for key in table if key not in PLAYBOOK_IDS):
        problems.append(f"{stray}: not a playbook id ({', '.join(PLAYBOOK_IDS)})")
    plans: dict[str, PlaybookPlan] = {}
    for playbook_id in PLAYBOOK_IDS:
        entry = table.get(playbook_id)
        if not isinstance(entry, Mapping):
            problems.append(f"{playbook_id}: missing, or not a mapping")
            continue
        plan = _parse_playbook(playbook_id, entry, problems)
        if plan is not None:
            plans[playbook_id] = plan
    if problems:
        raise PlaybookError(problems)
    return plans


def _parse_playbook(
    playbook_id: str, entry: Mapping[Any, Any], problems: list[str]
) -> PlaybookPlan | None:
    before = len(problems)
    unknown = sorted(str(key) for key in entry if key not in _PLAYBOOK_KEYS)
    if unknown:
        problems.append(f"{playbook_id}: unknown field(s) {', '.join(unknown)}")
    steps: list[StepPlan] = []
    for part, first_hour, (fewest, most) in (
        ("first_hour", True, FIRST_HOUR_STEPS),
        ("later", False, LATER_STEPS),
    ):
        items = entry.get(part)
        if not isinstance(items, list) or not fewest <= len(items) <= most:
            problems.append(f"{playbook_id}.{part}: needs a list of {fewest} to {most} steps")
            continue
        for index, item in enumerate(items):
            step = _parse_step(f"{playbook_id}.{part}[{index}]", item, first_hour, problems)
            if step is not None:
                steps.append(step)
    ids = [step.id for step in steps]
    for twice in sorted({step_id for step_id in ids if ids.count(step_id) > 1}):
        problems.append(f"{playbook_id}: step id {twice!r} is used twice")
    related = entry.get("related", [])
    if not isinstance(related, list):
        problems.append(f"{playbook_id}.related: must be a list of playbook ids")
        related = []
    for other in related:
        if other not in PLAYBOOK_IDS or other == playbook_id:
            problems.append(f"{playbook_id}.related: {other!r} is not another playbook")
    if len(problems) > before:
        return None
    return PlaybookPlan(playbook_id, tuple(steps), tuple(related))


def _parse_step(where: str, item: Any, first_hour: bool, problems: list[str]) -> StepPlan | None:
    if not isinstance(item, Mapping):
        problems.append(f"{where}: must be a mapping with an id")
        return None
    unknown = sorted(str(key) for key in item if key not in _STEP_KEYS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    step_id = item.get("id")
    if not isinstance(step_id, str) or not _STEP_ID.match(step_id):
        problems.append(f"{where}: id must be lower-case words joined by '_'")
        return None
    call = _names(item.get("call", []), KINDS, f"{where} ({step_id}).call", problems)
    tools = _names(item.get("tools", []), TOOLS, f"{where} ({step_id}).tools", problems)
    return StepPlan(step_id, call, tools, first_hour)


def _names(value: Any, allowed: Sequence[str], where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list):
        problems.append(f"{where}: must be a list")
        return ()
    for name in value:
        if name not in allowed:
            problems.append(f"{where}: {name!r} is not one of {', '.join(allowed)}")
    return tuple(str(name) for name in value)


def load_structure(path: Path = STRUCTURE_PATH) -> dict[str, PlaybookPlan]:
    return parse_structure(read_yaml(path, PlaybookError))


@cache
def plans() -> dict[str, PlaybookPlan]:
    """The shipped structure (cached; do not change what it returns)."""
    return load_structure()


# --- words -----------------------------------------------------------------------------------


def _check_id(playbook_id: Any) -> str:
    if not isinstance(playbook_id, str) or playbook_id not in PLAYBOOK_IDS:
        raise UnknownPlaybook(playbook_id)
    return playbook_id


def _mapping(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PlaybookError([f"{where}: the text is missing"])
    return " ".join(value.split())  # folded YAML keeps a trailing newline; pages want one line


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PlaybookError([f"{where}: must be a list of texts"])
    return tuple(_text(item, f"{where}[{index}]") for index, item in enumerate(value))


def playbook(playbook_id: str, language: str = DEFAULT_LANGUAGE) -> Playbook:
    """One playbook in ``language`` (English for any text the language lacks).
    An unknown id: :class:`UnknownPlaybook`; an unknown language: :class:`ValueError`."""
    return _playbook(_check_id(playbook_id), language)


@cache
def _playbook(playbook_id: str, language: str) -> Playbook:
    from cyberbasics.texts import words

    plan = plans()[playbook_id]
    entry = _mapping(_mapping(words(WORDS_NAME, language).get("playbooks")).get(playbook_id))
    where = f"{language}: playbooks.{playbook_id}"
    step_words = _mapping(entry.get("steps"))
    steps = []
    for step in plan.steps:
        texts = _mapping(step_words.get(step.id))
        at = f"{where}.steps.{step.id}"
        steps.append(Step(
            id=step.id,
            do=_text(texts.get("do"), f"{at}.do"),
            why=_text(texts.get("why"), f"{at}.why"),
            dont=_texts(texts.get("dont"), f"{at}.dont"),
            call=step.call,
            tools=step.tools,
            first_hour=step.first_hour,
        ))
    return Playbook(
        id=playbook_id,
        title=_text(entry.get("title"), f"{where}.title"),
        summary=_text(entry.get("summary"), f"{where}.summary"),
        first_hour=tuple(step for step in steps if step.first_hour),
        later=tuple(step for step in steps if not step.first_hour),
        dont=_texts(entry.get("dont"), f"{where}.dont"),
        related=plan.related,
    )


def playbooks(language: str = DEFAULT_LANGUAGE) -> tuple[Playbook, ...]:
    """All eight playbooks in ``language``, in :data:`PLAYBOOK_IDS` order."""
    return tuple(playbook(playbook_id, language) for playbook_id in PLAYBOOK_IDS)


def playbook_words(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The labels the pages need ("In the first hour", "Then", "Do not", ...), one line each,
    with the tools' link texts under ``tools``."""
    from cyberbasics.texts import words

    text = words(WORDS_NAME, language)
    labels = {str(key): " ".join(str(value).split())
              for key, value in _mapping(text.get("labels")).items()}
    labels["tools"] = {tool: " ".join(str(_mapping(text.get("tools")).get(tool, tool)).split())
                       for tool in TOOLS}
    return labels
