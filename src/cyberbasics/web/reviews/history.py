"""The history of a business's reviews: every completed review with its date, score and band,
and what changed between consecutive ones.

The scores, areas and plans come from each review's stored `cyberbasics.result/1` document
(`Review.result`), so a later catalogue never rewrites the past; the comparison reuses the
review report's rules (`check_previous`, the change words). Answers come from each review's
own answers; what was done and verified in between comes from the action tracking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...assess.review import RESULT_SCHEMA, area_name, catalogue_words, to_result_json, word
from ...report.review_model import PreviousResultError, ReviewWords, check_previous
from ...report.safe_text import safe_text
from ..businesses.models import Business
from .core import catalogue, core_review
from .models import ActionItem, Review
from .plan import content_language


@dataclass(frozen=True)
class AreaMove:
    name: str
    before: int
    after: int
    delta: int
    delta_text: str


@dataclass(frozen=True)
class AnswerChange:
    question: str
    text: str
    before: str
    after: str


@dataclass
class Change:
    delta: int | None = None
    delta_text: str = ""
    up: list[AreaMove] = field(default_factory=list)
    down: list[AreaMove] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)  # in the earlier plan, not in this one
    new: list[str] = field(default_factory=list)  # in this plan, not in the earlier one
    done: list[str] = field(default_factory=list)  # marked done in between
    verified: list[str] = field(default_factory=list)  # confirmed by a scan in between
    answers: list[AnswerChange] = field(default_factory=list)
    problem: str = ""  # why the two cannot be compared

    @property
    def empty(self) -> bool:
        return not (self.delta or self.up or self.down or self.closed or self.new
                    or self.done or self.verified or self.answers or self.problem)


@dataclass
class Entry:
    review: Review
    date: dt.datetime
    score: int | None
    band_name: str
    action_count: int
    change: Change | None  # None for the first review


@dataclass
class History:
    entries: list[Entry]  # newest first
    since_latest: Change | None  # done and verified after the latest review


def stored_result(review: Review, language: str) -> Mapping[str, Any]:
    """The review's `cyberbasics.result/1` document: the one kept at completion, else worked
    out now (an older row without one)."""
    if isinstance(review.result, Mapping) and review.result.get("schema") == RESULT_SCHEMA:
        return review.result
    return to_result_json(core_review(review, language))


def _title(language: str, action: Mapping[str, Any]) -> str:
    action_id = str(action.get("id"))
    title = word(language, f"action.{action_id}", "title")
    if title == f"action.{action_id}":  # no longer in the catalogue: its title then
        title = str(action.get("title") or action_id)
    return safe_text(" ".join(title.split()))


def _option_text(language: str, question: str, option: str | None) -> str:
    if option is None:
        return ""
    if option in ("dont_know", "not_applicable"):
        return word(language, f"option.{option}", "text")
    entry = catalogue_words(language).get(f"question.{question}") or {}
    text = (entry.get("options") or {}).get(option)
    return " ".join(text.split()) if isinstance(text, str) else safe_text(option)


def _answers(review: Review) -> dict[str, str]:
    return dict(review.answers.values_list("question", "option"))


def _tracking(business: Business, language: str, after: dt.datetime | None,
              until: dt.datetime | None) -> tuple[list[str], list[str]]:
    """Titles of the actions marked done, and of those a scan verified, in (after, until]."""
    def window(name: str):
        query = {f"{name}__isnull": False}
        if after is not None:
            query[f"{name}__gt"] = after
        if until is not None:
            query[f"{name}__lte"] = until
        return business.actions.filter(**query).order_by(name)

    verified_items = list(window("verified_at").filter(status=ActionItem.Status.VERIFIED))
    seen = {item.pk for item in verified_items}
    done = [_title(language, {"id": item.action}) for item in window("done_at").filter(
        status__in=(ActionItem.Status.DONE, ActionItem.Status.VERIFIED)) if item.pk not in seen]
    return done, [_title(language, {"id": item.action}) for item in verified_items]


def compare(before: Mapping[str, Any], after: Mapping[str, Any], language: str) -> Change:
    """What changed from the result `before` to the result `after` (both result/1)."""
    t = ReviewWords(language)
    try:
        check_previous(before)
        check_previous(after)
    except PreviousResultError as exc:
        return Change(problem=str(exc))
    was, now = before["overall"].get("score"), after["overall"].get("score")
    delta = None if was is None or now is None else now - was
    change = Change(delta=delta, delta_text=t.change(delta))
    earlier = {(a["id"], a.get("source", "answers")): a.get("score") for a in before["areas"]}
    for area in after["areas"]:
        source = area.get("source", "answers")
        old, new = earlier.get((area["id"], source)), area.get("score")
        if old is None or new is None or old == new:
            continue
        move = AreaMove(area_name(language, area["id"], source), old, new, new - old,
                        t.change(new - old))
        (change.up if new > old else change.down).append(move)
    before_ids = {a["id"] for a in before["actions"]}
    after_ids = {a["id"] for a in after["actions"]}
    change.closed = [_title(language, a) for a in before["actions"] if a["id"] not in after_ids]
    change.new = [_title(language, a) for a in after["actions"] if a["id"] not in before_ids]
    return change


def _answer_changes(before: Review, after: Review, language: str) -> list[AnswerChange]:
    old, new = _answers(before), _answers(after)
    order = [q.id for q in catalogue().questions]
    changed = [q for q in dict.fromkeys([*order, *old, *new]) if old.get(q) != new.get(q)
               and (q in old or q in new)]
    return [AnswerChange(q, " ".join(word(language, f"question.{q}", "text").split()),
                         _option_text(language, q, old.get(q)),
                         _option_text(language, q, new.get(q))) for q in changed]


def review_history(business: Business, language: str | None = None) -> History:
    """Every completed review of `business`, newest first, each with what changed since the
    one before it."""
    lang = content_language(language)
    t = ReviewWords(lang)
    reviews = list(business.reviews.filter(completed_at__isnull=False).order_by("completed_at"))
    entries: list[Entry] = []
    previous: tuple[Review, Mapping[str, Any]] | None = None
    for review in reviews:
        result = stored_result(review, lang)
        overall = result.get("overall") or {}
        change = None
        if previous is not None:
            earlier, earlier_result = previous
            change = compare(earlier_result, result, lang)
            change.done, change.verified = _tracking(business, lang, earlier.completed_at,
                                                     review.completed_at)
            change.answers = _answer_changes(earlier, review, lang)
        band = overall.get("band")
        entries.append(Entry(review, review.completed_at, overall.get("score"),
                             t.band(band if isinstance(band, str) else None),
                             len(result.get("actions") or []), change))
        previous = (review, result)
    since = None
    if previous is not None:
        done, verified = _tracking(business, lang, previous[0].completed_at, None)
        if done or verified:
            since = Change(done=done, verified=verified)
    entries.reverse()
    return History(entries, since)
