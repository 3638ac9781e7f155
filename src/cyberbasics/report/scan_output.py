"""Scan results as JSON (the versioned contract), CSV (a row per finding) and text."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Iterator

from ..scan.model import DomainResult, scan_document

CSV_COLUMNS = ("domain", "input", "check", "area", "status", "severity", "title", "summary",
               "error")
_STATUS_STYLE = {"pass": ("✔", "green"), "warn": ("!", "yellow"), "fail": ("✘", "red"),
                 "info": ("i", "blue"), "error": ("?", "magenta")}
_STATUS_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "info": "INFO",
                "error": "COULD NOT CHECK"}


def to_json(results: list[DomainResult]) -> str:
    return json.dumps(scan_document(results), indent=2, ensure_ascii=False) + "\n"


def _cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; advisors open these
    files in one, and inputs and records are outside text, so such cells get a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(results: list[DomainResult]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in results:
        if result.error:
            writer.writerow(map(_cell, [result.domain or "", result.input, "", "", "", "", "",
                                        "", f"{result.error.code}: {result.error.message}"]))
        for f in result.findings:
            writer.writerow(map(_cell, [result.domain, result.input, f.check, f.area, f.status,
                                        f.severity, f.title, f.summary, ""]))
    return buffer.getvalue()


def to_plain_text(results: list[DomainResult]) -> str:
    lines = []
    for result in results:
        lines.append(f"{result.domain or result.input}")
        if result.notice:
            lines.append(f"  note: {result.notice}")
        if result.error:
            lines.append(f"  could not scan: {result.error.message}")
        for f in result.findings:
            lines.append(f"  [{_STATUS_WORD[f.status]}] {f.title}: {f.summary}")
        lines.append("")
    return "\n".join(lines)


def print_text(results: list[DomainResult]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # Summaries quote what domains publish (records, banners) and errors quote what users
    # typed: escaped, so text like "[/x]" is shown as it is, never read as markup.
    console = Console()
    for result in results:
        console.rule(f"[bold]{escape(result.domain or result.input)}")
        if result.notice:
            console.print(f"[dim]{escape(result.notice)}[/]")
        if result.error:
            console.print(f"[red]Could not scan:[/] {escape(result.error.message)}")
            continue
        table = Table(show_header=True, header_style="bold", expand=True)
        table.add_column("", width=2)
        table.add_column("Check", ratio=1)
        table.add_column("Result", ratio=3)
        for f in result.findings:
            mark, colour = _STATUS_STYLE[f.status]
            table.add_row(f"[{colour}]{mark}[/]", f"{escape(f.title)}\n[dim]{f.check}[/]",
                          f"[{colour}]{_STATUS_WORD[f.status]}[/] {escape(f.summary)}")
        console.print(table)
        counts = {s: sum(1 for f in result.findings if f.status == s) for s in _STATUS_WORD}
        console.print("  ".join(f"{_STATUS_WORD[s].lower()}: {n}" for s, n in counts.items()
                                if n) + f"   ({result.duration_ms} ms)")


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
