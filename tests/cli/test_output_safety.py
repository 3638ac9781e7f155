"""Outside text (DNS records, mail server replies, what users typed) in scan output: it must
not drive the terminal, break CSV rows, run as a spreadsheet formula, or hide behind bidi
and zero-width characters. JSON keeps the raw data."""

import csv
import io
import json
import re
import sys
import unicodedata

import pytest
from rich.console import Console

from cyberbasics.report import scan_output
from cyberbasics.report.safe_text import safe_text
from cyberbasics.scan.model import DomainResult, Finding, ScanFailure, Severity, Status

ESC_CLEAR = "\x1b[2J\x1b[H"  # clear the screen, cursor home
OSC_TITLE = "\x1b]0;pwned\x07"  # set the window title
SGR_RED = "\x1b[31m"  # a colour change: looks like rich's own styling
C1_CSI = "\x9b6n"  # 8-bit CSI: device status report
RLO = "\u202e"  # right-to-left override
ISOLATES = "\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200d\ufeff"

HOSTILE_INPUT = f'=HYPERLINK("http://evil.example"){ESC_CLEAR}[/bold]'
HOSTILE_MESSAGE = f"'{OSC_TITLE}[/red]=1+1' is not valid [link] :warning:\r\n@SUM(A1)"
HOSTILE_TITLE = f"-2+3 {RLO}txt.exe{ISOLATES}"
HOSTILE_SUMMARY = (f'v=spf1 {SGR_RED}[bold red]x[/] :warning: :thumbs_up: "quoted", comma'
                   f'\r=HYPERLINK("http://evil.example")\n+1\u2028{C1_CSI}{ZERO_WIDTH}\x00\x7f\x85')
HOSTILE_NOTICE = f"you typed {RLO}moc.elpmaxe{ESC_CLEAR}"

# What safe_text makes of them.
SAFE_INPUT = '=HYPERLINK("http://evil.example")\\x1b[2J\\x1b[H[/bold]'
SAFE_MESSAGE = "'\\x1b]0;pwned\\x07[/red]=1+1' is not valid [link] :warning:\\r\\n@SUM(A1)"
SAFE_TITLE = "-2+3 \\u202etxt.exe\\u2066\\u2067\\u2068\\u2069"
SAFE_SUMMARY = ('v=spf1 \\x1b[31m[bold red]x[/] :warning: :thumbs_up: "quoted", comma'
                '\\r=HYPERLINK("http://evil.example")\\n+1\\u2028\\x9b6n\\u200b\\u200d\\ufeff'
                "\\x00\\x7f\\x85")
SAFE_NOTICE = "you typed \\u202emoc.elpmaxe\\x1b[2J\\x1b[H"


def hostile_results() -> list[DomainResult]:
    failed = DomainResult(None, HOSTILE_INPUT, "passive", "2026-01-01T00:00:00.000Z", 0,
                          ScanFailure("invalid_domain", HOSTILE_MESSAGE))
    finding = Finding("domain.spf", "email", Status.WARN, Severity.MEDIUM, "spf-x",
                      HOSTILE_TITLE, HOSTILE_SUMMARY, "why", "fix", {"record": HOSTILE_SUMMARY})
    plain = Finding("domain.dns", "dns", Status.PASS, Severity.INFO, "ok", "DNS answers",
                    "All good.", "why", "fix", {})
    scanned = DomainResult(f"evil.example{RLO}", f"@evil.example{RLO}", "passive",
                           "2026-01-01T00:00:00.000Z", 12, None, (finding, plain),
                           HOSTILE_NOTICE)
    return [failed, scanned]


def unsafe_characters(text: str, allowed: str = "\n") -> set[str]:
    """Control, format (bidi, zero-width), separator and surrogate characters in text."""
    return {c for c in text if c not in allowed
            and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")}


# safe_text itself


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b[2J", "\\x1b[2J"),
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
    ("a\nb\rc\td", "a\\nb\\rc\\td"),
    ("\x00\x08\x0b\x0c\x1f\x7f", "\\x00\\x08\\x0b\\x0c\\x1f\\x7f"),
    ("\x80\x85\x9b\x9f", "\\x80\\x85\\x9b\\x9f"),
    ("abc\u202eexe.txt", "abc\\u202eexe.txt"),
    ("\u202a\u202b\u202c\u202d", "\\u202a\\u202b\\u202c\\u202d"),
    ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),
    ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
    ("zero\u200bwidth\u200c\u200d\u2060\ufeff", "zero\\u200bwidth\\u200c\\u200d\\u2060\\ufeff"),
    ("soft\xadhyphen", "soft\\xadhyphen"),
    ("line\u2028para\u2029", "line\\u2028para\\u2029"),
    ("tag\U000e0041", "tag\\U000e0041"),
    ("lone \udcff surrogate", "lone \\udcff surrogate"),
])
def test_invisible_and_control_characters_become_visible_escapes(raw, shown):
    assert safe_text(raw) == shown


@pytest.mark.parametrize("kept", [
    "v=spf1 include:_spf.example.com ~all",
    "[bold]markup[/] and :warning: are text, not control characters",
    "café, straße, bücher.example",
    "日本語.example, пример.рф, مثال.إختبار, דוגמה",
    "emoji 🙂 and the replacement character \ufffd",
    "no-break\xa0space and \u3000 ideographic space",
    "C:\\Users\\adviser\\domains.txt",
])
def test_ordinary_text_is_kept_as_it_is(kept):
    assert safe_text(kept) == kept


def test_none_and_other_values():
    assert safe_text(None) == ""
    assert safe_text(42) == "42"
    assert safe_text(Status.FAIL) == "fail"


def test_no_code_point_gets_through_unescaped():
    every = "".join(chr(cp) for cp in range(sys.maxunicode + 1))
    shown = safe_text(every)
    assert unsafe_characters(shown, allowed="") == set()
    assert shown.isascii() is False  # letters of other scripts are still there
    assert "\\x1b" in shown and "\\u202e" in shown and "\\U000e007f" in shown


# the terminal


def render(results, *, color_system, width=400) -> str:
    file = io.StringIO()
    console = Console(file=file, force_terminal=True, color_system=color_system, width=width,
                      emoji=True, highlight=True)  # the renderer must not rely on these
    scan_output.print_text(results, console=console)
    return file.getvalue()


def test_terminal_output_has_no_outside_escape_sequences_or_bidi():
    # Without colours rich writes no escape sequences itself: any ESC would be a leak.
    output = render(hostile_results(), color_system=None)
    assert "\x1b" not in output
    assert unsafe_characters(output) == set()
    # With colours, the only escape sequences are rich's own colour codes (SGR).
    coloured = render(hostile_results(), color_system="truecolor")
    assert "\x1b" in coloured
    assert unsafe_characters(re.sub(r"\x1b\[[0-9;]*m", "", coloured)) == set()
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == output


def test_terminal_shows_outside_text_literally():
    output = render(hostile_results(), color_system=None)
    for shown in (SAFE_INPUT, SAFE_MESSAGE, SAFE_TITLE, SAFE_NOTICE, SAFE_SUMMARY,
                  "evil.example\\u202e"):
        assert shown in output
    # No emoji substitution, markup shown as written.
    assert "⚠" not in output and "👍" not in output
    assert ":warning:" in output and ":thumbs_up:" in output
    assert "[bold red]x[/]" in output and "[/bold]" in output and "[link]" in output


def test_terminal_styles_come_from_us_not_from_outside_markup():
    coloured = render(hostile_results(), color_system="truecolor")
    # "[bold red]x[/]" would make x bold and red; it stays plain text next to its brackets.
    assert "[bold red]x[/]" in coloured


def test_long_outside_text_folds_instead_of_being_cut_off():
    output = render(hostile_results(), color_system=None, width=80)
    assert "…" not in output
    assert unsafe_characters(output) == set()


def test_default_console_is_safe_too(capsys):
    scan_output.print_text(hostile_results())
    output = capsys.readouterr().out
    assert unsafe_characters(output) == set()
    assert "⚠" not in output and ":warning:" in output
    assert "[bold red]x[/]" in output


# CSV


EXPECTED_ROWS = [
    list(scan_output.CSV_COLUMNS),
    ["", "'" + SAFE_INPUT, "", "", "", "", "", "", "invalid_domain: " + SAFE_MESSAGE],
    ["evil.example\\u202e", "'@evil.example\\u202e", "domain.spf", "email", "warn", "medium",
     "'" + SAFE_TITLE, SAFE_SUMMARY, ""],
    ["evil.example\\u202e", "'@evil.example\\u202e", "domain.dns", "dns", "pass", "info",
     "DNS answers", "All good.", ""],
]


def test_csv_reads_back_as_exactly_the_expected_rows():
    text = scan_output.to_csv(hostile_results())
    assert list(csv.reader(io.StringIO(text, newline=""))) == EXPECTED_ROWS


def test_csv_rows_cannot_be_split_by_readers_that_break_lines_on_cr():
    text = scan_output.to_csv(hostile_results())
    # splitlines() breaks on CR, LF, VT, FF, FS, GS, RS, NEL, U+2028 and U+2029.
    lines = text.splitlines()
    assert len(lines) == len(EXPECTED_ROWS)
    assert all(line.startswith('"') and line.endswith('"') for line in lines)  # all quoted
    assert unsafe_characters(text) == set()
    # A reader with universal newlines (CR read as a line break) sees the same rows.
    assert list(csv.reader(io.StringIO(text, newline=None))) == EXPECTED_ROWS


@pytest.mark.parametrize(("raw", "cell"), [
    ("=1+1", "'=1+1"),
    ("+1", "'+1"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "\\t=1+1"),  # sanitised first: the tab is shown, the cell is not a formula
    ("\r=1+1", "\\r=1+1"),
    ("\u200b=1+1", "\\u200b=1+1"),
    ("\x1b=1+1", "\\x1b=1+1"),
    ('say "hi", then\n=1+1', 'say "hi", then\\n=1+1'),
    ("plain.example", "plain.example"),
])
def test_no_csv_cell_starts_a_formula(raw, cell):
    result = DomainResult(raw, raw, "passive", "2026-01-01T00:00:00.000Z", 0,
                          ScanFailure("invalid_domain", raw))
    rows = list(csv.reader(io.StringIO(scan_output.to_csv([result]), newline="")))
    assert len(rows) == 2
    assert rows[1][:2] == [cell, cell]
    assert rows[1][8] == "invalid_domain: " + safe_text(raw)
    for value in rows[1]:
        assert value[:1] not in ("=", "+", "-", "@", "\t", "\r")


# plain text (-o file)


def test_plain_text_output_is_sanitised_line_for_line():
    text = scan_output.to_plain_text(hostile_results())
    assert unsafe_characters(text) == set()
    assert text.splitlines() == text.split("\n")[:-1]  # no other line breaks
    assert text.split("\n") == [
        SAFE_INPUT,
        "  could not scan: " + SAFE_MESSAGE,
        "",
        "evil.example\\u202e",
        "  note: " + SAFE_NOTICE,
        f"  [WARN] {SAFE_TITLE}: {SAFE_SUMMARY}",
        "  [PASS] DNS answers: All good.",
        "",
    ]


# JSON


def test_json_keeps_the_raw_data():
    document = json.loads(scan_output.to_json(hostile_results()))
    failed, scanned = document["results"]
    assert failed["input"] == HOSTILE_INPUT
    assert failed["error"]["message"] == HOSTILE_MESSAGE
    assert scanned["notice"] == HOSTILE_NOTICE
    assert scanned["findings"][0]["summary"] == HOSTILE_SUMMARY
    assert scanned["findings"][0]["evidence"]["record"] == HOSTILE_SUMMARY
