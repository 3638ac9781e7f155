"""The suspicious-email checker in a real browser on a phone (360 x 740): a visitor pastes a
message from the corpus and reads the verdict in words, with the evidence behind
disclosures; bad input gets the form back with the reason; an owner's checks are kept in the
business's history. Every page is checked (axe, 360 px, screenshot)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import check_page, sign_in, submit

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parents[2] / "mail" / "corpus"
SOURCE = re.compile(r"^The message.s source")


def corpus(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def paste_and_check(page, text: str) -> None:
    form = page.locator("main form#check-form")
    form.get_by_label(SOURCE).fill(text)
    submit(page, form)


def test_a_visitor_on_a_phone_pastes_a_message_and_reads_the_verdict(page):
    response = page.goto("/email-check/")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text("Is this e-mail genuine?")
    help_box = page.locator("details.how-to")
    help_box.locator("summary").click()
    expect(help_box.get_by_text("Show original")).to_be_visible()
    check_page(page, "mailcheck-01-form-360")

    paste_and_check(page, corpus("spoofed-display-address.eml"))
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("Suspicious")
    expect(verdict).to_contain_text("signs of deception")
    expect(verdict.locator(".verdict-icon")).to_have_attribute("aria-hidden", "true")
    expect(page.locator("[data-reason=display_name_address]")).to_contain_text(
        "ceo.acmebakery@freemail.com")
    expect(page.locator("main")).to_contain_text("Nothing about this message was kept")
    for disclosure in page.locator("#result details").all():
        disclosure.locator("summary").click()
    expect(page.locator("#result pre.headers")).to_contain_text("Subject: Urgent transfer")
    check_page(page, "mailcheck-02-suspicious-360")

    # A message that is not one: the form again, with the reason and the text kept.
    paste_and_check(page, corpus("broken-no-from.eml"))
    expect(page.locator("#check-errors")).to_contain_text("no From header")
    expect(page.locator("main form#check-form").get_by_label(SOURCE)).to_have_value(
        re.compile("Subject"))
    expect(page.locator("#verdict")).to_have_count(0)
    check_page(page, "mailcheck-03-error-360")

    # A file over the limit is refused on the phone, before it is sent.
    form = page.locator("main form#check-form")
    form.get_by_label(SOURCE).fill("")
    form.get_by_label(re.compile("saved message")).set_input_files(files=[{
        "name": "huge.eml", "mimeType": "message/rfc822",
        "buffer": b"X" * (2 * 1024 * 1024 + 1)}])
    size_error = form.locator("[data-size-error]")
    expect(size_error).to_contain_text("over 2 MB")
    before = page.url
    form.locator("button[type=submit]").click()
    expect(size_error).to_be_visible()
    assert page.url == before
    check_page(page, "mailcheck-04-too-big-360")


def test_an_owner_checks_for_the_business_and_finds_it_in_the_history(page, site):
    email = f"mail-owner-{uuid.uuid4().hex[:8]}@example.com"
    site.create_user(email)
    business = site.create_business(email, "Acme Bakery", domains=("acmebakery.pl",))
    site.django(
        "from cyberbasics.web.mailcheck.models import MailSettings\n"
        "MailSettings.objects.create(business_id=args['business'],"
        " mx_hosts=['mx1.acmebakery.pl'], trusted_authserv_ids=['mx1.acmebakery.pl'])\n",
        business=business)
    sign_in(page, email)

    page.goto(f"/b/{business}/email-check/")
    check_page(page, "mailcheck-05-business-form-360")
    paste_and_check(page, corpus("genuine-pass.eml"))
    expect(page.locator("#verdict")).to_contain_text("Authentic")
    expect(page.locator("main")).to_contain_text("never the whole message")
    check_page(page, "mailcheck-06-business-authentic-360")

    page.get_by_role("link", name="See it in the history").click()
    expect(page.locator("h1")).to_have_text("Checked message")
    expect(page.locator("main")).to_contain_text("Delivery schedule for December")
    check_page(page, "mailcheck-07-detail-360")

    page.goto(f"/b/{business}/email-check/history/")
    expect(page.get_by_role("row", name=re.compile("anna@nordsupply.de"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("nordsupply.de.*1"))).to_be_visible()
    check_page(page, "mailcheck-08-history-360")

    page.goto(f"/b/{business}/email-check/settings/")
    expect(page.locator("main").get_by_label("Receiving mail servers")).to_have_value(
        "mx1.acmebakery.pl")
    check_page(page, "mailcheck-09-settings-360")
