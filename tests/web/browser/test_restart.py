"""Nothing is lost when the server dies mid-questionnaire: the answers given before a SIGKILL
of the web server are there when it comes back, and the owner carries on where they
stopped."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import sign_in, submit

pytestmark = pytest.mark.browser


def test_answers_survive_a_server_crash_mid_questionnaire(page, site):
    email = f"crash-{uuid.uuid4().hex[:8]}@example.com"
    site.create_user(email)
    business = site.create_business(email, "Crash Test Café (lab)")
    sign_in(page, email)
    page.goto(f"/b/{business}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Start a review").click()
    main = page.locator("main")
    with page.expect_navigation():
        main.get_by_role("link", name="Start with your business profile").click()
    submit(page, main.locator("form.profile-form"))

    answered = []
    for _ in range(3):
        expect(main.locator("form.question")).to_be_visible()
        question_url = page.url
        choice = main.locator("ul.choices li label").first
        answered.append((question_url, choice.inner_text().strip()))
        choice.click()
        with page.expect_navigation():
            main.get_by_role("button", name="Save and next").click()
    fourth_question = page.url
    assert fourth_question not in [url for url, _ in answered]

    site.crash_and_restart_server()

    review = int(re.search(r"/reviews/(\d+)/", fourth_question).group(1))
    stored = site.django(
        "from cyberbasics.web.reviews.models import Answer\n"
        "result = Answer.objects.filter(review_id=args['review']).count()\n", review=review)
    assert stored == 3
    page.goto(f"/b/{business}/reviews/{review}/questions/")
    with page.expect_navigation():
        main.get_by_role("link", name="Continue where you stopped").click()
    assert page.url == fourth_question  # the first question not yet answered
    for url, label in answered:  # each answer shows as picked
        page.goto(url)
        expect(main.locator("ul.choices input:checked")).to_have_count(1)
        checked = main.locator("ul.choices li", has=page.locator("input:checked"))
        expect(checked).to_contain_text(label)
