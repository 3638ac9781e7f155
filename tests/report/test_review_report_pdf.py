"""The review report as a PDF (golden test against the lab florist, read back with pypdf) and
the `report` command in every format. Run with -s to see the PDF's time and page count."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from importlib import resources

import jsonschema
import pytest
import typer
from pypdf import PdfReader
from typer.testing import CliRunner

from cyberbasics.cli.report_command import report as report_command
from cyberbasics.report.review_model import build_report, review_texts
from cyberbasics.report.review_pdf import NoFetching, to_pdf

from .test_review_report import (  # the fixtures are shared, hence the noqa
    ANSWERS,
    DAY,
    HOSTILE,
    english_fixture,  # noqa: F401
    hostile_review,
    png,
    reports_fixture,  # noqa: F401
    scan_file_fixture,  # noqa: F401
)

runner = CliRunner()
SCHEMA = json.loads(resources.files("cyberbasics.schemas").joinpath("result-1.json")
                    .read_text())


def cli():
    """`cyberbasics report` as the main app will register it."""
    app = typer.Typer()
    app.command("report")(report_command)
    app.command("version")(lambda: None)  # two commands: `report` stays a sub-command
    return app


def run(*args):
    return runner.invoke(cli(), ["report", "--answers", str(ANSWERS), *map(str, args)])


def text_of(pdf: bytes) -> tuple[list[str], PdfReader]:
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages], reader


@pytest.fixture(scope="module")
def golden(english):
    """The florist's PDF, timed (the time is printed, not asserted)."""
    started = time.perf_counter()
    import weasyprint  # noqa: F401  (timed apart: a command pays it once)

    imported = time.perf_counter()
    pdf = to_pdf(english)
    done = time.perf_counter()
    pages, reader = text_of(pdf)
    print(f"\nreview PDF (florist, en): {done - imported:.2f} s to render (HTML + PDF), "
          f"{imported - started:.2f} s to import WeasyPrint, {len(pages)} pages, "
          f"{len(pdf) // 1024} KiB")
    return pdf, pages, reader


def test_the_golden_pdf(golden, english):
    pdf, pages, reader = golden
    assert pdf.startswith(b"%PDF-")
    assert 10 <= len(pages) <= 60
    cover, everything = pages[0], " ".join(pages)
    # The cover: the business, the date and the score with its band.
    assert "Fleur & Co (lab)" in cover and "30 November 2026" in cover
    assert f"{english.overall.score} of 100" in cover and english.overall.band_name in cover
    # The top five actions, in order, early in the document.
    start = everything.index(review_texts("en")["first_heading"])
    positions = [everything.index(a.title, start) for a in english.top_actions]
    assert positions == sorted(positions) and len(positions) == 5
    for area in english.areas:
        assert area.name in everything
    for framework in english.frameworks:
        assert framework.name in everything
    # The appendix, for advisors, with a finding and its evidence.
    appendix = next(i for i, p in enumerate(pages)
                    if p.startswith(review_texts("en")["appendix_heading"]))
    rest = " ".join(pages[appendix:])
    finding = english.findings[0].findings[0]
    assert finding.title in rest and '"domain": "florist.example"' in rest
    assert appendix > len(pages) // 3
    # Page numbers on every page but the cover.
    assert f"Page 2 of {len(pages)}" in pages[1]
    assert "Page" not in cover.split("Contents")[0]
    assert reader.metadata.title == "Cyber security review: Fleur & Co (lab)"


def test_the_pdf_links_only_inside_itself(golden):
    _, _, reader = golden
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            assert "/URI" not in action, action


def test_the_pdf_fetches_nothing():
    fetcher = NoFetching.create()
    for url in ("https://evil.example/x.png", "http://127.0.0.1/", "file:///etc/passwd",
                "ftp://evil.example/"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_a_hostile_pdf_renders_as_text():
    report = build_report(hostile_review(), date=DAY)
    pages, _ = text_of(to_pdf(report))
    everything = " ".join(pages)
    assert "<script>alert(1)</script>" in everything  # shown, never run or fetched
    assert "\u202e" not in everything


@pytest.mark.parametrize("lang, page_word", [("pl", "Strona"), ("es", "Página"),
                                             ("it", "Pagina"), ("ro", "Pagina")])
def test_each_language_prints_in_its_own_words(reports, lang, page_word):
    report = reports[lang]
    pages, _ = text_of(to_pdf(report))
    words = review_texts(lang)
    assert re.search(rf"{page_word} 2 \w+ {len(pages)}", pages[1])
    assert words["first_heading"] in " ".join(pages)
    assert report.date_text in pages[0]
    assert review_texts("en")["first_heading"] not in " ".join(pages)


# --- the command ----------------------------------------------------------------------------

def test_report_pdf_from_the_command(scan_file, tmp_path):
    out = tmp_path / "report.pdf"
    started = time.perf_counter()
    done = run("--scan", scan_file, "--lang", "pl", "--format", "pdf", "-o", out)
    seconds = time.perf_counter() - started
    assert done.exit_code == 0, done.output
    pages, _ = text_of(out.read_bytes())
    print(f"\nreport --format pdf --lang pl (in-process command): {seconds:.2f} s, "
          f"{len(pages)} pages")
    assert "Fleur & Co (lab)" in pages[0] and "Twój wynik" in " ".join(pages)


def test_a_pdf_needs_an_output_file(scan_file):
    done = run("--scan", scan_file, "--format", "pdf")
    assert done.exit_code != 0 and "-o" in done.output


def test_report_json_is_the_result_contract(scan_file):
    done = run("--scan", scan_file, "--format", "json", "--lang", "it")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    jsonschema.validate(result, SCHEMA)
    assert result["language"] == "it" and result["scan"]["domains"] == ["florist.example"]


def test_report_html_and_csv(scan_file):
    html = run("--scan", scan_file, "--lang", "es")
    assert html.exit_code == 0 and html.stdout.startswith("<!doctype html>")
    assert '<html lang="es">' in html.stdout
    table = run("--scan", scan_file, "--format", "csv")
    rows = list(csv.reader(io.StringIO(table.stdout)))
    assert rows[0][0] == "kind" and {r[0] for r in rows[1:]} == {"action", "finding"}


def test_previous_shows_the_change(scan_file, tmp_path):
    earlier = tmp_path / "earlier.json"
    done = run("--scan", scan_file, "--format", "json", "-o", earlier)
    assert done.exit_code == 0, done.output
    result = json.loads(earlier.read_text())
    result["overall"]["score"] -= 7
    earlier.write_text(json.dumps(result))
    page = run("--scan", scan_file, "--previous", earlier)
    assert page.exit_code == 0, page.output
    text = page.stdout
    assert review_texts("en")["change_heading"] in text
    assert "Overall: up 7 points" in text
    out = tmp_path / "change.pdf"
    assert run("--scan", scan_file, "--previous", earlier, "--format", "pdf",
               "-o", out).exit_code == 0
    assert "up 7 points" in " ".join(text_of(out.read_bytes())[0])


def test_previous_of_another_business_or_not_a_result_is_refused(tmp_path):
    other = tmp_path / "other.json"
    result = json.loads(run("--format", "json").stdout)
    result["business"]["name"] = "Another shop"
    other.write_text(json.dumps(result))
    done = run("--previous", other)
    assert done.exit_code != 0 and "Another shop" in done.output
    scan_like = tmp_path / "scan.json"
    scan_like.write_text('{"schema": "cyberbasics.scan/1"}')
    done = run("--previous", scan_like)
    assert done.exit_code != 0 and "cyberbasics.result/1" in done.output
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json {")
    assert run("--previous", garbage).exit_code != 0


def test_branding_shows(scan_file, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(8, 4))
    page = run("--brand-name", "Acme Cyber Advisors", "--brand-logo", logo)
    assert page.exit_code == 0, page.output
    assert "Prepared by Acme Cyber Advisors" in page.stdout
    assert 'src="data:image/png;base64,' in page.stdout
    assert 'alt="Logo of Acme Cyber Advisors"' in page.stdout
    out = tmp_path / "branded.pdf"
    done = run("--brand-name", "Acme Cyber Advisors", "--brand-logo", logo, "--format", "pdf",
               "-o", out)
    assert done.exit_code == 0, done.output
    pages, reader = text_of(out.read_bytes())
    assert "Prepared by Acme Cyber Advisors" in pages[0]
    assert reader.metadata.author == "Acme Cyber Advisors"
    assert any("/Image" in str(x) or "/XObject" in str(x)
               for x in reader.pages[0].get("/Resources", {}))


def test_a_logo_that_is_not_a_png_is_refused(tmp_path):
    fake = tmp_path / "logo.png"
    fake.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64)
    done = run("--brand-logo", fake)
    assert done.exit_code != 0 and "not a PNG" in done.output
    svg = tmp_path / "logo.svg"
    svg.write_text(f"<svg xmlns='http://www.w3.org/2000/svg'><script>{HOSTILE}</script></svg>")
    assert run("--brand-logo", svg, "--format", "pdf", "-o", tmp_path / "x.pdf").exit_code != 0
    assert not (tmp_path / "x.pdf").exists()
    assert run("--brand-logo", tmp_path / "missing.png").exit_code != 0
