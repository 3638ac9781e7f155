"""The self-assessment in the browser: selectors that say where a review's questionnaire
stands, services that save the profile and the answers and finish the review, and the
result and report built from the core's report model (the same words and numbers as the
CLI's `cyberbasics report`).

The order is the terminal questionnaire's (docs/questionnaire.md): the business profile
first, then every question whose `applies_if` is not decidedly false, in catalogue order.
Unlike the terminal, an answer to a question that no longer applies (the profile or an
earlier answer changed) is kept in the database but neither shown nor scored, exactly as
the scoring treats it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from ...assess.catalogue import DONT_KNOW, Catalogue, Question
from ...assess.questionnaire import (
    Words,
    helper_platforms,
    helper_text,
    minutes_left,
    option_label,
    profile_choices,
    profile_kind,
    question_text,
)
from ...assess.review import area_name, to_result_json
from ...assess.scoring import applicable_questions
from ...texts import DEFAULT_LANGUAGE, LANGUAGES
from ..audit.services import record
from .core import business_facts, catalogue, core_review
from .models import Answer, Review

NUMBER_LIMIT = 999_999
TEXT_LIMIT = 200


def current_language() -> str:
    """The request's language as the core knows it (en, pl, es, it, ro)."""
    code = (get_language() or DEFAULT_LANGUAGE).split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


class ReviewFinished(Exception):
    """The review is finished: its answers can no longer change (start a new one)."""


# --- where the questionnaire stands -------------------------------------------------------------

@dataclass(frozen=True)
class Questionnaire:
    """One review's questionnaire as it is now: the profile, every stored answer (those to
    questions that no longer apply included) and the questions that apply, in order."""

    review: Review
    catalogue: Catalogue
    business: Mapping[str, Any]
    rows: Mapping[str, Answer]
    applicable: tuple[Question, ...]

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {q.id: i for i, q in enumerate(self.applicable)}

    def applies(self, question_id: str) -> bool:
        return question_id in self._positions

    def position(self, question: Question) -> int:
        return self._positions[question.id]

    @property
    def total(self) -> int:
        return len(self.applicable)

    @property
    def unanswered(self) -> list[Question]:
        return [q for q in self.applicable if q.id not in self.rows]

    @property
    def answered(self) -> int:
        return self.total - len(self.unanswered)

    @property
    def started(self) -> bool:
        return bool(self.rows)

    def next_unanswered(self) -> Question | None:
        return next(iter(self.unanswered), None)

    def after(self, question_id: str) -> Question | None:
        """The applicable question after `question_id` in catalogue order (it may itself no
        longer apply)."""
        order = [q.id for q in self.catalogue.questions]
        index = order.index(question_id) if question_id in order else -1
        return next((q for q in self.applicable if order.index(q.id) > index), None)

    def before(self, question_id: str) -> Question | None:
        order = [q.id for q in self.catalogue.questions]
        index = order.index(question_id) if question_id in order else len(order)
        earlier = [q for q in self.applicable if order.index(q.id) < index]
        return earlier[-1] if earlier else None

    def minutes_left(self) -> int:
        """The typical time the unanswered questions take, in whole minutes (at least 1)."""
        return minutes_left(self.unanswered) if self.unanswered else 0


def questionnaire(review: Review) -> Questionnaire:
    cat = catalogue()
    business = business_facts(review)
    rows = {row.question: row for row in review.answers.all()}
    options = {question: row.option for question, row in rows.items()}
    return Questionnaire(review, cat, business, rows,
                         tuple(applicable_questions(cat, business, options)))


def time_left_text(minutes: int) -> str:
    if minutes <= 0:
        return _("nothing left to answer")
    return ngettext("about %(count)d minute left", "about %(count)d minutes left",
                    minutes) % {"count": minutes}


# --- the business profile -----------------------------------------------------------------------

class ProfileForm(forms.Form):
    """The catalogue's profile fields (docs/catalogue.md, "The business profile"), in the
    order it declares them, with the questionnaire's words; every field may be left out (the
    questions that depend on it are then all asked)."""

    def __init__(self, *args, language: str, cat: Catalogue | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cat = cat or catalogue()
        said = Words(language)
        self.kinds: dict[str, str] = {}
        for name in self.cat.profile:
            kind = profile_kind(self.cat, name)
            self.kinds[name] = kind
            label = said.label(f"profile.{name}.question", name)
            help_text = said.label(f"profile.{name}.help", "")
            choices = profile_choices(self.cat, name, language)
            if kind == "number":
                field_ = forms.IntegerField(min_value=1, max_value=NUMBER_LIMIT)
            elif kind == "many":
                field_ = forms.MultipleChoiceField(choices=choices,
                                                   widget=forms.CheckboxSelectMultiple)
            elif kind in ("one", "yes_no"):
                field_ = forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
            else:
                field_ = forms.CharField(max_length=TEXT_LIMIT)
            field_.required = False
            field_.label, field_.help_text = label, help_text
            self.fields[name] = field_

    @classmethod
    def initial_from(cls, profile: Mapping[str, Any]) -> dict[str, Any]:
        initial = {}
        for name, value in profile.items():
            if isinstance(value, bool):
                initial[name] = "yes" if value else "no"
            else:
                initial[name] = value
        return initial

    def rows(self) -> list[tuple[forms.BoundField, str]]:
        """(field, kind) in the catalogue's order, for the template."""
        return [(self[name], kind) for name, kind in self.kinds.items()]

    def profile(self) -> dict[str, Any]:
        """The cleaned answers as the answers file stores them (a field left out is absent)."""
        values: dict[str, Any] = {}
        for name, kind in self.kinds.items():
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            if kind == "yes_no":
                values[name] = value == "yes"
            elif kind == "text":
                text = "".join(ch for ch in str(value) if ch.isprintable()).strip()
                if text:
                    values[name] = text
            else:
                values[name] = list(value) if kind == "many" else value
        return values


@transaction.atomic
def save_profile(review: Review, profile: Mapping[str, Any]) -> Review:
    """The review's profile: the catalogue's fields as given now, other facts kept."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.completed:
        raise ReviewFinished
    fields = set(catalogue().profile)
    kept = {k: v for k, v in review.profile.items() if k not in fields}
    review.profile = {**kept, **profile}
    review.save(update_fields=["profile"])
    return review


def profile_summary(review: Review, language: str) -> list[tuple[str, str]]:
    """(question, answer) of each profile field, for the overview."""
    cat, said = catalogue(), Words(language)
    facts = business_facts(review)
    rows = []
    for name in cat.profile:
        label = said.label(f"profile.{name}.question", name)
        value = facts.get(name)
        kind = profile_kind(cat, name)
        words = dict(profile_choices(cat, name, language))
        if value is None or value == "":
            shown = _("Not answered")
        elif kind == "yes_no":
            shown = words.get("yes" if value else "no", str(value))
        elif kind == "many":
            items = value if isinstance(value, list | tuple) else [value]
            shown = ", ".join(words.get(str(v), str(v)) for v in items) or _("None of these")
        else:
            shown = words.get(str(value), str(value))
        rows.append((label, shown))
    return rows


# --- one question -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    checked: bool
    dont_know: bool


@dataclass(frozen=True)
class Helper:
    heading: str
    text: str


@dataclass(frozen=True)
class QuestionView:
    id: str
    text: str
    area: str
    area_name: str
    choices: tuple[Choice, ...]
    helpers: tuple[Helper, ...]
    helpers_match: bool  # False: none is for the business's own platforms
    help_none: str
    help_other_platforms: str
    number: int
    total: int
    answered: int
    time_left: str
    source: str | None  # the stored answer's source (None: not answered)


def question_view(state: Questionnaire, question: Question, language: str) -> QuestionView:
    said = Words(language)
    row = state.rows.get(question.id)
    chosen = row.option if row is not None else None
    choices = tuple(Choice(o.id, option_label(language, question, o.id), o.id == chosen,
                           o.id == DONT_KNOW) for o in question.options)
    helpers = []
    shown, matched = helper_platforms(question, state.business)
    for platform in shown:
        text = helper_text(language, question, platform)
        if text:
            name = said.label(f"platforms.{platform}", platform)
            helpers.append(Helper(said("help_heading", platform=name).rstrip(":"), text))
    area = state.catalogue.area_of(question)
    return QuestionView(
        id=question.id, text=question_text(language, question), area=area,
        area_name=area_name(language, area), choices=choices, helpers=tuple(helpers),
        helpers_match=matched, help_none=" ".join(said("help_none").split()),
        help_other_platforms=said("help_other_platforms"),
        number=state.position(question) + 1, total=state.total, answered=state.answered,
        time_left=time_left_text(state.minutes_left()),
        source=row.source if row is not None else None)


def _open_review(review: Review) -> None:
    if Review.objects.filter(pk=review.pk, completed_at__isnull=False).exists():
        raise ReviewFinished


@transaction.atomic
def save_answer(review: Review, question: Question, option_id: str, *, user=None) -> Answer:
    """Store one answer at once (one row per question). A changed answer is the answerer's
    own again: an advisor's check covered the earlier one. Raises ReviewFinished, or
    ValueError for an option the question does not have."""
    _open_review(review)
    if question.option(option_id) is None:
        raise ValueError(f"{option_id!r} is not an option of {question.id}")
    who = user if user is not None and user.is_authenticated else None
    row = Answer.objects.select_for_update().filter(review=review, question=question.id).first()
    if row is not None and row.option == option_id:
        return row
    row, _created = Answer.objects.update_or_create(
        review=review, question=question.id,
        defaults={"option": option_id, "source": Answer.Source.SELF, "answered_by": who})
    return row


@transaction.atomic
def set_advisor_checked(review: Review, question_id: str, checked: bool, *, request) -> bool:
    """Mark an answer as checked by the advisor (or take the mark back). False when the
    question has no answer."""
    _open_review(review)
    source = Answer.Source.ADVISOR if checked else Answer.Source.SELF
    changed = review.answers.filter(question=question_id).update(source=source)
    if changed:
        record("answer.checked" if checked else "answer.unchecked", request=request,
               business=review.business, review=review.pk, question=question_id)
    return bool(changed)


# --- the overview ------------------------------------------------------------------------------

@dataclass(frozen=True)
class OverviewRow:
    id: str
    text: str
    answer: str | None
    source: str | None


@dataclass(frozen=True)
class OverviewArea:
    id: str
    name: str
    rows: tuple[OverviewRow, ...]


def overview(state: Questionnaire, language: str) -> list[OverviewArea]:
    """Every question that applies, by area, with its answer's words and source."""
    areas: dict[str, list[OverviewRow]] = {}
    for question in state.applicable:
        row = state.rows.get(question.id)
        answer = option_label(language, question, row.option) if row is not None else None
        areas.setdefault(state.catalogue.area_of(question), []).append(OverviewRow(
            question.id, question_text(language, question), answer,
            row.source if row is not None else None))
    return [OverviewArea(area, area_name(language, area), tuple(rows))
            for area, rows in areas.items()]


@transaction.atomic
def finish_review(review: Review, language: str, *, request) -> Review:
    """Close the review: keep its `cyberbasics.result/1` document (in `language`) so history
    never depends on a later catalogue, and log it. Finishing twice changes nothing."""
    review = Review.objects.select_for_update().select_related("business").get(pk=review.pk)
    if review.completed:
        return review
    from .plan import sync_action_items

    core = core_review(review, language)
    result = to_result_json(core)
    review.result = result
    review.completed_at = timezone.now()
    review.save(update_fields=["result", "completed_at"])
    sync_action_items(review.business, core.plan)  # the plan's tracking rows, at once
    record("review.completed", request=request, business=review.business, review=review.pk,
           score=result["overall"]["score"])
    return review


# --- the result and the report ------------------------------------------------------------------

def previous_result(review: Review) -> dict[str, Any] | None:
    """The result of the business's last review finished before this one, to show what
    changed."""
    earlier = review.business.reviews.filter(completed_at__isnull=False,
                                             result__isnull=False).exclude(pk=review.pk)
    if review.completed_at is not None:
        earlier = earlier.filter(completed_at__lt=review.completed_at)
    latest = earlier.order_by("-completed_at").first()
    return latest.result if latest is not None else None


def review_date(review: Review) -> dt.date:
    moment = review.completed_at or timezone.now()
    return timezone.localtime(moment).date()


def review_report(review: Review, language: str, *, branding=None):
    """The core's report model of the review, in `language`: the one the HTML and PDF
    reports are printed from."""
    from ...report.review_model import PreviousResultError, build_report

    core = core_review(review, language)
    date = review_date(review)
    # "What changed" compares finished reviews: an unfinished one's unanswered questions
    # count as gaps, and would show as losses that are not there.
    previous = previous_result(review) if review.completed else None
    if previous is not None:
        try:
            return build_report(core, previous=previous, branding=branding, date=date)
        except PreviousResultError:
            pass  # an earlier result that cannot be compared: the report without the change
    return build_report(core, branding=branding, date=date)


def result_body(review: Review, language: str) -> dict[str, Any]:
    """The result page's body (everything below the downloads) and its heading line.

    A finished review never changes (its answers are read-only; its scan and the earlier
    result it is compared with are fixed), so its body is built once per language and kept
    in the cache: building the report and rendering its findings is most of the page's
    time. An unfinished review's body is built afresh on every view."""
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    key = None
    if review.completed:
        key = f"cyberbasics:result:{review.pk}:{language}:{review.completed_at.timestamp()}"
        shown = cache.get(key)
        if shown is not None:
            return {**shown, "body": mark_safe(shown["body"])}  # rendered by our template
    report = review_report(review, language)
    body = render_to_string("reviews/assessment/_result_body.html",
                            {"review": review, "page": result_page(report), "r": report})
    shown = {"body": body, "kicker": {"name": report.business_name,
                                      "date": report.date.isoformat(),
                                      "date_text": report.date_text}}
    if key is not None:
        cache.set(key, shown, timeout=24 * 3600)
    return {**shown, "body": mark_safe(body)}


def advisor_branding(user):
    """The advisor's branding for reports, when they set one up (None otherwise). A logo that
    no longer passes the checks is left out rather than failing the download."""
    from ...report.review_model import BrandingError, make_branding
    from ..programmes.models import AdvisorBranding

    branding = AdvisorBranding.objects.filter(advisor=user).first()
    if branding is None:
        return None
    logo = bytes(branding.logo_png) if branding.logo_png else None
    try:
        return make_branding(branding.name or None, logo)
    except BrandingError:
        try:
            return make_branding(branding.name or None)
        except BrandingError:
            return None


@dataclass(frozen=True)
class ResultPage:
    """What the result template shows, with every worded sentence already filled in."""

    report: Any
    words: Mapping[str, str]  # the review report's words (content/<lang>/review.yaml)
    scan_words: Mapping[str, str]  # the scan report's (content/<lang>/report.yaml)
    charts: Mapping[str, str]
    frameworks: tuple[tuple[Any, str, str], ...]  # (view, out of scope, missing)
    conflicts: tuple[tuple[Any, str], ...]  # (view, the sentence)
    sentences: Mapping[str, str] = field(default_factory=dict)


def result_page(report) -> ResultPage:
    from ...report.review_html import _charts  # the report's own pictures, the same SVG

    t = report.words
    texts = {str(k): " ".join(v.split()) for k, v in t.texts.items() if isinstance(v, str)}
    scan_words = {key: t.report(key) for key in ("why", "fix", "technical", "check_id",
                                                 "result_key", "evidence", "severity_word")}
    overall = report.overall
    sentences = {
        "score_line": (t("score_line", score=overall.score)
                       if overall.score is not None else ""),
        "scan": (t("no_scan") if report.scan_domains is None else
                 t("scan_included", domains=", ".join(report.scan_domains)) + " "
                 + t("findings_count", count=report.finding_count)),
        "more_intro": t("more_intro", count=report.action_count),
        "change_overall": (t("change_overall", change=report.change.delta_text)
                           if report.change is not None else ""),
    }
    frameworks = tuple(
        (f, t("out_of_scope", count=f.out_of_scope) if f.out_of_scope else "",
         t("missing_note", count=f.missing) if f.missing else "")
        for f in report.frameworks)
    conflicts = tuple((c, t("conflict_line", said=c.said, seen=c.seen))
                      for c in report.conflicts)
    return ResultPage(report, texts, scan_words, _charts(report), frameworks, conflicts,
                      sentences)


def report_filename(review: Review, extension: str) -> str:
    """An ASCII file name: the business's name made safe, and the review's date."""
    name = slugify(review.business.name)[:60].strip("-") or "business"
    return f"cyber-basics-review-{name}-{review_date(review).isoformat()}.{extension}"


def report_document(review: Review, language: str, kind: str, *, user, role: str,
                    request) -> bytes:
    """The review report as a PDF or an HTML page, in the advisor's branding when an advisor
    asks; the download is logged."""
    from ...report.review_html import to_html
    from ...report.review_pdf import to_pdf
    from ..businesses.selectors import ADVISOR

    branding = advisor_branding(user) if role == ADVISOR and user.is_authenticated else None
    report = review_report(review, language, branding=branding)
    data = to_pdf(report) if kind == "pdf" else to_html(report).encode("utf-8")
    record("report.downloaded", request=request, business=review.business, review=review.pk,
           format=kind, language=language, branded=branding is not None)
    return data
