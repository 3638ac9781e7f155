"""What the Help now pages show, built from the core's playbooks, triage and contacts; the
views only pick the request's values and render.

A playbook reached from the triage carries the answers in its query string
(``?from=triage&what=...``): the page works the outcome out again (money involved: the bank
box first; personal data: the breach clock) instead of trusting flags in the URL. Answers
that are not a finished, valid triage are ignored: the playbook is shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cyberbasics.incident import triage
from cyberbasics.incident.playbooks import (
    PLAYBOOK_IDS,
    Playbook,
    Step,
    UnknownPlaybook,
    playbook,
    playbooks,
)

from .reporting import ContactRow, bank_row, contact_rows

__all__ = ["UnknownPlaybook", "playbook_page", "with_contacts"]

# Query keys that are never triage answers.
RESERVED = frozenset({"from", "country"})
TRIAGE = "triage"
# Without the triage's answers, the playbooks where money has surely been paid or given away.
MONEY_FIRST = frozenset({"invoice_fraud"})
PERSONAL_DATA = "personal_data_breach"

# Our other tools, by the ids the playbooks use.
TOOLS = {
    "evidence_log": ("incidents:anonymous-log", _("Keep an evidence log")),
    "breach_clock": ("help:breach", _("The 72-hour breach clock")),
    "email_check": ("mailcheck:check", _("Check a suspicious email")),
}


@dataclass(frozen=True)
class Link:
    id: str
    label: str
    url: str
    summary: str = ""


def tool_link(tool: str) -> Link | None:
    """The link to one of our tools; None for a tool id this site does not know."""
    name, label = TOOLS.get(tool, (None, None))
    return Link(tool, str(label), reverse(name)) if name else None


def tool_links() -> list[Link]:
    """The tools for the start page: report, breach clock, evidence log, email check."""
    links = [Link("report", str(_("Who to report to")), reverse("help:report"))]
    links += [link for tool in ("breach_clock", "evidence_log", "email_check")
              if (link := tool_link(tool)) is not None]
    return links


def playbook_url(playbook_id: str) -> str:
    return reverse("help:playbook", args=[playbook_id])


def playbook_links(language: str) -> list[Link]:
    return [Link(p.id, p.title, playbook_url(p.id), p.summary) for p in playbooks(language)]


def incident_choices(language: str) -> list[tuple[str, str]]:
    return [(p.id, p.title) for p in playbooks(language)]


# --- the triage's answers --------------------------------------------------------------------

def triage_answers(query: Mapping[str, str]) -> dict[str, str]:
    """The answers in a query string (every key that is not reserved), unchecked."""
    return {key: query.get(key) for key in query if key not in RESERVED}


def triage_outcome(playbook_id: str, query: Mapping[str, str]):
    """The triage's outcome when the query carries a finished triage that leads here."""
    if query.get("from") != TRIAGE:
        return None, {}
    answers = triage_answers(query)
    try:
        found = triage.outcome(triage.validate(answers))
    except triage.TriageError:
        return None, {}
    if found.playbook != playbook_id:
        return None, {}
    return found, answers


# --- the playbook page -----------------------------------------------------------------------

@dataclass(frozen=True)
class StepView:
    step: Step
    tools: list[Link]
    contacts: list[ContactRow] = field(default_factory=list)


def _steps(steps: tuple[Step, ...]) -> list[StepView]:
    return [StepView(step, [link for tool in step.tools if (link := tool_link(tool))])
            for step in steps]


def _links(ids, language: str) -> list[Link]:
    shown = []
    for other in ids:
        if other in PLAYBOOK_IDS:
            found = playbook(other, language)
            shown.append(Link(other, found.title, playbook_url(other), found.summary))
    return shown


def playbook_page(playbook_id: str, language: str, query: Mapping[str, str]) -> dict:
    """Everything the playbook page shows but the contacts (see :func:`with_contacts`);
    :class:`UnknownPlaybook` for an id that is not one of the eight."""
    if playbook_id not in PLAYBOOK_IDS:
        raise UnknownPlaybook(playbook_id)
    shown: Playbook = playbook(playbook_id, language)
    outcome, answers = triage_outcome(playbook_id, query)
    money = outcome.money if outcome else playbook_id in MONEY_FIRST
    personal = outcome.personal_data if outcome else playbook_id == PERSONAL_DATA
    breach = reverse("help:breach")
    if outcome is not None:  # what the triage learnt starts the draft notification
        carried = {"incident": playbook_id, "ongoing": "yes" if outcome.ongoing else "no"}
        if outcome.noticed:
            carried["noticed"] = outcome.noticed
        breach += "?" + urlencode(carried)
    also = [other for other in (outcome.also if outcome else ()) if other != playbook_id]
    carry = {"from": TRIAGE, **answers} if outcome else {}
    return {
        "playbook": shown, "outcome": outcome,
        "money": money, "personal_data": personal, "breach_url": breach,
        "first_hour": _steps(shown.first_hour), "later": _steps(shown.later),
        "also": _links(also, language),
        "related": _links([r for r in shown.related if r not in also], language),
        "carry": sorted(carry.items()),
        "triage_url": reverse("help:triage"),
        "tools": [link for tool in ("evidence_log", "email_check")
                  if (link := tool_link(tool)) is not None],
    }


def with_contacts(shown: dict, country: str | None, language: str) -> dict:
    """The page with the real contacts: the bank box, each step's whom-to-call, and the
    full list for the country (none until a country is known)."""
    rows = contact_rows(country, shown["playbook"].id, language) if country else []
    for view in (*shown["first_hour"], *shown["later"]):
        view.contacts.extend(row for row in rows if row.kind in view.step.call)
    bank = next((row for row in rows if row.kind == "bank"), None) or bank_row(language)
    report = {"incident": shown["playbook"].id, **({"country": country} if country else {})}
    return {**shown, "rows": rows, "bank": bank if shown["money"] else None,
            "report_url": f"{reverse('help:report')}?{urlencode(report)}"}
