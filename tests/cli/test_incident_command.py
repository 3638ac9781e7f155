"""`cyberbasics incident contacts|deadline|draft` end to end."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cyberbasics.cli.main import app
from cyberbasics.incident.contacts import contacts_for


def run(*args: str):
    return CliRunner().invoke(app, ["incident", *args])


def test_contacts_lists_what_matters_in_that_country_most_urgent_first():
    result = run("contacts", "--country", "PL", "--incident", "invoice_fraud")
    assert result.exit_code == 0, result.output
    names = [c.name for c in contacts_for("PL", "invoice_fraud") if c.name]
    positions = [result.output.index(name) for name in names]
    assert positions == sorted(positions)  # the order contacts_for gives
    assert "CERT Polska" in result.output and "Report Fraud" not in result.output
    assert "Checked against:" in result.output and "https://" in result.output


def test_an_unverified_entry_comes_with_the_prompt_to_confirm_it():
    result = run("contacts", "--country", "RO", "--incident", "ransomware", "--lang", "ro")
    unverified = [c for c in contacts_for("RO", "ransomware") if not c.verified]
    assert result.exit_code == 0 and unverified
    from cyberbasics.texts import words

    prompt = " ".join(words("contacts", "ro")["unverified_prompt"].split())
    assert result.output.count(prompt) == len(unverified)


def test_the_uk_gets_no_eu_bodies():
    result = run("contacts", "--country", "UK", "--incident", "ransomware")
    assert result.exit_code == 0 and "Europol" not in result.output
    assert "Report Fraud" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("--country", "FR", "--incident", "ransomware"), "unknown country"),
    (("--country", "PL", "--incident", "alien_invasion"), "unknown incident"),
])
def test_contacts_refuses_what_it_does_not_know(args, message):
    result = run("contacts", *args)
    assert result.exit_code == 2 and message in result.output


def test_the_deadline_is_72_real_hours_in_the_business_time_zone():
    # Aware on Friday 23 October 2026 at 10:00 in Warsaw: the clocks go back on the Sunday,
    # so 72 hours later is Monday 26 October at 09:00 there.
    result = run("deadline", "--aware-at", "2026-10-23T10:00", "--time-zone", "Europe/Warsaw")
    assert result.exit_code == 0, result.output
    assert "Monday 26 October 2026 at 09:00 (Europe/Warsaw)" in result.output
    assert "overdue by" in result.output  # that Monday has passed: never "left"


@pytest.mark.parametrize(("args", "message"), [
    (("--aware-at", "yesterday", "--time-zone", "Europe/Warsaw"), "2026-11-25T14:30"),
    (("--aware-at", "2026-10-23T10:00", "--time-zone", "Mars/Olympus"), "Mars/Olympus"),
    (("--aware-at", "2999-01-01T10:00", "--time-zone", "Europe/Warsaw"), "future"),
])
def test_the_deadline_refuses_bad_input_clearly(args, message):
    result = run("deadline", *args)
    assert result.exit_code == 2 and message in result.output


ANSWERS = """\
business_name: "Kowalski <b>(lab)</b>"
what_happened: "A laptop with customer records was stolen from the car."
aware_at: "2026-11-25T09:30:00+01:00"
time_zone: Europe/Warsaw
data_categories: [names, addresses]
people_count: about 200
high_risk: true
"""


def test_the_draft_marks_what_is_missing_and_adds_the_letter_when_the_risk_is_high(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS, encoding="utf-8")
    result = run("draft", str(answers))
    assert result.exit_code == 0, result.output
    assert "A laptop with customer records was stolen" in result.output
    assert "[to fill in]" in result.output  # the contact person was not given
    html = run("draft", str(answers), "--format", "html", "--lang", "it")
    assert html.exit_code == 0 and "&lt;b&gt;(lab)&lt;/b&gt;" in html.output
    assert "<b>(lab)</b>" not in html.output
    pdf = tmp_path / "draft.pdf"
    made = run("draft", str(answers), "--format", "pdf", "-o", str(pdf))
    assert made.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("text", "message"), [
    ("what_happened: [unclosed", "not YAML or JSON"),
    ("- a list\n- not a mapping\n", "answers"),
    ("surprise_field: 1\n", "surprise_field"),
    ('aware_at: "the day before yesterday"\n', "aware_at"),
])
def test_the_draft_refuses_bad_answers_clearly(tmp_path, text, message):
    answers = tmp_path / "answers.yaml"
    answers.write_text(text, encoding="utf-8")
    result = run("draft", str(answers))
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_pdf_needs_a_file(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS, encoding="utf-8")
    result = run("draft", str(answers), "--format", "pdf")
    assert result.exit_code == 2 and "-o FILE" in result.output
