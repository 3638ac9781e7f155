"""The Help now triage: every path, the outcome, bad answers, the data file and fuzzing."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.incident import triage as mod
from cyberbasics.incident.playbooks import PLAYBOOK_IDS
from cyberbasics.incident.triage import (
    Outcome,
    TriageDataError,
    TriageError,
    next_question,
    outcome,
    parse_rules,
    path,
    rules,
    validate,
)
from cyberbasics.texts import LANGUAGES


def every_path(answers: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Every finished set of answers, by tapping every choice of every question asked."""
    answers = answers or {}
    question = next_question(answers)
    if question is None:
        yield answers
        return
    for choice in question.choices:
        yield from every_path({**answers, question.id: choice.id})


ALL_PATHS = list(every_path())


def test_every_path_ends_within_five_questions_in_one_of_the_playbooks():
    assert len(ALL_PATHS) > 100
    for answers in ALL_PATHS:
        assert 2 <= len(answers) <= 5, answers
        found = outcome(answers)
        assert found.playbook in PLAYBOOK_IDS, answers
        assert set(found.also) <= set(PLAYBOOK_IDS) and found.playbook not in found.also


def test_every_playbook_is_reachable_in_two_to_four_taps():
    shortest: dict[str, int] = {}
    for answers in ALL_PATHS:
        playbook = outcome(answers).playbook
        shortest[playbook] = min(shortest.get(playbook, 99), len(answers))
    assert set(shortest) == set(PLAYBOOK_IDS)
    assert all(2 <= taps <= 4 for taps in shortest.values()), shortest


def test_the_first_question_names_every_playbook():
    first = next_question({})
    assert first is not None and first.id == "what_happened"
    for playbook in PLAYBOOK_IDS:
        assert playbook in {choice.id for choice in first.choices}
        assert outcome_of(what_happened=playbook, finish_with_no=True).playbook == playbook


def outcome_of(*, finish_with_no: bool = False, **answers: str) -> Outcome:
    """The outcome after these answers, answering every later question "no" (or its last
    choice) when asked to finish."""
    given_answers = dict(answers)
    while finish_with_no and (question := next_question(given_answers)) is not None:
        ids = [choice.id for choice in question.choices]
        given_answers[question.id] = "no" if "no" in ids else ids[-1]
    return outcome(given_answers)


def test_invoice_fraud_with_a_payment_today_puts_the_bank_first():
    found = outcome({"what_happened": "invoice_fraud", "money": "payment_made",
                     "personal_data": "no", "noticed": "last_hour"})
    assert found == Outcome(playbook="invoice_fraud", also=(), money=True, personal_data=False,
                            ongoing=False, noticed="last_hour")


def test_a_hacked_account_with_customer_data_adds_the_breach_playbook_and_the_clock():
    found = outcome({"what_happened": "account_hacked", "money": "no", "personal_data": "maybe",
                     "ongoing": "yes", "noticed": "today"})
    assert found.playbook == "account_hacked" and found.also == ("personal_data_breach",)
    assert found.personal_data and found.ongoing and not found.money
    assert found.noticed == "today"


def test_a_payment_after_a_hacked_account_also_points_to_invoice_fraud():
    found = outcome({"what_happened": "account_hacked", "money": "payment_made",
                     "personal_data": "no", "ongoing": "no", "noticed": "earlier"})
    assert found.also == ("invoice_fraud",) and found.money and not found.ongoing


def test_a_personal_data_breach_takes_two_taps_and_starts_the_clock():
    answers = {"what_happened": "personal_data_breach"}
    question = next_question(answers)
    assert question is not None and question.id == "noticed"
    found = outcome({**answers, "noticed": "not_sure"})
    assert found.personal_data and found.playbook == "personal_data_breach" and not found.also
    assert found.noticed == "not_sure"


def test_a_lost_device_without_personal_data_is_done_in_two_taps():
    found = outcome({"what_happened": "lost_device", "personal_data": "no"})
    assert found == Outcome("lost_device", (), False, False, False, None)


@pytest.mark.parametrize(("symptoms", "playbook"), [
    ({"symptom": "files_locked"}, "ransomware"),
    ({"symptom": "odd_payment"}, "invoice_fraud"),
    ({"symptom": "messages_we_did_not_send"}, "account_hacked"),
    ({"symptom": "website_odd"}, "website_hacked"),
    ({"symptom": "none_of_these", "symptom_more": "phone_call"}, "fake_it_support_call"),
    ({"symptom": "none_of_these", "symptom_more": "device_missing"}, "lost_device"),
    ({"symptom": "none_of_these", "symptom_more": "data_exposed"}, "personal_data_breach"),
    ({"symptom": "none_of_these", "symptom_more": "still_not_sure"}, "phishing_clicked"),
])
def test_not_sure_leads_through_symptoms_to_a_playbook(symptoms, playbook):
    found = outcome_of(what_happened="not_sure", finish_with_no=True, **symptoms)
    assert found.playbook == playbook


def test_the_longest_unsure_path_drops_the_optional_questions_not_the_money_or_data_ones():
    answers = {"what_happened": "not_sure", "symptom": "none_of_these",
               "symptom_more": "phone_call", "money": "details_given", "personal_data": "yes"}
    assert next_question(answers) is None
    found = outcome(answers)
    assert found.money and found.personal_data and found.noticed is None


def test_path_lists_the_answers_in_order_with_their_words():
    answers = {"money": "no", "what_happened": "invoice_fraud"}  # order given does not matter
    shown = path(answers)
    assert [(question.id, choice.id) for question, choice in shown] == [
        ("what_happened", "invoice_fraud"), ("money", "no")]
    question, choice = shown[0]
    assert question.text == "What has happened?" and "bank details" in choice.text
    assert question.help and all(option.text for option in question.choices)


def test_validate_returns_the_answers_in_the_order_asked():
    given_answers = {"personal_data": "no", "what_happened": "ransomware"}
    assert list(validate(given_answers)) == ["what_happened", "personal_data"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_question_has_words_in_every_language(language):
    for answers in ALL_PATHS[::37]:
        for question, choice in path(answers, language):
            assert question.text and choice.text


# --- bad answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(("answers", "message"), [
    ({"what": "ransomware"}, "unknown question 'what'; questions are what_happened"),
    ({"what_happened": "aliens"}, "unknown choice 'aliens' for question 'what_happened'"),
    ({"what_happened": 3}, "unknown choice 3"),
    ({"money": "no"}, "question 'money' is not on the path"),
    ({"what_happened": "ransomware", "money": "no"}, "the next question is 'personal_data'"),
    ({"what_happened": "invoice_fraud", "symptom": "files_locked"},
     "question 'symptom' is not on the path"),
    ({"what_happened": "lost_device", "personal_data": "no", "ongoing": "no"},
     "the questions are finished"),
    (["what_happened"], "must be a mapping"),
    ({5: "x"}, "unknown question 5"),
])
def test_bad_answers_raise_a_clear_triage_error(answers, message):
    for call in (validate, next_question, path, outcome):
        with pytest.raises(TriageError, match=None) as caught:
            call(answers)
        assert message in str(caught.value), (call.__name__, str(caught.value))


def test_the_outcome_of_unfinished_answers_names_the_next_question():
    with pytest.raises(TriageError, match="'money' is next"):
        outcome({"what_happened": "invoice_fraud"})
    with pytest.raises(TriageError, match="'what_happened' is next"):
        outcome({})


QUESTION_IDS = st.sampled_from([*rules().ids, "other", ""])
CHOICE_IDS = st.sampled_from(sorted({c.id for q in rules().questions for c in q.choices}))
ANY_VALUE = st.one_of(CHOICE_IDS, st.text(max_size=8), st.none(), st.integers(), st.lists(
    st.text(max_size=3), max_size=2))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.one_of(QUESTION_IDS, st.text(max_size=8), st.integers()), ANY_VALUE,
                       max_size=7))
def test_random_answers_only_ever_raise_a_triage_error(answers):
    for call in (validate, next_question, path):
        with contextlib.suppress(TriageError):
            call(answers)
    try:
        found = outcome(answers)
    except TriageError:
        return
    assert found.playbook in PLAYBOOK_IDS


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(QUESTION_IDS, CHOICE_IDS, max_size=7))
def test_random_well_formed_answers_are_either_a_path_prefix_or_refused(answers):
    try:
        checked = validate(answers)
    except TriageError:
        return
    assert checked == answers and len(checked) <= 5
    assert any(all(full.get(key) == value for key, value in checked.items())
               for full in ALL_PATHS)


# --- the data file ---------------------------------------------------------------------------


def _raw() -> dict:
    with mod.STRUCTURE_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _problems(raw) -> str:
    with pytest.raises(TriageDataError) as caught:
        parse_rules(raw)
    return "; ".join(caught.value.problems)


def test_yes_and_no_stay_text_in_the_data_file():
    ids = {choice.id for question in rules().questions for choice in question.choices}
    assert {"yes", "no"} <= ids


@pytest.mark.parametrize(("change", "message"), [
    (lambda raw: raw["questions"][0]["choices"][0].update(playbook="aliens"),
     "playbook 'aliens' is not one of"),
    (lambda raw: raw["questions"][1]["ask_if"].update(answered={"money": ["no"]}),
     "'money' is not an earlier question"),
    (lambda raw: raw["questions"][1]["ask_if"].update(answered={"what_happened": ["x"]}),
     "must list choices of that question"),
    (lambda raw: raw["questions"][3].update(ask_if={"weather": ["rain"]}),
     "unknown condition 'weather'"),
    (lambda raw: raw["questions"][-1].update(ask_if={"any_flag": ["panic"]}), "flags are"),
    (lambda raw: raw["questions"][4]["choices"].append({"id": True}), "quote it"),
    (lambda raw: raw["questions"].append(copy.deepcopy(raw["questions"][0])),
     "the id is used twice"),
    (lambda raw: raw.update(max_questions=0), "max_questions"),
    (lambda raw: raw["questions"][0]["choices"][0].update(money="yes"),
     "money must be true or false"),
])
def test_a_broken_data_file_is_refused_with_the_reason(change, message):
    raw = copy.deepcopy(_raw())
    change(raw)
    assert message in _problems(raw)


def test_a_data_file_without_questions_is_refused():
    assert "list 'questions'" in _problems({"max_questions": 5})
