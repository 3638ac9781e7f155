"""`cyberbasics incident`: help when something has happened, in the terminal.

- `incident contacts --country PL --incident ransomware`: whom to report it to, most urgent
  first, each with the source it was checked against (or the prompt to confirm it);
- `incident deadline --aware-at 2026-11-25T14:30 --time-zone Europe/Warsaw`: the GDPR Art. 33
  72-hour deadline for a personal-data breach, in the business's time zone;
- `incident draft answers.yaml --format text|html|pdf`: the draft notification to the data
  protection authority (and the letter to the people affected when the risk is high), every
  missing fact marked "to fill in".

Words: content/<lang>/contacts.yaml and breach.yaml. Formats: docs/report-to.md,
docs/breach-clock.md.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .options import Output, write_output

incident_app = typer.Typer(help="Help when something has happened: whom to report to, the "
                                "data-breach clock, the draft notification.",
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
    from ..incident.breach import BreachInputError, zone
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
            moment = moment.replace(tzinfo=place)
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
