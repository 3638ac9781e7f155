"""`applies_if` conditions: a tiny, safe language over the business profile and earlier
answers, so a micro business answers only what concerns it (docs/catalogue.md).

    business.card_payments is yes
    business.platforms has any of [microsoft365, google_workspace]
    business.size at least 5 and not answer.web.own_site is no

A condition that cannot be decided (a field the answers file does not give) is true: the
question is asked rather than silently skipped. Parsing never evaluates code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\s*(\[|\]|,|[A-Za-z0-9_.\-]+)")
_UNKNOWN = None  # three-valued logic: True, False, or not decidable


class ConditionError(ValueError):
    """An `applies_if` text that does not parse; the message says where."""


@dataclass(frozen=True)
class Test:
    subject: str  # "business.FIELD" or "answer.QUESTION_ID"
    operator: str  # "is", "has", "has any of", "at least"
    values: tuple[str, ...]

    def evaluate(self, business: Mapping[str, Any], answers: Mapping[str, str]) -> bool | None:
        kind, _, name = self.subject.partition(".")
        value = business.get(name) if kind == "business" else answers.get(name)
        if value is None:
            return _UNKNOWN
        if self.operator == "is":
            return _text(value) == self.values[0]
        if self.operator == "at least":
            try:
                return float(value) >= float(self.values[0])
            except (TypeError, ValueError):
                return _UNKNOWN
        items = {_text(v) for v in value} if isinstance(value, list | tuple) else {_text(value)}
        return bool(items & set(self.values))


@dataclass(frozen=True)
class Not:
    inner: Any

    def evaluate(self, business, answers):
        result = self.inner.evaluate(business, answers)
        return None if result is None else not result


@dataclass(frozen=True)
class All:
    parts: tuple[Any, ...]

    def evaluate(self, business, answers):
        results = [p.evaluate(business, answers) for p in self.parts]
        if False in results:
            return False
        return None if None in results else True


@dataclass(frozen=True)
class Any_:
    parts: tuple[Any, ...]

    def evaluate(self, business, answers):
        results = [p.evaluate(business, answers) for p in self.parts]
        if True in results:
            return True
        return None if None in results else False


def _text(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value).strip().lower()


def parse_condition(text: str):
    """The condition as a tree with `evaluate(business, answers) -> bool | None`."""
    tokens = _tokens(text)
    parser = _Parser(tokens, text)
    tree = parser.either()
    if parser.position != len(tokens):
        raise ConditionError(f"{text!r}: unexpected {tokens[parser.position]!r}")
    return tree


def tests_in(condition) -> list[Test]:
    """Every test in a condition tree, for checking its fields and values."""
    if isinstance(condition, Test):
        return [condition]
    if isinstance(condition, Not):
        return tests_in(condition.inner)
    return [t for part in condition.parts for t in tests_in(part)]


def applies(condition, business: Mapping[str, Any], answers: Mapping[str, str]) -> bool:
    """Whether a question applies: true unless the condition is decidedly false."""
    if condition is None:
        return True
    return condition.evaluate(business, answers) is not False


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ConditionError(f"{text!r}: cannot read {text[position:position + 12]!r}")
        tokens.append(match.group(1))
        position = match.end()
    if not tokens:
        raise ConditionError("an empty condition")
    return tokens


class _Parser:
    def __init__(self, tokens: list[str], text: str):
        self.tokens, self.text, self.position = tokens, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ConditionError(f"{self.text!r}: expected {expected or 'more'}, "
                                 f"found {token or 'the end'}")
        self.position += 1
        return token

    def either(self):
        parts = [self.every()]
        while self.peek() == "or":
            self.take()
            parts.append(self.every())
        return parts[0] if len(parts) == 1 else Any_(tuple(parts))

    def every(self):
        parts = [self.single()]
        while self.peek() == "and":
            self.take()
            parts.append(self.single())
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def single(self):
        if self.peek() == "not":
            self.take()
            return Not(self.single())
        subject = self.take()
        if not subject.startswith(("business.", "answer.")) or subject.endswith("."):
            raise ConditionError(f"{self.text!r}: {subject!r} is neither business.FIELD "
                                 "nor answer.QUESTION")
        word = self.take()
        if word == "is":
            return Test(subject, "is", (self.value(),))
        if word == "at":
            self.take("least")
            number = self.value()
            try:
                float(number)
            except ValueError:
                raise ConditionError(f"{self.text!r}: 'at least' needs a number") from None
            return Test(subject, "at least", (number,))
        if word == "has":
            if self.peek() == "any":
                self.take()
                self.take("of")
                return Test(subject, "has any of", self.values())
            return Test(subject, "has", (self.value(),))
        raise ConditionError(f"{self.text!r}: expected is, has or at least after {subject}")

    def value(self) -> str:
        token = self.take()
        if token in ("[", "]", ",", "and", "or", "not"):
            raise ConditionError(f"{self.text!r}: expected a value, found {token!r}")
        return token.lower()

    def values(self) -> tuple[str, ...]:
        self.take("[")
        found = [self.value()]
        while self.peek() == ",":
            self.take()
            found.append(self.value())
        self.take("]")
        return tuple(found)
