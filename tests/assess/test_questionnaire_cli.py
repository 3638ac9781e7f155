"""The questionnaire in the terminal (`cyberbasics assess -o FILE`, cli/questionnaire.py):
a full run, stopping and resuming, bad input, applies_if, the helpers, and the words of
every language. Runs are scripted: `ask` replies from a list, then EOFError (the input ended)."""

import io
import json
import math
import os
import re

import pytest
import typer
import yaml
from rich.console import Console
from typer.testing import CliRunner

from cyberbasics.assess.answers import read_answers
from cyberbasics.assess.catalogue import load_catalogue
from cyberbasics.assess.conditions import applies
from cyberbasics.assess.review import catalogue_words, word
from cyberbasics.cli import questionnaire
from cyberbasics.cli.assess import answers_template
from cyberbasics.cli.questionnaire import (
    MARKER,
    QuestionnaireError,
    Words,
    plural_form,
    run_questionnaire,
)
from cyberbasics.texts import CONTENT_DIR, LANGUAGES

CATALOGUE = load_catalogue()
SOLE_BUSINESS = {"name": "Anna's Cakes", "country": "PL", "size": 1,
                 "platforms": ["google_workspace", "macos", "mobile"], "premises": "home",
                 "card_payments": False, "own_website": False, "nas": False,
                 "it_provider": False}


def number(field, value):
    """The number a value of a profile field is shown with."""
    if CATALOGUE.profile[field] == "yes_no":
        return "1" if value else "2"
    return str(CATALOGUE.profile[field].index(value) + 1)


def profile_replies(**changes):
    """The replies that give SOLE_BUSINESS (with `changes`), by number, in the order asked."""
    business = {**SOLE_BUSINESS, **changes}
    replies = []
    for field in ("name", "country", *CATALOGUE.profile):
        value = business[field]
        if field in ("name", "country", "size"):
            replies.append(str(value).lower() if field == "country" else str(value))
        elif isinstance(value, list):
            replies.append(", ".join(number(field, v) for v in value))
        else:
            replies.append(number(field, value))
    return replies


SOLE_TRADER = profile_replies()
NAS_QUESTIONS = ("devices.nas_updates", "router.nas_remote")


class Script:
    """Replies in order (an exception class is raised instead), then `then` forever, or the
    end of the input (EOFError) when there is no `then`."""

    def __init__(self, replies, then=None):
        self.replies, self.then, self.asked = list(replies), then, 0

    def __call__(self, prompt):
        assert prompt == "> "
        self.asked += 1
        if self.replies:
            reply = self.replies.pop(0)
            if isinstance(reply, type) and issubclass(reply, BaseException):
                raise reply
            return reply
        if self.then is None:
            raise EOFError
        return self.then


def run(path, replies, then=None, language="en"):
    console = Console(file=io.StringIO(), width=5000, color_system=None)
    finished = run_questionnaire(path, language, console, Script(replies, then))
    return finished, console.file.getvalue()


def walk(business, choose=lambda question: question.options[0].id):
    """The questions a business sees, in order, answering each with `choose`."""
    seen, answers = [], {}
    for question in CATALOGUE.questions:
        if applies(question.condition, business, answers):
            seen.append(question)
            answers[question.id] = choose(question)
    return seen


def text_of(question_id, language="en"):
    return " ".join(word(language, f"question.{question_id}", "text").split())


def progress_lines(output):
    return re.findall(r"^Question (\d+) of ~(\d+), about (\d+) minutes? left$", output, re.M)


def test_a_sole_trader_answers_every_question_that_concerns_them(tmp_path):
    path = tmp_path / "answers.yaml"
    finished, output = run(path, SOLE_TRADER, then="1")
    assert finished
    expected = walk(SOLE_BUSINESS)
    read = read_answers(path, CATALOGUE)
    assert read.problems == ()
    assert read.catalogue_version == CATALOGUE.version
    assert read.business == SOLE_BUSINESS
    assert list(read.answers) == [q.id for q in expected]
    assert all(a.option == q.options[0].id and a.source == "self"
               for q, a in zip(expected, read.answers.values(), strict=True))
    # every question once, in order, with its progress; the time from the questions' minutes
    lines = progress_lines(output)
    assert [int(n) for n, _, _ in lines] == list(range(1, len(expected) + 1))
    assert {int(total) for _, total, _ in lines} == {len(expected)}
    assert int(lines[0][2]) == math.ceil(sum(q.minutes for q in expected))
    assert all(output.count(text_of(q.id)) == 1 for q in expected)
    assert word("en", "area.backups") in output and word("en", "area.incident_readiness") in output
    assert "100 / 100" in output  # the summary of cli/assess.py: every best answer
    assert f"Your answers are saved in {path}." in output
    assert path.read_text().startswith(MARKER)


def test_stopping_half_way_and_carrying_on_keeps_everything(tmp_path):
    path = tmp_path / "answers.yaml"
    finished, output = run(path, [*SOLE_TRADER, "2", "2", "2", "2", "2", "q"])
    assert not finished
    assert "Saved: 5 answers in" in output and f"cyberbasics assess -o {path}" in output
    first = read_answers(path, CATALOGUE)
    assert first.problems == () and len(first.answers) == 5
    assert all(a.option == CATALOGUE.question(q).options[1].id for q, a in first.answers.items())

    finished, output = run(path, [], then="1")
    assert finished
    assert "5 answers already given are kept" in output
    assert "What is your business called?" not in output  # the profile is kept
    expected = walk(SOLE_BUSINESS, lambda q: q.options[1 if q.id in first.answers else 0].id)
    sixth = expected[5]
    assert progress_lines(output)[0][0] == "6"
    assert output.index(text_of(sixth.id)) < min(output.index(text_of(q.id))
                                                  for q in expected[6:])
    assert all(text_of(q.id) not in output for q in expected[:5])
    read = read_answers(path, CATALOGUE)
    assert read.problems == () and read.business == SOLE_BUSINESS
    assert list(read.answers) == [q.id for q in expected]
    assert {q: read.answers[q] for q in first.answers} == first.answers


def test_an_interrupted_run_loses_nothing(tmp_path):
    path = tmp_path / "answers.yaml"
    finished, output = run(path, [*SOLE_TRADER, "1", "3", KeyboardInterrupt])
    assert not finished and "Saved: 2 answers" in output
    read = read_answers(path, CATALOGUE)
    assert read.problems == ()
    assert {q: a.option for q, a in read.answers.items()} == {
        "backups.regular": "automatic_daily", "backups.offline": "no"}
    # the terminal closed (end of input) after the profile and one answer
    closed = tmp_path / "closed.yaml"
    assert not run(closed, [*SOLE_TRADER, "2"])[0]
    assert read_answers(closed, CATALOGUE).answers["backups.regular"].option == \
        "weekly_or_by_hand"
    assert read_answers(closed, CATALOGUE).business == SOLE_BUSINESS


def test_bad_input_gets_a_clear_message_and_the_question_again(tmp_path):
    path = tmp_path / "answers.yaml"
    platforms = " ".join(number("platforms", p) for p in SOLE_BUSINESS["platforms"])
    replies = ["", "s", "Anna's Cakes", "Poland", "pl", "0", "two", "1", "2, 99", platforms,
               "55", "home", "maybe", "n", "no", "No", "2",
               "", "0", "9", "banana", "no"]
    finished, output = run(path, replies, then="1")
    assert finished
    assert output.count("Please type an answer.") == 1
    assert '"Poland" is not a two-letter country code' in output
    assert "This one is needed for your results and cannot be skipped." in output
    assert '"0" is not a number of people' in output and '"two" is not a number' in output
    assert '"99" is not on the list' in output
    premises = len(CATALOGUE.profile["premises"])
    assert f'"55" is not one of the answers. Type a number from 1 to {premises}' in output
    assert '"maybe" is not one of the answers. Type a number from 1 to 2' in output
    assert "Please type the number of your answer, from 1 to 4." in output
    assert '"banana" is not one of the answers' in output
    # the question is shown again after each bad reply: once, then four times more
    assert output.count(text_of("backups.regular")) == 5
    assert output.count("How many people work in the business, you included?") == 3
    read = read_answers(path, CATALOGUE)
    assert read.problems == () and read.business == SOLE_BUSINESS  # "home", "n": ids, y/n
    assert read.answers["backups.regular"].option == "no"  # the option id
    # ... and a later question that depends on it is not asked
    assert "backups.offline" not in read.answers
    assert text_of("backups.offline") not in output


def test_a_business_without_a_nas_is_never_asked_about_one(tmp_path):
    without, with_nas = tmp_path / "without.yaml", tmp_path / "with.yaml"
    _, output = run(without, SOLE_TRADER, then="1")
    assert not any(text_of(q) in output for q in NAS_QUESTIONS)
    assert not set(NAS_QUESTIONS) & set(read_answers(without, CATALOGUE).answers)

    nas = profile_replies(nas=True)
    _, output = run(with_nas, nas, then="1")
    assert all(text_of(q) in output for q in NAS_QUESTIONS)
    assert set(NAS_QUESTIONS) <= set(read_answers(with_nas, CATALOGUE).answers)


def test_help_shows_how_to_find_out_on_the_business_s_own_platforms(tmp_path):
    _, output = run(tmp_path / "answers.yaml", [*SOLE_TRADER, "?", "1", "q"])
    helpers = catalogue_words("en")["question.backups.regular"]["how_to_find_out"]
    helper = {platform: " ".join(text.split()) for platform, text in helpers.items()}
    assert helper["google_workspace"] in output and helper["macos"] in output
    assert helper["microsoft365"] not in output and helper["windows"] not in output
    assert "How to find out (Google Workspace):" in output
    assert "Now type the number of your answer, from 1 to 4." in output


def test_help_without_platforms_shows_every_helper_and_says_when_there_is_none(tmp_path):
    # platforms skipped: every helper of the question; a question without helpers says so
    replies = ["Shop", "ie", "1", "s", "1", "2", "2", "2", "2", "?", "1", "1", "?", "q"]
    _, output = run(tmp_path / "answers.yaml", replies)
    helpers = catalogue_words("en")["question.backups.regular"]["how_to_find_out"]
    assert all(" ".join(text.split()) in output for text in helpers.values())
    assert "There is no step-by-step help for this one." in output
    assert "platforms" not in read_answers(tmp_path / "answers.yaml", CATALOGUE).business


def english_fragments(language):
    """The English interface words a run in `language` must not show: every text of
    content/en/questionnaire.yaml the language words differently, cut at its placeholders."""
    english, other = Words("en"), Words(language)
    fragments = set()

    def leaves(entry, prefix=""):
        for key, value in entry.items():
            if isinstance(value, dict):
                yield from leaves(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value

    words = yaml.safe_load((CONTENT_DIR / "en" / "questionnaire.yaml").read_text())
    for key, text in leaves(words):
        if key.startswith("_"):
            continue
        plural = key.rsplit(".", 1)[-1] in ("one", "other")
        theirs = other.get(key.rsplit(".", 1)[0]) if plural else other.get(key)
        theirs = " ".join(theirs.values()) if isinstance(theirs, dict) else theirs
        for part in re.split(r"\{\w+\}", text):
            part = part.strip(" .,:;()~\"")
            # a name the same in both (Microsoft 365), or a word both share ("minute" in ro)
            if len(part) >= 6 and part not in theirs:
                fragments.add(part)
    assert english.get("intro")
    return fragments


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_each_language_shows_its_own_words(tmp_path, language):
    path = tmp_path / "answers.yaml"
    replies = [*profile_replies(premises="office", nas=True), "?", "x", "1", "s", "q"]
    finished, output = run(path, replies, language=language)
    assert not finished
    _, rest = run(path, ["s"], then="1", language=language)
    output += rest
    say = Words(language)
    for key in ("profile_heading", "profile.name.question", "profile.premises.values.office",
                "hint_question", "help_after"):
        assert say(key, count=4) in output, key
    assert say("resumed_named", name="Anna's Cakes", path=path, count=1) in output
    assert text_of("backups.regular", language) in output
    assert word(language, "option.dont_know", "text") in output
    leaked = [f for f in english_fragments(language) if f in output]
    assert not leaked, leaked
    assert read_answers(path, CATALOGUE).problems == ()


def test_every_language_has_every_text_with_the_same_placeholders():
    def leaves(entry, prefix=""):
        for key, value in entry.items():
            if isinstance(value, dict):
                yield from leaves(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value

    english = dict(leaves(yaml.safe_load((CONTENT_DIR / "en/questionnaire.yaml").read_text())))
    same_everywhere = {"_status", "no", "platforms.microsoft365",
                       "platforms.google_workspace", "platforms.windows", "platforms.macos"}
    for language in LANGUAGES:
        path = CONTENT_DIR / language / "questionnaire.yaml"
        words = dict(leaves(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert words["_status"] == "draft", language
        for key, text in english.items():
            assert isinstance(words.get(key), str) and words[key].strip(), (language, key)
            assert set(re.findall(r"\{\w+\}", words[key])) == \
                set(re.findall(r"\{\w+\}", text)), (language, key)
            if language != "en" and key not in same_everywhere:
                assert words[key] != text, (language, key)
        for key in words:  # the extra plural forms of pl and ro
            base = key.rsplit(".", 1)[0] + ".other"
            assert key in english or base in english, (language, key)
        for count in range(0, 120):
            form = plural_form(language, count)
            for key in ("resumed", "saved_stop", "unanswered", "minutes_left", "duration"):
                assert f"{key}.{form}" in words, (language, key, form)


def test_plural_forms():
    assert [plural_form("pl", n) for n in (1, 2, 5, 12, 22, 25)] == \
        ["one", "few", "many", "many", "few", "many"]
    assert [plural_form("ro", n) for n in (1, 2, 19, 20, 101, 120)] == \
        ["one", "few", "few", "other", "few", "other"]
    assert Words("en")("minutes_left", count=1) == "about 1 minute left"
    assert Words("pl")("minutes_left", count=3) == "zostało około 3 minut"


def test_the_template_is_filled_in_and_kept_aside_unchanged(tmp_path):
    path = tmp_path / "answers.yaml"
    template = answers_template()
    path.write_text(template)
    finished, output = run(path, SOLE_TRADER, then="1")
    assert finished
    assert "0 answers already given are kept" in output
    assert (tmp_path / "answers.yaml.bak").read_text() == template
    assert f"an unchanged copy is kept as {path}.bak" in output
    assert read_answers(path, CATALOGUE).problems == ()


def test_a_hand_written_file_keeps_what_it_can_and_loses_nothing(tmp_path):
    path = tmp_path / "answers.yaml"
    original = (f'catalogue: "{CATALOGUE.version}"\n'
                'business: {name: "Bakery", country: ES, size: 3, sector: food, '
                'domains: [bakery.example]}\n'
                "answers:\n"
                "  mfa.email: {option: some, source: advisor, note: \"shop mailbox\"}\n"
                "  backups.regular: never_heard_of_it\n"
                "  old.question: yes\n")
    path.write_text(original)
    finished, output = run(path, ["s", "1", "1", "s", "2", "2", "2"], then="1")
    assert finished
    assert (tmp_path / "answers.yaml.bak").read_text() == original
    assert "These entries in it are not used as answers:" in output
    assert "old.question" in output and "never_heard_of_it" in output
    read = read_answers(path, CATALOGUE)
    assert read.problems == ()
    assert read.business["sector"] == "food" and read.business["domains"] == ["bakery.example"]
    assert read.business["size"] == 3 and "platforms" not in read.business
    mfa = read.answers["mfa.email"]
    assert (mfa.option, mfa.source, mfa.note) == ("some", "advisor", "shop mailbox")
    assert text_of("mfa.email") not in output  # already answered
    assert "backups.regular" in read.answers  # asked again: the file's answer was not valid
    # a second run asks only what was skipped, and copies nothing aside: the file is its own
    finished, output = run(path, ["s", "s"])
    assert finished and "Every question that concerns your business has been answered." in output
    assert not (tmp_path / "answers.yaml.bak2").exists()


def test_a_file_that_is_not_an_answers_file_is_left_alone(tmp_path):
    scan = tmp_path / "scan.json"
    scan.write_text(json.dumps({"schema": "cyberbasics.scan/1", "domains": []}))
    notes = tmp_path / "notes.txt"
    notes.write_text("- ask about the NAS\n- and the router\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("business: [unclosed\n")
    for path, message in ((scan, "is not an answers file"),
                          (notes, "cannot be read as an answers file"),
                          (broken, "cannot be read as an answers file")):
        before = path.read_text()
        with pytest.raises(QuestionnaireError, match=message):
            run(path, SOLE_TRADER, then="1")
        assert path.read_text() == before
    with pytest.raises(QuestionnaireError, match="Cannot save"):
        run(tmp_path / "no" / "such" / "folder.yaml", SOLE_TRADER)


def test_a_failed_save_leaves_the_last_good_file(tmp_path, monkeypatch):
    path = tmp_path / "answers.yaml"
    run(path, [*SOLE_TRADER, "1"])
    before = path.read_text()
    real_replace = os.replace

    def failing(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(questionnaire.os, "replace", failing)
    with pytest.raises(QuestionnaireError, match="disk full"):
        run(path, ["1"])
    monkeypatch.setattr(questionnaire.os, "replace", real_replace)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["answers.yaml"]  # no temporary file left


def test_from_the_terminal(tmp_path):
    """With the real console and input (here CliRunner's), as `cyberbasics assess -o` runs it."""
    path = tmp_path / "answers.yaml"
    app = typer.Typer()

    @app.command()
    def main(lang: str = "en") -> None:
        run_questionnaire(path, lang)

    done = CliRunner().invoke(app, [], input="\n".join([*SOLE_TRADER, "2", "q"]) + "\n")
    assert done.exit_code == 0, done.output
    assert "Question 1 of ~" in done.output and "Saved: 1 answer in" in done.output
    assert read_answers(path, CATALOGUE).answers["backups.regular"].option == \
        "weekly_or_by_hand"
    done = CliRunner().invoke(app, ["--lang", "ro"], input="1\n" * 60)
    assert done.exit_code == 0, done.output
    assert "Continuăm evaluarea pentru Anna's Cakes" in done.output
    assert "Primele lucruri de făcut:" in done.output
    assert read_answers(path, CATALOGUE).problems == ()
