"""The evidence log in a real browser, on a phone: a visitor without an account starts a
log, adds an entry with a screenshot, downloads the bundle (which verifies with the core)
and the PDF; someone else's browser cannot open it. A signed-in owner records an incident.
axe-core and the 360 px check on every page."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from playwright.sync_api import expect

from cyberbasics.incident.evidence import verify_bundle

from .helpers import another_person, check_page, sign_in, submit

pytestmark = pytest.mark.browser

SCREENSHOT = b"\x89PNG\r\n\x1a\n" + b"fake invoice with a new IBAN " * 40


def _download(page, link) -> bytes:
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as handle:
        return handle.read()


def test_a_visitor_on_a_phone_keeps_an_evidence_log(page, site, browser, tmp_path):
    page.goto("/help/evidence/")
    expect(page.locator("h1")).to_have_text("Evidence log")
    check_page(page, "evidence-start-360")
    form = page.locator("main form")
    form.get_by_label(re.compile("^Business name")).fill("Kowalski Sp. z o.o.")
    form.get_by_label(re.compile("^Your time zone")).select_option("Europe/Warsaw")
    submit(page, form)
    assert re.search(r"/help/evidence/[\w-]{40,}/$", page.url), page.url
    check_page(page, "evidence-log-empty-360")

    picture = tmp_path / "invoice.png"
    picture.write_bytes(SCREENSHOT)
    form = page.locator("main form", has=page.locator("textarea"))
    form.get_by_label(re.compile("^Who saw it")).fill("Anna")
    form.get_by_label(re.compile("^What was seen")).fill(
        "An invoice from our supplier with a different bank account.\nArrived 09:12.")
    form.get_by_label(re.compile("^Files or screenshots")).set_input_files(str(picture))
    submit(page, form)
    digest = hashlib.sha256(SCREENSHOT).hexdigest()
    expect(page.locator("#entry-1")).to_contain_text(digest)
    expect(page.locator("#verify-status")).to_have_attribute("data-ok", "true")
    check_page(page, "evidence-log-entry-360")

    bundle = _download(page, page.locator("#download-bundle"))
    log, result = verify_bundle(bundle)
    assert result.ok and result.entries == 1 and result.checked_files == 1, result
    assert log.entries[0].files[0].sha256 == digest
    assert _download(page, page.locator("#download-pdf")).startswith(b"%PDF")

    url = page.url
    with another_person(browser, site.url) as stranger:
        assert stranger.request.get(url).status == 404

    page.get_by_role("link", name="Keep this log in my business's account").click()
    page.wait_for_url(re.compile(r"/accounts/sign-in/"))
    check_page(page, "evidence-keep-sign-in-360")


def test_an_owner_records_an_incident_on_a_phone(page, site):
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    site.create_user(email)
    business = site.create_business(email, "Lab Bakery")
    sign_in(page, email)
    page.goto(f"/b/{business}/incidents/")
    check_page(page, "incidents-list-empty-360")
    page.get_by_role("link", name="Record a new incident").click()
    page.wait_for_url(re.compile(r"/incidents/new/$"))
    check_page(page, "incidents-new-360")
    form = page.locator("main form")
    form.get_by_label("What happened").select_option("personal_data_breach")
    form.get_by_label("A short title").fill("Customer list e-mailed to the wrong person")
    form.get_by_label("Date you became aware of it").fill("2026-11-20")
    form.get_by_label("Time you became aware of it").fill("09:30")
    submit(page, form)
    assert re.search(r"/incidents/\d+/$", page.url), page.url
    check_page(page, "incidents-detail-360")

    form = page.locator("main form", has=page.locator("textarea"))
    form.get_by_label(re.compile("^Who saw it")).fill("Ben")
    form.get_by_label(re.compile("^What was seen")).fill("Sent at 09:05 to a customer.")
    submit(page, form)
    expect(page.locator("#entry-1")).to_contain_text("Sent at 09:05")
    check_page(page, "incidents-detail-entry-360")
    log, result = verify_bundle(_download(page, page.locator("#download-bundle")))
    assert result.ok and log.header.business == "Lab Bakery"

    page.get_by_role("button", name="Close the incident").click()
    page.wait_for_load_state()
    expect(page.locator("#incident-status")).to_have_text("closed")
    page.goto(f"/b/{business}/incidents/")
    check_page(page, "incidents-list-360")


def test_a_signed_in_owner_keeps_an_anonymous_log_in_the_account(page, site):
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    site.create_user(email)
    site.create_business(email, "Lab Garage")
    page.goto("/help/evidence/")
    form = page.locator("main form")
    form.get_by_label(re.compile("^Your time zone")).select_option("Europe/Rome")
    submit(page, form)
    form = page.locator("main form", has=page.locator("textarea"))
    form.get_by_label(re.compile("^Who saw it")).fill("Carla")
    form.get_by_label(re.compile("^What was seen")).fill("A call from 'Microsoft support'.")
    submit(page, form)
    log_url = page.url

    sign_in(page, email)  # the same browser: the log stays reachable after signing in
    page.goto(log_url)
    page.get_by_role("link", name="Keep this log in my business's account").click()
    page.wait_for_url(re.compile(r"/keep/$"))
    check_page(page, "evidence-keep-360")
    form = page.locator("main form", has=page.locator("select#id_business"))
    form.get_by_label("What happened").select_option("fake_it_support_call")
    form.get_by_label("A short title").fill("Fake Microsoft call")
    form.get_by_label("Date you became aware of it").fill("2026-11-24")
    form.get_by_label("Time you became aware of it").fill("10:15")
    submit(page, form)
    assert re.search(r"/b/\d+/incidents/\d+/$", page.url), page.url
    expect(page.locator("#entry-1")).to_contain_text("Microsoft support")
    expect(page.locator("#verify-status")).to_have_attribute("data-ok", "true")
    check_page(page, "evidence-kept-incident-360")
