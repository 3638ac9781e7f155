"""The review report's model, HTML page, CSV and charts: built from the lab florist's answers and
a lab scan of its domain, and from hand-built hostile input that must never become markup."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cyberbasics.assess.answers import parse_answers
from cyberbasics.assess.catalogue import load_catalogue
from cyberbasics.assess.review import build_review, to_result_json
from cyberbasics.assess.scan_file import scan_summary
from cyberbasics.cli.assess import _review
from cyberbasics.cli.main import app as main_app
from cyberbasics.report import charts, review_html
from cyberbasics.report.review_csv import COLUMNS, to_csv
from cyberbasics.report.review_model import (
    BrandingError,
    PreviousResultError,
    build_report,
    check_previous,
    evidence_text,
    make_branding,
    png_size,
    review_texts,
)
from cyberbasics.report.wording import report_texts
from cyberbasics.texts import CONTENT_DIR, LANGUAGES

from .test_html_report import Page

runner = CliRunner()
ANSWERS = Path(str(resources.files("cyberbasics.lab").joinpath("answers/florist.yaml")))
DAY = dt.date(2026, 11, 30)
HOSTILE = '<script>alert(1)</script><img src="https://evil.example/x.png">\u202eexe.txt & {{ 7*7 }}'
FORMULA = '=HYPERLINK("https://evil.example/","click")'


@pytest.fixture(scope="session", name="scan_file")
def scan_file_fixture(world, tmp_path_factory):
    path = tmp_path_factory.mktemp("review-scan") / "scan.json"
    done = runner.invoke(main_app, ["scan", "florist.example", "--format", "json", "-o",
                                    str(path), *world.scan_arguments()])
    assert done.exit_code == 0, done.output
    return path


@pytest.fixture(scope="session", name="reports")
def reports_fixture(scan_file):
    """The florist's report in every language, built once."""
    return {lang: build_report(_review(ANSWERS, scan_file, lang), date=DAY)
            for lang in LANGUAGES}


@pytest.fixture(scope="session", name="english")
def english_fixture(reports):
    return reports["en"]


@pytest.fixture(scope="session")
def page_text(english):
    return review_html.to_html(english)


@pytest.fixture(scope="session")
def page(page_text):
    return Page(page_text)


def png(width=2, height=1, *, extra=b""):
    """A real PNG, built by hand."""
    import struct
    import zlib

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\x20\x40\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"") + extra)


def hostile_review(language="en"):
    """A review whose every outside text is hostile: business name, an answer's note, the
    scan's summaries and evidence."""
    catalogue = load_catalogue()
    answers = parse_answers(
        'catalogue: "2026.11.0"\n'
        f"business: {{name: {json.dumps(HOSTILE)}, country: PL, size: 2, "
        f"sector: {json.dumps(FORMULA)}, platforms: [google_workspace, macos]}}\n"
        "answers:\n"
        "  backups.regular: automatic_daily\n"
        f"  mfa.email: {{option: some, source: advisor, note: {json.dumps(HOSTILE)}}}\n",
        catalogue)
    finding = {"check": "email.dmarc.policy", "area": "email", "status": "fail",
               "severity": "high", "result": "no-such-result", "title": HOSTILE,
               "summary": FORMULA + " " + HOSTILE, "why": "w", "fix": "f",
               "evidence": {"record": HOSTILE, "nested": {"list": [HOSTILE, 1, None]}}}
    scan = scan_summary({"schema": "cyberbasics.scan/1", "results": [
        {"domain": "example.com", "input": "example.com", "mode": "passive",
         "findings": [finding], "grades": {"areas": [{"area": "email", "score": 40}]}}]})
    return build_review(catalogue, answers, scan, language)


# --- the model ------------------------------------------------------------------------------

def test_the_model_holds_the_review(english):
    review = english.review
    assert english.business_name == "Fleur & Co (lab)"
    assert english.overall.score == review.assessment.overall
    assert english.overall.band_name == yaml.safe_load(
        (CONTENT_DIR / "en" / "report.yaml").read_text(encoding="utf-8"))["bands"][
            english.overall.band]
    assert [a.id for a in english.top_actions] == [p.id for p in review.plan.top]
    assert len(english.actions) == len(review.plan.actions) == english.action_count
    assert [a.rank for a in english.actions] == list(range(1, english.action_count + 1))
    assert {a.id for a in english.areas} >= {"backups", "email", "web"}
    assert [f.id for f in english.frameworks] == [
        "cis_ig1", "cyber_essentials", "enisa_sme", "gdpr_security", "nist_csf"]
    assert english.scan_domains == ("florist.example",)
    assert english.finding_count == len(english.all_findings) > 10
    assert english.change is None and english.branding.logo is None
    assert english.result["schema"] == "cyberbasics.result/1"
    assert english.date_text == "30 November 2026"


def test_how_to_is_for_the_business_platforms(english):
    # The florist uses Microsoft 365, Windows and phones: no Google or Mac steps.
    shown = {h.platform for a in english.actions for h in a.how}
    assert shown <= {"microsoft365", "windows", "mobile", "router"}
    assert {"microsoft365", "windows"} <= shown
    first = english.top_actions[0]
    assert first.why and first.how and first.effort.startswith("About")


def test_readiness_never_says_compliant(english, page_text):
    for framework in english.frameworks:
        assert framework.total == framework.met + framework.partly + framework.not_met \
            + framework.unknown
        assert framework.prediction in ("ready", "not_ready", "cannot_predict")
    essentials = next(f for f in english.frameworks if f.id == "cyber_essentials")
    assert essentials.blockers and all(b.title for b in essentials.blockers)
    assert "complian" not in page_text.lower()


def test_unknowns_conflicts_and_notes(english):
    assert "devices.encryption" in {u.question for u in english.unknown}
    assert all(u.text and not u.text.startswith("question.") for u in english.unknown)
    [conflict] = english.conflicts
    assert conflict.question == "email.spoofing" and conflict.said and conflict.seen
    [note] = english.notes
    assert note.question == "mfa.email" and "second step" in note.note


def test_findings_worst_first_in_each_area(english):
    rank = {"fail": 0, "warn": 1, "error": 2, "pass": 3, "info": 4}
    for group in english.findings:
        order = [rank[f.status] for f in group.findings]
        assert order == sorted(order), group.area
    anchors = [f.anchor for f in english.all_findings]
    assert len(anchors) == len(set(anchors))
    # Repeated evidence is shown once and pointed to.
    for finding in english.all_findings:
        if finding.same_as:
            assert finding.same_as[0] in anchors and finding.evidence == ""


def test_evidence_is_compact_json_with_escapes():
    evidence = {"a": [1, 2, 3], "long": ["x" * 60, "y" * 60], "text": "bad\u202e\x1b[2J"}
    text = evidence_text(evidence, width=40)
    assert '"a": [1, 2, 3],' in text and '"long": [' in text
    assert "\\u202e" in text and "\\u001b" in text and "\u202e" not in text and "\x1b" not in text
    assert json.loads(evidence_text({"k": [1, {"b": None}]}, width=10)) == \
        {"k": [1, {"b": None}]}


# --- the HTML page --------------------------------------------------------------------------

def test_page_is_well_formed_and_self_contained(page, page_text):
    assert page.problems == []
    assert page.declarations == ["doctype html"]
    assert len(page.ids) == len(set(page.ids))
    targets = {a["href"][1:] for a in page.elements("a")}
    assert targets <= set(page.ids)
    assert page_text.rstrip().endswith("</html>")
    # No script, no external resource, no link out.
    assert not page.elements("script") and not page.elements("link")
    for tag, attributes in page.tags:
        for name in ("src", "href", "action", "xlink:href"):
            value = attributes.get(name)
            assert value is None or value.startswith(("#", "data:image/png;base64,")), \
                (tag, name, value)
    assert "http://" not in page.style and "https://" not in page.style
    csp = [m for m in page.elements("meta") if m.get("http-equiv")]
    assert "default-src 'none'" in csp[0]["content"]


def test_page_language_landmarks_and_headings(page):
    assert page.elements("html")[0]["lang"] == "en"
    names = [tag for tag, _ in page.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert names.count(landmark) == 1
    assert page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, page.headings  # no level skipped
    assert page.elements("a")[0]["href"] == "#main"  # the skip link


def test_pictures_have_text_alternatives(page, page_text, english):
    svgs = page.elements("svg")
    assert len(svgs) >= 3  # gauge, areas, frameworks
    for svg in svgs:
        assert svg["role"] == "img" and svg["aria-label"]
    assert page_text.count("<title id=") == len(svgs)
    assert page_text.count("<desc id=") == len(svgs)
    gauge = svgs[0]["aria-label"]
    assert str(english.overall.score) in gauge and english.overall.band_name in gauge
    # Every number a picture shows is also in words or a table.
    for area in english.areas:
        assert area.name in page.all_text


def test_every_interface_word_comes_from_the_words_files():
    folder = Path(review_html.__file__).with_name("templates")
    for template in folder.glob("review*.j2"):
        body = re.sub(r"<style>.*?</style>", "", template.read_text(encoding="utf-8"),
                      flags=re.DOTALL)
        body = re.sub(r"{#.*?#}|{{.*?}}|{%.*?%}|<[^>]*>", "", body, flags=re.DOTALL)
        assert set(re.findall(r"[A-Za-z]{2,}", body)) == set(), template.name


def test_hostile_text_never_becomes_markup():
    report = build_report(hostile_review(), date=DAY,
                          branding=make_branding(HOSTILE, png()))
    text = review_html.to_html(report)
    page = Page(text)
    assert page.problems == []
    assert "<script" not in text and not page.elements("script")
    assert "evil.example" in text  # shown as text...
    for tag, attributes in page.tags:  # ...never as a link or an image
        for name, value in attributes.items():
            if "evil.example" in str(value):
                assert name in ("content", "alt", "aria-label"), (tag, attributes)
    assert [img["src"][:22] for img in page.elements("img")] == ["data:image/png;base64,"]
    assert "\u202e" not in text and "\\u202e" in text
    assert "&lt;script&gt;" in text
    assert "{{ 7*7 }}" in page.all_text  # not evaluated
    assert page.elements("title")[0] is not None
    assert HOSTILE.replace("\u202e", "\\u202e") in page.all_text  # the business name


def test_a_review_without_a_scan_says_so():
    catalogue = load_catalogue()
    review = build_review(catalogue, parse_answers(ANSWERS.read_text(), catalogue), None, "en")
    report = build_report(review, date=DAY)
    assert report.scan_domains is None and report.findings == ()
    page = Page(review_html.to_html(report))
    assert page.problems == []
    assert review_texts("en")["no_scan"] in page.all_text


@pytest.mark.parametrize("lang", ["pl", "es", "it", "ro"])
def test_each_language_has_its_own_words(reports, lang):
    report = reports[lang]
    text = review_html.to_html(report)
    page = Page(text)
    assert page.problems == []
    assert page.elements("html")[0]["lang"] == lang
    english, own = dict(review_texts("en")), dict(review_texts(lang))
    shared = ("bands", "status", "severity", "areas", "why", "fix", "technical", "check_id",
              "result_key", "evidence", "severity_word")
    english.update({f"report.{k}": v for k, v in report_texts("en").items() if k in shared})
    own.update({f"report.{k}": v for k, v in report_texts(lang).items() if k in shared})
    assert own["first_heading"] in page.all_text
    visible = " ".join(page.all_text.split())
    leaks = []
    for key, value in _leaves(english):
        if value == _leaf(own, key):
            continue  # the same in both (Microsoft 365, Router, ...)
        for fragment in re.split(r"\{\w+\}", value):
            fragment = " ".join(fragment.split()).strip(" .,:;")
            if len(fragment) >= 8 and fragment in visible:
                leaks.append((key, fragment))
    assert leaks == []
    # The catalogue's and the scan report's words are in the language too.
    assert all(a.title != b.title for a, b in zip(report.actions, reports["en"].actions,
                                                  strict=True))
    assert report.overall.band_name == yaml.safe_load(
        (CONTENT_DIR / lang / "report.yaml").read_text(encoding="utf-8"))["bands"][
            report.overall.band]


def test_translations_are_complete_and_marked_draft():
    english = dict(_leaves(review_texts("en")))
    for lang in LANGUAGES:
        raw = yaml.safe_load((CONTENT_DIR / lang / "review.yaml").read_text(encoding="utf-8"))
        assert raw["_status"] == "draft", lang
        words = dict(_leaves({k: v for k, v in raw.items() if not k.startswith("_")}))
        assert set(words) == set(english), lang
        for key, value in words.items():
            assert set(re.findall(r"\{\w+\}", value)) == \
                set(re.findall(r"\{\w+\}", english[key])), (lang, key)
        assert len(raw["months"]) == 12


def _leaves(table, prefix=""):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield f"{prefix}{key}.{i}", str(item)
        else:
            yield f"{prefix}{key}", str(value)


def _leaf(table, key):
    return dict(_leaves(table)).get(key)


# --- the change since the last review -------------------------------------------------------

def test_the_change_since_a_previous_review(english):
    previous = json.loads(json.dumps(to_result_json(english.review)))
    previous["overall"]["score"] -= 12
    previous["overall"]["band"] = "starting"
    backups = next(a for a in previous["areas"] if a["id"] == "backups")
    assert backups["score"] <= 95
    backups["score"] += 5
    dropped = previous["actions"].pop(0)  # new since: it was not in the previous plan
    previous["actions"].append({"id": "backups.turn_on_automatic", "title": "x"})
    previous["actions"].append({"id": "retired.action", "title": "An action now retired"})
    report = build_report(english.review, previous=previous, date=DAY)
    change = report.change
    assert change.delta == 12 and change.delta_text == "up 12 points"
    assert next(a for a in change.areas if a.id == "backups").delta == -5
    assert {a.id for a in change.areas} == {a.id for a in report.areas}
    assert [a.id for a in change.new_actions] == [dropped["id"]]
    assert "An action now retired" in {a.title for a in change.closed_actions}
    assert report.top_actions[0].new
    page = Page(review_html.to_html(report))
    assert page.problems == []
    text = page.all_text
    for key in ("change_heading", "closed_heading", "new_heading"):
        assert review_texts("en")[key] in text
    assert "up 12 points" in text and "down 5 points" in text
    assert any("chart-change" in (svg.get("aria-describedby") or "")
               for svg in page.elements("svg"))


def test_a_previous_review_must_be_a_result_of_the_same_business(english):
    result = json.loads(json.dumps(to_result_json(english.review)))
    check_previous(result, "Fleur & Co (lab)")
    check_previous(result, "  fleur &  co (LAB) ")
    with pytest.raises(PreviousResultError, match="not of"):
        check_previous(result, "Another shop")
    with pytest.raises(PreviousResultError, match="schema"):
        check_previous({"schema": "cyberbasics.scan/1"})
    broken = json.loads(json.dumps(result))
    broken["areas"][0]["score"] = 140
    with pytest.raises(PreviousResultError, match="0-100"):
        check_previous(broken)


# --- branding -------------------------------------------------------------------------------

def test_a_real_png_logo_is_embedded():
    branding = make_branding("Acme Advisors", png(3, 2))
    assert branding.logo.startswith("data:image/png;base64,") and branding.logo_size == (3, 2)
    assert png_size(png(4096, 1)) == (4096, 1)


@pytest.mark.parametrize("data, message", [
    (b"GIF89a\x01\x00\x01\x00", "not a PNG"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "not a PNG"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a PNG"),
    (png()[:-6], "cut short"),
    (png(extra=b"<script>"), "after the end"),
    (png().replace(b"IEND", b"IEN\x00"), "checksum"),
    (png(5000, 1), "pixels"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (300 * 1024), "bytes"),
])
def test_anything_else_is_refused_as_a_logo(data, message):
    with pytest.raises(BrandingError, match=message):
        make_branding("Acme", data)


def test_brand_names_are_bounded():
    with pytest.raises(BrandingError):
        make_branding("x" * 500)
    with pytest.raises(BrandingError):
        make_branding("  \n ")
    assert make_branding("Acme\u202e Advisors").name == "Acme\\u202e Advisors"


# --- CSV ------------------------------------------------------------------------------------

def test_csv_has_a_row_per_action_and_per_finding(english):
    rows = list(csv.reader(io.StringIO(to_csv(english))))
    assert tuple(rows[0]) == COLUMNS
    kinds = [row[0] for row in rows[1:]]
    assert kinds.count("action") == english.action_count
    assert kinds.count("finding") == english.finding_count
    first = dict(zip(COLUMNS, rows[1], strict=True))
    assert first["rank"] == "1" and first["title"] == english.top_actions[0].title
    assert first["how"].startswith(english.top_actions[0].how[0].platform_name)


def test_csv_cells_cannot_run_as_formulas():
    report = build_report(hostile_review(), date=DAY)
    text = to_csv(report)
    rows = list(csv.reader(io.StringIO(text)))
    finding = next(dict(zip(COLUMNS, row, strict=True)) for row in rows if row[0] == "finding")
    assert finding["summary"].startswith("'=HYPERLINK")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "\u202e" not in text
    assert len(rows) == 1 + report.action_count + 1  # no row broken by a newline


# --- charts ---------------------------------------------------------------------------------

def _luminance(colour):
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_chart_colours_have_enough_contrast():
    for colour in [*charts.BAND_COLOURS.values(), charts.NO_BAND, charts.TEXT, charts.MUTED]:
        assert _contrast(colour, "#ffffff") >= 4.5, colour  # used for text too
    for colour in [*charts.STATE_COLOURS.values(), charts.OUTLINE]:
        assert _contrast(colour, "#ffffff") >= 3, colour  # shapes (WCAG 1.4.11)
    # Next to each other, the three states are told apart by more than colour: the counts
    # are written beside the bar and in the legend.


@pytest.mark.parametrize("svg", [
    charts.gauge("g", 53, "basic", band_name=HOSTILE, label=HOSTILE, out_of="of 100",
                 band_names={"basic": HOSTILE}),
    charts.gauge("g", None, None, band_name="no score", label="No score", out_of="of 100"),
    charts.bars("b", [charts.Bar(HOSTILE, 40, HOSTILE, "basic"),
                      charts.Bar("None", None, "not scored")], label=HOSTILE),
    charts.progress("p", [charts.Progress(HOSTILE, 1, 2, 3, 4, HOSTILE, HOSTILE),
                          charts.Progress("empty", 0, 0, 0, 0, "0 of 0", "nothing")],
                    label=HOSTILE, legend={"met": HOSTILE}),
    charts.before_after("c", 40, None, before_label=HOSTILE, after_label="now",
                        change=HOSTILE, label=HOSTILE),
])
def test_charts_are_accessible_svg_that_escape_their_text(svg):
    page = Page(svg)
    assert page.problems == []
    [root] = page.elements("svg")
    assert root["role"] == "img" and root["aria-label"]
    assert page.elements("title") and page.elements("desc")
    assert "<script" not in svg and "<img" not in svg
    assert not [t for t, _ in page.tags if t not in
                ("svg", "title", "desc", "path", "line", "rect", "text")]


def test_gauge_fills_up_to_the_score():
    empty = charts.gauge("g", 0, "starting", band_name="Starting", label="0", out_of="")
    full = charts.gauge("g", 100, "strong", band_name="Strong", label="100", out_of="")
    assert full.count(charts.BAND_COLOURS["strong"]) >= 2  # the arc and the band word
    assert charts.BAND_COLOURS["starting"] in empty  # the word only: no arc for 0
    assert charts.band_of(59) == "basic" and charts.band_of(90) == "strong"
