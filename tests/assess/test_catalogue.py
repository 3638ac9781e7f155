"""The shipped catalogue is whole; broken ones are reported precisely; the CLI shows both."""

import json

from typer.testing import CliRunner

from cyberbasics.assess import catalogue as cat
from cyberbasics.assess.catalogue import (
    Action,
    Area,
    Catalogue,
    Control,
    Option,
    Question,
    catalogue_problems,
    load_catalogue,
)
from cyberbasics.cli.main import app

runner = CliRunner()


def test_the_shipped_catalogue_has_no_problems_in_any_language():
    # Every text in en, pl, es, it and ro, each with a status, none a copy of the English;
    # the frameworks and their crosswalks too (this is `cyberbasics catalogue check`).
    assert catalogue_problems() == []


def test_every_question_offers_dont_know():
    for question in load_catalogue().questions:
        assert question.options[-1] == Option("dont_know", None)


def _small(**changes):
    base = dict(
        version="t", areas=(Area("a", 1), Area("empty", 1)),
        controls=(Control("c", "a", 1), Control("lonely", "nowhere", 1)),
        questions=(Question("q", "c", 1, 1, (Option("y", 1), Option("p", 0.7),
                                             Option("dont_know", None)),
                            applies_if="business.x is", helpers=("amiga",),
                            scan_checks=("no.such.check",)),),
        actions=(Action("act", "c", 0, "cheap", False, ("question", "nope")),))
    base.update(changes)
    return Catalogue(**base)


def test_structure_problems_are_named():
    problems = cat._structure_problems(_small())
    expected = [
        "control lonely: unknown area nowhere",
        "question q: option values must be 1, 0.5 or 0",
        "question q: needs an option worth 1 and one worth 0",
        "question q: applies_if:",
        "question q: unknown platform amiga",
        "question q: unknown scan check no.such.check",
        "action act: cost_band must be one of",
        "action act: effort_minutes must be positive",
        "action act: verify_by names unknown question nope",
        "area empty has no control",
        "control lonely has no question",
        "control lonely has no action",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in problems), (text, problems)


def test_missing_and_untranslated_words_are_named():
    small = _small(questions=(Question("q", "c", 1, 1, (Option("y", 1), Option("n", 0),
                                                        Option("dont_know", None))),))
    english = {"question.q": {"status": "draft", "text": "Is it?",
                              "options": {"y": "Yes", "n": "No"}}}
    polish = {"question.q": {"text": "Is it?", "options": {"y": "Tak"}}}
    problems = cat._word_problems(small, "pl", english, polish)
    assert "pl: question.q needs a status (draft or reviewed)" in problems
    assert "pl: question.q text is the English text, not a translation" in problems
    assert "pl: question.q options.n is missing" in problems
    assert "pl: no texts for area.a" in problems


def test_catalogue_check_command():
    done = runner.invoke(app, ["catalogue", "check", "--lang", "en"])
    assert done.exit_code == 0, done.output
    assert "questions" in done.output
    assert runner.invoke(app, ["catalogue", "check", "--lang", "xx"]).exit_code == 2


def test_catalogue_show_lists_options_with_their_values():
    done = runner.invoke(app, ["catalogue", "show", "--format", "json"])
    document = json.loads(done.output)
    assert document["version"] == load_catalogue().version
    question = document["questions"][0]
    assert {"id", "area", "critical", "options"} <= question.keys()
    values = {o["id"]: o["value"] for o in question["options"]}
    assert values["dont_know"] is None and 1 in values.values()
    assert "frameworks" in document and document["actions"]


def test_condition_fields_and_values_are_checked():
    from cyberbasics.assess.conditions import parse_condition

    def question(qid, text):
        return Question(qid, "c", 1, 1, (Option("yes", 1), Option("no", 0),
                                         Option("dont_know", None)), applies_if=text,
                        condition=parse_condition(text))

    small = Catalogue(
        "t", (Area("a", 1),), (Control("c", "a", 1),),
        (question("q1", "business.own_webiste is yes"),
         question("q2", "business.premises is castle or business.size is 3"),
         question("q3", "answer.q1 is maybe and answer.nothing is yes"),
         question("q4", "business.nas at least 2")),
        (Action("act", "c", 5, "free", True, ("question", "q1")),),
        profile={"own_website": "yes_no", "premises": ("home", "office"), "size": "number",
                 "nas": "yes_no"})
    problems = " | ".join(cat._structure_problems(small))
    assert "q1: applies_if: business.own_webiste is not a profile field" in problems
    assert "q2: applies_if: 'castle' is not a value of business.premises" in problems
    assert "q2: applies_if: use 'at least' with numbers" in problems
    assert "q3: applies_if: 'maybe' is not an option of q1" in problems
    assert "q3: applies_if: answer.nothing is not a question" in problems
    assert "q4: applies_if: business.nas is yes or no" in problems
