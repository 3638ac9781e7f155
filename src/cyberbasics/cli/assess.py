"""`cyberbasics assess` and `cyberbasics plan`: the inside view from an answers file, fused
with a scan when one is given."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .options import Output, write_output

Answers = Annotated[Path | None, typer.Option(
    "--answers", metavar="YAML", help="The answers file (cyberbasics assess --template "
                                      "writes a blank one).")]
Scan = Annotated[Path | None, typer.Option(
    "--scan", metavar="JSON", help="A scan's JSON output (scan --format json) for the "
                                   "business's domains; optional.")]
Lang = Annotated[str, typer.Option("--lang", help="Language: en, pl, es, it or ro.")]


class ResultFormat(StrEnum):
    text = "text"
    json = "json"


def _review(answers_path: Path, scan_path: Path | None, lang: str):
    from ..assess.answers import AnswersFileError, read_answers
    from ..assess.catalogue import load_catalogue
    from ..assess.review import build_review
    from ..assess.scan_file import ScanFileError, read_scan
    from ..texts import LANGUAGES

    if lang not in LANGUAGES:
        raise typer.BadParameter(f"unknown language {lang!r}; choose one of "
                                 f"{', '.join(LANGUAGES)}", param_hint="--lang")
    catalogue = load_catalogue()
    try:
        answers = read_answers(answers_path, catalogue)
    except AnswersFileError as exc:
        raise typer.BadParameter(f"{answers_path}: {exc}", param_hint="--answers") from None
    scan = None
    if scan_path is not None:
        try:
            scan = read_scan(scan_path, answers.business.get("domains") or ())
        except ScanFileError as exc:
            raise typer.BadParameter(str(exc), param_hint="--scan") from None
    for problem in answers.problems:
        typer.echo(f"{answers_path}: {problem}", err=True)
    return build_review(catalogue, answers, scan, lang)


def assess(
    answers: Answers = None,
    scan: Scan = None,
    format: Annotated[ResultFormat, typer.Option("--format", "-f")] = ResultFormat.text,
    output: Output = None,
    lang: Lang = "en",
    template: Annotated[bool, typer.Option(
        "--template", help="Write a blank answers file: every question id with its "
                           "options in a comment.")] = False,
) -> None:
    """Answer the questions in the terminal (-o FILE, resumable), score an answers file
    (--answers, with --scan fused with the outside view), or write a blank one (--template)."""
    if template:
        write_output(answers_template(lang), output)
        return
    if answers is None:
        if output is None:
            raise typer.BadParameter(
                "give -o FILE to answer the questions here (the answers are saved in FILE "
                "after each one, and the same command carries on where you stopped), "
                "--answers FILE to score a filled-in file, or --template to write a blank one",
                param_hint="-o")
        if scan is not None or format is not ResultFormat.text:
            raise typer.BadParameter(
                "--scan and --format go with --answers: answer the questions first "
                "(assess -o FILE), then run assess --answers FILE --scan ...",
                param_hint="--scan/--format")
        from ..texts import LANGUAGES
        from .questionnaire import QuestionnaireError, run_questionnaire

        if lang not in LANGUAGES:
            raise typer.BadParameter(f"unknown language {lang!r}; choose one of "
                                     f"{', '.join(LANGUAGES)}", param_hint="--lang")
        try:
            run_questionnaire(output, lang)
        except QuestionnaireError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        return
    from ..assess.review import to_result_json

    review = _review(answers, scan, lang)
    if format is ResultFormat.json:
        write_output(json.dumps(to_result_json(review), indent=2, ensure_ascii=False), output)
    else:
        write_output(result_text(review), output)


def plan(answers: Annotated[Path, typer.Option("--answers", metavar="YAML")],
         scan: Scan = None, lang: Lang = "en") -> None:
    """The action plan as a table: the top five first, then the rest by area."""
    from rich.console import Console
    from rich.table import Table

    from ..assess.review import area_name, word
    from ..report.review_model import ReviewWords
    from ..report.safe_text import safe_text

    review = _review(answers, scan, lang)
    t = ReviewWords(lang)
    table = Table(title=safe_text(review.answers.business.get("name") or ""))
    for column in ("#", t("column_action"), t("column_area"), t("column_effort"),
                   t("cost_label"), t("tag_quick_win"), t("column_verify")):
        table.add_column(column)
    for rank, planned in enumerate(review.plan.actions, 1):
        action = planned.action
        table.add_row(str(rank), word(lang, f"action.{planned.id}", "title"),
                      area_name(lang, planned.area), t("effort_minutes",
                                                       minutes=action.effort_minutes),
                      t.texts["costs"][action.cost_band],
                      t("tag_quick_win") if action.quick_win else "",
                      t.texts["verify"][action.verify_by[0]], end_section=rank == 5)
    Console(emoji=False, highlight=False).print(table)


def result_text(review) -> str:
    from ..assess.review import area_name, word
    from ..report.wording import Words

    lang, result = review.language, review.assessment
    say = Words(language=lang)
    texts = say.texts

    def band(name):
        return texts["bands"].get(name, name) if name else say("review_no_score")

    score = result.overall if result.overall is not None else "-"
    lines = [f"{review.answers.business.get('name') or ''}: {score} / 100 "
             f"({band(result.band)})"]
    if result.capped_by and result.uncapped is not None and result.uncapped > result.overall:
        controls = ", ".join(word(lang, f"control.{c}") for c in result.capped_by)
        lines.append("  " + say("review_capped", controls=controls, uncapped=result.uncapped))
    for area in result.areas:
        name = area_name(lang, area.id, area.source)
        value = "-" if area.score is None else str(area.score)
        state = band(area.band) if area.band else say("review_not_scored")
        known = f", {say('review_not_known', count=len(area.unknown))}" if area.unknown else ""
        lines.append(f"  {name}: {value} ({state}){known}")
    if review.scan is None:
        lines.append("  " + say("review_no_scan"))
    for conflict in review.fused.conflicts:
        lines.append("  " + say("review_conflict", question=conflict.question,
                                summary=conflict.summary))
    if review.plan.top:
        lines.append(say("review_first"))
    for planned in review.plan.top:
        lines.append(f"  - {word(lang, f'action.{planned.id}', 'title')} "
                     f"({say('review_minutes', minutes=planned.action.effort_minutes)})")
    return "\n".join(lines) + "\n"


def answers_template(lang: str = "en") -> str:
    from ..assess.catalogue import load_catalogue
    from ..assess.review import word

    catalogue = load_catalogue()
    lines = ["# Cyber Basics answers file. Fill in the business, then one option id per",
             "# question (dont_know is always allowed). Questions that do not concern your",
             "# business may be left out.",
             f'catalogue: "{catalogue.version}"',
             "business:",
             '  name: ""',
             '  country: ""',
             *[f"  # {field}: {'|'.join(kind) if isinstance(kind, tuple) else kind}"
               for field, kind in catalogue.profile.items()],
             "answers:"]
    for question in catalogue.questions:
        text = " ".join(word(lang, f"question.{question.id}", "text").split())
        lines.append(f"  # {text}")
        lines.append(f"  #   options: {', '.join(o.id for o in question.options)}")
        lines.append(f"  # {question.id}: ")
    return "\n".join(lines) + "\n"
