import csv
import io
import json
from importlib import resources

import jsonschema
import pytest
from typer.testing import CliRunner

from cyberbasics.cli.main import app

runner = CliRunner()
SCHEMA = json.loads(resources.files("cyberbasics.schemas").joinpath("scan-1.json").read_text())


def scan(world, *args):
    return runner.invoke(app, ["scan", *args, *world.scan_arguments()], catch_exceptions=False)


def test_json_output_follows_the_schema(world, tmp_path):
    domains = tmp_path / "domains.txt"
    domains.write_text("# demo businesses\nplumber.example\n\nhttps://www.parked.example/x\n")
    out = tmp_path / "results.json"
    result = scan(world, "bakery.example", "nosuch.example", "192.0.2.1", "--file",
                  str(domains), "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    jsonschema.validate(document, SCHEMA)
    by_input = {r["input"]: r for r in document["results"]}
    assert list(by_input) == ["bakery.example", "nosuch.example", "192.0.2.1",
                              "plumber.example", "https://www.parked.example/x"]
    assert by_input["nosuch.example"]["error"]["code"] == "nxdomain"
    assert by_input["192.0.2.1"]["error"]["code"] == "ip_address"
    assert by_input["https://www.parked.example/x"]["domain"] == "parked.example"
    statuses = {f["check"]: f["status"] for f in by_input["plumber.example"]["findings"]}
    assert statuses["email.starttls"] == "fail"
    assert statuses["domain.dnssec"] == "warn"


def test_check_filter_runs_only_matching_checks(world):
    result = scan(world, "bakery.example", "--check", "domain.dns*", "--format", "json")
    findings = json.loads(result.stdout)["results"][0]["findings"]
    assert [f["check"] for f in findings] == ["domain.dnssec"]


def test_unknown_check_pattern_is_a_clear_error(world):
    result = scan(world, "bakery.example", "--check", "nothing.*")
    assert result.exit_code == 2
    assert "no check matches" in result.output


def test_csv_has_a_row_per_finding(world):
    result = scan(world, "parked.example", "nosuch.example", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["domain"] for r in rows} == {"parked.example", "nosuch.example"}
    assert any(r["error"].startswith("nxdomain") for r in rows)
    assert all(r["status"] in ("pass", "warn", "fail", "info", "error") for r in rows
               if r["check"])


def test_text_output_is_readable(world):
    result = scan(world, "plumber.example")
    assert result.exit_code == 0
    assert "do not offer encryption" in result.stdout


@pytest.mark.parametrize("args", [["--port-map", "443=8443"], ["--nameserver", "nonsense"]])
def test_bad_options_are_explained(args):
    result = runner.invoke(app, ["scan", "example.com", *args])
    assert result.exit_code == 2


def test_port_map_outside_lab_mode_is_refused(monkeypatch):
    monkeypatch.delenv("CYBERBASICS_LAB")
    result = runner.invoke(app, ["scan", "example.com", "--nameserver", "127.0.0.1",
                                 "--port-map", "443=8443"])
    assert result.exit_code == 2
    assert "lab" in result.output


def test_missing_domain_file_is_explained(world, tmp_path):
    result = scan(world, "--file", str(tmp_path / "missing.txt"))
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_outside_text_cannot_inject_markup_or_formulas(world):
    from cyberbasics.report import scan_output
    from cyberbasics.scan.model import DomainResult, ScanFailure

    hostile = DomainResult(None, "=HYPERLINK(\"http://x\")[/bold]", "passive",
                           "2026-01-01T00:00:00.000Z", 0,
                           ScanFailure("invalid_domain", "'[/red]=1+1' is not valid [link]"))
    rows = list(csv.DictReader(io.StringIO(scan_output.to_csv([hostile]))))
    assert rows[0]["input"].startswith("'=")
    scan_output.print_text([hostile])  # rich would raise MarkupError on "[/bold]"


def test_html_report_is_one_page_with_grades(world, tmp_path):
    out = tmp_path / "report.html"
    result = scan(world, "bakery.example", "plumber.example", "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.lower().startswith("<!doctype html>") and '<html lang="en">' in page
    assert "bakery.example" in page and "plumber.example" in page
    assert "Overall grade" in page and "<details" in page


def test_spf_check_refuses_html(world):
    result = runner.invoke(app, ["spf", "check", "--ip", "192.0.2.1", "--sender", "a@b.example",
                                 "--helo", "b.example", "--format", "html",
                                 *world.scan_arguments()])
    assert result.exit_code == 2 and "text or json" in " ".join(result.output.split())


@pytest.mark.parametrize("lang", ["pl", "es", "it", "ro"])
def test_findings_and_report_in_each_language(world, tmp_path, lang):
    english = scan(world, "florist.example", "--format", "json")
    translated = scan(world, "florist.example", "--format", "json", "--lang", lang)
    assert translated.exit_code == 0, translated.output
    ours = json.loads(english.output)["results"][0]["findings"]
    theirs = json.loads(translated.output)["results"][0]["findings"]
    assert [f["check"] for f in ours] == [f["check"] for f in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert a["title"] != b["title"] and a["summary"] != b["summary"], a["check"]
    out = tmp_path / "report.html"
    assert scan(world, "florist.example", "--format", "html", "--lang", lang, "-o",
                str(out)).exit_code == 0
    assert f'<html lang="{lang}">' in out.read_text()


def test_an_unknown_language_is_refused(world):
    result = scan(world, "florist.example", "--lang", "xx")
    assert result.exit_code == 2 and "xx" in result.output
