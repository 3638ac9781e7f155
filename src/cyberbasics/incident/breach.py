"""The GDPR breach clock and a draft breach notification.

GDPR Art. 33(1): notify the supervisory authority without undue delay and, where feasible,
not later than 72 hours after becoming aware of a personal data breach. :func:`deadline`
computes that moment as exact elapsed hours (via UTC, so a daylight-saving change in the
business's time zone neither adds nor removes an hour) and shows it in that time zone.

:func:`draft_notification` turns triage-like answers into a draft with the Art. 33(3) points
(a) to (d); a fact the answers do not give is marked "to fill in", never guessed. When the
answers indicate a high risk it adds the Art. 34 letter to the people affected.

All wording comes from ``content/<lang>/breach.yaml``: the obligations (``articles``, keyed
by article point, see :data:`ARTICLES`), the headings, the month and weekday names (never the
OS locale), and the error messages (:class:`BreachInputError` carries a key and its fields,
so the CLI or the web can show the message in the user's language).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..report.safe_text import safe_text
from ..texts import DEFAULT_LANGUAGE, words

NOTIFY_WITHIN = timedelta(hours=72)
# Clocks disagree a little (a phone, a server): awareness up to this far ahead of "now" is
# taken as "now"-ish; beyond it, it is an error.
CLOCK_SKEW = timedelta(minutes=5)
TEXT_LIMIT = 10_000
LIST_LIMIT = 50
COUNT_LIMIT = 10**12

# Every point of the GDPR a business must know about, in the order shown; each has an entry
# under `articles` in breach.yaml in every language.
NOTIFICATION_POINTS = ("33(3)(a)", "33(3)(b)", "33(3)(c)", "33(3)(d)")
ARTICLES = ("33(1)", *NOTIFICATION_POINTS, "33(4)", "33(5)", "34(1)", "34(2)",
            "34(3)(a)", "34(3)(b)", "34(3)(c)")

# The answers draft_notification understands, and the kind of each.
FIELDS: dict[str, str] = {
    "business_name": "text",
    "country": "text",
    "what_happened": "text",
    "aware_at": "time",
    "occurred_at": "time",
    "time_zone": "text",
    "ongoing": "flag",
    "data_categories": "list",
    "people_count": "amount",
    "records_count": "amount",
    "likely_consequences": "text",
    "measures_taken": "text",
    "measures_proposed": "text",
    "contact_name": "text",
    "contact_role": "text",
    "contact_email": "text",
    "contact_phone": "text",
    "high_risk": "flag",
    "sensitive_data": "flag",
}

# Which answers make up each Art. 33(3) point (and so each section of the draft).
SECTIONS: dict[str, tuple[str, ...]] = {
    "33(3)(a)": ("what_happened", "occurred_at", "aware_at", "ongoing", "data_categories",
                 "people_count", "records_count"),
    "33(3)(b)": ("contact_name", "contact_role", "contact_email", "contact_phone"),
    "33(3)(c)": ("likely_consequences",),
    "33(3)(d)": ("measures_taken", "measures_proposed"),
}
# Contact details: one way to reach the person is enough.
_ONE_OF = {"contact_email", "contact_phone"}
_OPTIONAL = {"contact_role"}


class BreachInputError(ValueError):
    """Bad input to the breach clock or the draft: ``key`` names the message under
    ``errors`` in breach.yaml, ``fields`` fill it in. ``str()`` is the English message."""

    def __init__(self, key: str, **fields: Any) -> None:
        self.key = key
        self.fields = fields
        super().__init__(self.message(DEFAULT_LANGUAGE))

    def message(self, language: str = DEFAULT_LANGUAGE) -> str:
        texts = words("breach", language)
        values = dict(self.fields)
        if "expected" in values:
            values["expected"] = texts["expected"].get(values["expected"], values["expected"])
        return texts["errors"][self.key].format(**values)


# --- the clock -----------------------------------------------------------------------------

def zone(name: object) -> ZoneInfo:
    """The IANA time zone ``name``; a clear error for anything else."""
    if not isinstance(name, str) or not name or len(name) > 100:
        raise BreachInputError("unknown_zone", zone=safe_text(name)[:100])
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: a path-like key such as "../x"; OSError: a directory or unreadable file
        raise BreachInputError("unknown_zone", zone=safe_text(name)[:100]) from None


def wall_clock(naive: datetime, time_zone: str) -> datetime:
    """A wall-clock time where the business is, as an aware time. A time that does not exist
    (the hour skipped when clocks go forward) or happens twice (when they go back) is read
    as its earliest possible instant, so a deadline counted from it errs early, never late."""
    place = zone(time_zone)
    earliest = min((naive.replace(tzinfo=place, fold=fold) for fold in (0, 1)),
                   key=lambda moment: moment.astimezone(UTC))
    return earliest.astimezone(UTC).astimezone(place)


@dataclass(frozen=True)
class Deadline:
    """When the authority must be told: ``due`` is aware in ``time_zone``."""

    aware_at: datetime
    due: datetime
    time_zone: str

    def time_left(self, now: datetime | None = None) -> timedelta:
        """Time until the deadline; negative once it has passed."""
        return self.due - _now(now)

    def overdue(self, now: datetime | None = None) -> bool:
        return self.time_left(now) < timedelta(0)

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """"by Saturday 28 November 2026 at 14:30 (Europe/Warsaw)", in ``language``."""
        return format_time(self.due, self.time_zone, language, template="deadline")

    def left_text(self, language: str = DEFAULT_LANGUAGE, now: datetime | None = None) -> str:
        """"71 h 59 min left" or "overdue by 2 h 5 min", in ``language``; the time left is
        rounded down, the time overdue up, so neither ever looks better than it is."""
        left = self.time_left(now)
        overdue = left < timedelta(0)
        seconds = abs(left.total_seconds())
        minutes = math.ceil(seconds / 60) if overdue else math.floor(seconds / 60)
        hours, minutes = divmod(int(minutes), 60)
        key = "overdue" if overdue else "time_left"
        return words("breach", language)[key].format(hours=hours, minutes=minutes)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    _require_aware(now, "now")
    return now


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BreachInputError("naive_time", field=name)


def deadline(aware_at: datetime, time_zone: str, *, now: datetime | None = None) -> Deadline:
    """The Art. 33(1) deadline: ``aware_at`` plus exactly 72 hours, shown in ``time_zone``.

    Raises :class:`BreachInputError` for a datetime without a time zone, an unknown time
    zone, or an awareness time more than :data:`CLOCK_SKEW` in the future."""
    if not isinstance(aware_at, datetime):
        raise BreachInputError("wrong_type", field="aware_at", expected="time")
    _require_aware(aware_at, "aware_at")
    place = zone(time_zone)
    if aware_at - _now(now) > CLOCK_SKEW:
        raise BreachInputError("future", field="aware_at")
    # Elapsed time, not wall-clock time: add in UTC, then show in the business's zone.
    due = (aware_at.astimezone(UTC) + NOTIFY_WITHIN).astimezone(place)
    return Deadline(aware_at=aware_at.astimezone(place), due=due, time_zone=time_zone)


def format_time(moment: datetime, time_zone: str, language: str = DEFAULT_LANGUAGE,
                *, template: str = "date_time") -> str:
    """``moment`` in ``time_zone`` with the language's month and weekday names."""
    texts = words("breach", language)
    local = moment.astimezone(zone(time_zone))
    weekdays = texts["deadline_weekdays" if template == "deadline" else "weekdays"]
    return texts[template].format(
        weekday=weekdays[local.weekday()], day=local.day, month=texts["months"][local.month - 1],
        year=local.year, time=f"{local.hour:02d}:{local.minute:02d}", zone=time_zone)


# --- what the GDPR asks --------------------------------------------------------------------

@dataclass(frozen=True)
class Obligation:
    article: str
    title: str
    text: str


def obligations(language: str = DEFAULT_LANGUAGE) -> list[Obligation]:
    """Arts. 33 and 34 in plain words, one per article point (:data:`ARTICLES`)."""
    entries = words("breach", language)["articles"]
    return [Obligation(article, entries[article]["title"], _flat(entries[article]["text"]))
            for article in ARTICLES]


def _flat(text: str) -> str:
    """A folded YAML text as one line (its spaces made single)."""
    return " ".join(text.split())


# --- the answers ---------------------------------------------------------------------------

def _clean_text(value: str, name: str) -> str | None:
    if len(value) > TEXT_LIMIT:
        raise BreachInputError("too_long", field=name, limit=TEXT_LIMIT)
    # Keep the lines the user wrote; make anything invisible in each line visible.
    lines = [safe_text(line).strip() for line in value.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines).strip()
    return text or None


def _parse_time(value: object, name: str) -> datetime:
    if isinstance(value, str):
        if len(value) > 64:
            raise BreachInputError("bad_time", field=name)
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise BreachInputError("bad_time", field=name) from None
    if not isinstance(value, datetime):
        raise BreachInputError("wrong_type", field=name, expected="time")
    _require_aware(value, name)
    return value


def validate(answers: object, now: datetime | None = None) -> dict[str, Any]:
    """The answers checked and tidied: empty answers become None (= missing); raises
    :class:`BreachInputError` for anything it cannot take."""
    if not isinstance(answers, Mapping):
        raise BreachInputError("not_a_mapping")
    clean: dict[str, Any] = dict.fromkeys(FIELDS)
    for key, value in answers.items():
        if not isinstance(key, str) or key not in FIELDS:
            raise BreachInputError("unknown_field", field=safe_text(key)[:60])
        if value is None:
            continue
        kind = FIELDS[key]
        if kind == "text":
            if not isinstance(value, str):
                raise BreachInputError("wrong_type", field=key, expected="text")
            clean[key] = _clean_text(value, key)
        elif kind == "flag":
            if not isinstance(value, bool):
                raise BreachInputError("wrong_type", field=key, expected="flag")
            clean[key] = value
        elif kind == "time":
            clean[key] = _parse_time(value, key)
        elif kind == "list":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise BreachInputError("wrong_type", field=key, expected="list")
            if len(value) > LIST_LIMIT:
                raise BreachInputError("too_long", field=key, limit=LIST_LIMIT)
            items = [text for v in value if (text := _clean_text(v, key))]
            clean[key] = items or None
        else:  # amount: a number, or a short text such as "about 200"
            if isinstance(value, bool):
                raise BreachInputError("bad_count", field=key)
            if isinstance(value, int):
                if not 0 <= value <= COUNT_LIMIT:
                    raise BreachInputError("bad_count", field=key)
                clean[key] = value
            elif isinstance(value, str):
                if len(value) > 200:
                    raise BreachInputError("too_long", field=key, limit=200)
                clean[key] = _clean_text(value, key)
            else:
                raise BreachInputError("bad_count", field=key)
    if clean["time_zone"] is not None:
        zone(clean["time_zone"])
    moment = _now(now)
    for key in ("aware_at", "occurred_at"):
        if clean[key] is not None and clean[key] - moment > CLOCK_SKEW:
            raise BreachInputError("future", field=key)
    if clean["aware_at"] and clean["occurred_at"] and clean["occurred_at"] > clean["aware_at"]:
        raise BreachInputError("occurred_after_aware")
    return clean


# --- the draft -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    key: str
    label: str
    value: str | None  # None: missing, to fill in

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Section:
    key: str  # an article point such as "33(3)(a)", or "organisation" / "timing" / "late"
    heading: str
    items: list[Item]
    guidance: str = ""


@dataclass(frozen=True)
class Draft:
    language: str
    title: str
    intro: str
    sections: list[Section]
    notes: list[str]
    deadline: Deadline | None
    deadline_text: str | None
    left_text: str | None
    letter: Letter | None = None
    high_risk: bool = False
    texts: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def missing(self) -> list[str]:
        """The keys of every fact still to fill in (in the notification)."""
        return [item.key for section in self.sections for item in section.items if item.missing]

    def to_text(self) -> str:
        return _draft_text(self)

    def to_html(self) -> str:
        return _draft_html(self)


@dataclass(frozen=True)
class Letter:
    title: str
    greeting: str
    sections: list[Section]
    closing: str
    signature: str
    note: str


def _show(value: Any, texts: Mapping[str, Any], time_zone: str, language: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return texts["draft"]["answer_yes" if value else "answer_no"]
    if isinstance(value, datetime):
        return format_time(value, time_zone, language)
    if isinstance(value, list):
        return "; ".join(value)
    return str(value)


def draft_notification(answers: object, language: str = DEFAULT_LANGUAGE, *,
                       now: datetime | None = None) -> Draft:
    """A draft Art. 33 notification (and, for a high risk, the Art. 34 letter) from the
    answers (see :data:`FIELDS`); raises :class:`BreachInputError` for bad answers and
    ``ValueError`` for an unknown language."""
    texts = words("breach", language)
    moment = _now(now)
    data = validate(answers, moment)
    time_zone = data["time_zone"] or "UTC"
    labels = texts["labels"]
    articles = texts["articles"]

    def item(key: str) -> Item:
        return Item(key, labels[key], _show(data[key], texts, time_zone, language))

    clock = deadline(data["aware_at"], time_zone, now=moment) if data["aware_at"] else None
    organisation = Section("organisation", texts["draft"]["section_organisation"],
                           [item("business_name"), item("country")])
    sections = [organisation]
    for point, keys in SECTIONS.items():
        items = [item(key) for key in keys]
        # Contact: one way to reach the person is enough; the role is optional.
        if point == "33(3)(b)":
            reachable = any(i.value for i in items if i.key in _ONE_OF)
            items = [i for i in items if not (
                i.missing and (i.key in _OPTIONAL or (reachable and i.key in _ONE_OF)))]
        ref = texts["article_ref"].format(article=point)
        sections.append(Section(point, f"{articles[point]['title']} ({ref})", items,
                                _flat(articles[point]["text"])))
    notes = []
    if clock is not None and clock.overdue(moment):
        sections.append(Section("late", texts["draft"]["late_heading"],
                                [Item("late_reasons", labels["late_reasons"], None)],
                                _flat(texts["draft"]["late_note"])))
    draft_missing = any(i.missing for s in sections for i in s.items)
    if draft_missing:
        notes.append(_flat(texts["draft"]["phased_note"]))
    # The business's own judgement wins; without one, sensitive data suggests a high risk.
    high_risk = data["high_risk"] is True or (
        data["high_risk"] is None and data["sensitive_data"] is True)
    if high_risk:
        notes.append(_flat(texts["draft"]["high_risk_note"]))
    notes.append(_flat(texts["draft"]["record_note"]))
    by_key = {s.key: s for s in sections}
    letter = _letter(texts, by_key, data) if high_risk else None
    return Draft(
        language=language, title=texts["draft"]["title"],
        intro=_flat(texts["draft"]["intro"]), sections=sections, notes=notes,
        deadline=clock, deadline_text=clock.text(language) if clock else None,
        left_text=clock.left_text(language, moment) if clock else None,
        letter=letter, high_risk=high_risk, texts=texts)


def _letter(texts: Mapping[str, Any], sections: Mapping[str, Section],
            data: Mapping[str, Any]) -> Letter:
    words_ = texts["letter"]
    labels = texts["labels"]
    business = data["business_name"]
    what = [i for i in sections["33(3)(a)"].items
            if i.key in ("what_happened", "occurred_at", "data_categories")]
    parts = [
        Section("34(2)-a", words_["what_happened"], what),
        Section("34(2)-b", words_["contact"], sections["33(3)(b)"].items),
        Section("34(2)-c", words_["consequences"], sections["33(3)(c)"].items),
        Section("34(2)-d", words_["measures"], [sections["33(3)(d)"].items[0]]),
        Section("34(2)-steps", words_["your_steps"],
                [Item("your_steps", words_["your_steps_hint"], None)]),
    ]
    return Letter(
        title=words_["title"], greeting=words_["greeting"], sections=parts,
        closing=words_["closing"],
        signature=words_["signature"].format(business=business) if business
        else texts["draft"]["to_fill_in_marker"].format(what=labels["business_name"]),
        note=_flat(words_["exceptions_note"]))


# --- rendering -----------------------------------------------------------------------------

def _text_sections(sections: list[Section], marker: str, out: list[str]) -> None:
    for section in sections:
        out += ["", section.heading, "-" * len(section.heading)]
        for entry in section.items:
            value = entry.value if entry.value is not None else marker.format(what=entry.label)
            if "\n" in value:
                out.append(f"{entry.label}:")
                out += [f"  {line}" for line in value.split("\n")]
            else:
                out.append(f"{entry.label}: {value}")


def _draft_text(draft: Draft) -> str:
    marker = draft.texts["draft"]["to_fill_in_marker"]
    labels = draft.texts["labels"]
    out = [draft.title, "=" * len(draft.title), "", draft.intro]
    if draft.deadline_text:
        out += ["", f"{labels['deadline']}: {draft.deadline_text} · {draft.left_text}"]
    else:
        out += ["", f"{labels['deadline']}: {marker.format(what=labels['aware_at'])}"]
    _text_sections(draft.sections, marker, out)
    out.append("")
    out += [f"* {note}" for note in draft.notes]
    if draft.letter:
        letter = draft.letter
        out += ["", "", letter.title, "=" * len(letter.title), "", letter.greeting]
        _text_sections(letter.sections, marker, out)
        out += ["", letter.closing, letter.signature, "", f"* {letter.note}"]
    return "\n".join(out) + "\n"


_HTML = """<!DOCTYPE html>
<html lang="{{ draft.language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{ draft.title }}</title>
<style>
@page { size: A4; margin: 2cm; }
body { font-family: system-ui, sans-serif; color: #1a1a1a; background: #fff; max-width: 48rem;
       margin: 0 auto; padding: 1rem; line-height: 1.5; }
.missing { background: #fef9c3; color: #713f12; font-weight: bold; }
.guidance { color: #4b5563; }
.deadline { font-size: 1.2rem; font-weight: bold; }
dt { font-weight: bold; }
dd { margin: 0 0 .5rem 0; }
@media print { .skip { display: none; } }
</style>
</head>
<body>
<a class="skip" href="#draft">{{ texts.draft.html_skip }}</a>
<main id="draft">
<h1>{{ draft.title }}</h1>
<p>{{ draft.intro }}</p>
<p class="deadline">{{ labels.deadline }}:
{% if draft.deadline_text %}{{ draft.deadline_text }} · {{ draft.left_text }}
{% else %}<span class="missing">{{ marker.format(what=labels.aware_at) }}</span>{% endif %}</p>
{% macro sections(list, level) %}
{% for section in list %}
<section>
<h{{ level }}>{{ section.heading }}</h{{ level }}>
{% if section.guidance %}<p class="guidance">{{ section.guidance }}</p>{% endif %}
<dl>
{% for entry in section.items %}
<dt>{{ entry.label }}</dt>
<dd>{% if entry.missing %}<span class="missing">{{ marker.format(what=entry.label) }}</span>
{% else %}{% for line in entry.value.split("\\n") %}{{ line }}{% if not loop.last %}<br>
{% endif %}{% endfor %}{% endif %}</dd>
{% endfor %}
</dl>
</section>
{% endfor %}
{% endmacro %}
{{ sections(draft.sections, 2) }}
<ul>
{% for note in draft.notes %}<li>{{ note }}</li>
{% endfor %}
</ul>
{% if draft.letter %}
<article>
<h2>{{ draft.letter.title }}</h2>
<p>{{ draft.letter.greeting }}</p>
{{ sections(draft.letter.sections, 3) }}
<p>{{ draft.letter.closing }}</p>
<p>{{ draft.letter.signature }}</p>
<p class="guidance">{{ draft.letter.note }}</p>
</article>
{% endif %}
</main>
</body>
</html>
"""


@cache
def _template() -> Any:
    from jinja2 import Environment, StrictUndefined

    environment = Environment(
        autoescape=True,  # every value is escaped; the template marks nothing safe
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.from_string(_HTML)


def _draft_html(draft: Draft) -> str:
    return _template().render(draft=draft, texts=draft.texts, labels=draft.texts["labels"],
                              marker=draft.texts["draft"]["to_fill_in_marker"])
