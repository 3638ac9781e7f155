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


# --- triage and playbooks ------------------------------------------------------------------------

import json  # noqa: E402

from cyberbasics.cli import incident as incident_cli  # noqa: E402
from cyberbasics.incident.playbooks import PLAYBOOK_IDS, playbook  # noqa: E402


def _squashed(text: str) -> str:
    """The words only: no line breaks, and no frame of an error box."""
    return " ".join(text.translate(str.maketrans("", "", "│╭╮╰╯─")).split())


def test_triage_with_answers_prints_the_alerts_then_the_first_hour_first():
    result = run("triage", "-a", "what_happened=invoice_fraud", "-a", "money=payment_made",
                 "-a", "personal_data=no", "-a", "noticed=last_hour", "--country", "GB")
    assert result.exit_code == 0, result.output
    out = _squashed(result.output)
    book = playbook("invoice_fraud")
    assert out.index("Your answers") < out.index("call your bank's fraud line first")
    assert out.index("call your bank's fraud line first") < out.index(book.title)
    assert out.index("In the first hour") < out.index(_squashed(book.first_hour[0].do))
    assert out.index(_squashed(book.first_hour[-1].do)) < out.index("Then")
    assert "Report Fraud" in out and "0300 123 2040" in out  # the real UK contact
    assert "Europol" not in out


def test_triage_json_has_the_answers_the_outcome_the_playbook_and_the_contacts():
    result = run("triage", "--answer", "what_happened=account_hacked", "--answer", "money=no",
                 "--answer", "personal_data=yes", "--answer", "ongoing=no",
                 "--answer", "noticed=today", "--country", "PL", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["outcome"] == {"playbook": "account_hacked", "also": ["personal_data_breach"],
                               "money": False, "personal_data": True, "ongoing": False,
                               "noticed": "today"}
    assert list(data["answers"]) == ["what_happened", "money", "personal_data", "ongoing",
                                     "noticed"]
    assert data["playbook"] == playbook("account_hacked").to_dict()
    kinds = {contact["kind"] for contact in data["contacts"]}
    assert {"bank", "police", "csirt", "data_protection"} <= kinds
    assert all(contact["verified"] or contact["prompt"] for contact in data["contacts"])


@pytest.mark.parametrize(("args", "message"), [
    (("-a", "what_happened=invoice_fraud"), "--answer money=CHOICE"),
    (("-a", "what_happened=aliens"), "unknown choice 'aliens'"),
    (("-a", "what_happened"), "QUESTION=CHOICE"),
    (("-a", "what_happened=ransomware", "-a", "what_happened=lost_device"), "answered twice"),
    (("-a", "what_happened=ransomware", "-a", "money=no"), "not on the path"),
    (("-a", "what_happened=lost_device", "-a", "personal_data=no", "--country", "FR"),
     "unknown country"),
    (("-a", "what_happened=lost_device", "-a", "personal_data=no", "--lang", "fr"),
     "unknown language"),
])
def test_triage_refuses_bad_answers_clearly(args, message):
    result = run("triage", *args)
    assert result.exit_code == 2 and message in _squashed(result.output), result.output


def test_triage_without_answers_and_without_a_terminal_says_what_to_answer_first():
    result = run("triage")
    assert result.exit_code == 2
    assert "--answer what_happened=CHOICE" in _squashed(result.output)


def test_triage_in_a_terminal_asks_with_numbered_choices(monkeypatch):
    monkeypatch.setattr(incident_cli, "_stdin_is_terminal", lambda: True)
    # What happened: 9 = not sure; symptom: 1 = files locked; personal data: 3 = no;
    # ongoing: 0 is refused, then 1 = yes.
    result = CliRunner().invoke(app, ["incident", "triage"], input="9\n1\n3\n0\n1\n")
    assert result.exit_code == 0, result.output
    out = _squashed(result.output)
    assert "What has happened?" in out and "9. Not sure, or something else" in out
    assert "What are you seeing?" in out
    # personal data and ongoing asked, then ongoing once more after the 0 with a reminder
    assert out.count("Type the number of your answer (1-3):") == 3
    assert out.count("Type the number of your answer (1-3).") == 1
    assert playbook("ransomware").title in out
    assert "It may still be going on" in out


def test_triage_in_a_terminal_stops_quietly_at_the_end_of_input(monkeypatch):
    monkeypatch.setattr(incident_cli, "_stdin_is_terminal", lambda: True)
    result = CliRunner().invoke(app, ["incident", "triage"], input="2\n")
    assert result.exit_code == 1 and "Traceback" not in result.output


@pytest.mark.parametrize("playbook_id", PLAYBOOK_IDS)
def test_every_playbook_prints_with_the_steps_and_the_do_nots(playbook_id):
    result = run("playbook", playbook_id)
    assert result.exit_code == 0, result.output
    out = _squashed(result.output)
    book = playbook(playbook_id)
    for step in book.steps:
        assert _squashed(step.do) in out
    for text in book.dont:
        assert _squashed(text) in out
    assert "--country" in out  # no country: how to see whom to call


def test_a_playbook_names_the_real_contacts_of_the_country_at_each_step():
    result = run("playbook", "invoice_fraud", "--country", "PL")
    assert result.exit_code == 0, result.output
    out = _squashed(result.output)
    assert "Whom to call: Your bank" in out
    assert "CERT Polska" in out and "UODO" in out  # the authority, for the personal-data step
    assert "https://incydent.cert.pl" in out


def test_a_playbook_in_json_and_in_another_language():
    result = run("playbook", "ransomware", "--format", "json", "--lang", "pl")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["playbook"]["id"] == "ransomware" and "contacts" not in data
    assert len(data["playbook"]["first_hour"]) >= 5


@pytest.mark.parametrize(("args", "message"), [
    (("alien_invasion",), "unknown playbook 'alien_invasion'; playbooks are ransomware"),
    (("ransomware", "--country", "Mars"), "unknown country"),
])
def test_playbook_refuses_what_it_does_not_know(args, message):
    result = run("playbook", *args)
    assert result.exit_code == 2 and message in _squashed(result.output), result.output


def test_triage_in_a_terminal_with_json_keeps_stdout_one_json_document(monkeypatch):
    monkeypatch.setattr(incident_cli, "_stdin_is_terminal", lambda: True)
    result = CliRunner().invoke(app, ["incident", "triage", "--format", "json"],
                                input="6\n4\n")  # a personal-data breach, not sure when
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outcome"]["playbook"] == "personal_data_breach"
    assert data["outcome"]["noticed"] == "not_sure"
    assert "What has happened?" in result.stderr
