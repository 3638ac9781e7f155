"""The inside-view catalogue: areas, basic controls, questions and actions, loaded from the
package's YAML files into frozen dataclasses and checked as a whole (docs/catalogue.md).

`load_catalogue()` returns the structure; `catalogue_problems()` lists everything wrong
with the structure and the words of every language, so `cyberbasics catalogue check` and the
tests say exactly what to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from ..texts import CONTENT_DIR, DEFAULT_LANGUAGE, LANGUAGES, _catalogue
from .conditions import ConditionError, parse_condition, tests_in

CATALOGUE_DIR = CONTENT_DIR / "catalogue"
PLATFORMS = ("microsoft365", "google_workspace", "windows", "macos", "mobile", "router")
COST_BANDS = ("free", "under_100", "under_1000", "more")
VALUES = (1, 0.5, 0)
DONT_KNOW, NOT_APPLICABLE = "dont_know", "not_applicable"
STATUSES = ("draft", "reviewed")


class CatalogueError(ValueError):
    """The catalogue files cannot be read at all (the message names the file)."""


@dataclass(frozen=True)
class Area:
    id: str
    weight: int


@dataclass(frozen=True)
class Control:
    id: str
    area: str
    weight: int
    critical: bool = False


@dataclass(frozen=True)
class Option:
    id: str
    value: float | None  # None: dont_know and not_applicable


@dataclass(frozen=True)
class Question:
    id: str
    control: str
    weight: int
    minutes: float
    options: tuple[Option, ...]
    applies_if: str | None = None
    helpers: tuple[str, ...] = ()
    scan_checks: tuple[str, ...] = ()
    condition: Any = field(default=None, compare=False, repr=False)

    def option(self, option_id: str) -> Option | None:
        for option in self.options:  # a handful: a scan beats building an index
            if option.id == option_id:
                return option
        return None


@dataclass(frozen=True)
class Action:
    id: str
    control: str
    effort_minutes: int
    cost_band: str
    quick_win: bool
    verify_by: tuple[str, str]  # ("question", id) | ("check", id) | ("evidence", "")
    helpers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    version: str
    areas: tuple[Area, ...]
    controls: tuple[Control, ...]
    questions: tuple[Question, ...]
    actions: tuple[Action, ...]
    # business profile field -> "number", "yes_no" or the tuple of its values
    profile: Mapping[str, Any] = field(default_factory=dict)
    scan_areas: tuple[Area, ...] = ()  # the outside view's areas and their risk weights

    # Indexes, built on first use (thousands of assessments look ids up millions of times).
    @cached_property
    def _areas(self) -> dict[str, Area]:
        return {a.id: a for a in self.areas}

    @cached_property
    def _controls(self) -> dict[str, Control]:
        return {c.id: c for c in self.controls}

    @cached_property
    def _questions(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def controls_by_area(self) -> dict[str, tuple[Control, ...]]:
        return {a.id: tuple(c for c in self.controls if c.area == a.id) for a in self.areas}

    def area(self, area_id: str) -> Area:
        return self._areas[area_id]

    def control(self, control_id: str) -> Control:
        return self._controls[control_id]

    def question(self, question_id: str) -> Question | None:
        return self._questions.get(question_id)

    def area_of(self, question: Question) -> str:
        return self.control(question.control).area

    def critical(self, question: Question) -> bool:
        return self.control(question.control).critical


def _read(name: str) -> Any:
    import yaml

    path = CATALOGUE_DIR / name
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: {exc}") from None


@cache
def load_catalogue() -> Catalogue:
    """The catalogue shipped in the package (cached). Raises CatalogueError when a file is
    missing or is not the expected shape; `catalogue_problems` finds everything else."""
    head = _read("catalogue.yaml")
    try:
        areas = tuple(Area(str(a["id"]), int(a["weight"])) for a in head["areas"])
        controls = tuple(Control(str(c["id"]), str(c["area"]), int(c["weight"]),
                                 bool(c.get("critical", False))) for c in _read("controls.yaml"))
        questions = tuple(_question(q) for q in _read("questions.yaml"))
        actions = tuple(_action(a) for a in _read("actions.yaml"))
        profile = {str(k): (tuple(str(x) for x in v) if isinstance(v, list) else str(v))
                   for k, v in (head.get("profile") or {}).items()}
        scan_areas = tuple(Area(str(a["id"]), int(a["weight"]))
                           for a in head.get("scan_areas") or [])
        return Catalogue(str(head["version"]), areas, controls, questions, actions, profile,
                         scan_areas)
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogueError(f"{CATALOGUE_DIR}: an entry is missing or malformed: "
                             f"{exc!r}") from None


def _question(raw: dict) -> Question:
    options = [Option(str(o["id"]), o["value"]) for o in raw["options"]]
    if raw.get("not_applicable"):
        options.append(Option(NOT_APPLICABLE, None))
    options.append(Option(DONT_KNOW, None))
    condition = None
    if raw.get("applies_if"):
        try:
            condition = parse_condition(str(raw["applies_if"]))
        except ConditionError:
            condition = None  # reported by catalogue_problems
    return Question(str(raw["id"]), str(raw["control"]), int(raw.get("weight", 1)),
                    float(raw["minutes"]), tuple(options), raw.get("applies_if"),
                    tuple(raw.get("helpers") or ()), tuple(raw.get("scan_checks") or ()),
                    condition)


def _action(raw: dict) -> Action:
    verify = raw["verify_by"]
    (kind, target), = verify.items()
    return Action(str(raw["id"]), str(raw["control"]), int(raw["effort_minutes"]),
                  str(raw["cost_band"]), bool(raw.get("quick_win", False)),
                  (str(kind), "" if target is True else str(target)),
                  tuple(raw.get("helpers") or ()))


# --- validation -------------------------------------------------------------------------------

def catalogue_problems(languages: Iterable[str] = LANGUAGES) -> list[str]:
    """Everything wrong with the catalogue and its words, one message each (empty: fine)."""
    try:
        catalogue = load_catalogue()
    except CatalogueError as exc:
        return [str(exc)]
    problems = _structure_problems(catalogue)
    english = _words(DEFAULT_LANGUAGE)
    languages = list(languages)
    for language in languages:
        problems += _word_problems(catalogue, language, english)
    from .frameworks import framework_problems

    problems += framework_problems({c.id for c in catalogue.controls}, languages)
    return problems


def duplicate_ids(kind: str, ids: list[str]) -> list[str]:
    seen, problems = set(), []
    for item in ids:
        if item in seen:
            problems.append(f"{kind} {item} is defined twice")
        seen.add(item)
    return problems


def _structure_problems(cat: Catalogue) -> list[str]:
    from ..scan.registry import all_checks

    checks = {c.id for c in all_checks()}
    problems = []
    for kind, items in (("area", cat.areas), ("control", cat.controls),
                        ("question", cat.questions), ("action", cat.actions)):
        problems += duplicate_ids(kind, [i.id for i in items])
    areas = {a.id for a in cat.areas}
    controls = {c.id for c in cat.controls}
    questions = {q.id for q in cat.questions}
    for control in cat.controls:
        if control.area not in areas:
            problems.append(f"control {control.id}: unknown area {control.area}")
    for question in cat.questions:
        problems += _question_problems(question, controls, checks)
        problems += _condition_problems(question, cat)
    for action in cat.actions:
        problems += _action_problems(action, controls, questions, checks)
    for area in areas - {c.area for c in cat.controls}:
        problems.append(f"area {area} has no control")
    for control in controls - {q.control for q in cat.questions}:
        problems.append(f"control {control} has no question")
    for control in controls - {a.control for a in cat.actions}:
        problems.append(f"control {control} has no action")
    return problems


def _question_problems(question: Question, controls: set[str], checks: set[str]) -> list[str]:
    where = f"question {question.id}"
    problems = []
    if question.control not in controls:
        problems.append(f"{where}: unknown control {question.control}")
    values = [o.value for o in question.options if o.id not in (DONT_KNOW, NOT_APPLICABLE)]
    if any(v not in VALUES for v in values):
        problems.append(f"{where}: option values must be 1, 0.5 or 0, not {values}")
    if 1 not in values or 0 not in values:
        problems.append(f"{where}: needs an option worth 1 and one worth 0")
    problems += duplicate_ids(f"{where}: option", [o.id for o in question.options])
    if question.applies_if:
        try:
            parse_condition(question.applies_if)
        except ConditionError as exc:
            problems.append(f"{where}: applies_if: {exc}")
    if not 0 < question.minutes <= 10:
        problems.append(f"{where}: minutes must be above 0 and at most 10")
    problems += [f"{where}: unknown platform {p}" for p in question.helpers
                 if p not in PLATFORMS]
    problems += [f"{where}: unknown scan check {c}" for c in question.scan_checks
                 if c not in checks]
    return problems


def _condition_problems(question: Question, cat: Catalogue) -> list[str]:
    """Fields and values of applies_if: a typo would make a condition undecidable, and the
    question silently always asked."""
    if not question.applies_if:
        return []
    try:
        condition = parse_condition(question.applies_if)
    except ConditionError:
        return []  # reported with the question
    where = f"question {question.id}: applies_if"
    problems = []
    for test in tests_in(condition):
        kind, _, name = test.subject.partition(".")
        if kind == "business":
            kind_of = cat.profile.get(name)
            if kind_of is None:
                problems.append(f"{where}: business.{name} is not a profile field")
            elif isinstance(kind_of, tuple):
                problems += [f"{where}: {v!r} is not a value of business.{name}"
                             for v in test.values if v not in kind_of]
            elif kind_of == "yes_no" and any(v not in ("yes", "no") for v in test.values):
                problems.append(f"{where}: business.{name} is yes or no")
            elif (kind_of == "number") != (test.operator == "at least"):
                problems.append(f"{where}: use 'at least' with numbers, and only with them")
        else:
            earlier = cat.question(name)
            if earlier is None:
                problems.append(f"{where}: answer.{name} is not a question")
            else:
                problems += [f"{where}: {v!r} is not an option of {name}" for v in test.values
                             if earlier.option(v) is None]
    return problems


def _action_problems(action: Action, controls: set[str], questions: set[str],
                     checks: set[str]) -> list[str]:
    where = f"action {action.id}"
    problems = []
    if action.control not in controls:
        problems.append(f"{where}: unknown control {action.control}")
    if action.cost_band not in COST_BANDS:
        problems.append(f"{where}: cost_band must be one of {', '.join(COST_BANDS)}")
    if action.effort_minutes <= 0:
        problems.append(f"{where}: effort_minutes must be positive")
    kind, target = action.verify_by
    if kind == "question" and target not in questions:
        problems.append(f"{where}: verify_by names unknown question {target}")
    elif kind == "check" and target not in checks:
        problems.append(f"{where}: verify_by names unknown scan check {target}")
    elif kind not in ("question", "check", "evidence"):
        problems.append(f"{where}: verify_by is question, check or evidence")
    problems += [f"{where}: unknown platform {p}" for p in action.helpers if p not in PLATFORMS]
    return problems


def _words(language: str) -> Mapping[str, Any]:
    return _catalogue(language, "catalogue")  # this language's own texts, no fallback


def _expected_words(cat: Catalogue) -> dict[str, list[tuple[str, ...]]]:
    """Text key -> the paths of the texts it must hold."""
    expected: dict[str, list[tuple[str, ...]]] = {
        "option.dont_know": [("text",)], "option.not_applicable": [("text",)]}
    for area in cat.areas:
        expected[f"area.{area.id}"] = [("name",)]
    for control in cat.controls:
        expected[f"control.{control.id}"] = [("name",)]
    for question in cat.questions:
        paths = [("text",)]
        paths += [("options", o.id) for o in question.options
                  if o.id not in (DONT_KNOW, NOT_APPLICABLE)]
        paths += [("how_to_find_out", p) for p in question.helpers]
        expected[f"question.{question.id}"] = paths
    for action in cat.actions:
        paths = [("title",), ("why",)] + [("how", p) for p in action.helpers]
        expected[f"action.{action.id}"] = paths
    return expected


def _word_problems(cat: Catalogue, language: str, english: dict[str, Any],
                   words: dict[str, Any] | None = None) -> list[str]:
    if words is None:
        words = english if language == DEFAULT_LANGUAGE else _words(language)
    problems = []
    for key, paths in _expected_words(cat).items():
        entry = words.get(key)
        if not isinstance(entry, dict):
            problems.append(f"{language}: no texts for {key}")
            continue
        if entry.get("status") not in STATUSES:
            problems.append(f"{language}: {key} needs a status (draft or reviewed)")
        for path in paths:
            text = _at(entry, path)
            where = f"{language}: {key} {'.'.join(path)}"
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{where} is missing")
            elif language != DEFAULT_LANGUAGE and text == _at(english.get(key) or {}, path):
                problems.append(f"{where} is the English text, not a translation")
    return problems


def _at(entry: dict, path: tuple[str, ...]) -> Any:
    value: Any = entry
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def catalogue_files() -> list[Path]:
    return sorted(CATALOGUE_DIR.glob("*.yaml"))
