"""The Help now playbooks: the shipped structure and words, the loaders, and every language."""

from __future__ import annotations

import copy
import json
import string
from typing import Any

import pytest
import yaml

from cyberbasics.incident import playbooks as mod
from cyberbasics.incident.contacts import INCIDENTS, KINDS
from cyberbasics.incident.playbooks import (
    PLAYBOOK_IDS,
    TOOLS,
    PlaybookError,
    UnknownPlaybook,
    parse_structure,
    playbook,
    playbook_words,
    playbooks,
)
from cyberbasics.texts import CONTENT_DIR, LANGUAGES


def _raw_structure() -> dict:
    with mod.STRUCTURE_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_the_ids_are_the_incidents_everyone_uses():
    assert PLAYBOOK_IDS == INCIDENTS
    assert [book.id for book in playbooks()] == list(PLAYBOOK_IDS)


@pytest.mark.parametrize("playbook_id", PLAYBOOK_IDS)
def test_every_playbook_loads_in_english_with_enough_first_hour_steps(playbook_id):
    book = playbook(playbook_id)
    assert book.title and book.summary and book.dont
    assert 5 <= len(book.first_hour) <= 8 and 3 <= len(book.later) <= 6
    assert all(step.first_hour for step in book.first_hour)
    assert not any(step.first_hour for step in book.later)
    for step in book.steps:
        assert step.do.strip() and step.why.strip(), step.id
        assert "\n" not in step.do and "  " not in step.do  # folded to one line
        assert all(text.strip() for text in step.dont)


@pytest.mark.parametrize("playbook_id", PLAYBOOK_IDS)
def test_every_call_kind_and_tool_and_related_playbook_exists(playbook_id):
    book = playbook(playbook_id)
    for step in book.steps:
        assert set(step.call) <= set(KINDS), step.id
        assert set(step.tools) <= set(TOOLS), step.id
    assert book.related and set(book.related) <= set(PLAYBOOK_IDS)
    assert playbook_id not in book.related


def test_money_incidents_call_the_bank_in_the_first_hour_and_breaches_start_the_clock():
    for playbook_id in ("invoice_fraud", "phishing_clicked", "fake_it_support_call"):
        assert any("bank" in step.call for step in playbook(playbook_id).first_hour)
    breach = playbook("personal_data_breach")
    assert "breach_clock" in breach.first_hour[0].tools
    assert any("data_protection" in step.call for step in breach.first_hour)


def test_the_ransomware_playbook_says_do_not_pay_and_do_not_wipe():
    dont = " ".join(playbook("ransomware").dont).lower()
    assert "do not pay the ransom" in dont
    assert "do not wipe or reinstall" in dont


def test_to_dict_is_plain_json():
    data = playbook("invoice_fraud").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["first_hour"][0]["call"] == ["bank"]
    assert data["first_hour"][0]["first_hour"] is True
    assert set(data) == {"id", "title", "summary", "first_hour", "later", "dont", "related"}


@pytest.mark.parametrize("bad", ["alien_invasion", "", "Ransomware", None, 3, ["ransomware"]])
def test_an_unknown_playbook_is_refused_with_the_list_of_ids(bad):
    with pytest.raises(UnknownPlaybook) as caught:
        playbook(bad)
    assert isinstance(caught.value, ValueError)
    assert "invoice_fraud" in str(caught.value) and repr(bad) in str(caught.value)


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"):
        playbook("ransomware", "fr")


def test_other_languages_fall_back_to_english_text_by_text():
    for language in LANGUAGES:
        book = playbook("lost_device", language)
        assert len(book.first_hour) == len(playbook("lost_device").first_hour)


def test_the_page_labels_are_there():
    labels = playbook_words("en")
    for key in ("first_hour", "later", "dont", "why", "call", "related"):
        assert labels[key].strip()
    assert set(labels["tools"]) == set(TOOLS)


# --- the structure's validation --------------------------------------------------------------


def _problems(raw: Any) -> str:
    with pytest.raises(PlaybookError) as caught:
        parse_structure(raw)
    return "; ".join(caught.value.problems)


def test_the_shipped_structure_parses():
    plans = parse_structure(_raw_structure())
    assert list(plans) == list(PLAYBOOK_IDS)


@pytest.mark.parametrize(("change", "message"), [
    (lambda raw: raw["playbooks"].pop("lost_device"), "lost_device: missing"),
    (lambda raw: raw["playbooks"].update(alien={}), "alien: not a playbook id"),
    (lambda raw: raw["playbooks"]["ransomware"]["first_hour"][0].update(call=["priest"]),
     "'priest' is not one of"),
    (lambda raw: raw["playbooks"]["ransomware"]["first_hour"][0].update(tools=["hammer"]),
     "'hammer' is not one of"),
    (lambda raw: raw["playbooks"]["ransomware"].update(related=["ransomware"]),
     "is not another playbook"),
    (lambda raw: raw["playbooks"]["ransomware"].update(later=[{"id": "one"}]),
     "ransomware.later: needs a list of 3 to 6 steps"),
    (lambda raw: raw["playbooks"]["ransomware"]["later"].append({"id": "disconnect"}),
     "step id 'disconnect' is used twice"),
    (lambda raw: raw["playbooks"]["ransomware"]["later"][0].update(id="Bad Id"),
     "id must be lower-case"),
    (lambda raw: raw["playbooks"]["ransomware"].update(colour="red"), "unknown field(s) colour"),
])
def test_a_broken_structure_is_refused_with_the_reason(change, message):
    raw = copy.deepcopy(_raw_structure())
    change(raw)
    assert message in _problems(raw)


def test_a_structure_that_is_not_a_mapping_is_refused():
    assert "mapping 'playbooks'" in _problems(["not", "a", "mapping"])


# --- every language has every text -----------------------------------------------------------


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every text by its path: mappings by key, lists by position."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, inner in items:
        flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _language_problems(language: str, name: str) -> list[str]:
    def read(lang: str) -> dict[str, Any]:
        path = CONTENT_DIR / lang / f"{name}.yaml"
        if not path.exists():
            return {}
        with path.open(encoding="utf-8") as handle:
            return _flatten(yaml.safe_load(handle) or {})

    english, other = read("en"), read(language)
    english.pop("_status", None)
    other.pop("_status", None)
    if not other:
        return [f"{language}/{name}.yaml is missing or empty"]
    problems = [f"lacks {key}" for key in english if key not in other]
    problems += [f"has {key}, which English has not" for key in other if key not in english]
    for key, text in other.items():
        if key not in english:
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{key} is empty")
        elif _placeholders(text) != _placeholders(english[key]):
            problems.append(f"{key}: placeholders differ from the English")
    return [f"{language}/{name}.yaml: {problem}" for problem in problems]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_text(language):
    problems = [*_language_problems(language, "playbooks"), *_language_problems(language, "triage")]
    assert not problems, "\n".join(problems[:40])


def test_the_language_check_finds_a_missing_text(tmp_path, monkeypatch):
    # The check itself must be able to fail: a copy of the English without one step's "why".
    (tmp_path / "en").mkdir()
    (tmp_path / "xx").mkdir()
    for name in ("playbooks", "triage"):
        text = (CONTENT_DIR / "en" / f"{name}.yaml").read_text(encoding="utf-8")
        (tmp_path / "en" / f"{name}.yaml").write_text(text, encoding="utf-8")
        data = yaml.safe_load(text)
        if name == "playbooks":
            del data["playbooks"]["ransomware"]["steps"]["disconnect"]["why"]
            data["labels"]["first_hour"] = "In {the} first hour"
        (tmp_path / "xx" / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.CONTENT_DIR", tmp_path)
    problems = _language_problems("xx", "playbooks")
    assert "xx/playbooks.yaml: lacks playbooks.ransomware.steps.disconnect.why" in problems
    assert "xx/playbooks.yaml: labels.first_hour: placeholders differ from the English" in problems
    assert _language_problems("xx", "triage") == []


@pytest.mark.parametrize("path", [
    mod.STRUCTURE_PATH,
    CONTENT_DIR / "incident" / "triage.yaml",
    CONTENT_DIR / "en" / "playbooks.yaml",
    CONTENT_DIR / "en" / "triage.yaml",
])
def test_the_content_files_are_open_drafts(path):
    text = path.read_text(encoding="utf-8")
    assert "CC BY 4.0" in text.split("\n\n")[0]  # the licence in the header comment
    assert yaml.safe_load(text)["_status"] == "draft"


def test_evidence_is_recorded_before_anything_is_removed_or_erased():
    hacked = [step.id for step in playbook("account_hacked").first_hour]
    assert hacked.index("record") < hacked.index("sign_out_everywhere")
    assert hacked.index("record") < hacked.index("check_rules")
    assert "evidence_log" in playbook("account_hacked").first_hour[hacked.index("record")].tools
    lost = [step.id for step in playbook("lost_device").first_hour]
    assert lost.index("what_was_on_it") < lost.index("erase")
    website = [step.id for step in playbook("website_hacked").first_hour]
    assert website.index("record") == 0
