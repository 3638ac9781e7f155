"""assess and plan from the CLI, with the lab florist's answers and a scan of its domain."""

import json
from importlib import resources

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from cyberbasics.cli.main import app

runner = CliRunner()
ANSWERS = resources.files("cyberbasics.lab").joinpath("answers/florist.yaml")
SCHEMA = json.loads(resources.files("cyberbasics.schemas").joinpath("result-1.json")
                    .read_text())


@pytest.fixture(scope="module")
def scan_file(world, tmp_path_factory):
    path = tmp_path_factory.mktemp("scan") / "scan.json"
    done = runner.invoke(app, ["scan", "florist.example", "bakery.example", "--format",
                               "json", "-o", str(path), *world.scan_arguments()])
    assert done.exit_code == 0, done.output
    return path


def assess(*args):
    return runner.invoke(app, ["assess", "--answers", str(ANSWERS), *args])


def test_a_review_with_a_scan_follows_the_result_contract(scan_file):
    done = assess("--scan", str(scan_file), "--format", "json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    jsonschema.validate(result, SCHEMA)
    assert result["scan"]["domains"] == ["florist.example"]  # the business's domain only
    assert "bakery.example" in result["scan"]["skipped"]
    assert 40 <= result["overall"]["score"] <= 70
    areas = {a["id"]: a for a in result["areas"]}
    assert areas["email"]["source"] == "scan" and areas["backups"]["source"] == "answers"
    assert "devices.encryption" in result["unknown"]
    assert result["answer_sources"]["mfa.email"] == "advisor"
    assert [c["question"] for c in result["conflicts"]] == ["email.spoofing"]
    assert result["answer_sources"]["email.spoofing"] == "scan"
    assert result["actions"][0]["priority"] >= result["actions"][-1]["priority"]
    frameworks = {f["id"]: f for f in result["frameworks"]}
    assert set(frameworks) == {"cyber_essentials", "cis_ig1", "nist_csf", "enisa_sme",
                               "gdpr_security"}
    essentials = frameworks["cyber_essentials"]
    assert essentials["predicted"] == "not_ready" and "A7.16" in essentials["blockers"]
    assert frameworks["enisa_sme"]["requirements_missing"] == 8  # never claimed ready


def test_a_review_without_a_scan_says_so():
    done = assess("--format", "json")
    result = json.loads(done.stdout)
    jsonschema.validate(result, SCHEMA)
    assert result["scan"] is None and all(a["source"] == "answers" for a in result["areas"])
    text = assess().stdout
    assert "--scan" in text and "First things to do:" in text


@pytest.mark.parametrize("lang", ["pl", "es", "it", "ro"])
def test_the_review_in_each_language(scan_file, lang):
    english = json.loads(assess("--scan", str(scan_file), "--format", "json").stdout)
    result = json.loads(assess("--scan", str(scan_file), "--format", "json", "--lang",
                               lang).stdout)
    jsonschema.validate(result, SCHEMA)
    assert result["overall"] == english["overall"]
    assert all(a["title"] != b["title"] for a, b in zip(result["actions"], english["actions"],
                                                       strict=True))
    assert all(a["name"] != b["name"] for a, b in zip(result["areas"], english["areas"],
                                                     strict=True) if a["id"] != "email")


def test_the_template_lists_every_question_and_reads_back(tmp_path):
    done = runner.invoke(app, ["assess", "--template"])
    template = done.stdout
    document = yaml.safe_load(template)
    assert document["catalogue"] and "business" in document
    assert template.count("#   options:") == 45
    filled = tmp_path / "answers.yaml"
    filled.write_text(template.replace('name: ""', 'name: "Test shop"')
                      .replace('country: ""', "country: PL")
                      .replace("  # backups.regular: ", "  backups.regular: no"))
    result = json.loads(runner.invoke(app, ["assess", "--answers", str(filled), "--format",
                                            "json"]).stdout)
    # Unanswered questions count as "I don't know": every critical control holds the score.
    assert result["problems"] == [] and "backups.regular" in result["overall"]["capped_by"]
    assert result["overall"]["score"] <= 59


def test_a_broken_answers_file_names_the_line(tmp_path):
    bad = tmp_path / "answers.yaml"
    bad.write_text('catalogue: "2026.11.0"\nbusiness: {name: A, country: PL}\nanswers:\n'
                   "  backups.regular: sometimes\n  mfa.email: everyone\n")
    done = runner.invoke(app, ["assess", "--answers", str(bad), "--format", "json"])
    assert done.exit_code == 0
    assert "line 4: backups.regular: 'sometimes' is not an option" in done.stderr
    assert json.loads(done.stdout)["answer_sources"] == {"mfa.email": "self"}


def test_plan_prints_the_actions(scan_file):
    done = runner.invoke(app, ["plan", "--answers", str(ANSWERS), "--scan", str(scan_file)],
                         env={"COLUMNS": "200"})
    assert done.exit_code == 0 and "Turn on two-step login for every email account" in \
        done.stdout


def test_plan_speaks_the_language_asked_for():
    done = runner.invoke(app, ["plan", "--answers", str(ANSWERS), "--lang", "pl"],
                         env={"COLUMNS": "200"})
    assert done.exit_code == 0
    for english in ("action", "minutes", "quick win", "verified by", "Turn on"):
        assert english not in done.stdout
    assert "Działanie" in done.stdout
