"""`cyberbasics assess -o answers.yaml`: the inside view as questions in the terminal.

The business profile comes first (name and country, then the fields the catalogue declares),
then every question that concerns the business, in catalogue order: a question whose
`applies_if` is decidedly false is not asked. Each question shows its area when the area
changes, a progress line, its numbered options and, on request ("?"), how to find out on the
business's own platforms.

Nothing is lost: the answers file is written after every answer (a temporary file, then
`os.replace`, so an interrupted run never leaves half a file), and running the command again
with the same file carries on where it stopped, keeping everything already given. A file
that holds things the questionnaire cannot keep (unknown questions, comments written by
hand, other sections) is copied aside, unchanged, before it is first rewritten.

Interface words: content/<lang>/questionnaire.yaml, English for any key a language lacks;
the questions' own words: content/<lang>/catalogue.yaml. Format: docs/questionnaire.md.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import stat
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

# The questionnaire's pure parts live in the core, shared with the web; plural_form and
# questionnaire_words stay importable from here.
from ..assess.questionnaire import (
    COUNTRY_ALIASES,
    Words,
    helper_platforms,
    helper_text,
    option_label,
    plural_form,  # noqa: F401
    profile_choices,
    profile_kind,
    questionnaire_words,  # noqa: F401
)
from ..texts import DEFAULT_LANGUAGE, LANGUAGES

Ask = Callable[[str], str]  # prompt -> the reply; EOFError when the input has ended

# The first line of every file the questionnaire writes: a file without it was written by
# someone else, and its comments would be lost by a rewrite, so it is copied aside first.
MARKER = "# cyberbasics answers file"
REQUIRED = ("name", "country")
HELP, SKIP, QUIT = "?", "s", "q"
PROMPT = "> "
NAME_LENGTH = 200


class QuestionnaireError(Exception):
    """The answers file cannot be read, is something else, or cannot be written; the message
    (in the questionnaire's language) says what to do."""


class _Stop(Exception):
    """The owner asked to stop ("q"), or the input ended."""


# --- the answers file --------------------------------------------------------------------------

def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: a temporary file in the same folder, synced,
    then renamed over the old one (which keeps its permissions)."""
    target = Path(os.path.realpath(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        with suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        with suppress(OSError):
            folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _serialise_answer(answer) -> Any:
    if answer.source == "self" and answer.note is None:
        return answer.option
    entry: dict[str, Any] = {"option": answer.option, "source": answer.source}
    if answer.note is not None:
        entry["note"] = answer.note
    return entry


# --- the run -----------------------------------------------------------------------------------

def run_questionnaire(output: Path, language: str = DEFAULT_LANGUAGE, console=None,
                      ask: Ask | None = None) -> bool:
    """Ask the questions in the terminal, saving `output` after every answer; resume from it
    when it exists. True when every question that concerns the business has been offered
    (the summary is then printed), False when the owner stopped ("q", Ctrl-C, end of input):
    everything answered is saved. Raises QuestionnaireError when `output` cannot be used."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; languages are {', '.join(LANGUAGES)}")
    if console is None:
        from rich.console import Console

        console = Console(emoji=False, highlight=False)
    if ask is None:
        def ask(prompt: str) -> str:
            from rich.text import Text

            return console.input(Text(prompt), markup=False, emoji=False)
    session = _Session(Path(output), language, console, ask)
    session.load()
    try:
        session.profile()
        session.questions()
    except (_Stop, EOFError):
        session.stopped()
        return False
    except KeyboardInterrupt:
        session.say("")
        session.stopped()
        return False
    session.summary()
    return True


class _Session:
    def __init__(self, output: Path, language: str, console, ask: Ask):
        from ..assess.catalogue import load_catalogue

        self.output, self.language, self.console, self.ask = output, language, console, ask
        self.words = Words(language)
        self.catalogue = load_catalogue()
        self.business: dict[str, Any] = {}
        self.answers: dict[str, Any] = {}  # question id -> assess.answers.Answer
        self.copy_aside = False  # the file holds what a rewrite would lose
        self.problems: tuple = ()

    # --- output ---

    def say(self, text: str, style: str | None = None) -> None:
        from rich.text import Text

        self.console.print(Text(text, style=style or ""))

    def choices(self, rows: list[tuple[str, str]]) -> None:
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column()
        for number, (_, label) in enumerate(rows, 1):
            grid.add_row(Text(f"  {number}"), Text(label))
        self.console.print(grid)

    def read(self) -> str:
        return str(self.ask(PROMPT)).strip()

    def command(self, extra: str = "") -> str:
        language = "" if self.language == DEFAULT_LANGUAGE else f" --lang {self.language}"
        return f"cyberbasics assess {extra}{shlex.quote(str(self.output))}{language}"

    # --- the file ---

    def load(self) -> None:
        folder = Path(os.path.realpath(self.output)).parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise QuestionnaireError(self.words("cannot_write", path=self.output,
                                                problem=folder))
        if not self.output.exists():
            self.say(self.words("intro", path=self.output))
            return
        import yaml

        from ..assess.answers import AnswersFileError, read_answers

        try:
            text = self.output.read_text(encoding="utf-8-sig")
            if not text.strip():
                self.say(self.words("intro", path=self.output))
                return
            read = read_answers(self.output, self.catalogue)
            raw = yaml.safe_load(text)
        except (AnswersFileError, OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise QuestionnaireError(self.words("cannot_read", path=self.output,
                                                problem=exc)) from None
        if not isinstance(raw, dict) or not {"business", "answers"} & set(map(str, raw)):
            raise QuestionnaireError(self.words("not_answers", path=self.output))
        raw_answers = raw.get("answers")
        lost = (set(map(str, raw)) - {"catalogue", "business", "answers"}
                or (raw.get("business") is not None and not isinstance(raw["business"], dict))
                or (raw_answers is not None and not isinstance(raw_answers, dict))
                or set(map(str, raw_answers or {})) - set(read.answers))
        self.copy_aside = bool(lost) or not text.startswith(MARKER)
        self.problems = read.problems if lost else ()
        self.business = dict(read.business)
        self.answers = dict(read.answers)
        name = self.business.get("name")
        if _missing(name):
            self.say(self.words("resumed", path=self.output, count=len(self.answers)))
        else:
            self.say(self.words("resumed_named", path=self.output, name=str(name),
                                count=len(self.answers)))

    def save(self) -> None:
        import yaml

        if self.copy_aside:
            self.put_aside()
        order = ["name", "country", *self.catalogue.profile]
        business = {k: self.business[k] for k in order if k in self.business}
        business.update((k, v) for k, v in self.business.items() if k not in business)
        answers = {q.id: _serialise_answer(self.answers[q.id])
                   for q in self.catalogue.questions if q.id in self.answers}
        header = " ".join(self.words("file_header", command=self.command("-o ")).split())
        # the version as a quoted string: "2027.1" must not read back as a number
        text = (f"{MARKER}\n# {header}\ncatalogue: {json.dumps(self.catalogue.version)}\n"
                + yaml.safe_dump({"business": business, "answers": answers},
                                 sort_keys=False, allow_unicode=True, default_flow_style=False,
                                 width=100))
        try:
            write_atomically(self.output, text)
        except OSError as exc:
            raise QuestionnaireError(self.words("cannot_write", path=self.output,
                                                problem=exc)) from None

    def put_aside(self) -> None:
        copy, number = self.output.with_name(self.output.name + ".bak"), 1
        while copy.exists():
            number += 1
            copy = self.output.with_name(f"{self.output.name}.bak{number}")
        try:
            shutil.copy2(self.output, copy)
        except OSError as exc:
            raise QuestionnaireError(self.words("cannot_write", path=copy,
                                                problem=exc)) from None
        self.copy_aside = False
        self.say(self.words("kept_aside", path=self.output, copy=copy))
        if self.problems:
            self.say(self.words("not_kept"))
            for problem in self.problems:
                self.say(f"  - {problem}")

    # --- the business profile ---

    def profile(self) -> None:
        fields = [f for f in (*REQUIRED, *self.catalogue.profile) if _missing(self.business.get(f))]
        if not fields:
            return
        self.say("")
        self.say(self.words("profile_heading"), "bold")
        self.say(self.words("profile_intro"))
        for name in fields:
            self.profile_field(name)

    def profile_kind(self, name: str) -> str:
        return profile_kind(self.catalogue, name)

    def profile_choices(self, name: str, kind: str) -> list[tuple[str, str]]:
        return profile_choices(self.catalogue, name, self.language)

    def label(self, key: str, fallback: str) -> str:
        text = self.words(key)
        return fallback if text == key else text

    def profile_field(self, name: str) -> None:
        kind = self.profile_kind(name)
        choices = self.profile_choices(name, kind) if kind in ("one", "many", "yes_no") else []
        def show() -> None:
            self.say(self.label(f"profile.{name}.question", name), "bold")
            if choices:
                self.choices(choices)

        self.say("")
        show()
        hint = {"many": "hint_many", "one": "hint_choice", "yes_no": "hint_choice"}.get(
            kind, "hint_required" if name in REQUIRED else "hint_text")
        self.say(self.words(hint, count=len(choices)))
        while True:
            reply = self.read()
            if reply == HELP:
                self.say(self.label(f"profile.{name}.help", self.words("help_none")))
                continue
            if reply.casefold() == QUIT:
                raise _Stop
            if reply.casefold() == SKIP:
                if name in REQUIRED:
                    self.say(self.words("required"))
                    continue
                self.say(self.words("skipped_profile"))
                return
            value, problem = self.profile_value(name, kind, reply, choices)
            if problem:  # what is wrong, then the question again
                self.say(problem)
                show()
                continue
            self.business[name] = value
            self.save()
            return

    def profile_value(self, name: str, kind: str, reply: str,
                      choices: list[tuple[str, str]]) -> tuple[Any, str | None]:
        """(value, None) or (None, what is wrong)."""
        if not reply:
            return None, self.words("invalid_empty_text" if kind == "text" else "invalid_empty",
                                    count=len(choices))
        if name == "country":  # an ISO 3166 code: whom to report to, which rules apply
            code = reply.upper()
            if not re.fullmatch(r"[A-Z]{2}", code):
                return None, self.words("invalid_country", reply=reply)
            return COUNTRY_ALIASES.get(code, code), None
        if kind == "text":  # the name, or a field of a kind not known here
            text = "".join(ch for ch in reply if ch.isprintable()).strip()[:NAME_LENGTH]
            return (text, None) if text else (None, self.words("invalid_empty_text"))
        if kind == "number":
            if re.fullmatch(r"\d{1,6}", reply) and int(reply) >= 1:
                return int(reply), None
            return None, self.words("invalid_number", reply=reply)
        if kind == "many":
            tokens = [t for t in re.split(r"[\s,;]+", reply) if t]
            if tokens == ["0"]:
                return [], None
            chosen = set()
            for token in tokens:
                value = _match(token, choices, labels=False)
                if value is None:
                    return None, self.words("invalid_many", reply=token, count=len(choices))
                chosen.add(value)
            return [v for v, _ in choices if v in chosen], None
        if kind == "yes_no" and reply.casefold() in ("y", "n"):
            reply = {"y": "yes", "n": "no"}[reply.casefold()]
        value = _match(reply, choices)
        if value is None:
            return None, self.words("invalid_choice", reply=reply, count=len(choices))
        if kind == "yes_no":
            return value == "yes", None
        return value, None

    # --- the questions ---

    def options(self) -> dict[str, str]:
        return {qid: answer.option for qid, answer in self.answers.items()}

    def applicable(self) -> list:
        from ..assess.conditions import applies

        options = self.options()
        return [q for q in self.catalogue.questions
                if q.id in self.answers or applies(q.condition, self.business, options)]

    def pending(self) -> list:
        return [q for q in self.applicable() if q.id not in self.answers]

    def questions(self) -> None:
        from ..assess.conditions import applies

        pending = self.pending()
        self.say("")
        if not pending:
            self.say(self.words("all_answered"))
            return
        minutes = max(1, math.ceil(sum(q.minutes for q in pending)))
        self.say(self.words("questions_intro", count=len(pending),
                            duration=self.words("duration", count=minutes)))
        shown_area = None
        for question in self.catalogue.questions:
            if question.id in self.answers or not applies(question.condition, self.business,
                                                          self.options()):
                continue
            area = self.catalogue.area_of(question)
            if area != shown_area:
                from ..assess.review import word

                self.say("")
                self.say(word(self.language, f"area.{area}"), "bold")
                shown_area = area
            self.question(question)

    def progress(self, question) -> str:
        applicable = self.applicable()
        position = next(i for i, q in enumerate(applicable) if q.id == question.id)
        left = sum(q.minutes for q in applicable[position:] if q.id not in self.answers)
        minutes = max(1, math.ceil(left))
        return self.words("progress", number=position + 1, total=len(applicable),
                          left=self.words("minutes_left", count=minutes))

    def question(self, question) -> None:
        from ..assess.answers import Answer
        from ..assess.review import word

        choices = [(o.id, self.option_label(question, o.id)) for o in question.options]
        text = " ".join(word(self.language, f"question.{question.id}", "text").split())

        def show() -> None:
            self.say(text, "bold")
            self.choices(choices)

        self.say("")
        self.say(self.progress(question))
        show()
        self.say(self.words("hint_question", count=len(choices)))
        while True:
            reply = self.read()
            if reply == HELP:
                self.helper(question)
                continue
            if reply.casefold() == QUIT:
                raise _Stop
            if reply.casefold() == SKIP:
                self.say(self.words("skipped"))
                return
            option = _match(reply, choices) if reply else None
            if option is None:  # what is wrong, then the question again
                self.say(self.words("invalid_choice", reply=reply, count=len(choices)) if reply
                         else self.words("invalid_empty", count=len(choices)))
                show()
                continue
            self.answers[question.id] = Answer(question.id, option, "self")
            self.save()
            return

    def option_label(self, question, option_id: str) -> str:
        return option_label(self.language, question, option_id)

    def helper(self, question) -> None:
        if not question.helpers:
            self.say(self.words("help_none"))
            return
        shown, matched = helper_platforms(question, self.business)
        if not matched:
            self.say(self.words("help_other_platforms"))
        for platform in shown:
            text = helper_text(self.language, question, platform)
            if text:
                self.say(self.words("help_heading",
                                    platform=self.label(f"platforms.{platform}", platform)),
                         "bold")
                self.say(text)
        self.say(self.words("help_after", count=len(question.options)))

    # --- the end ---

    def stopped(self) -> None:
        self.say(self.words("saved_stop", count=len(self.answers), path=self.output,
                            command=self.command("-o ")))

    def summary(self) -> None:
        from ..assess.answers import read_answers
        from ..assess.review import build_review
        from .assess import result_text

        if not self.output.exists():  # nothing was asked (a complete file given), or all skipped
            self.save()
        read = read_answers(self.output, self.catalogue)
        review = build_review(self.catalogue, read, None, self.language)
        self.say("")
        self.say(self.words("summary_heading"), "bold")
        self.say(result_text(review).rstrip("\n"))
        self.say("")
        unanswered = len(self.pending())
        if unanswered:
            self.say(self.words("unanswered", count=unanswered, command=self.command("-o ")))
        self.say(self.words("finished", path=self.output))
        self.say(self.words("review_again", command=self.command("--answers ")))


def _match(reply: str, choices: list[tuple[str, str]], labels: bool = True) -> str | None:
    """The id of the choice a reply names: its number, its id, or (labels) its words."""
    text = reply.strip().casefold()
    if text.isdigit():
        number = int(text)
        return choices[number - 1][0] if 1 <= number <= len(choices) else None
    as_id = re.sub(r"[\s\-]+", "_", text).replace("'", "")
    for choice, label in choices:
        if as_id == choice.casefold() or (labels and text == label.strip().casefold()):
            return choice
    return None
