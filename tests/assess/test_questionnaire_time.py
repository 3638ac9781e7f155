"""A typical micro business finishes the inside view in about twenty minutes.

For three typical business profiles, walk the questions in order, keep those whose
`applies_if` holds (earlier questions answered with their first option, the best one),
and add up their `minutes`. Each total must stay between 12 and 25 minutes, and the sole
trader must see fewer questions than the nine-person office.
"""

import pytest

from cyberbasics.assess.catalogue import load_catalogue
from cyberbasics.assess.conditions import applies, parse_condition

PROFILES = {
    "sole trader on Google Workspace": {
        "size": 1, "platforms": ["google_workspace", "macos", "mobile"], "premises": "home",
        "card_payments": False, "own_website": False, "nas": False, "it_provider": False,
    },
    "three-person shop on Microsoft 365 taking cards": {
        "size": 3, "platforms": ["microsoft365", "windows", "mobile"], "premises": "shop",
        "card_payments": True, "own_website": False, "nas": False, "it_provider": False,
    },
    "nine-person office with a website and a NAS": {
        "size": 9, "platforms": ["microsoft365", "windows", "mobile"], "premises": "office",
        "card_payments": False, "own_website": True, "nas": True, "it_provider": True,
    },
}


def walk(business: dict) -> list:
    """The questions this business would see, in order, answering each with its first option."""
    seen, answers = [], {}
    for question in load_catalogue().questions:
        condition = parse_condition(question.applies_if) if question.applies_if else None
        if applies(condition, business, answers):
            seen.append(question)
            answers[question.id] = question.options[0].id
    return seen


@pytest.mark.parametrize("name", PROFILES)
def test_a_typical_micro_business_finishes_in_about_twenty_minutes(name):
    questions = walk(PROFILES[name])
    minutes = sum(q.minutes for q in questions)
    print(f"{name}: {len(questions)} questions, {minutes:g} minutes")
    assert 12 <= minutes <= 25, (name, minutes)


def test_a_sole_trader_answers_fewer_questions_than_an_office():
    sole = walk(PROFILES["sole trader on Google Workspace"])
    office = walk(PROFILES["nine-person office with a website and a NAS"])
    assert len(sole) < len(office)


def test_a_profile_that_says_nothing_is_asked_everything():
    """Undecidable conditions are asked: an empty profile sees every question
    (the answers to earlier questions still apply)."""
    assert len(walk({})) == len(load_catalogue().questions)
