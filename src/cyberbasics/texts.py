"""Texts that users read, kept as data per language (content/<lang>/*.yaml).

Code refers to texts by key (a check id and a result key); wording lives in content so
it can be translated and improved without touching checks.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

CONTENT_DIR = Path(__file__).with_name("content")
DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "pl", "es", "it", "ro")


class MissingText(KeyError):
    """A text key has no wording in the requested language."""


@cache
def _catalogue(language: str, name: str) -> dict[str, Any]:
    """All entries of `<name>.yaml` and `<name>-*.yaml` (one file per topic) in a language;
    a key defined twice is an error, so topics cannot silently override each other."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    folder = CONTENT_DIR / language
    paths = sorted(folder.glob(f"{name}-*.yaml"))
    if (folder / f"{name}.yaml").exists():
        paths.insert(0, folder / f"{name}.yaml")
    merged: dict[str, Any] = {}
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            entries = yaml.load(handle, Loader=loader) or {}
        if duplicated := merged.keys() & entries.keys():
            raise ValueError(f"{path.name} repeats {', '.join(sorted(duplicated))}")
        merged.update(entries)
    return merged


def check_texts(check_id: str, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    entry = _catalogue(language, "checks").get(check_id)
    if entry is None and language != DEFAULT_LANGUAGE:
        entry = _catalogue(DEFAULT_LANGUAGE, "checks").get(check_id)
    if entry is None:
        raise MissingText(f"no texts for check {check_id!r}")
    return entry


def result_text(check_id: str, result: str, language: str = DEFAULT_LANGUAGE) -> str:
    for key in (check_id, "_common"):
        for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
            entry = _catalogue(lang, "checks").get(key) or {}
            text = (entry.get("results") or {}).get(result)
            if text:
                return text
    raise MissingText(f"no text for result {result!r} of check {check_id!r}")


def words(name: str, language: str = DEFAULT_LANGUAGE) -> Mapping[str, Any]:
    """A content file's words (`<name>.yaml`) in `language`, with the English for anything
    it lacks, down to a single option or helper (nested tables are merged key by key).
    Cached: callers must not change what it returns."""
    return _merged(name, language)


@cache
def _merged(name: str, language: str) -> Mapping[str, Any]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; languages are {', '.join(LANGUAGES)}")
    english = _catalogue(DEFAULT_LANGUAGE, name)
    if language == DEFAULT_LANGUAGE:
        return english
    return _merge(english, _catalogue(language, name))


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, params: dict[str, Any]) -> str:
    """Fill {placeholders}; a value the text does not use is ignored, and a placeholder
    without a value stays visible rather than crashing a report."""
    return string.Formatter().vformat(template, (), _Lenient(params))
