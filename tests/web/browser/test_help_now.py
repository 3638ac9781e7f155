"""Help now in a real browser, on a phone (360 x 740), for someone who is not signed in: from
"I think we've been hacked" through the triage, tap by tap, to each playbook's first-hour
checklist in under a minute; every Help now page passes axe-core and fits the phone; the
breach clock and its PDF work without signing in."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from cyberbasics.incident import triage
from cyberbasics.incident.contacts import contacts_for
from cyberbasics.incident.playbooks import PLAYBOOK_IDS, playbook

from .helpers import check_focus_visible, check_page, look, submit, tab_through

pytestmark = pytest.mark.browser

# The bar: a new user on a phone reaches the right checklist in under a minute.
WALK_LIMIT_SECONDS = 60
HACKED = re.compile(r"I think we.ve been hacked", re.IGNORECASE)


def _paths(answers=None):
    answers = answers or {}
    question = triage.next_question(answers)
    if question is None:
        yield answers
        return
    for choice in question.choices:
        yield from _paths({**answers, question.id: choice.id})


def shortest_path(playbook_id: str) -> dict[str, str]:
    """The fewest taps the core's triage needs to reach `playbook_id`."""
    return min((answers for answers in _paths()
                if triage.outcome(answers).playbook == playbook_id), key=len)


def open_help(page: Page) -> None:
    """From the home page, by its "I think we've been hacked" link."""
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name=HACKED).first.click()
    assert page.url.endswith("/help/")
    expect(page.locator("h1")).to_have_text(HACKED)


def tap_through(page: Page, answers: dict[str, str]) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name="Start: what happened?").click()
    for number, (question_id, choice_id) in enumerate(answers.items(), start=1):
        expect(page.locator(".kicker")).to_contain_text(f"Question {number}")
        button = page.locator(f'main button[name="{question_id}"][value="{choice_id}"]')
        with page.expect_navigation():
            button.click()


@pytest.mark.parametrize("playbook_id", PLAYBOOK_IDS)
def test_a_new_user_reaches_the_first_hour_checklist_in_under_a_minute(page, playbook_id):
    answers = shortest_path(playbook_id)
    expected = playbook(playbook_id)
    started = time.monotonic()
    open_help(page)
    tap_through(page, answers)
    checklist = page.locator("#first-hour")
    expect(page.locator("h1")).to_have_text(expected.title)
    expect(checklist.get_by_role("heading", name="In the first hour")).to_be_visible()
    expect(checklist.locator("ol.checklist > li")).to_have_count(len(expected.first_hour))
    expect(checklist.get_by_text(expected.first_hour[0].do, exact=True)).to_be_visible()
    elapsed = time.monotonic() - started
    assert elapsed < WALK_LIMIT_SECONDS, f"{playbook_id}: {elapsed:.1f} s"
    assert f"/help/playbook/{playbook_id}/" in page.url
    check_page(page, f"help-playbook-{playbook_id}-from-triage-360")


def test_every_triage_screen_is_accessible_and_back_and_change_work(page):
    answers = max(_paths(), key=len)
    open_help(page)
    check_page(page, "help-start-360")
    stops = tab_through(page, 6)
    check_focus_visible([stop for stop in stops if stop is not None])
    with page.expect_navigation():
        page.get_by_role("link", name="Start: what happened?").click()
    items = list(answers.items())
    for number, (question_id, choice_id) in enumerate(items[:-1], start=1):
        look(page, f"help-triage-question-{number}-360")
        with page.expect_navigation():
            page.locator(f'main button[name="{question_id}"][value="{choice_id}"]').click()
    # The last question: the earlier answers are listed, each with a way to change it.
    answered = page.locator(".answers-list > div")
    expect(answered).to_have_count(len(items) - 1)
    with page.expect_navigation():
        page.get_by_role("link", name="Back").click()
    expect(page.locator(".kicker")).to_contain_text(f"Question {len(items) - 1}")
    with page.expect_navigation():
        page.locator(".answers-list a").first.click()
    expect(page.locator(".kicker")).to_contain_text("Question 1")
    expect(page.locator(".answers-list")).to_have_count(0)


def test_bad_answers_in_the_address_start_again_with_a_message(page):
    response = page.goto("/help/triage/?what_happened=nonsense")
    assert response.status == 200
    expect(page.get_by_role("alert")).to_contain_text("started again")
    check_page(page, "help-triage-bad-answers-360")


def test_a_playbook_with_a_country_and_the_bank_box(page):
    page.goto("/help/playbook/invoice_fraud/")
    bank = page.locator(".bank-box")
    expect(bank.get_by_role("heading", name="Call your bank now")).to_be_visible()
    # The bank box comes before the checklist.
    assert bank.evaluate("(box) => box.compareDocumentPosition("
                         "document.querySelector('#first-hour')) & 4") == 4
    contacts = page.locator("#contacts")
    contacts.get_by_label("Your country").select_option("PL")
    submit(page, contacts.locator("form"))
    for contact in contacts_for("PL", "invoice_fraud"):
        expect(page.locator(f"#contact-{contact.id}")).to_have_count(1)
    check_page(page, "help-playbook-invoice-fraud-pl-360")
    # "Print this page" appears once script runs; its print styles hide the navigation.
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator("#first-hour")).to_be_visible()
    page.emulate_media(media="screen")


@pytest.mark.parametrize("playbook_id", PLAYBOOK_IDS)
def test_every_playbook_page_is_accessible(page, playbook_id):
    page.goto(f"/help/playbook/{playbook_id}/?country=GB")
    check_page(page, f"help-playbook-{playbook_id}-gb-360")


def test_whom_to_report_to(page):
    page.goto("/help/report/")
    check_page(page, "help-report-empty-360")
    form = page.locator("main form")
    form.get_by_label("Your country").select_option("RO")
    form.get_by_label("What happened").select_option("personal_data_breach")
    submit(page, form)
    expected = contacts_for("RO", "personal_data_breach")
    expect(page.locator("ol.contacts > li")).to_have_count(len(expected))
    phone = next((c.phone for c in expected if c.phone), None)
    if phone:
        expect(page.locator(f'a[href="tel:{phone.replace(" ", "")}"]').first).to_be_visible()
    check_page(page, "help-report-ro-360")


def test_the_breach_clock_and_the_draft_pdf(page):
    page.goto("/help/breach/")
    check_page(page, "help-breach-360")
    clock = page.locator("form.clock-form")
    later = page.evaluate("() => new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10)")
    clock.get_by_label("Date you found out").fill(later)
    clock.get_by_label("Time you found out").fill("09:30")
    submit(page, clock)
    expect(page.locator("form.clock-form")).to_contain_text("in the future")
    check_page(page, "help-breach-error-360")

    clock = page.locator("form.clock-form")
    today = page.evaluate("() => new Date().toISOString().slice(0, 10)")
    clock.get_by_label("Date you found out").fill(today)
    clock.get_by_label("Time you found out").fill("00:00")
    clock.get_by_label("Time zone").select_option("Europe/Warsaw")
    submit(page, clock)
    expect(page.locator("#deadline")).to_contain_text("Europe/Warsaw")
    expect(page.locator("#deadline")).to_contain_text(re.compile(r"\d+ h \d+ min left"))
    check_page(page, "help-breach-deadline-360")

    draft = page.locator("form.draft-form")
    draft.get_by_label("Name of the organisation").fill("Lab Florist")
    draft.locator("#id_what_happened").fill("A stolen laptop with the customer list.")
    with page.expect_navigation():
        draft.get_by_role("button", name="Show the draft").click()
    expect(page.locator("article.draft")).to_contain_text("A stolen laptop")
    check_page(page, "help-breach-draft-preview-360")
    with page.expect_download() as download:
        page.locator("form.draft-form").get_by_role("button", name="Download the draft (PDF)") \
            .click()
    path = download.value.path()
    with open(path, "rb") as handle:
        assert handle.read(4) == b"%PDF"
