"""Whom to report to, ready for a template: the core's contacts for one country and incident
(`incident.contacts`) with their words in the page's language, the phone as a tel: link and
the source with its dates (or the prompt to confirm an unverified entry)."""

from __future__ import annotations

from dataclasses import dataclass

from cyberbasics.incident.contacts import (
    ANY_COUNTRY,
    Contact,
    all_contacts,
    contact_words,
    contacts_for,
)
from cyberbasics.texts import words


@dataclass(frozen=True)
class ContactRow:
    id: str
    kind: str  # the contact kind's id (bank, police, ...), for styling and tests
    kind_label: str
    name: str | None  # None when it would only repeat the kind ("Your bank")
    purpose: str | None
    phone: str | None
    tel: str | None  # the phone for a tel: link, digits and a leading + only
    website: str | None
    source_title: str | None
    source_url: str | None
    source_dated: str | None  # "dated 2025-12-01" / "no date on the page"
    source_checked: str | None  # "checked on 2026-11-20"
    secondary: str | None  # the note for a source that is not the authority's own page
    prompt: str | None  # unverified: confirm it on the authority's own site
    eu_level: bool


def _flat(text: object) -> str | None:
    return " ".join(text.split()) if isinstance(text, str) and text.strip() else None


def _row(contact: Contact, language: str, labels) -> ContactRow:
    shown = contact_words(contact, language)
    name = shown["name"]
    source = contact.source
    dated = checked = secondary = None
    if source is not None:
        dated = (labels["source_date"].format(date=source.date.isoformat()) if source.date
                 else labels["undated"])
        checked = labels["checked"].format(date=source.checked.isoformat())
        secondary = None if source.official else labels["secondary_source"]
    return ContactRow(
        id=contact.id, kind=contact.kind, kind_label=shown["kind"],
        name=name if name and name != shown["kind"] else None,
        purpose=_flat(shown["purpose"]), phone=contact.phone,
        tel=contact.phone.replace(" ", "") if contact.phone else None,
        website=contact.website,
        source_title=source.title if source else None, source_url=source.url if source else None,
        source_dated=dated, source_checked=checked, secondary=secondary,
        prompt=_flat(shown["prompt"]), eu_level=contact.eu_level)


def contact_rows(country: str, incident: str, language: str) -> list[ContactRow]:
    """The rows for ``country`` and ``incident``, most urgent first (the bank first for money
    incidents); ``ValueError`` for an unknown country or incident."""
    labels = words("contacts", language)["labels"]
    return [_row(contact, language, labels) for contact in contacts_for(country, incident)]


def bank_row(language: str) -> ContactRow | None:
    """"Call your bank now", for any country (the generic bank entry)."""
    labels = words("contacts", language)["labels"]
    for contact in all_contacts():
        if contact.kind == "bank" and contact.country == ANY_COUNTRY:
            return _row(contact, language, labels)
    return None


def contact_intro(language: str) -> dict[str, str | None]:
    """The heading and introduction of the "who to report to" block."""
    text = words("contacts", language)
    return {"heading": text["heading"], "intro": _flat(text["intro"]),
            "source": text["labels"]["source"]}
