"""Who to report to: the shipped data, its validation, its words and the selection."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.incident import contacts as mod
from cyberbasics.incident.contacts import (
    COUNTRIES,
    INCIDENTS,
    MONEY_INCIDENTS,
    ContactsError,
    all_contacts,
    check_words,
    contact_words,
    contacts_for,
    load,
    parse,
)
from cyberbasics.texts import CONTENT_DIR, LANGUAGES, words


def _raw() -> list[dict]:
    with mod.DATA_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _entry(**over) -> dict:
    entry = {
        "id": "xx-test",
        "country": "PL",
        "kind": "csirt",
        "name": "Test team",
        "website": "https://example.test/report",
        "phone": "+48 123",
        "relevant_to": ["ransomware"],
        "source": {
            "url": "https://example.test/report",
            "title": "Report",
            "checked_against": "stored copy",
            "date": dt.date(2025, 1, 2),
            "official": True,
            "checked": dt.date(2026, 11, 25),
        },
    }
    entry.update(over)
    return entry


# --- the shipped data -----------------------------------------------------------------------


def test_shipped_data_loads_and_every_language_has_every_text():
    contacts = all_contacts()
    assert len(contacts) >= 15
    assert check_words(contacts) == []


def test_every_entry_has_a_source_or_says_unverified():
    for entry in _raw():
        if "source" in entry:
            assert "status" not in entry, entry["id"]
            assert set(entry["source"]) == set(mod._SOURCE_FIELDS), entry["id"]
        else:
            assert entry.get("status") == "unverified", entry["id"]
            assert not {"website", "phone"} & set(entry), entry["id"]


def test_every_country_has_police_or_fraud_csirt_and_data_protection():
    contacts = all_contacts()
    for country in COUNTRIES:
        kinds = {c.kind for c in contacts if c.country == country}
        assert kinds & {"police", "fraud"}, country
        assert kinds & {"csirt", "helpline"}, country
        assert "data_protection" in kinds, country


def test_phone_numbers_and_sites_checked_where_they_matter():
    by_id = {c.id: c for c in all_contacts()}
    assert by_id["gb-report-fraud"].phone == "0300 123 2040"
    assert by_id["gb-ico"].phone == "0303 123 1113"
    assert by_id["es-incibe-017"].phone == "017"
    assert by_id["ro-dnsc"].phone == "1911"
    assert by_id["pl-cert-polska"].website == "https://incydent.cert.pl"
    # ENISA is not a hotline: no phone, and its words say so.
    assert by_id["eu-enisa"].phone is None
    assert "not an incident hotline" in contact_words(by_id["eu-enisa"], "en")["purpose"]
    # The bank rule names no bank.
    assert by_id["bank-recall"].name is None and by_id["bank-recall"].website is None


def test_words_load_through_texts_in_every_language():
    for language in LANGUAGES:
        text = words("contacts", language)
        assert text["_status"] == "draft"
        for contact in all_contacts():
            shown = contact_words(contact, language)
            assert shown["name"] and shown["purpose"] and shown["kind"]
            assert (shown["prompt"] is None) == contact.verified


# --- selection ------------------------------------------------------------------------------


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize("incident", INCIDENTS)
def test_selection_is_relevant_ordered_and_national_first(country, incident):
    chosen = contacts_for(country, incident)
    assert chosen, (country, incident)
    assert all(incident in c.relevant_to for c in chosen)
    assert all(c.country in (country, "EU", "*") for c in chosen)
    places = [{"*": 0, "EU": 2}.get(c.country, 1) for c in chosen]
    assert places == sorted(places), [c.id for c in chosen]
    assert any(c.id == "bank-recall" for c in chosen) == (incident in MONEY_INCIDENTS)
    if country == "GB":
        assert not any(c.country == "EU" for c in chosen)
    assert len({c.id for c in chosen}) == len(chosen)


def test_selection_examples():
    ids = [c.id for c in contacts_for("GB", "invoice_fraud")]
    assert ids == ["bank-recall", "gb-report-fraud"]
    ids = [c.id for c in contacts_for("pl", "personal_data_breach")]
    assert ids == ["pl-uodo"]
    ids = [c.id for c in contacts_for("RO", "ransomware")]
    assert ids[:2] == ["ro-police", "ro-dnsc"] and "ro-anspdcp" in ids and ids[-1].startswith("eu-")
    assert [c.id for c in contacts_for("UK", "ransomware")] == [
        c.id for c in contacts_for("GB", "ransomware")
    ]
    # Another country's entries never leak in.
    assert not any(c.country == "ES" for c in contacts_for("IT", "invoice_fraud"))


@pytest.mark.parametrize(
    ("country", "incident", "message"),
    [
        ("FR", "ransomware", "unknown country"),
        ("GB", "flood", "unknown incident"),
        ("", "ransomware", "unknown country"),
        (None, "ransomware", "two-letter code"),
    ],
)
def test_selection_rejects_unknown_input_clearly(country, incident, message):
    with pytest.raises(ValueError, match=message):
        contacts_for(country, incident)


# --- validation -----------------------------------------------------------------------------


def test_a_valid_entry_parses():
    (contact,) = parse([_entry()])
    assert contact.verified and contact.source.date == dt.date(2025, 1, 2)


@pytest.mark.parametrize("field", ["id", "country", "kind", "name", "relevant_to"])
def test_missing_field_is_caught(field):
    entry = _entry()
    del entry[field]
    with pytest.raises(ContactsError, match=f"missing field.*{field}"):
        parse([entry])


@pytest.mark.parametrize("field", mod._SOURCE_FIELDS)
def test_missing_source_field_is_caught(field):
    entry = _entry()
    del entry["source"][field]
    with pytest.raises(ContactsError, match=f"source lacks {field}"):
        parse([entry])


def test_unknown_incident_is_caught():
    with pytest.raises(ContactsError, match="unknown incident 'flood'"):
        parse([_entry(relevant_to=["ransomware", "flood"])])


def test_entry_without_source_or_status_is_caught():
    entry = _entry()
    del entry["source"]
    with pytest.raises(ContactsError, match="needs a source or 'status: unverified'"):
        parse([entry])


@pytest.mark.parametrize("field", ["website", "phone", "source"])
def test_unverified_entry_may_not_carry_unchecked_facts(field):
    entry = {k: v for k, v in _entry().items() if k in mod._REQUIRED}
    entry["status"] = "unverified"
    parse([entry])  # bare: fine
    entry[field] = _entry()[field]
    with pytest.raises(ContactsError, match=f"keeps only what was checked; remove {field}"):
        parse([entry])


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"phone": 3001232040}, "phone must be digits"),
        ({"phone": "call 017"}, "phone must be digits"),
        ({"website": "www.example.test"}, "website must be an http"),
        ({"country": "FR"}, "unknown country"),
        ({"kind": "priest"}, "unknown kind"),
        ({"name": None}, "only the generic bank entry"),
        ({"id": "Bad Id"}, "id must be"),
        ({"relevant_to": []}, "non-empty list"),
        ({"status": "verified"}, "status may only be"),
        ({"colour": "red"}, "unknown field"),
    ],
)
def test_bad_values_are_caught(over, message):
    with pytest.raises(ContactsError, match=message):
        parse([_entry(**over)])


def test_bad_source_values_are_caught():
    entry = _entry()
    entry["source"].update(date="last spring", official="yes", url="ftp://x", checked=None)
    with pytest.raises(ContactsError) as caught:
        parse([entry])
    text = str(caught.value)
    for message in ("source.date", "source.official", "source.url", "source.checked"):
        assert message in text


def test_duplicate_id_is_caught():
    with pytest.raises(ContactsError, match="used twice"):
        parse([_entry(), _entry()])


def test_every_problem_is_reported_at_once():
    with pytest.raises(ContactsError) as caught:
        parse([_entry(country="FR"), _entry(id="yy-test", relevant_to=["flood"]), "junk"])
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize("raw", [None, {}, "text", 3, [None], [[1, 2]]])
def test_odd_documents_give_a_clear_error(raw):
    with pytest.raises(ContactsError):
        parse(raw)


_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.dates()
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
_field_names = st.sampled_from([*mod._REQUIRED, *mod._OPTIONAL, "other"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(_field_names, _values, max_size=9), max_size=4) | _values)
def test_parse_never_crashes(raw):
    try:
        contacts = parse(raw)
    except ContactsError as error:
        assert error.problems
    else:
        assert all(c.verified or c.phone is None for c in contacts)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_parse_of_a_mutated_real_entry_never_crashes(data):
    raw = _raw()
    entry = copy.deepcopy(data.draw(st.sampled_from(raw)))
    key = data.draw(st.sampled_from(sorted(entry)))
    entry[key] = data.draw(_values)
    with contextlib.suppress(ContactsError):
        parse([entry])


# --- words in every language ----------------------------------------------------------------


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    for language in LANGUAGES:
        (tmp_path / language).mkdir()
        shutil.copy(CONTENT_DIR / language / "contacts.yaml", tmp_path / language / "contacts.yaml")
    return tmp_path


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_copied_words_pass(content_copy):
    assert check_words(all_contacts(), content_copy) == []


def test_missing_purpose_in_one_language_is_caught(content_copy):
    _edit(content_copy / "ro" / "contacts.yaml", lambda d: d["entries"]["gb-ico"].pop("purpose"))
    assert check_words(all_contacts(), content_copy) == ["ro: lacks entries.gb-ico.purpose"]


def test_missing_label_kind_prompt_and_bank_name_are_caught(content_copy):
    def change(d):
        del d["labels"]["phone"]
        del d["kinds"]["csirt"]
        del d["unverified_prompt"]
        del d["entries"]["bank-recall"]["name"]

    _edit(content_copy / "it" / "contacts.yaml", change)
    problems = check_words(all_contacts(), content_copy)
    assert set(problems) == {
        "it: lacks labels.phone",
        "it: lacks kinds.csirt",
        "it: lacks unverified_prompt",
        "it: lacks entries.bank-recall.name",
    }


def test_missing_language_file_and_stray_entry_are_caught(content_copy):
    (content_copy / "es" / "contacts.yaml").unlink()
    _edit(
        content_copy / "pl" / "contacts.yaml",
        lambda d: d["entries"].update({"xx-gone": {"purpose": "x"}}),
    )
    problems = check_words(all_contacts(), content_copy)
    assert "es: contacts.yaml is missing" in problems
    assert "pl: entries.xx-gone matches no contact" in problems


def test_load_reports_words_problems(content_copy):
    _edit(content_copy / "en" / "contacts.yaml", lambda d: d["entries"].pop("ro-dnsc"))
    with pytest.raises(ContactsError, match=r"en: lacks entries\.ro-dnsc\.purpose"):
        load(mod.DATA_PATH, content_copy)


def test_load_reports_unreadable_files(tmp_path):
    with pytest.raises(ContactsError, match="cannot read"):
        load(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContactsError, match="not valid YAML"):
        load(bad)
