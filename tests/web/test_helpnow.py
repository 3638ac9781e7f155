"""Help now's public pages (web/helpnow): the start page, the triage, the playbooks, whom to
report to and the breach clock, for a visitor who is not signed in.

Every triage path the core allows is walked through the page, one tap (GET) at a time, and
must land on the playbook the core chose; bad query strings give a message, never a 500.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cyberbasics.incident import triage
from cyberbasics.incident.breach import deadline
from cyberbasics.incident.contacts import contacts_for
from cyberbasics.incident.playbooks import PLAYBOOK_IDS, playbook
from cyberbasics.texts import words
from cyberbasics.web.programmes.testing import make_business, make_user, sign_in

pytestmark = pytest.mark.django_db

START, TRIAGE, REPORT, BREACH = "/help/", "/help/triage/", "/help/report/", "/help/breach/"


def page_text(response) -> str:
    """The page's HTML with entities undone, so core texts compare as written."""
    return html.unescape(response.content.decode())


def every_path(answers=None):
    """Every finished set of answers the core's triage allows (depth first)."""
    answers = answers or {}
    question = triage.next_question(answers)
    if question is None:
        yield answers
        return
    for choice in question.choices:
        yield from every_path({**answers, question.id: choice.id})


PATHS = list(every_path())


# --- every page, anonymously ----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    START, TRIAGE, REPORT, f"{REPORT}?country=PL&incident=ransomware", BREACH,
    *[f"/help/playbook/{playbook_id}/" for playbook_id in PLAYBOOK_IDS]])
def test_every_page_opens_without_signing_in(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    body = page_text(response)
    assert body.count("<h1") == 1
    # Strict CSP: no inline script or style anywhere on the page.
    assert "style=" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "an inline script"


def test_the_urls_have_their_names():
    assert reverse("help:start") == START
    assert reverse("help:triage") == TRIAGE
    assert reverse("help:playbook", args=["ransomware"]) == "/help/playbook/ransomware/"
    assert reverse("help:report") == REPORT
    assert reverse("help:breach") == BREACH
    assert reverse("help:breach-draft") == "/help/breach/draft/"


def test_the_start_page_leads_to_the_triage_and_every_playbook(client):
    body = page_text(client.get(START))
    assert f'href="{TRIAGE}"' in body
    assert "Start: what happened?" in body
    for playbook_id in PLAYBOOK_IDS:
        assert f'href="/help/playbook/{playbook_id}/"' in body
        assert playbook(playbook_id).title in body
    assert f'href="{REPORT}"' in body and f'href="{BREACH}"' in body


# --- the triage -----------------------------------------------------------------------------

def test_the_triage_has_paths_to_every_playbook():
    reached = {triage.outcome(answers).playbook for answers in PATHS}
    assert reached == set(PLAYBOOK_IDS)


def _tap_through(client, answers: dict[str, str]):
    """Tap by tap: each page offers the next answer as a submit button named after its
    question, with the earlier answers riding along as hidden inputs; returns the response
    to the last tap."""
    so_far: dict[str, str] = {}
    for number, (question_id, choice_id) in enumerate(answers.items(), start=1):
        url = f"{TRIAGE}?{urlencode(so_far)}" if so_far else TRIAGE
        response = client.get(url)
        assert response.status_code == 200, url
        body = page_text(response)
        assert f'name="{question_id}" value="{choice_id}"' in body, (url, question_id)
        assert f"Question {number}" in body
        for key, value in so_far.items():
            assert f'<input type="hidden" name="{key}" value="{value}">' in body
        so_far[question_id] = choice_id
    return client.get(f"{TRIAGE}?{urlencode(so_far)}")


def _lands_on(response, answers: dict[str, str]) -> str:
    """The last tap redirects to the playbook the core chose, the answers carried."""
    assert response.status_code == 302, answers
    target = urlsplit(response.headers["Location"])
    expected = triage.outcome(answers).playbook
    assert target.path == f"/help/playbook/{expected}/", answers
    query = {key: values[0] for key, values in parse_qs(target.query).items()}
    assert query == {"from": "triage", **answers}
    return expected


def test_every_triage_path_leads_to_its_playbook(client):
    """All of the core's paths: every page on the way offers every choice, and every finished
    set of answers redirects to the core's playbook."""
    pages: dict[str, tuple[str, ...]] = {}
    for answers in PATHS:
        items = list(answers.items())
        for n in range(len(items)):
            prefix = urlencode(dict(items[:n]))
            pages.setdefault(prefix, ())
        _lands_on(client.get(f"{TRIAGE}?{urlencode(answers)}"), answers)
    for prefix in pages:
        response = client.get(f"{TRIAGE}?{prefix}")
        assert response.status_code == 200, prefix
        question = triage.next_question({k: v[0] for k, v in parse_qs(prefix).items()})
        body = page_text(response)
        for choice in question.choices:
            assert f'name="{question.id}" value="{choice.id}"' in body, (prefix, choice.id)


def _walks():
    """For each playbook, its shortest and its longest path."""
    chosen = {}
    for answers in PATHS:
        found = triage.outcome(answers).playbook
        chosen.setdefault((found, "short"), answers)
        if len(answers) < len(chosen[(found, "short")]):
            chosen[(found, "short")] = answers
        chosen.setdefault((found, "long"), answers)
        if len(answers) > len(chosen[(found, "long")]):
            chosen[(found, "long")] = answers
    return sorted(chosen.items())


@pytest.mark.parametrize(("key", "answers"), _walks(), ids=lambda v: "-".join(v)
                         if isinstance(v, tuple) else None)
def test_tapping_through_reaches_the_first_hour_checklist(client, key, answers):
    response = _tap_through(client, answers)
    expected = _lands_on(response, answers)
    landed = client.get(response.headers["Location"])
    assert landed.status_code == 200
    body = page_text(landed)
    for step in playbook(expected).first_hour:
        assert step.do in body
    assert "Chosen from your answers" in body


def test_back_and_change_links_drop_the_later_answers(client):
    answers = list(max(PATHS, key=len).items())
    shown = answers[:-1]  # the last question is on the screen
    raw = client.get(f"{TRIAGE}?{urlencode(dict(shown))}").content.decode()
    back = html.unescape(re.search(r'<a href="([^"]*)" class="back">', raw).group(1))
    assert back == (f"{TRIAGE}?{urlencode(dict(shown[:-1]))}" if len(shown) > 1 else TRIAGE)
    changes = [html.unescape(url) for url in re.findall(r'<a href="([^"]*)">Change', raw)]
    assert changes == [f"{TRIAGE}?{urlencode(dict(shown[:n]))}" if n else TRIAGE
                       for n in range(len(shown))]


@pytest.mark.parametrize("query", [
    "what=nonsense", "bogus=1", "from=triage", "what=ransomware&what=invoice_fraud",
    "&".join(f"k{n}=v" for n in range(20)), "%ff=%fe", "what=" + "x" * 5000])
def test_bad_query_strings_give_a_message_and_the_first_question(client, query):
    response = client.get(f"{TRIAGE}?{query}")
    assert response.status_code == 200
    body = page_text(response)
    assert 'role="alert"' in body
    first = triage.next_question({})
    assert first.text in body and "Question 1" in body


def test_the_first_question_has_no_message(client):
    assert 'role="alert"' not in page_text(client.get(TRIAGE))


# --- the playbooks --------------------------------------------------------------------------

@pytest.mark.parametrize("playbook_id", PLAYBOOK_IDS)
def test_a_playbook_shows_its_first_hour_then_the_rest(client, playbook_id):
    shown = playbook(playbook_id)
    body = page_text(client.get(f"/help/playbook/{playbook_id}/"))
    first_hour = body.index("In the first hour")
    positions = [body.index(step.do) for step in shown.first_hour]
    assert first_hour < positions[0] and positions == sorted(positions)
    for step in shown.first_hour:
        assert step.why in body
    if shown.later:
        assert positions[-1] < body.index(">Then<") < body.index(shown.later[0].do)
    for item in shown.dont:
        assert item in body
    assert "Choose your country" in body  # no country known: it asks


@pytest.mark.parametrize("url", ["/help/playbook/nothing/", "/help/playbook/RANSOMWARE/",
                                 "/help/playbook/../"])
def test_an_unknown_playbook_is_404(client, url):
    assert client.get(url).status_code == 404


def _path_where(condition):
    return next(answers for answers in PATHS if condition(triage.outcome(answers)))


def test_money_puts_call_your_bank_first(client):
    answers = _path_where(lambda outcome: outcome.money)
    found = triage.outcome(answers)
    url = f"/help/playbook/{found.playbook}/?{urlencode({'from': 'triage', **answers})}"
    body = page_text(client.get(url))
    assert "Call your bank now" in body
    assert body.index("Call your bank now") < body.index("In the first hour")
    bank = words("contacts")["entries"]["bank-recall"]["purpose"]
    assert " ".join(bank.split()) in body


def test_no_money_no_bank_box(client):
    answers = _path_where(lambda outcome: not outcome.money and outcome.playbook == "ransomware")
    body = page_text(client.get(
        f"/help/playbook/ransomware/?{urlencode({'from': 'triage', **answers})}"))
    assert "Call your bank now" not in body


def test_personal_data_shows_the_breach_clock(client):
    answers = _path_where(lambda outcome: outcome.personal_data
                          and outcome.playbook != "personal_data_breach")
    found = triage.outcome(answers)
    body = page_text(client.get(
        f"/help/playbook/{found.playbook}/?{urlencode({'from': 'triage', **answers})}"))
    assert "the 72-hour clock is running" in body
    assert f'href="{BREACH}' in body


def test_answers_that_lead_elsewhere_are_ignored(client):
    answers = _path_where(lambda outcome: outcome.playbook != "lost_device" and outcome.money)
    body = page_text(client.get(
        f"/help/playbook/lost_device/?{urlencode({'from': 'triage', **answers})}"))
    assert "Call your bank now" not in body
    assert "Chosen from your answers" not in body


def test_a_playbook_with_a_country_shows_its_contacts_in_the_steps(client):
    body = page_text(client.get("/help/playbook/ransomware/?country=PL"))
    for contact in contacts_for("PL", "ransomware"):
        assert f'id="contact-{contact.id}"' in body
        if contact.phone:
            assert f'href="tel:{contact.phone.replace(" ", "")}"' in body
    for contact in contacts_for("GB", "ransomware"):
        if contact.country == "GB":
            assert f'id="contact-{contact.id}"' not in body


def test_the_country_comes_from_the_browser_then_the_business(client):
    body = page_text(client.get("/help/playbook/ransomware/", HTTP_ACCEPT_LANGUAGE="en-GB"))
    assert 'id="contact-gb-' in body
    owner = make_user()
    make_business(owner=owner, country="IT")
    sign_in(client, owner)
    body = page_text(client.get("/help/playbook/ransomware/", HTTP_ACCEPT_LANGUAGE="en-GB"))
    assert 'id="contact-it-' in body and 'id="contact-gb-' not in body


def test_the_country_form_keeps_the_triage_answers(client):
    answers = _path_where(lambda outcome: outcome.money)
    found = triage.outcome(answers)
    body = page_text(client.get(
        f"/help/playbook/{found.playbook}/?{urlencode({'from': 'triage', **answers})}"))
    for key, value in {"from": "triage", **answers}.items():
        assert f'<input type="hidden" name="{key}" value="{value}">' in body


# --- whom to report to ----------------------------------------------------------------------

@pytest.mark.parametrize(("country", "incident"), [
    ("PL", "ransomware"), ("GB", "invoice_fraud"), ("RO", "personal_data_breach"),
    ("ES", "account_hacked"), ("IT", "website_hacked")])
def test_report_shows_the_countrys_contacts_in_order(client, country, incident):
    body = page_text(client.get(f"{REPORT}?country={country}&incident={incident}"))
    expected = contacts_for(country, incident)
    assert expected
    positions = [body.index(f'id="contact-{contact.id}"') for contact in expected]
    assert positions == sorted(positions)
    for other in ("GB", "PL", "ES", "IT", "RO"):
        if other != country:
            assert f'id="contact-{other.lower()}-' not in body
    for contact in expected:
        if contact.phone:
            assert f'href="tel:{contact.phone.replace(" ", "")}"' in body
        if contact.source is not None:
            assert contact.source.url in body
            assert f"checked on {contact.source.checked.isoformat()}" in body
        else:
            assert "Confirm the details on the" in body


def test_an_unverified_contact_carries_the_prompt(client):
    body = page_text(client.get(f"{REPORT}?country=PL&incident=ransomware"))
    entry = body[body.index('id="contact-eu-europol"'):]
    entry = entry[:entry.index("</li>\n</ol>") if "</li>\n</ol>" in entry else None]
    assert "We could not check this entry" in entry


@pytest.mark.parametrize("query", ["country=FR&incident=ransomware", "country=PL&incident=x",
                                   "country=&incident=", "country=%00", "incident=ransomware"])
def test_report_with_bad_or_missing_choices_asks_again(client, query):
    response = client.get(f"{REPORT}?{query}")
    assert response.status_code == 200
    body = page_text(response)
    assert 'id="contact-' not in body
    if "FR" in query or "incident=x" in query or "%00" in query:
        assert 'role="alert"' in body


# --- the breach clock -----------------------------------------------------------------------

def _clock_query(moment: dt.datetime, zone: str) -> str:
    return urlencode({"aware_date": moment.strftime("%Y-%m-%d"),
                      "aware_time": moment.strftime("%H:%M"), "time_zone": zone})


def test_the_clock_shows_the_deadline_in_the_chosen_zone(client):
    zone = "Europe/Warsaw"
    moment = (dt.datetime.now(ZoneInfo(zone)) - dt.timedelta(hours=3)).replace(
        second=0, microsecond=0)
    body = page_text(client.get(f"{BREACH}?{_clock_query(moment, zone)}"))
    expected = deadline(moment, zone)
    assert expected.text("en") in body
    assert re.search(r"6[89] h \d+ min left", body)
    # The moment is carried into the draft form below.
    assert f'value="{moment:%Y-%m-%d}"' in body.split('id="draft"')[1]


def test_an_overdue_clock_says_so(client):
    moment = dt.datetime.now(ZoneInfo("Europe/London")) - dt.timedelta(days=4)
    body = page_text(client.get(f"{BREACH}?{_clock_query(moment, 'Europe/London')}"))
    assert "overdue by" in body and "Notify now anyway" in body


@pytest.mark.parametrize(("query", "message"), [
    (f"aware_date={dt.date.today() + dt.timedelta(days=2)}&aware_time=10:00"
     "&time_zone=Europe/London", "in the future"),
    ("aware_date=2026-11-20&aware_time=10:00&time_zone=Mars/Base", "Select a valid choice"),
    ("aware_date=yesterday&aware_time=10:00&time_zone=Europe/London", "Enter a valid date"),
    ("aware_date=2026-11-20&time_zone=Europe/London", "This field is required"),
    ("aware_date=0001-01-01&aware_time=00:00&time_zone=Europe/Warsaw", "Check the year"),
    ("aware_date=9999-12-31&aware_time=23:59&time_zone=America/New_York", "Check the year"),
])
def test_bad_clock_input_gives_form_errors(client, query, message):
    response = client.get(f"{BREACH}?{query}")
    assert response.status_code == 200
    body = page_text(response)
    assert message in body
    assert 'class="deadline' not in body


def test_the_clock_starts_in_the_business_zone_else_london(client):
    body = page_text(client.get(BREACH))
    assert '<option value="Europe/London" selected>' in body
    owner = make_user()
    business = make_business(owner=owner, country="RO")
    business.time_zone = "Europe/Bucharest"
    business.save()
    sign_in(client, owner)
    body = page_text(client.get(BREACH))
    assert '<option value="Europe/Bucharest" selected>' in body
    assert business.name in body  # the draft starts with the business's name


def test_the_triage_carries_ongoing_into_the_draft_and_the_country_into_the_report(client):
    raw = client.get(f"{BREACH}?ongoing=yes", HTTP_ACCEPT_LANGUAGE="pl-PL,en;q=0.5") \
        .content.decode()
    assert re.search(r'<option value="yes" selected>', raw)
    assert "/help/report/?incident=personal_data_breach&amp;country=PL" in raw
    assert '<option value="Europe/Warsaw" selected>' in raw


def test_the_triage_answers_start_the_draft_and_the_clock(client):
    answers = _path_where(lambda outcome: outcome.playbook == "ransomware"
                          and outcome.personal_data and outcome.noticed == "last_hour")
    page = client.get(f"/help/playbook/ransomware/?{urlencode({'from': 'triage', **answers})}")
    link = re.search(r'href="(/help/breach/\?[^"]+)"', page.content.decode()).group(1)
    query = html.unescape(link).split("?", 1)[1]
    assert "incident=ransomware" in query and "noticed=last_hour" in query
    raw = page_text(client.get(html.unescape(link), HTTP_ACCEPT_LANGUAGE="en-GB"))
    title = playbook("ransomware").title
    assert f"\n{title}</textarea>" in raw  # what happened, for the business to expand
    today = dt.datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    assert raw.count(f'value="{today}"') >= 2  # the clock and the draft both start today
    earlier = page_text(client.get(f"{BREACH}?incident=ransomware&noticed=earlier"))
    assert f'value="{today}"' not in earlier  # "before today" gives no date to guess
    bogus = page_text(client.get(f"{BREACH}?incident=../../etc&noticed=last_hour"))
    assert "</textarea>" in bogus and title not in bogus


def test_the_page_explains_articles_33_and_34(client):
    body = page_text(client.get(BREACH))
    for key, entry in words("breach")["articles"].items():
        assert entry["title"] in body, key


DRAFT = {"business_name": "Florist & Co", "country": "Poland",
         "what_happened": "A laptop with the customer list was stolen.\nNot encrypted.",
         "aware_date": "2026-11-20", "aware_time": "09:30", "time_zone": "Europe/Warsaw",
         "data_categories": "names\naddresses", "people_count": "about 200",
         "contact_email": "owner@florist.example", "high_risk": "yes"}


def test_the_draft_preview_shows_the_answers_and_the_letter(client):
    response = client.post("/help/breach/draft/", {**DRAFT, "format": "preview"})
    assert response.status_code == 200
    body = page_text(response)
    assert "Notification of a personal data breach (draft)" in body
    assert "A laptop with the customer list was stolen.<br>Not encrypted." in body
    assert "names; addresses" in body
    assert "Letter to the people affected (draft)" in body  # high risk: Art. 34
    assert "to fill in" in body  # what was not given is marked, not guessed
    # The form is there again with every answer, to change or download.
    assert 'value="Florist &amp; Co"' in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_the_draft_downloads_as_a_pdf(client):
    response = client.post("/help/breach/draft/", {**DRAFT, "format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Florist & Co" in text and "about 200" in text  # it opens, with the answers


@pytest.mark.parametrize(("change", "message"), [
    ({"occurred_date": "2026-11-21", "occurred_time": "10:00"}, "cannot have happened after"),
    ({"aware_time": ""}, "Give both the date and the time"),
    ({"contact_email": "not an address"}, "valid email"),
    ({"time_zone": "Nowhere/Here"}, "Select a valid choice"),
    ({"aware_date": str(dt.date.today() + dt.timedelta(days=2))}, "in the future"),
    ({"what_happened": "x" * 10_001}, "at most 10000"),
    ({"occurred_date": "0001-01-01", "occurred_time": "00:00"}, "Check the year"),
])
def test_bad_draft_input_keeps_everything_typed(client, change, message):
    response = client.post("/help/breach/draft/", {**DRAFT, **change, "format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = page_text(response)
    assert message in body.replace("10,000", "10000")
    assert "Everything you typed is still here" in body
    assert 'value="Florist & Co"' in body
    assert "about 200" in body


def test_the_draft_is_post_only(client):
    assert client.get("/help/breach/draft/").status_code == 405


# --- languages ------------------------------------------------------------------------------

def test_report_in_polish_uses_the_polish_content(client):
    body = page_text(client.get(f"{REPORT}?country=PL&incident=ransomware",
                                HTTP_ACCEPT_LANGUAGE="pl"))
    assert '<html lang="pl">' in body
    polish = words("contacts", "pl")
    assert polish["heading"] in body and polish["heading"] != words("contacts")["heading"]


def test_the_breach_clock_in_polish_uses_polish_dates(client):
    moment = dt.datetime.now(ZoneInfo("Europe/Warsaw")) - dt.timedelta(hours=1)
    body = page_text(client.get(f"{BREACH}?{_clock_query(moment, 'Europe/Warsaw')}",
                                HTTP_ACCEPT_LANGUAGE="pl"))
    assert deadline(moment.replace(second=0, microsecond=0), "Europe/Warsaw").text("pl") in body


def test_a_playbook_in_polish_uses_the_polish_playbook(client):
    body = page_text(client.get("/help/playbook/ransomware/", HTTP_ACCEPT_LANGUAGE="pl"))
    polish, english = playbook("ransomware", "pl"), playbook("ransomware", "en")
    assert polish.title != english.title
    assert polish.title in body and polish.first_hour[0].do in body


def test_the_interface_words_are_polish(client):
    body = page_text(client.get(START, HTTP_ACCEPT_LANGUAGE="pl"))
    assert "I think we've been hacked" not in body


def test_the_long_zone_select_renders_as_django_would():
    from django import forms

    from cyberbasics.web.widgets import LongSelect

    choices = [("", "Choose"), ("Europe/Warsaw", "Europe/Warsaw"), ("a<b", "A & B")]

    class Form(forms.Form):
        plain = forms.ChoiceField(choices=choices)
        long = forms.ChoiceField(choices=choices, widget=LongSelect)

    form = Form({"plain": "Europe/Warsaw", "long": "Europe/Warsaw"})
    plain, long = str(form["plain"]), str(form["long"])
    for html_text in (plain, long):
        assert '<option value="Europe/Warsaw" selected>Europe/Warsaw</option>' in html_text
        assert '<option value="a&lt;b">A &amp; B</option>' in html_text
    assert 'id="id_long"' in long and 'name="long"' in long and " required" in long
