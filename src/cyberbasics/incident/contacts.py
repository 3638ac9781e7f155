"""Who to report to: the places a business in trouble can report to, per country and incident
(docs/report-to.md).

The facts (names, websites, phone numbers and the source each was checked against) are
language-neutral data in ``content/incident/contacts.yaml``; the words (what each place is for,
labels, the prompt shown with an unverified entry) are in ``content/<lang>/contacts.yaml``.

Every entry either names its ``source`` (the page it was checked against, that page's date, or
null when the page shows none, and the day it was read) or says ``status: unverified``. An
unverified entry carries nothing that was not checked: no website, no phone, no source; the page
shows it with a prompt to confirm it on the authority's own site.

:func:`contacts_for` picks what matters for a country and an incident: the bank rule first for
incidents where money may have left (call your bank at once to recall the payment), then the
national entries, then EU-level bodies (for EU member countries only).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cyberbasics.texts import CONTENT_DIR, DEFAULT_LANGUAGE, LANGUAGES

from .data_files import ContentDataError, read_yaml

DATA_PATH = CONTENT_DIR / "incident" / "contacts.yaml"
WORDS_NAME = "contacts"

INCIDENTS = (
    "ransomware",
    "invoice_fraud",
    "account_hacked",
    "phishing_clicked",
    "lost_device",
    "personal_data_breach",
    "website_hacked",
    "fake_it_support_call",
)
# Incidents where money may already have left, or bank details were given away.
MONEY_INCIDENTS = frozenset(
    {"invoice_fraud", "fake_it_support_call", "phishing_clicked", "account_hacked"}
)
COUNTRIES = ("GB", "PL", "ES", "IT", "RO")
EU_MEMBERS = frozenset({"PL", "ES", "IT", "RO"})
EU = "EU"
ANY_COUNTRY = "*"
COUNTRY_ALIASES = {"UK": "GB"}
# Display order within a country: whom to call first comes first.
KINDS = ("bank", "police", "fraud", "helpline", "csirt", "data_protection", "info")

_REQUIRED = ("id", "country", "kind", "name", "relevant_to")
_OPTIONAL = ("website", "phone", "source", "status")
_SOURCE_FIELDS = ("url", "title", "checked_against", "date", "official", "checked")
_UNVERIFIED_ALLOWED = frozenset(_REQUIRED) | {"status"}
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PHONE = re.compile(r"^\+?[0-9](?:[0-9 ]*[0-9])?$")
_URL = re.compile(r"^https?://[^\s/]+(?:/\S*)?$")
_WORD_KEYS = ("heading", "intro", "unverified_prompt")
_LABEL_KEYS = (
    "website",
    "phone",
    "source",
    "source_date",
    "undated",
    "checked",
    "secondary_source",
)


class ContactsError(ContentDataError):
    """The contacts data or its words are not valid; ``problems`` lists every reason."""

    what = "contacts data"


@dataclass(frozen=True)
class Source:
    url: str
    title: str
    checked_against: str
    date: dt.date | None  # the page's own date; None when the stored copy shows none
    official: bool  # the authority's own page (or a government portal)
    checked: dt.date  # the day the stored copy was read


@dataclass(frozen=True)
class Contact:
    id: str
    country: str
    kind: str
    name: str | None  # None only for the generic bank entry (the words name it)
    relevant_to: tuple[str, ...]
    website: str | None = None
    phone: str | None = None
    source: Source | None = None

    @property
    def verified(self) -> bool:
        return self.source is not None

    @property
    def eu_level(self) -> bool:
        return self.country == EU


# --- parsing and validation ------------------------------------------------------------------


def parse(raw: Any) -> tuple[Contact, ...]:
    """Contacts from the YAML document (a list of mappings); :class:`ContactsError` lists every
    problem found, never a crash on odd input."""
    if not isinstance(raw, list):
        raise ContactsError(["the contacts file must be a list of entries"])
    problems: list[str] = []
    contacts: list[Contact] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"entry {index + 1}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: not a mapping")
            continue
        if isinstance(item.get("id"), str):
            where = f"{where} ({item['id']})"
        before = len(problems)
        contact = _parse_entry(item, where, problems)
        if contact is not None and len(problems) == before:
            if contact.id in seen:
                problems.append(f"{where}: id {contact.id!r} is used twice")
            seen.add(contact.id)
            contacts.append(contact)
    if problems:
        raise ContactsError(problems)
    return tuple(contacts)


def _parse_entry(item: Mapping[Any, Any], where: str, problems: list[str]) -> Contact | None:
    unknown = sorted(str(key) for key in item if key not in _REQUIRED and key not in _OPTIONAL)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    missing = [key for key in _REQUIRED if key not in item]
    if missing:
        problems.append(f"{where}: missing field(s) {', '.join(missing)}")
        return None
    entry_id, country, kind, name = item["id"], item["country"], item["kind"], item["name"]
    if not isinstance(entry_id, str) or not _ID.match(entry_id):
        problems.append(f"{where}: id must be lower-case words joined by '-'")
    if country not in (*COUNTRIES, EU, ANY_COUNTRY):
        problems.append(f"{where}: unknown country {country!r}")
    if kind not in KINDS:
        problems.append(f"{where}: unknown kind {kind!r}")
    if name is None:
        if kind != "bank":
            problems.append(f"{where}: name is empty (only the generic bank entry may omit it)")
    elif not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: name must be text")
    relevant = item["relevant_to"]
    if not isinstance(relevant, list) or not relevant:
        problems.append(f"{where}: relevant_to must be a non-empty list of incidents")
        relevant = []
    for incident in relevant:
        if incident not in INCIDENTS:
            problems.append(f"{where}: unknown incident {incident!r}")
    website, phone = item.get("website"), item.get("phone")
    status, raw_source = item.get("status"), item.get("source")
    source: Source | None = None
    if status is not None:
        if status != "unverified":
            problems.append(f"{where}: status may only be 'unverified'")
        extra = sorted(str(key) for key in item if key not in _UNVERIFIED_ALLOWED)
        if extra:
            problems.append(
                f"{where}: an unverified entry keeps only what was checked;"
                f" remove {', '.join(extra)}"
            )
    elif raw_source is None:
        problems.append(f"{where}: needs a source or 'status: unverified'")
    else:
        source = _parse_source(raw_source, where, problems)
    if website is not None and (not isinstance(website, str) or not _URL.match(website)):
        problems.append(f"{where}: website must be an http(s) URL")
    if phone is not None and (not isinstance(phone, str) or not _PHONE.match(phone)):
        problems.append(f"{where}: phone must be digits and spaces (a leading + allowed), as text")
    if not isinstance(entry_id, str) or not isinstance(country, str) or not isinstance(kind, str):
        return None
    return Contact(
        id=entry_id,
        country=country,
        kind=kind,
        name=name if isinstance(name, str) else None,
        relevant_to=tuple(str(incident) for incident in relevant),
        website=website if isinstance(website, str) else None,
        phone=phone if isinstance(phone, str) else None,
        source=source,
    )


def _parse_source(raw: Any, where: str, problems: list[str]) -> Source | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: source must be a mapping")
        return None
    missing = [key for key in _SOURCE_FIELDS if key not in raw]
    unknown = sorted(str(key) for key in raw if key not in _SOURCE_FIELDS)
    if missing:
        problems.append(f"{where}: source lacks {', '.join(missing)}")
    if unknown:
        problems.append(f"{where}: source has unknown field(s) {', '.join(unknown)}")
    if missing:
        return None
    ok = True
    if not isinstance(raw["url"], str) or not _URL.match(raw["url"]):
        problems.append(f"{where}: source.url must be an http(s) URL")
        ok = False
    for key in ("title", "checked_against"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            problems.append(f"{where}: source.{key} must be text")
            ok = False
    if not isinstance(raw["official"], bool):
        problems.append(f"{where}: source.official must be true or false")
        ok = False
    date = _date(raw["date"], allow_none=True)
    if date is False:
        problems.append(f"{where}: source.date must be a date (YYYY-MM-DD) or null")
        ok = False
    checked = _date(raw["checked"], allow_none=False)
    if checked is False or checked is None:
        problems.append(f"{where}: source.checked must be a date (YYYY-MM-DD)")
        ok = False
    if not ok:
        return None
    return Source(
        url=raw["url"],
        title=raw["title"],
        checked_against=raw["checked_against"],
        date=date or None,
        official=raw["official"],
        checked=checked,  # type: ignore[arg-type]
    )


def _date(value: Any, *, allow_none: bool) -> dt.date | bool | None:
    """The date, None (when allowed and absent), or False when it is not a date."""
    if value is None:
        return None if allow_none else False
    if isinstance(value, dt.datetime):
        return False
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return False
    return False


def check_words(
    contacts: Iterable[Contact],
    content_dir: Path = CONTENT_DIR,
    languages: Sequence[str] = LANGUAGES,
) -> list[str]:
    """Problems with the words: every text key the contacts need, present in every language's
    own file (no English fallback counts here)."""
    import yaml

    contacts = tuple(contacts)
    problems: list[str] = []
    for language in languages:
        path = content_dir / language / f"{WORDS_NAME}.yaml"
        try:
            with path.open(encoding="utf-8") as handle:
                words = yaml.safe_load(handle)
        except FileNotFoundError:
            problems.append(f"{language}: {WORDS_NAME}.yaml is missing")
            continue
        except yaml.YAMLError as error:
            problems.append(f"{language}: {WORDS_NAME}.yaml is not valid YAML ({error})")
            continue
        if not isinstance(words, Mapping):
            problems.append(f"{language}: {WORDS_NAME}.yaml is not a mapping")
            continue
        for key in _WORD_KEYS:
            if not _text(words.get(key)):
                problems.append(f"{language}: lacks {key}")
        labels = _mapping(words.get("labels"))
        for key in _LABEL_KEYS:
            if not _text(labels.get(key)):
                problems.append(f"{language}: lacks labels.{key}")
        kinds = _mapping(words.get("kinds"))
        for kind in sorted({contact.kind for contact in contacts}):
            if not _text(kinds.get(kind)):
                problems.append(f"{language}: lacks kinds.{kind}")
        entries = _mapping(words.get("entries"))
        for contact in contacts:
            entry = _mapping(entries.get(contact.id))
            if not _text(entry.get("purpose")):
                problems.append(f"{language}: lacks entries.{contact.id}.purpose")
            if contact.name is None and not _text(entry.get("name")):
                problems.append(f"{language}: lacks entries.{contact.id}.name")
        known = {contact.id for contact in contacts}
        for stray in sorted(str(key) for key in entries if key not in known):
            problems.append(f"{language}: entries.{stray} matches no contact")
    return problems


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _mapping(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def load(path: Path = DATA_PATH, content_dir: Path = CONTENT_DIR) -> tuple[Contact, ...]:
    """The contacts in ``path``, checked, with their words checked in every language."""
    contacts = parse(read_yaml(path, ContactsError))
    problems = check_words(contacts, content_dir)
    if problems:
        raise ContactsError(problems)
    return contacts


@cache
def all_contacts() -> tuple[Contact, ...]:
    """The shipped contacts (cached)."""
    return load()


# --- selection -------------------------------------------------------------------------------


def normalise_country(country: str) -> str:
    if not isinstance(country, str):
        raise ValueError("country must be a two-letter code such as GB or PL")
    code = COUNTRY_ALIASES.get(country.strip().upper(), country.strip().upper())
    if code not in COUNTRIES:
        raise ValueError(f"unknown country {country!r}; countries are {', '.join(COUNTRIES)}")
    return code


def contacts_for(
    country: str, incident: str, contacts: Sequence[Contact] | None = None
) -> list[Contact]:
    """Whom a business in ``country`` should report ``incident`` to, most urgent first: the bank
    rule (money incidents only), the national entries by kind, then EU-level bodies (EU member
    countries only). Unknown country or incident: :class:`ValueError` with a clear message."""
    code = normalise_country(country)
    if incident not in INCIDENTS:
        raise ValueError(f"unknown incident {incident!r}; incidents are {', '.join(INCIDENTS)}")
    pool = all_contacts() if contacts is None else contacts
    relevant = [contact for contact in pool if incident in contact.relevant_to]
    bank = [c for c in relevant if c.country == ANY_COUNTRY and incident in MONEY_INCIDENTS]
    national = sorted((c for c in relevant if c.country == code), key=lambda c: KINDS.index(c.kind))
    eu = [c for c in relevant if c.country == EU] if code in EU_MEMBERS else []
    return [*bank, *national, *eu]


def contact_words(contact: Contact, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """What the page shows for one entry in ``language``: its name, kind label, what it is for,
    and the prompt to confirm it (None for a checked entry)."""
    from cyberbasics.texts import words

    text = words(WORDS_NAME, language)
    entry = _mapping(_mapping(text.get("entries")).get(contact.id))
    return {
        "name": contact.name if contact.name is not None else entry.get("name"),
        "kind": _mapping(text.get("kinds")).get(contact.kind, contact.kind),
        "purpose": entry.get("purpose"),
        "prompt": None if contact.verified else text.get("unverified_prompt"),
    }
