"""Scan results as JSON (the versioned contract), CSV (a row per finding), text and HTML.

Every output but CSV shows each scanned domain's grades (formula ``cyberbasics.grades/1``,
``scan/grades.py``), computed here from the findings: the engine's results carry none."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..scan.grades import ResultGrades, grade_result
from ..scan.model import DomainResult, scan_document
from .safe_text import safe_text
from .wording import Words, grade_lines

if TYPE_CHECKING:
    from rich.console import Console

CSV_COLUMNS = ("domain", "input", "check", "area", "status", "severity", "title", "summary",
               "error")
_STATUS_STYLE = {"pass": ("✔", "green"), "warn": ("!", "yellow"), "fail": ("✘", "red"),
                 "info": ("i", "blue"), "error": ("?", "magenta")}
_SHORT_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "info": "INFO",
               "error": "N/C"}  # "not checked": the legend below the list says so
_STATUS_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "info": "INFO",
                "error": "COULD NOT CHECK"}


def result_grades(result: DomainResult) -> ResultGrades | None:
    """The grades of one result; None when the domain could not be scanned, or when its
    findings cannot be graded honestly (only hand-built results: two findings for one check,
    a check the registry does not know). A report then shows no grade rather than failing."""
    try:
        return grade_result(result)
    except ValueError:
        return None


def document(results: list[DomainResult]) -> dict[str, Any]:
    """The ``cyberbasics.scan/1`` document, each result with its ``grades``."""
    data = scan_document(results)
    for shown, result in zip(data["results"], results, strict=True):
        graded = result_grades(result)
        shown["grades"] = graded.to_json() if graded is not None else None
    return data


def to_json(results: list[DomainResult]) -> str:
    return json.dumps(document(results), indent=2, ensure_ascii=False) + "\n"


def to_html(results: list[DomainResult], language: str = "en") -> str:
    """One self-contained, accessible HTML page (``--format html``)."""
    from .html import to_html as render_html  # Jinja2 only when a page is asked for

    return render_html(results, language)


def _titles(result: DomainResult) -> dict[str, str]:
    return {f.check: f.title for f in result.findings}


def _cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; advisors open these
    files in one, and inputs and records are outside text, so such cells get a quote.
    Sanitised first, so no CR or LF can start a new row and no control or bidi character
    reaches the sheet; the guard then looks at what is left."""
    text = safe_text(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(results: list[DomainResult]) -> str:
    buffer = io.StringIO()
    # Every cell quoted: defence in depth should a CR or LF ever reach a cell.
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for result in results:
        if result.error:
            writer.writerow(map(_cell, [result.domain or "", result.input, "", "", "", "", "",
                                        "", f"{result.error.code}: {result.error.message}"]))
        for f in result.findings:
            writer.writerow(map(_cell, [result.domain, result.input, f.check, f.area, f.status,
                                        f.severity, f.title, f.summary, ""]))
    return buffer.getvalue()


def to_plain_text(results: list[DomainResult], language: str = "en") -> str:
    # Every field through safe_text: one line each, no control or bidi characters.
    lines = []
    for result in results:
        lines.append(safe_text(result.domain or result.input))
        if result.notice:
            lines.append(f"  note: {safe_text(result.notice)}")
        if result.error:
            lines.append(f"  could not scan: {safe_text(result.error.message)}")
        graded = result_grades(result)
        if graded is not None:
            lines += [f"  {safe_text(line)}" for line in grade_lines(
                Words(language=language), graded, _titles(result))]
        for f in result.findings:
            lines.append(f"  [{_STATUS_WORD[f.status]}] {safe_text(f.title)}: "
                         f"{safe_text(f.summary)}")
        lines.append("")
    return "\n".join(lines)


def print_text(results: list[DomainResult], console: Console | None = None,
               language: str = "en") -> None:
    """Results as rich text on ``console`` (default: a new one on stdout)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Summaries quote what domains publish (records, banners) and errors quote what users
    # typed. Such text goes in as Text objects, never as markup, so "[/x]" and ":warning:"
    # are shown as they are (no markup, emoji or highlighting), and through safe_text, so no
    # ESC sequence, other control or bidi character reaches the terminal. Long words fold
    # onto the next line rather than being cut off, so nothing is hidden.
    def outside(value, style: str = "") -> Text:
        return Text(safe_text(value), style=style, overflow="fold")

    if console is None:
        console = Console(emoji=False, highlight=False)
    for result in results:
        console.rule(outside(result.domain or result.input, "bold"))
        if result.notice:
            console.print(outside(result.notice, "dim"))
        if result.error:
            console.print(Text.assemble(("Could not scan:", "red"), " ",
                                        outside(result.error.message), overflow="fold"))
            continue
        graded = result_grades(result)
        if graded is not None:
            overall, *rest = grade_lines(Words(language=language), graded,
                                         _titles(result))
            console.print(outside(overall, "bold"))
            for line in rest:
                console.print(outside(line))
            console.print()
        # A list rather than a boxed table: it stays readable in a narrow terminal or phone.
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(width=6, no_wrap=True)
        table.add_column(ratio=1)
        for f in result.findings:
            mark, colour = _STATUS_STYLE[f.status]
            word = _SHORT_WORD[f.status]
            table.add_row(Text(f"{mark} {word}", style=f"bold {colour}"),
                          Text.assemble(outside(f.title, "bold"), "\n", outside(f.summary),
                                        "\n", outside(f.check, "dim"), overflow="fold"))
            table.add_row("", "")
        console.print(table)
        counts = {s: sum(1 for f in result.findings if f.status == s) for s in _STATUS_WORD}
        console.print("  ".join(f"{_STATUS_WORD[s].lower()}: {n}" for s, n in counts.items()
                                if n) + f"   ({result.duration_ms} ms)",
                      emoji=False, highlight=False, markup=False)
        if counts.get("error"):
            console.print("N/C = could not check (a timeout or refusal): neither a pass nor a "
                          "fail; scan again later.", style="dim", emoji=False, highlight=False,
                          markup=False)


@contextlib.contextmanager
def progress_bar(total: int) -> Iterator:
    """A progress bar on stderr for batches, when someone is watching."""
    if total < 2 or not sys.stderr.isatty():
        yield lambda result: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Scanning", total=total)
        yield lambda result: progress.advance(task)
