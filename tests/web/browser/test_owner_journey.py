"""The owner journey in a real browser on a phone (360 x 740): a new owner signs up, registers
the business, adds its domain (one of the lab's), runs the outside view and watches it finish
by itself, answers the whole self-assessment (leaving and coming back in the middle),
finishes it, reads the result, downloads the PDF, plans an action and finds the review in the
history. Every distinct page on the way is checked (axe, 360 px, screenshot)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import look, submit
from .server import PASSWORD

pytestmark = pytest.mark.browser

# The lab's neglected plumber (lab/world.py, demo_businesses): plenty of findings to read.
DOMAIN = "plumber.example"
SCAN_WAIT_S = 90


def progress_numbers(page) -> tuple[int, int, str]:
    """(answered or question number, total, the time left) from the progress line."""
    text = page.locator("#progress-text").inner_text()
    numbers = [int(n) for n in re.findall(r"\d+", text.split("·")[0])]
    return numbers[0], numbers[1], text.split("·", 1)[1].strip()


def test_a_new_owner_from_sign_up_to_the_report_and_the_plan(page, site_with_worker):
    site = site_with_worker
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    main = page.locator("main")

    # Sign up.
    page.goto("/accounts/sign-up/")
    main.get_by_label(re.compile(r"^E-mail address")).fill(email)
    main.get_by_label(re.compile(r"^Your name")).fill("Pat Plumber")
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_label(re.compile(r"^Password again")).fill(PASSWORD)
    submit(page, main.locator("form"))

    # Register the business (sign-up leads straight to the form).
    expect(page.locator("h1")).to_have_text("Register a business")
    look(page, "owner-01-register")
    main.get_by_label("Business name").fill("Pat's Plumbing")
    main.get_by_label("Country").select_option("GB")
    size = main.get_by_label(re.compile(r"people", re.IGNORECASE))
    if size.count():
        size.first.fill("4")
    submit(page, main.locator("form"))

    # Add its domain.
    expect(page.locator("h1")).to_have_text("Domains of Pat's Plumbing")
    look(page, "owner-02-domains")
    main.get_by_label(re.compile("domain", re.IGNORECASE)).first.fill(DOMAIN)
    submit(page, main.locator("form"))
    expect(main.get_by_role("row", name=re.compile(DOMAIN))).to_be_visible()
    business_id = int(re.search(r"/b/(\d+)/", page.url).group(1))

    # The business page: start the outside view (passive).
    page.goto(f"/b/{business_id}/")
    look(page, "owner-03-business")
    start = main.get_by_role("button", name="Start the outside view")
    with page.expect_navigation():
        start.click()
    expect(page.locator("h1")).to_have_text("Outside view of Pat's Plumbing")
    look(page, "owner-04-scan-running")
    # The page follows the scan by itself (htmx polling), no reload.
    page.evaluate("window.__not_reloaded = true")
    expect(page.locator("#scan-summary")).to_have_text("The scan is finished.",
                                                       timeout=SCAN_WAIT_S * 1000)
    assert page.evaluate("window.__not_reloaded === true"), "the page reloaded"
    expect(main.get_by_role("heading", name="Result of the outside view")).to_be_visible()
    look(page, "owner-05-scan-done")

    # To the review the scan belongs to: its self-assessment, not started yet.
    with page.expect_navigation():
        main.get_by_role("link", name="Go to the review").click()
    expect(page.locator("h1")).to_have_text("Self-assessment")
    look(page, "owner-06-assessment-start")
    with page.expect_navigation():
        main.get_by_role("link", name="Start with your business profile").click()

    # The business profile: what the register form said is already filled in.
    expect(page.locator("h1")).to_have_text("Your business")
    look(page, "owner-07-profile")
    profile = main.locator("form.profile-form")
    expect(profile.locator("input[type=number]").first).to_have_value("4")
    profile.locator("label", has_text="Windows computers").click()
    profile.locator("label", has_text="Phones or tablets").click()
    profile.locator("label", has_text="In an office").click()
    submit(page, profile)

    # The questions, one a screen, until the overview: half of them, then away and back.
    first_time_left = None
    dont_know_done = False
    left_once = False
    for answered in range(1, 151):
        number, total, time_left = progress_numbers(page)
        first_time_left = first_time_left or time_left
        form = main.locator("form.question")
        bar = page.locator("#quiz-progress progress")
        if number == 1:
            look(page, "owner-08-question")
            expect(bar).to_have_attribute("value", "0")
        if not dont_know_done and number >= 3:
            # "I don't know", after opening its helper.
            form.locator("summary", has_text="Not sure? How to find out").click()
            expect(form.locator("details.find-out")).to_have_attribute("open", "")
            look(page, "owner-09-question-dont-know-helper")
            form.locator("li.dont-know label").click()
            dont_know_done = True
        else:
            # Alternate between the first and the second answer: a plausible business.
            form.locator("ul.choices li:not(.dont-know) label").nth(number % 2).click()
        # Saved as soon as it is picked, and the progress moves, without a page load.
        expect(page.locator("#save-status")).to_contain_text("Saved")
        expect(bar).to_have_attribute("value", str(answered))
        with page.expect_navigation():
            form.get_by_role("button", name="Save and next").click()
        if not left_once and answered == total // 2:
            # Away to the dashboard, then back through the business: "Continue where you
            # stopped" leads to the next question.
            expected = progress_numbers(page)[0]
            page.goto("/dashboard/")
            with page.expect_navigation():
                main.get_by_role("link", name="Pat's Plumbing").click()
            with page.expect_navigation():
                main.get_by_role("link", name="Continue the self-assessment").click()
            expect(main.locator("#progress-text")).to_contain_text(f"{answered} of ")
            look(page, "owner-10-assessment-resume")
            with page.expect_navigation():
                main.get_by_role("link", name="Continue where you stopped").click()
            assert progress_numbers(page)[0] == expected, page.url
            _n, _t, later_time_left = progress_numbers(page)
            assert later_time_left != first_time_left, (first_time_left, later_time_left)
            left_once = True
        if "/questions/overview/" in page.url:
            break
    else:
        pytest.fail(f"the questions did not end: {page.url}")
    assert left_once and dont_know_done

    # The overview, then finish.
    expect(page.locator("h1")).to_have_text("All questions and answers")
    expect(main.get_by_text("Every question that concerns your business is answered."))\
        .to_be_visible()
    expect(main.get_by_text("I don't know").first).to_be_visible()
    look(page, "owner-11-overview")
    with page.expect_navigation():
        main.get_by_role("button", name="Finish the review").click()

    # The result: score and band, the top five, the areas, the findings with details.
    expect(page.locator("h1")).to_have_text("Result of the review")
    result = main.locator("#result")
    expect(result.locator(".headline")).to_contain_text(re.compile(r"\d+"))
    expect(result.locator(".band")).to_be_visible()
    expect(main.locator("#first ol.result-actions > li")).to_have_count(5)
    assert main.locator("#areas tbody tr").count() >= 5
    finding = main.locator("#findings li.finding").first
    expect(finding).to_be_visible()
    finding.locator("details summary").click()
    expect(finding.locator("details pre, details a").first).to_be_visible()
    look(page, "owner-12-result")

    # The PDF.
    with page.expect_download() as download:
        main.get_by_role("link", name="Download the report (PDF)").click()
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    # The action plan: the first action gets a date and a status.
    page.goto(f"/b/{business_id}/")
    with page.expect_navigation():
        main.get_by_role("link", name="Action plan").click()
    expect(page.locator("h1")).to_have_text("Action plan")
    look(page, "owner-13-plan")
    action = main.locator("article.action").first
    title = action.locator("h3").inner_text()
    action.get_by_label("Status").select_option(label="in progress")
    action.get_by_label("Due date").fill("2030-06-30")
    action.get_by_role("button", name="Save").click()
    expect(action.get_by_text("Saved.")).to_be_visible()  # htmx: no page load
    page.reload()
    action = main.locator("article.action", has_text=title).first
    expect(action.locator(".tracking p").first).to_contain_text("in progress")
    expect(action.locator(".tracking p").first).to_contain_text(
        re.compile(r"due (30 June? 2030|June 30, 2030)"))
    look(page, "owner-14-plan-saved")

    # The history lists the review.
    with page.expect_navigation():
        main.get_by_role("navigation", name="This business").get_by_role(
            "link", name="History").click()
    expect(page.locator("h1")).to_have_text("History of reviews")
    expect(main.get_by_role("heading", name=re.compile(r"^Review of "))).to_have_count(1)
    expect(main.get_by_text(re.compile(r"Score \d+ out of 100"))).to_be_visible()
    look(page, "owner-15-history")
    assert site.django(
        "from cyberbasics.web.reviews.models import Review\n"
        "result = list(Review.objects.filter(business_id=args['b'])"
        ".values_list('completed_at', flat=True))", b=business_id)[0] is not None
