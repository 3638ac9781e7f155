"""The GDPR breach clock and the draft notification (cyberbasics.incident.breach)."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberbasics.incident import breach
from cyberbasics.incident.breach import (
    ARTICLES,
    FIELDS,
    NOTIFICATION_POINTS,
    BreachInputError,
    deadline,
    draft_notification,
    obligations,
)
from cyberbasics.texts import CONTENT_DIR, LANGUAGES

WARSAW = ZoneInfo("Europe/Warsaw")
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
MARKERS = {"en": "[to fill in]", "pl": "[do uzupełnienia]", "es": "[por completar]",
           "it": "[da completare]", "ro": "[de completat]"}

FULL = {
    "business_name": "Piekarnia Kowalski",
    "country": "Poland",
    "what_happened": "A laptop with the customer list was stolen from the car.",
    "aware_at": "2026-11-25T09:15:00+01:00",
    "occurred_at": "2026-11-24T18:00:00+01:00",
    "time_zone": "Europe/Warsaw",
    "ongoing": False,
    "data_categories": ["names", "email addresses", "delivery addresses"],
    "people_count": 340,
    "records_count": "about 400",
    "likely_consequences": "Phishing aimed at our customers.",
    "measures_taken": "Reported to the police; passwords changed.",
    "measures_proposed": "Encrypt every laptop.",
    "contact_name": "Anna Kowalska",
    "contact_role": "Owner",
    "contact_email": "anna@example.test",
    "contact_phone": "+48 600 000 000",
    "high_risk": False,
}


# --- the clock -----------------------------------------------------------------------------

def test_deadline_is_72_hours_later_in_the_business_time_zone():
    clock = deadline(datetime(2026, 11, 25, 14, 30, tzinfo=WARSAW), "Europe/Warsaw", now=NOW)
    assert clock.due == datetime(2026, 11, 28, 14, 30, tzinfo=WARSAW)
    assert clock.due.tzinfo == WARSAW
    assert clock.text("en") == "by Saturday 28 November 2026 at 14:30 (Europe/Warsaw)"
    assert clock.text("pl") == "do soboty, 28 listopada 2026, godz. 14:30 (Europe/Warsaw)"
    assert clock.text("es") == ("a más tardar el sábado 28 de noviembre de 2026 a las 14:30 "
                                "(Europe/Warsaw)")
    assert clock.text("it") == "entro sabato 28 novembre 2026 alle 14:30 (Europe/Warsaw)"
    assert clock.text("ro") == "până sâmbătă, 28 noiembrie 2026, ora 14:30 (Europe/Warsaw)"


@pytest.mark.parametrize(("zone", "aware", "due"), [
    # Warsaw, clocks back on 25 October 2026 (CEST -> CET): 72 h of wall clock would be 73 h.
    ("Europe/Warsaw", datetime(2026, 10, 23, 10, 0), datetime(2026, 10, 26, 9, 0)),
    # Warsaw, clocks forward on 29 March 2026 (CET -> CEST).
    ("Europe/Warsaw", datetime(2026, 3, 27, 12, 0), datetime(2026, 3, 30, 13, 0)),
    # London, clocks forward on 29 March 2026 (GMT -> BST).
    ("Europe/London", datetime(2026, 3, 27, 12, 0), datetime(2026, 3, 30, 13, 0)),
    # London, clocks back on 25 October 2026 (BST -> GMT).
    ("Europe/London", datetime(2026, 10, 23, 10, 0), datetime(2026, 10, 26, 9, 0)),
])
def test_deadline_across_a_daylight_saving_change_is_exactly_72_hours(zone, aware, due):
    place = ZoneInfo(zone)
    clock = deadline(aware.replace(tzinfo=place), zone, now=NOW)
    assert clock.due.replace(tzinfo=None) == due
    assert clock.due.utcoffset() != clock.aware_at.utcoffset()
    elapsed = clock.due.astimezone(UTC) - clock.aware_at.astimezone(UTC)
    assert elapsed == timedelta(hours=72)


def test_deadline_in_an_ambiguous_hour_uses_the_fold():
    first = datetime(2026, 10, 25, 2, 30, tzinfo=WARSAW, fold=0)   # CEST, UTC 00:30
    second = datetime(2026, 10, 25, 2, 30, tzinfo=WARSAW, fold=1)  # CET, UTC 01:30
    due_first = deadline(first, "Europe/Warsaw", now=NOW).due
    due_second = deadline(second, "Europe/Warsaw", now=NOW).due
    assert due_second - due_first == timedelta(hours=1)
    assert due_first.replace(tzinfo=None) == datetime(2026, 10, 28, 1, 30)


def test_awareness_in_another_zone_is_shown_in_the_chosen_zone():
    aware = datetime(2026, 11, 25, 13, 30, tzinfo=LONDON)  # 14:30 in Warsaw
    clock = deadline(aware, "Europe/Warsaw", now=NOW)
    assert clock.due.hour == 14 and clock.due.minute == 30
    assert "(Europe/Warsaw)" in clock.text()


def test_time_left_and_overdue():
    aware = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    clock = deadline(aware, "UTC", now=NOW)
    assert clock.time_left(NOW) == timedelta(hours=68)
    assert not clock.overdue(NOW)
    assert clock.left_text("en", NOW) == "68 h 0 min left"
    late = NOW + timedelta(hours=70, seconds=30)
    assert clock.overdue(late)
    assert clock.time_left(late) == -timedelta(hours=2, seconds=30)
    assert clock.left_text("en", late) == "overdue by 2 h 1 min"  # rounded up, never kinder
    assert clock.left_text("pl", late) == "po terminie o 2 godz. 1 min"
    almost = NOW + timedelta(hours=67, minutes=59, seconds=59)
    assert clock.left_text("en", almost) == "0 h 0 min left"


def test_naive_datetime_is_refused():
    with pytest.raises(BreachInputError) as error:
        deadline(datetime(2026, 11, 25, 14, 30), "Europe/Warsaw", now=NOW)
    assert error.value.key == "naive_time"
    assert "time zone" in str(error.value)
    assert "strefy czasowej" in error.value.message("pl")


@pytest.mark.parametrize("zone", ["Europe/Nowhere", "", "../../etc/passwd", "/etc/localtime",
                                  "Europe", "x" * 500, None, 3])
def test_unknown_time_zone_is_refused(zone):
    with pytest.raises(BreachInputError) as error:
        deadline(datetime(2026, 11, 25, 14, 30, tzinfo=WARSAW), zone, now=NOW)
    assert error.value.key == "unknown_zone"


def test_awareness_in_the_future_is_refused_beyond_a_small_skew():
    assert deadline(NOW + timedelta(minutes=4), "UTC", now=NOW)  # a clock a little ahead
    with pytest.raises(BreachInputError) as error:
        deadline(NOW + timedelta(minutes=6), "UTC", now=NOW)
    assert error.value.key == "future"


def test_deadline_refuses_a_date_that_is_not_a_datetime():
    with pytest.raises(BreachInputError):
        deadline("2026-11-25", "UTC", now=NOW)  # type: ignore[arg-type]


# --- the content ---------------------------------------------------------------------------

def _raw(language: str) -> dict:
    with (CONTENT_DIR / language / "breach.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _flatten(entry: object, prefix: str = "") -> dict[str, object]:
    if isinstance(entry, dict):
        out: dict[str, object] = {}
        for key, value in entry.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): entry}


def _placeholders(text: object) -> set[str]:
    if isinstance(text, list):
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(str(text)) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_exists_in_every_language_with_the_same_placeholders(language):
    english = _flatten(_raw("en"))
    other = _flatten(_raw(language))
    assert set(other) == set(english), set(english) ^ set(other)
    for key, text in english.items():
        assert _placeholders(other[key]) == _placeholders(text), (language, key)
    assert other["_status"] == "draft"
    assert len(other["months"]) == 12
    assert len(other["weekdays"]) == len(other["deadline_weekdays"]) == 7


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_article_point_is_explained_in_every_language(language):
    raw = _raw(language)["articles"]
    assert set(raw) == set(ARTICLES)
    for article in ARTICLES:
        assert raw[article]["title"].strip() and len(raw[article]["text"]) > 40, (language, article)
    assert [o.article for o in obligations(language)] == list(ARTICLES)


def test_the_articles_are_those_of_the_gdpr():
    assert set(NOTIFICATION_POINTS) == {"33(3)(a)", "33(3)(b)", "33(3)(c)", "33(3)(d)"}
    assert {"33(1)", "33(4)", "33(5)", "34(1)", "34(2)", "34(3)(a)", "34(3)(b)",
            "34(3)(c)"} <= set(ARTICLES)


def test_a_missing_key_in_a_language_fails_the_coverage_test(tmp_path: Path):
    english = _flatten(_raw("en"))
    broken = _flatten(_raw("pl"))
    del broken["articles.33(3)(c).title"]
    assert set(broken) != set(english)


# --- the draft -----------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_every_notification_point_is_in_the_draft_in_every_language(language):
    draft = draft_notification(FULL, language, now=NOW)
    keys = [section.key for section in draft.sections]
    assert [k for k in keys if k in NOTIFICATION_POINTS] == list(NOTIFICATION_POINTS)
    text, html = draft.to_text(), draft.to_html()
    words = _raw(language)
    for point in NOTIFICATION_POINTS:
        title = words["articles"][point]["title"]
        assert title in text and title in html, (language, point)
        assert point in text
    assert draft.missing == []
    assert MARKERS[language] not in text
    assert f'<html lang="{language}">' in html


def test_a_full_draft_carries_the_facts_given():
    draft = draft_notification(FULL, "en", now=NOW)
    text = draft.to_text()
    for value in ("Piekarnia Kowalski", "A laptop with the customer list", "340", "about 400",
                  "names; email addresses; delivery addresses", "Anna Kowalska",
                  "anna@example.test", "+48 600 000 000", "Phishing aimed", "Encrypt every laptop",
                  "Wednesday 25 November 2026 at 09:15 (Europe/Warsaw)",
                  "Tuesday 24 November 2026 at 18:00 (Europe/Warsaw)",
                  "by Saturday 28 November 2026 at 09:15 (Europe/Warsaw)",
                  "Is it still going on?: no"):
        assert value in text, value
    assert draft.letter is None  # the business judged the risk not high
    assert "GDPR Art. 33(5)" in text  # keep a record even when not notifying
    assert "GDPR Art. 33(4)" not in text  # nothing is missing, so no phases needed


@pytest.mark.parametrize("language", LANGUAGES)
def test_missing_facts_are_marked_never_invented(language):
    draft = draft_notification({"business_name": "Acme"}, language, now=NOW)
    text = draft.to_text()
    assert draft.deadline is None and draft.deadline_text is None
    expected_missing = {"country", "what_happened", "occurred_at", "aware_at", "ongoing",
                        "data_categories", "people_count", "records_count", "contact_name",
                        "contact_email", "contact_phone", "likely_consequences",
                        "measures_taken", "measures_proposed"}
    assert set(draft.missing) == expected_missing
    # every missing fact shows the marker; nothing else was written in its place
    labels = _raw(language)["labels"]
    for key in expected_missing:
        assert f"{labels[key]}: {MARKERS[language]}" in text, key
    assert not re.search(r"\d{2}:\d{2}", text)  # no time was made up
    assert "Art. 33(4)" in text or "art. 33(4)" in text or "art. 33 ust. 4" in text
    assert draft.to_html().count('class="missing"') == len(expected_missing) + 1  # + deadline


def test_one_way_to_reach_the_contact_is_enough():
    answers = dict(FULL)
    del answers["contact_phone"], answers["contact_role"]
    draft = draft_notification(answers, "en", now=NOW)
    assert draft.missing == []
    del answers["contact_email"]
    draft = draft_notification(answers, "en", now=NOW)
    assert set(draft.missing) == {"contact_email", "contact_phone"}


def test_empty_and_blank_answers_count_as_missing():
    draft = draft_notification({"what_happened": "   \n  ", "data_categories": ["", " "],
                                "people_count": None}, "en", now=NOW)
    assert {"what_happened", "data_categories", "people_count"} <= set(draft.missing)


def test_a_late_notification_asks_for_the_reasons():
    answers = dict(FULL, aware_at="2026-11-20T09:00:00+01:00", occurred_at=None)
    draft = draft_notification(answers, "en", now=NOW)
    assert draft.deadline is not None and draft.deadline.overdue(NOW)
    assert "late_reasons" in draft.missing
    assert draft.left_text.startswith("overdue by")
    assert "Reasons for the delay" in draft.to_text()


def test_high_risk_adds_the_letter_to_the_people_affected():
    draft = draft_notification(dict(FULL, high_risk=True), "en", now=NOW)
    assert draft.letter is not None
    text = draft.to_text()
    assert "Letter to the people affected (draft)" in text
    letter_part = text.split("Letter to the people affected (draft)")[1]
    for fact in ("A laptop with the customer list", "Anna Kowalska", "Phishing aimed",
                 "Reported to the police", "Art. 34(3)"):
        assert fact in letter_part, fact  # the same b-d as in the notification (Art. 34(2))
    assert "Piekarnia Kowalski" in letter_part
    assert "watching their bank statements: [to fill in]" in letter_part


def test_sensitive_data_suggests_high_risk_unless_the_business_judged_otherwise():
    assert draft_notification({"sensitive_data": True}, "en", now=NOW).letter is not None
    judged = draft_notification({"sensitive_data": True, "high_risk": False}, "en", now=NOW)
    assert judged.letter is None
    assert draft_notification({}, "en", now=NOW).letter is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_letter_exists_in_every_language(language):
    draft = draft_notification(dict(FULL, high_risk=True), language, now=NOW)
    html = draft.to_html()
    assert _raw(language)["letter"]["title"] in html
    assert "<article>" in html


def test_user_text_is_escaped_in_html():
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    answers = {"business_name": hostile, "what_happened": f"line one\n{hostile}",
               "data_categories": [hostile], "contact_name": "\u202eevil\u202c", "high_risk": True}
    html = draft_notification(answers, "en", now=NOW).to_html()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "line one<br>" in html  # the user's line breaks are kept, as markup of ours
    assert "\u202e" not in html and "\\u202e" in html  # bidi controls made visible
    assert "Content-Security-Policy" in html


def test_user_text_is_safe_in_plain_text():
    draft = draft_notification({"what_happened": "a\x1b[2Jb\r\nc"}, "en", now=NOW)
    text = draft.to_text()
    assert "\x1b" not in text and "\\x1b" in text
    assert "\r" not in text


# --- bad answers ---------------------------------------------------------------------------

@pytest.mark.parametrize(("answers", "key"), [
    ([], "not_a_mapping"),
    ("what happened", "not_a_mapping"),
    ({"whatever": "x"}, "unknown_field"),
    ({1: "x"}, "unknown_field"),
    ({"business_name": 3}, "wrong_type"),
    ({"ongoing": "yes"}, "wrong_type"),
    ({"high_risk": 1}, "wrong_type"),
    ({"data_categories": [1, 2]}, "wrong_type"),
    ({"data_categories": ["x"] * 51}, "too_long"),
    ({"what_happened": "x" * 10_001}, "too_long"),
    ({"people_count": -1}, "bad_count"),
    ({"people_count": True}, "bad_count"),
    ({"people_count": 1.5}, "bad_count"),
    ({"aware_at": "yesterday"}, "bad_time"),
    ({"aware_at": "2026-11-25T09:00"}, "naive_time"),
    ({"aware_at": 1764000000}, "wrong_type"),
    ({"aware_at": "2026-12-25T09:00+00:00"}, "future"),
    ({"occurred_at": "2027-01-01T00:00+00:00"}, "future"),
    ({"aware_at": "2026-11-24T09:00+00:00", "occurred_at": "2026-11-25T09:00+00:00"},
     "occurred_after_aware"),
    ({"time_zone": "Mars/Olympus"}, "unknown_zone"),
])
def test_bad_answers_get_a_clear_error(answers, key):
    with pytest.raises(BreachInputError) as error:
        draft_notification(answers, "en", now=NOW)
    assert error.value.key == key
    for language in LANGUAGES:
        assert error.value.message(language)  # every error has words in every language


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"):
        draft_notification({}, "xx", now=NOW)


_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=80),
    st.lists(st.text(max_size=20), max_size=5), st.lists(st.integers(), max_size=3),
    st.datetimes(timezones=st.sampled_from([UTC, WARSAW, LONDON])),
    st.datetimes(), st.sampled_from(["2026-11-25T09:00+01:00", "Europe/Warsaw", "2026-13-01",
                                     "UTC", "../x", ""]),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answers=st.dictionaries(st.one_of(st.sampled_from(sorted(FIELDS)), st.text(max_size=10),
                                         st.integers()), _values, max_size=8),
       language=st.sampled_from(LANGUAGES))
def test_arbitrary_answers_give_a_draft_or_a_clear_error(answers, language):
    try:
        draft = draft_notification(answers, language, now=NOW)
    except BreachInputError as error:
        assert error.key in _raw("en")["errors"]
        assert error.message(language)
        return
    assert draft.to_text()
    html = draft.to_html()
    assert "<script" not in html.lower()


@settings(max_examples=200, deadline=None)
@given(answers=st.one_of(st.none(), st.integers(), st.text(max_size=20),
                         st.lists(st.text(max_size=5), max_size=3)))
def test_answers_that_are_not_a_mapping_give_a_clear_error(answers):
    with pytest.raises(BreachInputError):
        draft_notification(answers, "en", now=NOW)


def test_the_module_names_every_field_in_every_language():
    for language in LANGUAGES:
        labels = _raw(language)["labels"]
        assert set(FIELDS) - {"time_zone", "high_risk", "sensitive_data"} <= set(labels)
    assert breach.TEXT_LIMIT == 10_000


# --- the PDF -------------------------------------------------------------------------------

def test_the_draft_prints_as_a_pdf_without_fetching_anything():
    from cyberbasics.incident.breach_pdf import to_pdf

    answers = dict(FULL, high_risk=True,
                   what_happened='<img src="file:///etc/passwd"><link rel=stylesheet href="http://x/">')
    pdf = to_pdf(draft_notification(answers, "pl", now=NOW))
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 1000


def test_a_wall_clock_time_in_a_dst_change_is_read_as_its_earliest_instant():
    from cyberbasics.incident.breach import wall_clock

    # 2027-03-28 02:30 does not exist in Warsaw (clocks jump from 02:00 to 03:00): the
    # earliest reading is 01:30 CET = 00:30 UTC, so the deadline errs early.
    skipped = wall_clock(datetime(2027, 3, 28, 2, 30), "Europe/Warsaw")
    assert skipped.astimezone(UTC) == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    assert skipped.utcoffset() == timedelta(hours=1)
    # 2026-10-25 02:30 happens twice (clocks go back at 03:00): the first one, in summer time.
    twice = wall_clock(datetime(2026, 10, 25, 2, 30), "Europe/Warsaw")
    assert twice.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    ordinary = wall_clock(datetime(2026, 11, 25, 14, 30), "Europe/Warsaw")
    assert ordinary.astimezone(UTC) == datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
