"""Frameworks as readiness targets: their requirements and typed crosswalk links to our basic
controls, loaded from `content/catalogue/frameworks/<id>.yaml` into frozen dataclasses, checked
as a whole, and turned into a readiness result from the state of each control
(docs/frameworks.md).

We say *readiness*, never "compliant": a result says how far our review evidences each
requirement and whether we predict the business is ready, nothing more.

`load_frameworks()` returns the shipped frameworks; `framework_problems()` lists everything
wrong with them and their words; `readiness()` is pure: the same framework and control states
always give the same result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..texts import CONTENT_DIR, DEFAULT_LANGUAGE, LANGUAGES, _catalogue
from .catalogue import STATUSES, duplicate_ids

FRAMEWORKS_DIR = CONTENT_DIR / "catalogue" / "frameworks"

# Relations read "our control <relation> the requirement": `superset` means our control covers
# all of the requirement and more; `subset` means it covers only a part of it.
EQUAL, SUBSET, SUPERSET, INTERSECT = "equal", "subset", "superset", "intersect"
RELATIONS = (EQUAL, SUBSET, SUPERSET, INTERSECT)
FULL = frozenset({EQUAL, SUPERSET})        # a met control meets the requirement
WITHIN = frozenset({EQUAL, SUBSET})        # a missing control leaves part of it missing

MET, PARTLY, NOT_MET, UNKNOWN = "met", "partly", "not_met", "unknown"
STATES = (MET, PARTLY, NOT_MET, UNKNOWN)
IN_SCOPE, OUT_OF_SCOPE = "in", "out"
SCOPES = (IN_SCOPE, OUT_OF_SCOPE)
READY, NOT_READY, CANNOT_PREDICT = "ready", "not_ready", "cannot_predict"
SOURCE_FIELDS = ("title", "url", "version", "retrieved")


class FrameworkError(ValueError):
    """A framework file cannot be read at all (the message names the file)."""


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    version: str
    retrieved: str                 # ISO date the identifiers were read
    read: tuple[str, ...] = ()     # the stored documents the identifiers were read from
    licence: str = ""


@dataclass(frozen=True)
class Group:
    """A heading that holds requirements (a CSF function or category, a CIS Control, a
    Cyber Essentials theme, a GDPR article). Groups are not judged."""
    id: str
    parent: str | None = None


@dataclass(frozen=True)
class Requirement:
    id: str
    group: str | None = None
    blocker: bool = False          # failing it fails the whole framework (an auto-fail)
    scope: str = IN_SCOPE          # "out": listed, counted apart, never judged


@dataclass(frozen=True)
class Link:
    requirement: str
    control: str
    relation: str                  # our control <relation> the requirement


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    source: Source
    requirements: tuple[Requirement, ...]
    crosswalk: tuple[Link, ...]
    groups: tuple[Group, ...] = ()
    missing: tuple[str, ...] = ()  # in the source but not shipped: we could not verify them

    def requirement(self, requirement_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)

    def links(self, requirement_id: str) -> tuple[Link, ...]:
        return tuple(link for link in self.crosswalk if link.requirement == requirement_id)


@dataclass(frozen=True)
class RequirementResult:
    id: str
    state: str                     # met | partly | not_met | unknown
    blocker: bool
    in_scope: bool
    shortfall: bool                # a control it contains is missing or only partly there
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Readiness:
    framework: str
    prediction: str                # ready | not_ready | cannot_predict
    requirements: tuple[RequirementResult, ...]
    counts: Mapping[str, int] = field(default_factory=dict)   # in scope, by state
    out_of_scope: int = 0
    blockers_not_met: tuple[str, ...] = ()
    shortfalls: tuple[str, ...] = ()
    not_evidenced: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


# --- loading ----------------------------------------------------------------------------------

def framework_files() -> list[Path]:
    return sorted(FRAMEWORKS_DIR.glob("*.yaml"))


def _read(path: Path) -> Any:
    import yaml

    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise FrameworkError(f"{path}: {exc}") from None


@cache
def load_frameworks() -> tuple[Framework, ...]:
    """Every framework shipped in the package, in file-name order (cached). Raises
    FrameworkError when a file is not the expected shape; `framework_problems` finds the rest."""
    return tuple(_framework(path, _read(path)) for path in framework_files())


def load_framework(framework_id: str) -> Framework:
    for framework in load_frameworks():
        if framework.id == framework_id:
            return framework
    raise KeyError(f"no framework {framework_id!r}")


def _framework(path: Path, raw: Any) -> Framework:
    try:
        source = raw["source"]
        return Framework(
            id=str(raw["id"]),
            name=str(raw["name"]),
            source=Source(
                title=str(source.get("title") or ""), url=str(source.get("url") or ""),
                version=str(source.get("version") or ""),
                retrieved=str(source.get("retrieved") or ""),
                read=tuple(str(r) for r in source.get("read") or ()),
                licence=str(source.get("licence") or "")),
            groups=tuple(Group(str(g["id"]), _optional(g.get("parent")))
                         for g in raw.get("groups") or ()),
            requirements=tuple(
                Requirement(str(r["id"]), _optional(r.get("group")),
                            bool(r.get("blocker", False)), str(r.get("scope", IN_SCOPE)))
                for r in raw["requirements"]),
            crosswalk=tuple(Link(str(c["requirement"]), str(c["control"]), str(c["relation"]))
                            for c in raw.get("crosswalk") or ()),
            missing=tuple(str(m) for m in raw.get("missing") or ()))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise FrameworkError(f"{path}: an entry is missing or malformed: {exc!r}") from None


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


# --- validation -------------------------------------------------------------------------------

def framework_problems(control_ids: Iterable[str],
                       languages: Iterable[str] = LANGUAGES) -> list[str]:
    """Everything wrong with the shipped frameworks and their words, one message each (empty:
    fine). `control_ids` are the basic controls of the catalogue (the crosswalk's targets)."""
    try:
        frameworks = load_frameworks()
    except FrameworkError as exc:
        return [str(exc)]
    controls = set(control_ids)
    problems = duplicate_ids("framework", [f.id for f in frameworks])
    files = {path.stem for path in framework_files()}
    for framework in frameworks:
        if framework.id not in files:
            problems.append(f"framework {framework.id}: its file must be named "
                            f"{framework.id}.yaml")
        problems += structure_problems(framework, controls)
    english = _words(DEFAULT_LANGUAGE)
    for language in languages:
        problems += word_problems(frameworks, language, english)
    return problems


def structure_problems(framework: Framework, controls: set[str]) -> list[str]:
    where = f"framework {framework.id}"
    problems = [f"{where}: source needs a {name}" for name in SOURCE_FIELDS
                if not getattr(framework.source, name).strip()]
    if framework.source.retrieved.strip():
        try:
            dt.date.fromisoformat(framework.source.retrieved)
        except ValueError:
            problems.append(f"{where}: source retrieved must be a date (YYYY-MM-DD)")
    if not framework.requirements:
        problems.append(f"{where}: has no requirement")
    problems += duplicate_ids(f"{where}: group", [g.id for g in framework.groups])
    problems += duplicate_ids(f"{where}: requirement", [r.id for r in framework.requirements])
    groups = {g.id for g in framework.groups}
    requirements = {r.id for r in framework.requirements}
    for group in framework.groups:
        if group.parent is not None and group.parent not in groups:
            problems.append(f"{where}: group {group.id}: unknown parent {group.parent}")
    for requirement in framework.requirements:
        if requirement.group is not None and requirement.group not in groups:
            problems.append(f"{where}: requirement {requirement.id}: unknown group "
                            f"{requirement.group}")
        if requirement.scope not in SCOPES:
            problems.append(f"{where}: requirement {requirement.id}: scope must be "
                            f"{' or '.join(SCOPES)}")
        elif requirement.blocker and requirement.scope == OUT_OF_SCOPE:
            problems.append(f"{where}: requirement {requirement.id}: a blocker cannot be out "
                            "of scope")
    for missing in framework.missing:
        if missing in requirements:
            problems.append(f"{where}: {missing} is both shipped and listed as missing")
    seen: set[tuple[str, str]] = set()
    for link in framework.crosswalk:
        at = f"{where}: link {link.requirement} -> {link.control}"
        if link.requirement not in requirements:
            problems.append(f"{at}: unknown requirement {link.requirement}")
        if link.control not in controls:
            problems.append(f"{at}: unknown control {link.control}")
        if link.relation not in RELATIONS:
            problems.append(f"{at}: relation must be one of {', '.join(RELATIONS)}, "
                            f"not {link.relation}")
        if (link.requirement, link.control) in seen:
            problems.append(f"{at}: is defined twice")
        seen.add((link.requirement, link.control))
    return problems


def _words(language: str) -> Mapping[str, Any]:
    return _catalogue(language, "frameworks")  # this language's own texts, no fallback


def expected_words(frameworks: Iterable[Framework]) -> dict[str, tuple[str, ...]]:
    """Text key -> the texts it must hold."""
    expected: dict[str, tuple[str, ...]] = {}
    for framework in frameworks:
        expected[f"framework.{framework.id}"] = ("name", "about")
        for group in framework.groups:
            expected[f"group.{framework.id}.{group.id}"] = ("title",)
        for requirement in framework.requirements:
            expected[f"requirement.{framework.id}.{requirement.id}"] = ("title",)
    return expected


def word_problems(frameworks: Iterable[Framework], language: str, english: dict[str, Any],
                  words: dict[str, Any] | None = None) -> list[str]:
    """Every language holds every text, each with a status; a translation is not the English
    text, except a framework's name (an official name such as "UK Cyber Essentials")."""
    if words is None:
        words = english if language == DEFAULT_LANGUAGE else _words(language)
    translated = language != DEFAULT_LANGUAGE
    problems = []
    for key, names in expected_words(frameworks).items():
        entry = words.get(key)
        if not isinstance(entry, dict):
            problems.append(f"{language}: no texts for {key}")
            continue
        if entry.get("status") not in STATUSES:
            problems.append(f"{language}: {key} needs a status (draft or reviewed)")
        for name in names:
            text = entry.get(name)
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{language}: {key} {name} is missing")
            elif (translated and text == (english.get(key) or {}).get(name)
                  and not (key.startswith("framework.") and name == "name")):
                problems.append(f"{language}: {key} {name} is the English text, "
                                "not a translation")
    return problems


# --- readiness --------------------------------------------------------------------------------

def requirement_state(links: Iterable[Link],
                      control_states: Mapping[str, str]) -> tuple[str, bool]:
    """(state, shortfall) of one requirement from its links (docs/frameworks.md):

    * met: a control that covers all of it (equal, or superset) is met, and no control it
      contains is missing;
    * not_met: a control it contains (equal, or subset) is not met, and no linked control is
      even partly in place;
    * partly: any other evidence that something of it is in place;
    * unknown: no link, or nothing known (a superset or intersect control that is not met says
      nothing about the requirement).

    shortfall: a control it contains (equal, or subset) is not met or only partly met, so some
    of the requirement is known to be missing."""
    links = tuple(links)
    state = {link.control: control_states.get(link.control, UNKNOWN) for link in links}
    full_met = any(link.relation in FULL and state[link.control] == MET for link in links)
    missing = any(link.relation in WITHIN and state[link.control] == NOT_MET for link in links)
    shortfall = any(link.relation in WITHIN and state[link.control] in (NOT_MET, PARTLY)
                    for link in links)
    positive = any(state[link.control] in (MET, PARTLY) for link in links)
    if full_met and not shortfall:
        return MET, False
    if missing and not positive:
        return NOT_MET, True
    if positive:
        return PARTLY, shortfall
    return UNKNOWN, shortfall


def readiness(framework: Framework, control_states: Mapping[str, str]) -> Readiness:
    """How far the controls' states evidence each requirement, and the prediction:

    * not_ready when a blocker is not met (whatever the reason, unknown included) or an
      in-scope requirement has a shortfall (some of it is known to be missing);
    * ready when neither holds and the framework file holds all of its source's requirements;
    * cannot_predict otherwise (some requirements of the source are not shipped).

    Requirements we cannot evidence (unknown) do not stop a prediction of ready but are listed
    in `not_evidenced`; a control missing from `control_states` is unknown."""
    bad = {c: s for c, s in control_states.items() if s not in STATES}
    if bad:
        raise ValueError(f"control states must be one of {', '.join(STATES)}: {bad}")
    results = []
    for requirement in framework.requirements:
        links = framework.links(requirement.id)
        state, shortfall = requirement_state(links, control_states)
        results.append(RequirementResult(requirement.id, state, requirement.blocker,
                                         requirement.scope == IN_SCOPE, shortfall, links))
    in_scope = [r for r in results if r.in_scope]
    counts = {state: sum(1 for r in in_scope if r.state == state) for state in STATES}
    blockers_not_met = tuple(r.id for r in in_scope if r.blocker and r.state != MET)
    shortfalls = tuple(r.id for r in in_scope if r.shortfall)
    if blockers_not_met or shortfalls:
        prediction = NOT_READY
    elif framework.missing:
        prediction = CANNOT_PREDICT
    else:
        prediction = READY
    return Readiness(
        framework=framework.id, prediction=prediction, requirements=tuple(results),
        counts=counts, out_of_scope=len(results) - len(in_scope),
        blockers_not_met=blockers_not_met, shortfalls=shortfalls,
        not_evidenced=tuple(r.id for r in in_scope if r.state == UNKNOWN),
        missing=framework.missing)
