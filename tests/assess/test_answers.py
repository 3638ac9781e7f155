"""Answers files: every problem named by its line, nothing already answered lost."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyberbasics.assess.answers import AnswersFileError, parse_answers
from cyberbasics.assess.catalogue import Area, Catalogue, Control, Option, Question

CATALOGUE = Catalogue(
    "2026.11.0", (Area("backups", 5),), (Control("backups.regular", "backups", 1),),
    (Question("backups.regular", "backups.regular", 1, 1,
              (Option("yes", 1), Option("no", 0), Option("dont_know", None))),
     Question("backups.offline", "backups.regular", 1, 1,
              (Option("yes", 1), Option("some", 0.5), Option("no", 0),
               Option("dont_know", None)))),
    ())

GOOD = """\
catalogue: "2026.11.0"
business: {name: "Bakery Ltd", country: PL, size: 3, platforms: [microsoft365]}
answers:
  backups.regular: yes
  backups.offline: {option: some, source: advisor, note: "one disk, always plugged in"}
"""


def test_a_good_file():
    read = parse_answers(GOOD, CATALOGUE)
    assert read.problems == ()
    assert read.business["name"] == "Bakery Ltd" and read.business["platforms"] == [
        "microsoft365"]
    assert read.answers["backups.regular"].option == "yes"
    offline = read.answers["backups.offline"]
    assert (offline.option, offline.source, offline.note) == (
        "some", "advisor", "one disk, always plugged in")


def test_problems_name_their_line_and_keep_the_rest():
    text = """\
catalogue: "2025.01.0"
business: {country: PL}
answers:
  backups.regular: maybe
  backups.offline: no
  no.such.question: yes
  backups.offline: yes
extra: 1
"""
    read = parse_answers(text, CATALOGUE)
    messages = [str(p) for p in read.problems]
    assert any(m.startswith("line 1: answers written for catalogue 2025.01.0") for m in messages)
    assert any(m.startswith("line 2: business.name is required") for m in messages)
    assert any(m.startswith("line 4: backups.regular: 'maybe' is not an option")
               for m in messages)
    assert any(m.startswith("line 6: unknown question 'no.such.question'") for m in messages)
    assert any(m.startswith("line 7: backups.offline is answered twice") for m in messages)
    assert any(m.startswith("line 8: unknown section 'extra'") for m in messages)
    assert read.answers["backups.offline"].option == "no"  # nothing answered is lost
    assert "backups.regular" not in read.answers


def test_bad_sources_and_shapes():
    text = """\
catalogue: "2026.11.0"
business: {name: A, country: RO}
answers:
  backups.regular: {option: yes, source: neighbour, colour: blue}
  backups.offline: [yes]
"""
    read = parse_answers(text, CATALOGUE)
    messages = " | ".join(str(p) for p in read.problems)
    assert "source must be one of self, advisor, scan" in messages
    assert "unknown field(s) colour" in messages
    assert "line 5: backups.offline: give an option id" in messages
    assert read.answers["backups.regular"].source == "self"


def test_broken_yaml_names_the_line():
    with pytest.raises(AnswersFileError, match="line 3: not valid YAML"):
        parse_answers("catalogue: x\nanswers:\n  a: b: c\n", CATALOGUE)
    with pytest.raises(AnswersFileError):
        parse_answers("- just\n- a list\n", CATALOGUE)
    assert parse_answers("", CATALOGUE).problems


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_cleanly(text):
    try:
        read = parse_answers(text, CATALOGUE)
    except AnswersFileError:
        return
    assert set(read.answers) <= {"backups.regular", "backups.offline"}
