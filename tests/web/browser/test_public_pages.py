"""The public pages in a real browser: the home page, sign-in and sign-up are accessible
(axe-core), fit a 360 px phone, work by keyboard with a visible focus, switch language, and
take a new owner from the sign-up form to a signed-in page."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import (
    check_accessibility,
    check_focus_visible,
    check_narrow,
    check_page,
    focused,
    screenshot,
    sign_in,
    submit,
    tab_through,
)
from .server import PASSWORD

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [("home", "/"), ("sign-in", "/accounts/sign-in/"),
                ("sign-up", "/accounts/sign-up/")]


EMAIL = re.compile(r"^E-mail address")
NAME = re.compile(r"^Your name")
PASSWORD_LABEL = re.compile(r"^Password:?$")
PASSWORD_AGAIN = re.compile(r"^Password again")


def unique_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


def signed_in(page) -> bool:
    return page.locator("header nav").get_by_role("button", name="Sign out").count() == 1


@pytest.mark.parametrize(("name", "path"), PUBLIC_PAGES)
def test_public_page_is_accessible_and_fits_a_phone(page, desktop_page, name, path):
    response = page.goto(path)
    assert response.status == 200
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_page(page, f"public-{name}-360")
    desktop_page.goto(path)
    check_accessibility(desktop_page)
    screenshot(desktop_page, f"public-{name}-1280")


@pytest.mark.parametrize(("path", "first_in_content"), [
    ("/", "a[href='/accounts/sign-up/']"), ("/accounts/sign-up/", "#id_email")])
def test_keyboard_reaches_the_skip_link_first_then_the_navigation(page, path, first_in_content):
    page.goto(path)
    stops = tab_through(page, 4)
    check_focus_visible(stops)
    skip, brand, sign_in_link, sign_up_link = stops
    assert (skip.tag, skip.href) == ("a", "#main"), f"first stop: {skip}"
    assert (brand.href, brand.text) == ("/", "Cyber Basics"), f"second stop: {brand}"
    assert sign_in_link.href == "/accounts/sign-in/", f"third stop: {sign_in_link}"
    assert sign_up_link.href == "/accounts/sign-up/", f"fourth stop: {sign_up_link}"

    # The skip link takes the focus past the navigation into the content.
    page.goto(path)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page).element_id == "main"
    stop = tab_through(page, 1)
    check_focus_visible(stop)
    assert page.locator(f"main {first_in_content}").evaluate(
        "el => el === document.activeElement"), stop


def test_keyboard_reaches_every_field_and_button_of_the_sign_up_form(page):
    page.goto("/accounts/sign-up/")
    stops = [stop for stop in tab_through(page, 12) if stop is not None]
    check_focus_visible(stops)
    controls = {stop.element_id for stop in stops if stop.tag in ("input", "select")}
    expected = set(page.locator("main form input:not([type=hidden])")
                   .evaluate_all("els => els.map(e => e.id)"))
    assert expected and expected <= controls, (expected, [str(stop) for stop in stops])
    submit = page.locator("main form button[type=submit]").inner_text().strip()
    assert any(stop.tag == "button" and stop.text == submit for stop in stops), \
        (submit, [str(stop) for stop in stops])


def test_a_new_owner_signs_up_through_the_form_and_is_signed_in(page, site):
    email = unique_email("owner")
    page.goto("/accounts/sign-up/")
    main = page.locator("main")
    main.get_by_label(EMAIL).fill(email)
    main.get_by_label(NAME).fill("Olive Owner")
    main.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    main.get_by_label(PASSWORD_AGAIN).fill(PASSWORD)
    with page.expect_navigation():
        main.get_by_label(PASSWORD_AGAIN).press("Enter")  # submitting by keyboard
    assert signed_in(page), page.url
    assert not page.url.endswith("/accounts/sign-up/")
    check_accessibility(page)
    assert site.django(
        "from django.contrib.auth import get_user_model\n"
        "result = get_user_model().objects.get(email=args['email']).name",
        email=email) == "Olive Owner"


def test_sign_up_shows_its_errors_accessibly(page):
    page.goto("/accounts/sign-up/")
    main = page.locator("main")
    main.get_by_label(EMAIL).fill(unique_email("mismatch"))
    main.get_by_label(NAME).fill("Mo Mismatch")
    main.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    main.get_by_label(PASSWORD_AGAIN).fill(PASSWORD + "x")
    submit(page, main.locator("form"))
    expect(main.get_by_text("The two passwords are not the same.")).to_be_visible()
    assert not signed_in(page)
    check_page(page, "public-sign-up-error-360")


def test_sign_in_refuses_a_wrong_password_and_works_by_keyboard_alone(page, site):
    email = unique_email("returning")
    site.create_user(email, name="Rita Returning")
    page.goto("/accounts/sign-in/")
    main = page.locator("main")
    main.get_by_label(EMAIL).fill(email)
    main.get_by_label(PASSWORD_LABEL).fill(PASSWORD + "-wrong")
    submit(page, main.locator("form"))
    expect(main.get_by_text("do not match an account")).to_be_visible()
    assert not signed_in(page)
    check_page(page, "public-sign-in-error-360")

    # The e-mail field has the focus when the page opens; Tab, type, Enter is all it takes.
    page.goto("/accounts/sign-in/")
    assert focused(page).element_id == "id_email", focused(page)
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert focused(page).element_id == "id_password", focused(page)
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert signed_in(page), page.url


def test_the_sign_in_helper_signs_in(page, site):
    email = unique_email("helper")
    site.create_user(email)
    sign_in(page, email)
    assert signed_in(page), page.url


def test_switching_the_language_to_polish(page):
    page.goto("/accounts/sign-in/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    footer = page.locator("footer")
    footer.get_by_label("Language").select_option("pl")
    submit(page, footer.locator("form"))
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    assert page.url.endswith("/accounts/sign-in/"), page.url  # back where it was
    page.goto("/")  # and it stays Polish
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.locator("#language-choice")).to_have_value("pl")
    check_page(page, "public-home-pl-360")


def test_the_language_follows_the_browser(browser, site):
    context = browser.new_context(base_url=site.url, locale="pl-PL",
                                  viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "pl")
    finally:
        context.close()


def test_the_checks_catch_what_they_look_for(page):
    """The checks themselves can fail: a picture too wide for the phone, an image with no
    text alternative and a control whose focus is hidden are each caught and named."""
    page.goto("/")
    page.evaluate("""() => {
        const wide = document.createElement("img");
        wide.id = "too-wide"; wide.width = 900; wide.height = 10;
        document.querySelector("main").append(wide);
    }""")
    with pytest.raises(AssertionError, match="img#too-wide ends at"):
        check_narrow(page)
    with pytest.raises(AssertionError, match=r"(?s)\[critical\] image-alt: .*#too-wide"):
        check_accessibility(page)
    page.goto("/")
    page.evaluate("""() => {
        const brand = document.querySelector("header .brand").style;
        brand.setProperty("outline", "none", "important");
        brand.setProperty("box-shadow", "none", "important");
    }""")
    stops = tab_through(page, 2)
    assert stops[1].href == "/" and not stops[1].indicator
    with pytest.raises(AssertionError, match="focus not visible on: <a href=/> 'Cyber Basics'"):
        check_focus_visible(stops)
