"""Every text a user reads of the outside view exists in every language, with a status, the
same placeholders as the English, and real words rather than a copy of the English."""

import string

import pytest

from cyberbasics.scan.registry import all_checks
from cyberbasics.texts import DEFAULT_LANGUAGE, LANGUAGES, _catalogue

OTHERS = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
CHECK_IDS = sorted(c.id for c in all_checks())
# Texts that may equal the English: formats with no words in them, and words that are the
# same in both languages.
SAME_AS_ENGLISH = {"area_grade", "area_state", "review_minutes", "date_format"}
SAME_WORD = {("pl", "status.fail"),  # "Problem"
             ("it", "column_area"),  # "Area"
             ("ro", "areas.email"),  # "E-mail"
             ("ro", "bands.strong"),  # "Solid"
             ("es", "no"), ("it", "no"),  # "No"
             ("es", "fact_sector"),  # "Sector"
             ("ro", "cost_label")}  # "Cost"
NAMES = ("platforms",)  # product names (Microsoft 365, Windows, ...) are the same everywhere


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _texts(entry, prefix=()):
    """(path, text) for every string in a nested entry, the status markers left out."""
    if isinstance(entry, str):
        yield prefix, entry
    elif isinstance(entry, dict):
        for key, value in entry.items():
            if key not in ("status", "_status"):
                yield from _texts(value, (*prefix, str(key)))


@pytest.mark.parametrize("language", OTHERS)
@pytest.mark.parametrize("name", ["checks", "report", "questionnaire", "review"])
def test_every_text_is_translated(language, name):
    english, translated = _catalogue(DEFAULT_LANGUAGE, name), _catalogue(language, name)
    keys = [*CHECK_IDS, "_common"] if name == "checks" else list(english)
    problems = []
    for key in keys:
        if key.startswith("_status"):
            continue
        theirs = translated.get(key)
        if theirs is None:
            problems.append(f"{key}: missing")
            continue
        if name == "checks" and key != "_common" and theirs.get("status") not in (
                "draft", "reviewed"):
            problems.append(f"{key}: no status")
        ours = dict(_texts(english[key], (key,)))
        found = dict(_texts(theirs, (key,)))
        for path, text in ours.items():
            other = found.get(path)
            where = ".".join(path)
            if other is None:
                problems.append(f"{where}: missing")
            elif _fields(other) != _fields(text):
                problems.append(f"{where}: placeholders {_fields(other)} != {_fields(text)}")
            elif (other == text and path[-1] not in SAME_AS_ENGLISH and path[0] not in NAMES
                  and (language, where) not in SAME_WORD):
                problems.append(f"{where}: the English text, not a translation")
    if name != "checks":
        assert translated.get("_status") in ("draft", "reviewed"), f"{name}.yaml: no _status"
    assert not problems, "\n".join(problems[:40])
