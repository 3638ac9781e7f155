"""The review report's one model: everything the HTML page, the PDF, the CSV and the JSON show,
worked out once from a :class:`~cyberbasics.assess.review.Review`, in the review's language.

``build_report(review, previous=..., branding=..., date=...)`` gives a :class:`ReviewReport`
(frozen dataclasses): the business and the date, the overall score and band (and why it is
held at 59), the areas, the top five actions then the rest by area (each with why it matters
and how to do it on the business's own platforms), readiness against each framework (we say
*readiness*, never "compliant"), the answers the scan disagreed with, the things the owner did
not know, the scan's findings for the advisors' appendix, and the change since a previous
review (a ``cyberbasics.result/1`` document) when one is given.

Every text that comes from outside (the business's name, notes, a scan's summaries and
evidence, a previous result) goes through :func:`safe_text`; the renderers escape the rest.
The interface words live in ``content/<lang>/review.yaml`` (English for any key a language
lacks); grade, status and band names are shared with the scan report (``report.yaml``).
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from ..assess.review import RESULT_SCHEMA, Review, area_name, catalogue_words, to_result_json, word
from ..texts import DEFAULT_LANGUAGE, MissingText, fill, words
from .safe_text import safe_text
from .wording import Words

CATALOGUE = "review"
TOP = 5
# Platforms with "how to" texts (assess.catalogue.PLATFORMS); a router is in every office.
ALWAYS_SHOWN_PLATFORMS = ("router",)
MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_PIXELS = 4096  # each side
MAX_BRAND_NAME = 120
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCAN_AREA_ORDER = ("domain", "email", "web", "services", "vulns")
_STATUS_RANK = {"fail": 0, "warn": 1, "error": 2, "pass": 3, "info": 4}
_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


class BrandingError(ValueError):
    """The advisor's branding cannot be used (the message says why)."""


class PreviousResultError(ValueError):
    """The previous review cannot be compared with this one (the message says why)."""


# --- words ------------------------------------------------------------------------------------

@cache
def review_texts(language: str = DEFAULT_LANGUAGE) -> Mapping[str, Any]:
    """Every review-report word in ``language``, English where it has none (nested tables
    merged entry by entry)."""
    return {key: value for key, value in words(CATALOGUE, language).items()
            if not str(key).startswith("_")}


@dataclass(frozen=True)
class ReviewWords:
    """The review report's words in one language: ``t("score_line", score=53)``; the scan
    report's shared tables (bands, status, severity, outside areas) through ``t.report``."""

    language: str = DEFAULT_LANGUAGE

    @property
    def texts(self) -> Mapping[str, Any]:
        return review_texts(self.language)

    @property
    def report(self) -> Words:
        return Words(self.language)

    def __call__(self, key: str, **params: Any) -> str:
        text = self.texts.get(key)
        if not isinstance(text, str):
            raise MissingText(f"no review report text {key!r}")
        return fill(" ".join(text.split()), params)

    def entry(self, table: str, key: str) -> str:
        value = (self.texts.get(table) or {}).get(key)
        return " ".join(value.split()) if isinstance(value, str) else str(key)

    def band(self, band: str | None) -> str:
        return self.report.entry("bands", band) if band else self("no_band")

    def date(self, day: dt.date) -> str:
        months = self.texts.get("months") or []
        month = months[day.month - 1] if len(months) == 12 else str(day.month)
        return self("date_format", day=day.day, month=month, year=day.year)

    def change(self, delta: int | None) -> str:
        if delta is None:
            return self("change_unknown")
        if delta > 0:
            return self("change_up", points=delta)
        if delta < 0:
            return self("change_down", points=-delta)
        return self("change_same")


def framework_word(language: str, key: str, field: str, default: str) -> str:
    """A framework text in ``language``, else English, else ``default``."""
    entry = words("frameworks", language).get(key)
    if isinstance(entry, Mapping) and isinstance(entry.get(field), str) and entry[field].strip():
        return " ".join(entry[field].split())
    return default


# --- the model --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Branding:
    """An advisor's name and logo (a validated PNG as a data: URI) on the report."""
    name: str | None = None
    logo: str | None = None  # data:image/png;base64,...
    logo_size: tuple[int, int] | None = None


@dataclass(frozen=True)
class Overall:
    score: int | None
    band: str | None
    band_name: str
    meaning: str
    capped_by: tuple[str, ...]  # names of the critical controls holding the score at 59
    uncapped: int | None
    capped_sentence: str | None


@dataclass(frozen=True)
class AreaView:
    id: str
    name: str
    score: int | None
    band: str | None
    band_name: str
    unknown: int
    source: str  # answers | scan
    source_name: str


@dataclass(frozen=True)
class HowTo:
    platform: str
    platform_name: str
    text: str


@dataclass(frozen=True)
class ActionView:
    id: str
    rank: int
    title: str
    why: str
    how: tuple[HowTo, ...]
    area: str
    area_name: str
    priority: float
    effort_minutes: int
    effort: str
    cost_band: str
    cost: str
    quick_win: bool
    critical: bool
    status: str
    status_name: str
    verify_kind: str  # question | check | evidence
    verify_target: str
    verify: str
    owner: str | None = None
    due: str | None = None
    new: bool = False  # not in the previous review


@dataclass(frozen=True)
class ActionGroup:
    area: str
    name: str
    actions: tuple[ActionView, ...]


@dataclass(frozen=True)
class Blocker:
    id: str
    title: str
    state_name: str


@dataclass(frozen=True)
class FrameworkView:
    id: str
    name: str
    about: str
    prediction: str  # ready | not_ready | cannot_predict
    prediction_name: str
    prediction_text: str
    met: int
    partly: int
    not_met: int
    unknown: int
    total: int  # in scope
    out_of_scope: int
    missing: int  # requirements of the source we do not hold yet
    blockers: tuple[Blocker, ...]  # automatic-fail requirements not evidenced as met
    counts_text: str


@dataclass(frozen=True)
class ConflictView:
    question: str
    question_text: str
    said: str
    seen: str
    check: str
    summary: str


@dataclass(frozen=True)
class UnknownView:
    question: str
    text: str
    area_name: str
    how_to_find_out: tuple[HowTo, ...]


@dataclass(frozen=True)
class NoteView:
    """A note written with an answer (by the owner or the advisor)."""
    question: str
    question_text: str
    answer: str
    source_name: str
    note: str


@dataclass(frozen=True)
class FindingView:
    anchor: str  # unique in the page
    check: str
    area: str
    area_name: str
    status: str
    status_name: str
    severity: str
    severity_name: str | None  # only for problems
    result: str
    title: str
    summary: str
    why: str
    fix: str
    evidence: str  # indented JSON, made visible; "" when the same as an earlier finding's
    same_as: tuple[str, str] | None = None  # (anchor, title) of the finding with that evidence


@dataclass(frozen=True)
class FindingGroup:
    area: str
    name: str
    findings: tuple[FindingView, ...]


@dataclass(frozen=True)
class ActionRef:
    id: str
    title: str


@dataclass(frozen=True)
class AreaChange:
    id: str
    name: str
    before: int | None
    after: int | None
    delta: int | None
    delta_text: str


@dataclass(frozen=True)
class Change:
    before: int | None
    before_band_name: str
    after: int | None
    delta: int | None
    delta_text: str
    areas: tuple[AreaChange, ...]
    new_actions: tuple[ActionRef, ...]
    closed_actions: tuple[ActionRef, ...]


@dataclass(frozen=True)
class ReviewReport:
    language: str
    words: ReviewWords
    business_name: str
    facts: tuple[tuple[str, str], ...]  # (label, value) shown on the cover
    date: dt.date
    date_text: str
    overall: Overall
    areas: tuple[AreaView, ...]
    top_actions: tuple[ActionView, ...]
    more_actions: tuple[ActionGroup, ...]
    action_count: int
    frameworks: tuple[FrameworkView, ...]
    conflicts: tuple[ConflictView, ...]
    unknown: tuple[UnknownView, ...]
    notes: tuple[NoteView, ...]
    findings: tuple[FindingGroup, ...]
    finding_count: int
    scan_domains: tuple[str, ...] | None  # None: no outside view
    change: Change | None
    branding: Branding
    problems: tuple[str, ...]
    catalogue_version: str
    formula: str
    review: Review = field(compare=False, repr=False)

    @cached_property
    def result(self) -> Mapping[str, Any]:
        """The ``cyberbasics.result/1`` document (worked out when first asked for)."""
        return to_result_json(self.review)

    @property
    def actions(self) -> tuple[ActionView, ...]:
        """Every action in plan order (highest priority first)."""
        rest = sorted((a for g in self.more_actions for a in g.actions), key=lambda a: a.rank)
        return (*self.top_actions, *rest)

    @property
    def all_findings(self) -> tuple[FindingView, ...]:
        return tuple(f for group in self.findings for f in group.findings)


def build_report(review: Review, *, previous: Mapping[str, Any] | None = None,
                 branding: Branding | None = None, date: dt.date | None = None) -> ReviewReport:
    """The report of ``review`` in its language; ``previous`` is an earlier
    ``cyberbasics.result/1`` document of the same business (raises PreviousResultError when it
    is not one)."""
    lang = review.language
    t = ReviewWords(lang)
    day = date or dt.date.today()
    business = review.answers.business
    name = safe_text(business.get("name")).strip() or t("no_business_name")
    if previous is not None:
        check_previous(previous, business.get("name"))
    assessment = review.assessment
    platforms = _platforms(business)
    previous_ids = ({str(a.get("id")) for a in previous.get("actions") or []
                     if isinstance(a, Mapping)} if previous is not None else None)
    area_order = [a.id for a in review.catalogue.areas]
    views = [_action_view(t, review, planned, rank, platforms, previous_ids)
             for rank, planned in enumerate(review.plan.actions, 1)]
    by_id = {v.id: v for v in views}
    more = tuple(ActionGroup(area, area_name(lang, area), tuple(by_id[p.id] for p in items))
                 for area, items in review.plan.rest_by_area(area_order).items())
    return ReviewReport(
        language=lang,
        words=t,
        business_name=name,
        facts=_facts(t, business),
        date=day,
        date_text=t.date(day),
        overall=_overall(t, review),
        areas=tuple(_area_view(t, lang, area) for area in assessment.areas),
        top_actions=tuple(views[:TOP]),
        more_actions=more,
        action_count=len(views),
        frameworks=_frameworks(t, review),
        conflicts=tuple(_conflict_view(lang, review, c) for c in review.fused.conflicts),
        unknown=tuple(_unknown_view(t, review, q, platforms) for q in assessment.unknown),
        notes=_notes(t, review),
        findings=_findings(t, review),
        finding_count=len(review.scan.findings) if review.scan else 0,
        scan_domains=None if review.scan is None else tuple(
            safe_text(d) for d in review.scan.domains),
        change=None if previous is None else _change(t, review, previous, views),
        branding=branding or Branding(),
        problems=tuple(safe_text(p) for p in review.answers.problems),
        catalogue_version=review.catalogue.version,
        formula=assessment.formula,
        review=review,
    )


def _platforms(business: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The business's platforms (None: not said, so every helper is shown)."""
    raw = business.get("platforms")
    if raw is None:
        return None
    items = raw if isinstance(raw, list | tuple) else [raw]
    return tuple(str(p).strip().lower() for p in items if p is not None)


def _facts(t: ReviewWords, business: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    facts = []
    if business.get("country"):
        facts.append((t("fact_country"), safe_text(business["country"])))
    if business.get("size") is not None:
        facts.append((t("fact_size"), safe_text(business["size"])))
    if business.get("sector"):
        facts.append((t("fact_sector"), safe_text(business["sector"])))
    domains = business.get("domains")
    if domains:
        items = domains if isinstance(domains, list | tuple) else [domains]
        facts.append((t("fact_domains"), ", ".join(safe_text(d) for d in items)))
    return tuple(facts)


def _overall(t: ReviewWords, review: Review) -> Overall:
    lang, result = review.language, review.assessment
    capped = tuple(word(lang, f"control.{c}") for c in result.capped_by)
    # Only when the cap lowered the score: below the cap, nothing is "held" there.
    held = (capped and result.overall is not None and result.uncapped is not None
            and result.uncapped > result.overall)
    sentence = (t("capped", controls="; ".join(capped), uncapped=result.uncapped)
                if held else None)
    return Overall(result.overall, result.band, t.band(result.band),
                   t.entry("band_meaning", result.band) if result.band else t("no_score"),
                   capped, result.uncapped, sentence)


def _area_view(t: ReviewWords, lang: str, area) -> AreaView:
    return AreaView(area.id, area_name(lang, area.id, area.source), area.score, area.band,
                    t.band(area.band) if area.band else t("not_scored"), len(area.unknown),
                    area.source, t.entry("sources", area.source))


def _how(words: Mapping[str, Any], helpers: Sequence[str], platforms: tuple[str, ...] | None,
         t: ReviewWords) -> tuple[HowTo, ...]:
    """The "how to" texts for the business's platforms; all of them when it named none, or
    when none of them has a text (some guidance beats none)."""
    texts = words if isinstance(words, Mapping) else {}
    available = [p for p in helpers if isinstance(texts.get(p), str)]
    if platforms is not None:
        wanted = set(platforms) | set(ALWAYS_SHOWN_PLATFORMS)
        chosen = [p for p in available if p in wanted]
        available = chosen or available
    return tuple(HowTo(p, t.entry("platforms", p), " ".join(texts[p].split()))
                 for p in available)


def _effort(t: ReviewWords, minutes: int) -> str:
    if minutes >= 120 and minutes % 60 == 0:
        return t("effort_hours", hours=minutes // 60)
    return t("effort_minutes", minutes=minutes)


def _action_view(t: ReviewWords, review: Review, planned, rank: int,
                 platforms: tuple[str, ...] | None, previous_ids: set[str] | None) -> ActionView:
    lang = review.language
    entry = catalogue_words(lang).get(f"action.{planned.id}") or {}
    kind, target = planned.action.verify_by
    return ActionView(
        id=planned.id, rank=rank,
        title=word(lang, f"action.{planned.id}", "title"),
        why=" ".join(str(entry.get("why") or "").split()),
        how=_how(entry.get("how") or {}, planned.action.helpers, platforms, t),
        area=planned.area, area_name=area_name(lang, planned.area),
        priority=planned.priority,
        effort_minutes=planned.action.effort_minutes,
        effort=_effort(t, planned.action.effort_minutes),
        cost_band=planned.action.cost_band, cost=t.entry("costs", planned.action.cost_band),
        quick_win=planned.action.quick_win, critical=planned.critical,
        status=planned.status, status_name=t.entry("statuses", planned.status),
        verify_kind=kind, verify_target=target, verify=t.entry("verify", kind),
        owner=safe_text(planned.owner) if planned.owner else None,
        due=planned.due.isoformat() if planned.due else None,
        new=previous_ids is not None and planned.id not in previous_ids,
    )


def _frameworks(t: ReviewWords, review: Review) -> tuple[FrameworkView, ...]:
    from ..assess.frameworks import load_framework
    from ..assess.review import framework_readiness

    lang = review.language
    views = []
    for result in framework_readiness(review):
        framework = load_framework(result.framework)
        counts = {state: int(result.counts.get(state, 0))
                  for state in ("met", "partly", "not_met", "unknown")}
        total = sum(counts.values())
        by_id = {r.id: r for r in result.requirements}
        blockers = tuple(
            Blocker(rid, framework_word(lang, f"requirement.{framework.id}.{rid}", "title", rid),
                    t.entry("states", by_id[rid].state))
            for rid in result.blockers_not_met)
        name = framework_word(lang, f"framework.{framework.id}", "name", framework.name)
        views.append(FrameworkView(
            id=framework.id, name=name,
            about=framework_word(lang, f"framework.{framework.id}", "about", ""),
            prediction=result.prediction,
            prediction_name=t.entry("predictions", result.prediction),
            prediction_text=t.entry("prediction_texts", result.prediction),
            total=total, out_of_scope=result.out_of_scope, missing=len(result.missing),
            blockers=blockers,
            counts_text=t("framework_counts", total=total, **counts),
            **counts))
    return tuple(views)


def _option_text(lang: str, question: str, option: str) -> str:
    if option in ("dont_know", "not_applicable"):
        return word(lang, f"option.{option}", "text")
    entry = catalogue_words(lang).get(f"question.{question}") or {}
    text = (entry.get("options") or {}).get(option)
    return " ".join(text.split()) if isinstance(text, str) else option


def _question_text(lang: str, question: str) -> str:
    return " ".join(word(lang, f"question.{question}", "text").split())


def _conflict_view(lang: str, review: Review, conflict) -> ConflictView:
    return ConflictView(conflict.question, _question_text(lang, conflict.question),
                        _option_text(lang, conflict.question, conflict.said),
                        _option_text(lang, conflict.question, conflict.seen),
                        safe_text(conflict.check), safe_text(conflict.summary))


def _unknown_view(t: ReviewWords, review: Review, question_id: str,
                  platforms: tuple[str, ...] | None) -> UnknownView:
    lang = review.language
    question = review.catalogue.question(question_id)
    entry = catalogue_words(lang).get(f"question.{question_id}") or {}
    helpers = question.helpers if question is not None else ()
    area = review.catalogue.area_of(question) if question is not None else ""
    return UnknownView(question_id, _question_text(lang, question_id),
                       area_name(lang, area) if area else "",
                       _how(entry.get("how_to_find_out") or {}, helpers, platforms, t))


def _notes(t: ReviewWords, review: Review) -> tuple[NoteView, ...]:
    """The answers that carry a note, in catalogue order; each note is outside text."""
    lang = review.language
    notes = []
    for question in review.catalogue.questions:
        answer = review.answers.answers.get(question.id)
        if answer is None or not answer.note or not str(answer.note).strip():
            continue
        notes.append(NoteView(question.id, _question_text(lang, question.id),
                              _option_text(lang, question.id, answer.option),
                              t.entry("answer_sources", answer.source),
                              " ".join(safe_text(answer.note).split())))
    return tuple(notes)


def _finding_texts(lang: str, finding) -> tuple[str, str, str, str]:
    """Title, summary, why and fix in the report's language where the texts allow: a result
    text with {placeholders} needs values the scan file does not keep, so the scan's own
    summary is kept then."""
    from ..texts import check_texts, result_text

    title, summary, why, fix = finding.title, finding.summary, finding.why, finding.fix
    try:
        texts = check_texts(finding.check, lang)
        title = texts.get("title") or title
        why = texts.get("why") or why
        fix = texts.get("fix") or fix
        text = result_text(finding.check, finding.result, lang)
        if "{" not in text:
            summary = text
    except MissingText:
        pass
    return (safe_text(" ".join(str(title).split())), safe_text(" ".join(str(summary).split())),
            safe_text(" ".join(str(why).split())), safe_text(" ".join(str(fix).split())))


EVIDENCE_WIDTH = 124


def evidence_text(evidence: Any, width: int = EVIDENCE_WIDTH) -> str:
    """Evidence as JSON for a ``<pre>``, compact where it fits: an object or list goes on one
    line when that line is at most ``width`` characters, else one member a line. Letters of
    any script are kept; control, bidi and invisible characters are shown as escapes."""
    return "\n".join(safe_text(line) for line in _json_lines(evidence, 0, "", width))


def _json_lines(value: Any, indent: int, prefix: str, width: int) -> list[str]:
    one = prefix + json.dumps(value, ensure_ascii=False, default=str)
    if indent + len(one) <= width or not isinstance(value, dict | list) or not value:
        return [" " * indent + one]
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    items = (list(value.items()) if isinstance(value, dict)
             else [(None, item) for item in value])
    lines = [" " * indent + prefix + opening]
    for position, (key, item) in enumerate(items):
        label = "" if key is None else json.dumps(str(key), ensure_ascii=False) + ": "
        inner = _json_lines(item, indent + 2, label, width)
        if position < len(items) - 1:
            inner[-1] += ","
        lines += inner
    lines.append(" " * indent + closing)
    return lines


def _findings(t: ReviewWords, review: Review) -> tuple[FindingGroup, ...]:
    if review.scan is None:
        return ()
    lang = review.language
    areas = list(dict.fromkeys([*SCAN_AREA_ORDER, *(f.area for f in review.scan.findings)]))
    groups: list[FindingGroup] = []
    seen: dict[str, tuple[str, str]] = {}  # evidence -> the first finding that showed it
    number = 0
    for area in areas:
        found = [f for f in review.scan.findings if f.area == area]
        if not found:
            continue
        found.sort(key=lambda f: (_STATUS_RANK.get(str(f.status), 5),
                                  _SEVERITY_RANK.get(str(f.severity), 5), f.check))
        views = []
        for finding in found:
            status = str(finding.status)
            title, summary, why, fix = _finding_texts(lang, finding)
            number += 1
            anchor = f"finding-{number}"
            evidence = evidence_text(finding.evidence)
            same_as = seen.get(evidence) if evidence.count("\n") >= 3 else None
            if same_as is None and evidence.count("\n") >= 3:
                seen[evidence] = (anchor, title)
            views.append(FindingView(
                anchor=anchor, check=safe_text(finding.check), area=area,
                area_name=t.report.area(area), status=status,
                status_name=t.report.status(status), severity=str(finding.severity),
                severity_name=(t.report.severity(str(finding.severity))
                               if status in ("fail", "warn") else None),
                result=safe_text(finding.result), title=title, summary=summary, why=why,
                fix=fix, evidence="" if same_as else evidence, same_as=same_as))
        groups.append(FindingGroup(area, t.report.area(area), tuple(views)))
    return tuple(groups)


# --- the change since a previous review -------------------------------------------------------

def _same_name(a: Any, b: Any) -> bool:
    def norm(value: Any) -> str:
        return " ".join(str(value or "").casefold().split())

    return not norm(a) or not norm(b) or norm(a) == norm(b)


def check_previous(previous: Any, business_name: Any = None) -> None:
    """Raise PreviousResultError unless ``previous`` is a ``cyberbasics.result/1`` document
    of the same business (by name, when both have one): one client's scores must never show
    in another's report."""
    if not isinstance(previous, Mapping) or previous.get("schema") != RESULT_SCHEMA:
        raise PreviousResultError(f"not a Cyber Basics review result (its schema is not "
                                  f"{RESULT_SCHEMA})")
    overall = previous.get("overall")
    if not isinstance(overall, Mapping) or not _score_or_none(overall.get("score")):
        raise PreviousResultError("the previous result has no valid overall score")
    for part in ("areas", "actions"):
        items = previous.get(part)
        if not isinstance(items, list) or not all(
                isinstance(i, Mapping) and isinstance(i.get("id"), str) for i in items):
            raise PreviousResultError(f"the previous result's {part} are not a list of "
                                      "entries with ids")
    if not all(_score_or_none(a.get("score")) for a in previous["areas"]):
        raise PreviousResultError("the previous result has an area score that is not 0-100")
    earlier = (previous.get("business") or {}).get("name") \
        if isinstance(previous.get("business"), Mapping) else None
    if not _same_name(earlier, business_name):
        raise PreviousResultError(
            f"the previous result is a review of {safe_text(earlier)!r}, not of "
            f"{safe_text(business_name)!r}: compare two reviews of the same business")


def _score_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool)
                             and 0 <= value <= 100)


def _delta(before: int | None, after: int | None) -> int | None:
    return None if before is None or after is None else after - before


def _change(t: ReviewWords, review: Review, previous: Mapping[str, Any],
            views: list[ActionView]) -> Change:
    lang = review.language
    before = previous["overall"].get("score")
    after = review.assessment.overall
    earlier = {(a["id"], a.get("source", "answers")): a.get("score") for a in previous["areas"]}
    areas = []
    for area in review.assessment.areas:
        key = (area.id, area.source)
        if key not in earlier:
            continue
        was = earlier[key]
        delta = _delta(was, area.score)
        areas.append(AreaChange(area.id, area_name(lang, area.id, area.source), was,
                                area.score, delta, t.change(delta)))
    current = {v.id for v in views}
    closed = []
    for item in previous["actions"]:
        action_id = item["id"]
        if action_id in current:
            continue
        title = word(lang, f"action.{action_id}", "title")
        if title == f"action.{action_id}":  # no longer in the catalogue: its old title
            title = " ".join(safe_text(item.get("title") or action_id).split())
        closed.append(ActionRef(safe_text(action_id), title))
    band = previous["overall"].get("band")
    return Change(
        before=before,
        before_band_name=t.band(band if isinstance(band, str) else None),
        after=after, delta=_delta(before, after), delta_text=t.change(_delta(before, after)),
        areas=tuple(areas),
        new_actions=tuple(ActionRef(v.id, v.title) for v in views if v.new),
        closed_actions=tuple(closed))


def read_previous(text: str) -> Mapping[str, Any]:
    """A previous result file's JSON (raises PreviousResultError when it is not JSON)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PreviousResultError(f"not JSON: {exc}") from None
    check_previous(data)
    return data


# --- branding ---------------------------------------------------------------------------------

def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a well-formed PNG, read chunk by chunk with every CRC checked;
    raises BrandingError for anything else (another format, a truncated or padded file)."""
    if len(data) > MAX_LOGO_BYTES:
        raise BrandingError(f"the logo is {len(data)} bytes; at most {MAX_LOGO_BYTES} "
                            "(256 KiB) are allowed")
    if not data.startswith(PNG_SIGNATURE):
        raise BrandingError("the logo is not a PNG image (give a .png file)")
    position, size, seen_data = len(PNG_SIGNATURE), None, False
    first = True
    while True:
        if position + 8 > len(data):
            raise BrandingError("the logo is not a complete PNG image (it is cut short)")
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        end = position + 12 + length
        if end > len(data):
            raise BrandingError("the logo is not a complete PNG image (it is cut short)")
        body = data[position + 8:end - 4]
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise BrandingError("the logo is not a valid PNG image (a checksum is wrong)")
        if first:
            if kind != b"IHDR" or length != 13:
                raise BrandingError("the logo is not a valid PNG image (no header)")
            size = struct.unpack(">II", body[:8])
            first = False
        elif kind == b"IDAT":
            seen_data = True
        elif kind == b"IEND":
            if end != len(data):
                raise BrandingError("the logo has data after the end of the PNG image")
            break
        position = end
    if not seen_data or size is None:
        raise BrandingError("the logo is not a valid PNG image (no image data)")
    width, height = size
    if not (0 < width <= MAX_LOGO_PIXELS and 0 < height <= MAX_LOGO_PIXELS):
        raise BrandingError(f"the logo is {width}×{height} pixels; at most "
                            f"{MAX_LOGO_PIXELS}×{MAX_LOGO_PIXELS} are allowed")
    return width, height


def make_branding(name: str | None = None, logo: bytes | None = None) -> Branding:
    """Validated branding: a name of at most MAX_BRAND_NAME characters and an optional PNG
    logo; raises BrandingError with a message for the user."""
    import base64

    shown = None
    if name is not None:
        shown = safe_text(" ".join(str(name).split()))
        if not shown:
            raise BrandingError("the brand name is empty")
        if len(shown) > MAX_BRAND_NAME:
            raise BrandingError(f"the brand name is {len(shown)} characters; at most "
                                f"{MAX_BRAND_NAME} are allowed")
    uri, size = None, None
    if logo is not None:
        size = png_size(logo)
        uri = "data:image/png;base64," + base64.b64encode(logo).decode("ascii")
    return Branding(shown, uri, size)
