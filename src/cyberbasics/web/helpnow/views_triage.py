"""The triage: one question per screen, one tap per answer, no sign-in and no script.

The answers so far travel in the query string (``?what=ransomware&money=no``): each choice is
a submit button named after its question, and the earlier answers ride along as hidden
inputs, so a tap is one GET, Back is a link, and nothing is stored on the server. The core
(`incident.triage`) decides which question comes next and where the answers lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cyberbasics.incident import triage as core

from .defaults import content_language
from .pages import TRIAGE, playbook_url

# A query string longer than this is not a triage (the longest path is five short pairs).
MAX_KEYS = 12


@dataclass(frozen=True)
class Answered:
    question: object  # core Question
    choice: object  # core Choice
    change_url: str  # the triage with the answers before this one


def _url(answers: dict[str, str]) -> str:
    base = reverse("help:triage")
    return f"{base}?{urlencode(answers)}" if answers else base


def _read(query) -> tuple[dict[str, str], str | None]:
    """The answers in the query and, when they cannot be used, the message to show (the
    triage then starts again from its first question)."""
    if len(query) > MAX_KEYS or any(len(query.getlist(key)) > 1 for key in query):
        return {}, _("Those answers could not be read, so we have started again.")
    answers = {key: query[key] for key in query}
    try:
        return core.validate(answers), None
    except core.TriageError:
        return {}, _("Some of those answers are not ones we know, so we have started again. "
                     "It only takes a few taps.")


def _answered(answers: dict[str, str], language: str) -> list[Answered]:
    shown = []
    before: dict[str, str] = {}
    for question, choice in core.path(answers, language):
        shown.append(Answered(question, choice, _url(before)))
        before = {**before, question.id: choice.id}
    return shown


@require_GET
def triage(request):
    language = content_language()
    answers, problem = _read(request.GET)
    question = core.next_question(answers, language)
    if question is None:
        outcome = core.outcome(answers)
        return redirect(f"{playbook_url(outcome.playbook)}?"
                        f"{urlencode({'from': TRIAGE, **answers})}")
    answered = _answered(answers, language)
    back = answered[-1].change_url if answered else reverse("help:start")
    return render(request, "helpnow/triage.html", {
        "question": question, "number": len(answered) + 1, "answered": answered,
        "hidden": sorted(answers.items()), "back_url": back, "problem": problem,
    })
