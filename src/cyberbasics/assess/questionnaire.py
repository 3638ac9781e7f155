"""The questionnaire's pure parts, shared by the terminal (`cli/questionnaire.py`) and the web
(`web/reviews/assessment.py`): its words with their plural forms, the kinds and values of the
business profile's fields, the words of a question's options, and which "how to find out"
helpers a business is shown (docs/questionnaire.md).

No input, no output, no files: every function takes what it needs and returns text or ids.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..texts import DEFAULT_LANGUAGE, fill, words
from .catalogue import DONT_KNOW, NOT_APPLICABLE, Catalogue, Question

# catalogue.yaml declares a list field and a one-of field the same way (their values); these
# take several values.
MULTIPLE = frozenset({"platforms"})
# Helpers that concern every business whatever its platforms (every office has a router).
EVERYONE_HAS = frozenset({"router"})
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}  # the EU's own codes for two ISO ones


# --- words -----------------------------------------------------------------------------------

def questionnaire_words(language: str) -> Mapping[str, Any]:
    """The questionnaire's words in `language`, English for every key it lacks."""
    return words("questionnaire", language)


def plural_form(language: str, count: int) -> str:
    """The plural category (CLDR, whole numbers) a count takes in a language."""
    if language == "pl":
        if count == 1:
            return "one"
        if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
            return "few"
        return "many"
    if language == "ro":
        if count == 1:
            return "one"
        if count == 0 or 1 <= count % 100 <= 19:
            return "few"
        return "other"
    return "one" if count == 1 else "other"


@dataclass(frozen=True)
class Words:
    """`words("progress", number=3, total=30)`; a key with plural forms takes `count`."""

    language: str = DEFAULT_LANGUAGE

    def get(self, key: str) -> Any:
        value: Any = questionnaire_words(self.language)
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return value

    def __call__(self, key: str, **params: Any) -> str:
        value = self.get(key)
        if isinstance(value, Mapping) and "count" in params:
            forms = value
            value = next((forms[f] for f in (plural_form(self.language, params["count"]),
                                             "other", "many", "one") if f in forms), None)
        if not isinstance(value, str):
            return key  # a key without words still shows, never crashes the run
        return fill(value.strip(), params)

    def label(self, key: str, fallback: str) -> str:
        """The words of `key`, or `fallback` when there are none."""
        text = self(key)
        return fallback if text == key else " ".join(text.split())


# --- the business profile ----------------------------------------------------------------------

def profile_kind(catalogue: Catalogue, name: str) -> str:
    """How a profile field is answered: one, many, number, yes_no or text."""
    kind = catalogue.profile.get(name, "text")
    if isinstance(kind, tuple):
        return "many" if name in MULTIPLE else "one"
    return {"number": "number", "yes_no": "yes_no"}.get(kind, "text")


def profile_choices(catalogue: Catalogue, name: str, language: str) -> list[tuple[str, str]]:
    """(value, words) of a one-of, several-of or yes/no field; [] for the others."""
    said = Words(language)
    kind = profile_kind(catalogue, name)
    if kind == "yes_no":
        return [("yes", said("yes")), ("no", said("no"))]
    if kind not in ("one", "many"):
        return []
    values = catalogue.profile.get(name) or ()
    return [(v, said.label(f"profile.{name}.values.{v}", v)) for v in values]


# --- the questions -----------------------------------------------------------------------------

def option_label(language: str, question: Question, option_id: str) -> str:
    """The words of one option of a question (its id when it has none)."""
    from .review import catalogue_words, word

    if option_id in (DONT_KNOW, NOT_APPLICABLE):
        return word(language, f"option.{option_id}", "text")
    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        entry = catalogue_words(lang).get(f"question.{question.id}") or {}
        text = (entry.get("options") or {}).get(option_id)
        if isinstance(text, str):
            return " ".join(text.split())
    return option_id


def question_text(language: str, question: Question) -> str:
    from .review import word

    return " ".join(word(language, f"question.{question.id}", "text").split())


def helper_text(language: str, question: Question, platform: str) -> str | None:
    """How to find out the answer on one platform, or None when there is no such text."""
    from .review import catalogue_words

    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        entry = catalogue_words(lang).get(f"question.{question.id}") or {}
        text = (entry.get("how_to_find_out") or {}).get(platform)
        if isinstance(text, str) and text.strip():
            return " ".join(text.split())
    return None


def helper_platforms(question: Question, business: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The platforms whose "how to find out" a business is shown, and whether they match its
    own: the question's helpers among `business.platforms` (and the router, which everyone
    has); every helper when the platforms are not given; every helper, unmatched, when none
    of them is the business's."""
    platforms = business.get("platforms")
    if not isinstance(platforms, list | tuple):
        return list(question.helpers), True
    mine = {str(p).strip().lower() for p in platforms} | EVERYONE_HAS
    shown = [p for p in question.helpers if p in mine]
    if not shown:
        return list(question.helpers), False
    return shown, True


def minutes_left(questions: Iterable[Question]) -> int:
    """The typical time the given questions take, rounded up to whole minutes (at least 1)."""
    return max(1, math.ceil(sum(q.minutes for q in questions)))
