"""`cyberbasics incident`: help when something has happened, in the terminal.

- `incident triage`: a few single-choice questions (asked one by one in a terminal, or given
  as `--answer QUESTION=CHOICE`) that lead to the right playbook, printed at the end;
- `incident playbook ransomware --country PL`: what to do in the first hour and after, what not
  to do, and whom to call in that country;
- `incident contacts --country PL --incident ransomware`: whom to report it to, most urgent
  first, each with the source it was checked against (or the prompt to confirm it);
- `incident deadline --aware-at 2026-11-25T14:30 --time-zone Europe/Warsaw`: the GDPR Art. 33
  72-hour deadline for a personal-data breach, in the business's time zone;
- `incident draft answers.yaml --format text|html|pdf`: the draft notification to the data
  protection authority (and the letter to the people affected when the risk is high), every
  missing fact marked "to fill in".

Words: content/<lang>/contacts.yaml, breach.yaml, playbooks.yaml and triage.yaml. Formats:
docs/report-to.md, docs/breach-clock.md, docs/help-now.md.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .options import Output, write_output

incident_app = typer.Typer(help="Help when something has happened: the triage and the "
                                "playbooks, whom to report to, the data-breach clock, the draft "
                                "notification.",
                           no_args_is_help=True)

Lang = Annotated[str, typer.Option("--lang", help="Language: en, pl, es, it or ro.")]


class DraftFormat(StrEnum):
    text = "text"
    html = "html"
    pdf = "pdf"


def _language(lang: str) -> str:
    from ..texts import LANGUAGES

    if lang not in LANGUAGES:
        raise typer.BadParameter(f"unknown language {lang!r}; choose one of "
                                 f"{', '.join(LANGUAGES)}", param_hint="--lang")
    return lang


@incident_app.command("contacts")
def contacts(
    country: Annotated[str, typer.Option("--country", help="The business's country: GB, PL, "
                                                            "ES, IT or RO.")],
    incident: Annotated[str, typer.Option("--incident", help=(
        "What happened: ransomware, invoice_fraud, account_hacked, phishing_clicked, "
        "lost_device, personal_data_breach, website_hacked or fake_it_support_call."))],
    lang: Lang = "en",
) -> None:
    """Whom to report the incident to, most urgent first."""
    from ..incident.contacts import contact_words, contacts_for
    from ..texts import words

    language = _language(lang)
    try:
        found = contacts_for(country, incident)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    text = words("contacts", language)
    labels = text["labels"]
    typer.echo(text["heading"])
    typer.echo(" ".join(text["intro"].split()))
    for contact in found:
        shown = contact_words(contact, language)
        name = shown["name"]
        typer.echo(f"\n{shown['kind']}" + (f": {name}" if name and name != shown["kind"]
                                           else ""))
        if shown["purpose"]:
            typer.echo(f"  {' '.join(shown['purpose'].split())}")
        if contact.phone:
            typer.echo(f"  {labels['phone']}: {contact.phone}")
        if contact.website:
            typer.echo(f"  {labels['website']}: {contact.website}")
        if contact.source is not None:
            source = contact.source
            dated = labels["source_date"].format(date=source.date.isoformat()) \
                if source.date else labels["undated"]
            note = f"; {labels['secondary_source']}" if not source.official else ""
            typer.echo(f"  {labels['source']}: {source.title} <{source.url}> ({dated}; "
                       f"{labels['checked'].format(date=source.checked.isoformat())}{note})")
        if shown["prompt"]:
            typer.echo(f"  {' '.join(shown['prompt'].split())}")


@incident_app.command("deadline")
def deadline(
    aware_at: Annotated[str, typer.Option(
        "--aware-at", metavar="WHEN", help="When the business became aware of the breach: "
                                           "2026-11-25T14:30 (in --time-zone) or with an offset.")],
    time_zone: Annotated[str, typer.Option("--time-zone", help="The business's time zone, "
                                                                "e.g. Europe/Warsaw.")],
    lang: Lang = "en",
) -> None:
    """The GDPR Art. 33 deadline: 72 hours from becoming aware of a personal-data breach."""
    from ..incident.breach import BreachInputError, wall_clock, zone
    from ..incident.breach import deadline as breach_deadline

    language = _language(lang)
    try:
        place = zone(time_zone)
        try:
            moment = dt.datetime.fromisoformat(aware_at.strip())
        except ValueError:
            raise typer.BadParameter("give a date and time such as 2026-11-25T14:30",
                                     param_hint="--aware-at") from None
        if moment.tzinfo is None:  # a wall-clock time where the business is
            moment = wall_clock(moment, place.key)
        due = breach_deadline(moment, time_zone)
    except BreachInputError as exc:
        raise typer.BadParameter(exc.message(language)) from None
    typer.echo(due.text(language))
    typer.echo(due.left_text(language))


@incident_app.command("draft")
def draft(
    answers: Annotated[Path, typer.Argument(metavar="ANSWERS", help=(
        "The facts as YAML or JSON: business_name, what_happened, aware_at, time_zone, "
        "data_categories, people_count, measures_taken, contact_email, high_risk, ... "
        "(docs/breach-clock.md lists them)."))],
    format: Annotated[DraftFormat, typer.Option("--format", "-f")] = DraftFormat.text,
    output: Output = None,
    lang: Lang = "en",
) -> None:
    """The draft notification to the data protection authority (GDPR Art. 33(3)), and the
    letter to the people affected (Art. 34) when the risk to them is high."""
    import yaml

    from ..incident.breach import BreachInputError, draft_notification

    language = _language(lang)
    if format is DraftFormat.pdf and output is None:
        raise typer.BadParameter("a PDF is binary: give the file to write with -o FILE",
                                 param_hint="-o")
    try:
        facts = yaml.safe_load(answers.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {answers}: {exc}") from None
    except yaml.YAMLError as exc:
        raise typer.BadParameter(f"{answers} is not YAML or JSON: "
                                 f"{getattr(exc, 'problem', exc)}") from None
    try:
        made = draft_notification(facts, language)
    except BreachInputError as exc:
        raise typer.BadParameter(f"{answers}: {exc.message(language)}") from None
    if format is DraftFormat.pdf:
        from ..incident.breach_pdf import to_pdf

        assert output is not None
        try:
            output.write_bytes(to_pdf(made))
        except OSError as exc:
            raise typer.BadParameter(f"cannot write {output}: {exc}") from None
        return
    write_output(made.to_html() if format is DraftFormat.html else made.to_text(), output)


# --- triage and playbooks ------------------------------------------------------------------------

class ShowFormat(StrEnum):
    text = "text"
    json = "json"


Country = Annotated[str | None, typer.Option(
    "--country", help="The business's country (GB, PL, ES, IT or RO): shows whom to call there.")]
Format = Annotated[ShowFormat, typer.Option("--format", "-f")]

# Where each tool a step links to lives in the CLI.
TOOL_COMMANDS = {
    "evidence_log": "cyberbasics evidence new",
    "breach_clock": "cyberbasics incident deadline",
    "email_check": "cyberbasics email check",
}


def _stdin_is_terminal() -> bool:
    import sys

    return sys.stdin.isatty()


def _country(country: str | None) -> str | None:
    from ..incident.contacts import normalise_country

    if country is None:
        return None
    try:
        return normalise_country(country)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--country") from None


def _parse_answers(given: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for item in given:
        question_id, sign, choice_id = item.partition("=")
        question_id, choice_id = question_id.strip(), choice_id.strip()
        if not sign or not question_id or not choice_id:
            raise typer.BadParameter(f"{item!r}: write it as QUESTION=CHOICE, e.g. "
                                     "what_happened=ransomware", param_hint="--answer")
        if question_id in answers:
            raise typer.BadParameter(f"{question_id!r} is answered twice",
                                     param_hint="--answer")
        answers[question_id] = choice_id
    return answers


@incident_app.command("triage")
def triage(
    answer: Annotated[list[str] | None, typer.Option(
        "--answer", "-a", metavar="QUESTION=CHOICE",
        help="An answer, e.g. what_happened=ransomware (repeatable). Without any, the questions "
             "are asked one by one in the terminal.")] = None,
    country: Country = None,
    lang: Lang = "en",
    format: Format = ShowFormat.text,
) -> None:
    """'I think we've been hacked': a few quick questions, then what to do in the first hour."""
    from ..incident.triage import TriageError, outcome, validate

    language = _language(lang)
    code = _country(country)
    answers = _parse_answers(answer or [])
    if not answers and _stdin_is_terminal():
        # With JSON the questions go to stderr, so stdout stays one JSON document.
        answers = _ask(language, to_stderr=format is ShowFormat.json)
    try:
        answers = validate(answers)
        found = outcome(answers)
    except TriageError as exc:
        raise typer.BadParameter(f"{exc}{_next_hint(answers, language)}",
                                 param_hint="--answer") from None
    if format is ShowFormat.json:
        _print_json({"answers": answers, "outcome": found.to_dict(),
                     **_playbook_document(found.playbook, code, language)})
        return
    console = _console()
    _print_answers(console, answers, language)
    _print_alerts(console, found, language)
    _print_playbook(console, found.playbook, code, language)
    _print_also(console, found.also, language)


def _next_hint(answers: dict[str, str], language: str) -> str:
    """How to go on, when the answers are fine so far but not finished."""
    from ..incident.triage import TriageError, next_question

    try:
        following = next_question(answers, language)
    except TriageError:
        return ""
    if following is None:
        return ""
    choices = ", ".join(choice.id for choice in following.choices)
    return (f". {following.text} Answer with --answer {following.id}=CHOICE, "
            f"CHOICE being one of {choices}")


def _ask(language: str, *, to_stderr: bool = False) -> dict[str, str]:
    """The questions one by one, each a numbered list; Ctrl-C or the end of input stops."""
    from ..incident.triage import next_question
    from ..texts import words

    labels = words("triage", language)["labels"]
    console = _console(stderr=to_stderr)
    _say(console, _line(labels["heading"]), style="bold")
    _say(console, _line(labels["intro"]))
    answers: dict[str, str] = {}
    while (question := next_question(answers, language)) is not None:
        console.print()
        _say(console, question.text, style="bold")
        if question.help:
            _say(console, question.help, style="dim")
        for number, choice in enumerate(question.choices, 1):
            _say(console, choice.text, 6, first=f"{number}. ")
        number = _read_number(console, _line(labels["choose_number"]), len(question.choices))
        answers[question.id] = question.choices[number - 1].id
    console.print()
    return answers


def _read_number(console, prompt: str, highest: int) -> int:
    """A number from 1 to ``highest``, asked again until it is one; Ctrl-C or the end of input
    stops the command (nothing is saved, so there is nothing to lose)."""
    from rich.text import Text

    while True:
        try:
            typed = console.input(Text(f"{prompt} (1-{highest}): "), markup=False, emoji=False)
        except (EOFError, KeyboardInterrupt):
            console.print()
            raise typer.Exit(1) from None
        typed = typed.strip()
        if typed.isdigit() and 1 <= int(typed) <= highest:
            return int(typed)
        _say(console, f"{prompt} (1-{highest}).", style="yellow")


@incident_app.command("playbook")
def playbook(
    playbook_id: Annotated[str, typer.Argument(metavar="ID", help=(
        "ransomware, invoice_fraud, account_hacked, phishing_clicked, lost_device, "
        "personal_data_breach, website_hacked or fake_it_support_call."))],
    country: Country = None,
    lang: Lang = "en",
    format: Format = ShowFormat.text,
) -> None:
    """What to do in the first hour and after, what not to do, and whom to call."""
    from ..incident.playbooks import UnknownPlaybook
    from ..incident.playbooks import playbook as load_playbook

    language = _language(lang)
    code = _country(country)
    try:
        load_playbook(playbook_id, language)
    except UnknownPlaybook as exc:
        raise typer.BadParameter(str(exc), param_hint="ID") from None
    if format is ShowFormat.json:
        _print_json(_playbook_document(playbook_id, code, language))
        return
    _print_playbook(_console(), playbook_id, code, language)


# --- shared rendering ----------------------------------------------------------------------------

def _console(*, stderr: bool = False):
    from rich.console import Console

    return Console(emoji=False, highlight=False, stderr=stderr)


def _line(text: str) -> str:
    return " ".join(str(text).split())


def _say(console, text: str, indent: int = 0, style: str = "", first: str | None = None) -> None:
    """One paragraph wrapped to the terminal with every line indented, the first line starting
    with ``first`` when given (a step's number); plain text, never read as markup."""
    import textwrap

    from rich.text import Text

    lead = " " * indent
    wrapped = textwrap.fill(text, width=max(console.width, 40), initial_indent=(
        lead if first is None else first.rjust(indent)), subsequent_indent=lead,
        break_on_hyphens=False, break_long_words=False)
    console.print(Text(wrapped, style=style), soft_wrap=True)


def _print_json(document: dict) -> None:
    import json

    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _whom_to_call(country: str, playbook_id: str):
    """The contacts for this incident in this country, plus the data protection authority when
    a step asks to call it (the authority is the same whatever caused the breach)."""
    from ..incident.contacts import contacts_for
    from ..incident.playbooks import playbook as load_playbook

    found = contacts_for(country, playbook_id)
    if "data_protection" in load_playbook(playbook_id).call and not any(
        contact.kind == "data_protection" for contact in found
    ):
        found += [contact for contact in contacts_for(country, "personal_data_breach")
                  if contact.kind == "data_protection"]
    return found


def _contact_document(contact, language: str) -> dict:
    from ..incident.contacts import contact_words

    shown = contact_words(contact, language)
    return {
        "id": contact.id,
        "kind": contact.kind,
        "kind_label": shown["kind"],
        "name": shown["name"],
        "purpose": _line(shown["purpose"]) if shown["purpose"] else None,
        "phone": contact.phone,
        "website": contact.website,
        "verified": contact.verified,
        "source": contact.source.url if contact.source else None,
        "prompt": _line(shown["prompt"]) if shown["prompt"] else None,
    }


def _playbook_document(playbook_id: str, country: str | None, language: str) -> dict:
    from ..incident.playbooks import playbook as load_playbook

    document = {"playbook": load_playbook(playbook_id, language).to_dict()}
    if country is not None:
        document["country"] = country
        document["contacts"] = [_contact_document(contact, language)
                                for contact in _whom_to_call(country, playbook_id)]
    return document


def _print_answers(console, answers: dict[str, str], language: str) -> None:

    from ..incident.triage import path
    from ..texts import words

    labels = words("triage", language)["labels"]
    _say(console, _line(labels["your_answers"]), style="bold")
    for question, choice in path(answers, language):
        _say(console, f"{question.text} {choice.text}", 4, first="- ")
    console.print()


def _print_alerts(console, found, language: str) -> None:
    from ..texts import words

    labels = words("triage", language)["labels"]
    for flag in ("money", "personal_data", "ongoing"):
        if getattr(found, flag):
            _say(console, _line(labels[f"{flag}_first"]), 2, style="bold red", first="! ")
    if found.money or found.personal_data or found.ongoing:
        console.print()


def _print_playbook(console, playbook_id: str, country: str | None, language: str) -> None:

    from ..incident.playbooks import playbook as load_playbook
    from ..incident.playbooks import playbook_words

    book = load_playbook(playbook_id, language)
    labels = playbook_words(language)
    contacts = _whom_to_call(country, playbook_id) if country else []
    _say(console, book.title, style="bold")
    _say(console, book.summary)
    _say(console, labels["calm"], style="dim")
    number = 0
    for heading, steps in ((labels["first_hour"], book.first_hour), (labels["later"], book.later)):
        console.print()
        _say(console, heading, style="bold underline")
        for step in steps:
            number += 1
            _print_step(console, number, step, contacts, labels, language)
    console.print()
    _say(console, labels["dont"], style="bold underline")
    for text in book.dont:
        _say(console, text, 4, first="- ")
    console.print()
    _say(console, labels["call"], style="bold underline")
    if country is None:
        _say(console, f"{labels['no_country']} (--country GB, PL, ES, IT, RO)", 2)
    for contact in contacts:
        _print_contact(console, contact, language)
    if book.related:
        console.print()
        _say(console, labels["related"], style="bold underline")
        for other in book.related:
            _say(console, f"{load_playbook(other, language).title} "
                          f"(cyberbasics incident playbook {other})", 4, first="- ")


def _print_step(console, number: int, step, contacts, labels: dict, language: str) -> None:
    _say(console, step.do, 4, first=f"{number}. ")
    _say(console, f"{labels['why']}: {step.why}", 4, style="dim")
    for text in step.dont:
        _say(console, f"{labels['dont']}: {text}", 4)
    if step.call:
        _say(console, f"{labels['call']}: {_callees(step, contacts, language)}", 4)
    for tool in step.tools:
        _say(console, f"> {labels['tools'][tool]} ({TOOL_COMMANDS[tool]})", 4)


def _callees(step, contacts, language: str) -> str:
    """The real places to call when the country is known, else the kinds of place."""
    from ..incident.contacts import contact_words
    from ..texts import words

    named = []
    for contact in contacts:
        if contact.kind in step.call:
            shown = contact_words(contact, language)
            phone = f" {contact.phone}" if contact.phone else ""
            named.append(f"{shown['name']}{phone}")
    if named:
        return "; ".join(named)
    kinds = words("contacts", language)["kinds"]
    return "; ".join(kinds.get(kind, kind) for kind in step.call)


def _print_contact(console, contact, language: str) -> None:
    shown = _contact_document(contact, language)
    labels = _contact_labels(language)
    name = shown["name"]
    _say(console, shown["kind_label"] + (
        f": {name}" if name and name != shown["kind_label"] else ""), 2, style="bold")
    if shown["purpose"]:
        _say(console, shown["purpose"], 4)
    if contact.phone:
        _say(console, f"{labels['phone']}: {contact.phone}", 4)
    if contact.website:
        _say(console, f"{labels['website']}: {contact.website}", 4)
    if shown["prompt"]:
        _say(console, shown["prompt"], 4, style="yellow")


def _contact_labels(language: str) -> dict:
    from ..texts import words

    return words("contacts", language)["labels"]


def _print_also(console, also: tuple[str, ...], language: str) -> None:

    from ..incident.playbooks import playbook as load_playbook
    from ..texts import words

    if not also:
        return
    console.print()
    _say(console, _line(words("triage", language)["labels"]["also"]), style="bold")
    for other in also:
        _say(console, f"{load_playbook(other, language).title} "
                      f"(cyberbasics incident playbook {other})", 4, first="- ")
