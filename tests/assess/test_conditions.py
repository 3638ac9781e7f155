"""applies_if: parsing, three-valued evaluation, and no way to run code."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyberbasics.assess.conditions import ConditionError, applies, parse_condition

BUSINESS = {"platforms": ["microsoft365", "windows"], "size": 3, "card_payments": True,
            "sector": "Retail"}


@pytest.mark.parametrize(("text", "expected"), [
    ("business.card_payments is yes", True),
    ("business.sector is retail", True),
    ("business.platforms has windows", True),
    ("business.platforms has macos", False),
    ("business.platforms has any of [google_workspace, microsoft365]", True),
    ("business.size at least 5", False),
    ("business.size at least 3 and business.platforms has windows", True),
    ("business.size at least 5 or business.card_payments is yes", True),
    ("not business.card_payments is yes", False),
    ("answer.web.own_site is yes", True),
])
def test_conditions(text, expected):
    assert applies(parse_condition(text), BUSINESS, {"web.own_site": "yes"}) is expected


def test_what_cannot_be_decided_is_asked():
    condition = parse_condition("business.nas is yes")
    assert condition.evaluate(BUSINESS, {}) is None
    assert applies(condition, BUSINESS, {})
    assert applies(parse_condition("not business.nas is yes"), {}, {})
    # ...but a decided "no" in an "and" decides it
    assert not applies(parse_condition("business.nas is yes and business.size at least 9"),
                       BUSINESS, {})


@pytest.mark.parametrize("text", [
    "", "business.x", "business.x is", "platforms has x", "business.size at least many",
    "business.x has any of [a, b", "business.x is yes and", "__import__('os') is x",
    "business.x is [a]", "answer. is yes",
])
def test_bad_conditions_are_refused_with_a_reason(text):
    with pytest.raises(ConditionError):
        parse_condition(text)


@given(st.text(max_size=80))
def test_parsing_any_text_never_runs_or_crashes(text):
    try:
        condition = parse_condition(text)
    except ConditionError:
        return
    assert condition.evaluate(BUSINESS, {}) in (True, False, None)
