"""The advisor journey in a real browser: an advisor of a programme signs in and sets up
two-step sign-in (a code from pyotp, made from the key the page shows), adds a client business
with the owner's written consent, starts its review and makes a client link. The client, in a
browser of their own and without an account, opens the link, answers the profile and a few
questions (the rest are the lab florist's answers, put in beforehand), and, once the advisor
has checked one of the answers, finishes and reads the report. The advisor then writes a
private note, sets the name on their reports, downloads the branded PDF and withdraws the
link, after which the client's next request is refused. Every distinct page on the way is
checked (axe, 360 px, screenshot)."""

from __future__ import annotations

import io
import re
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from .helpers import another_person, look, page_problems, sign_in, submit
from .server import links_in

pytestmark = pytest.mark.browser

BRAND = "Northside Cyber Advice"
CLIENT_NAME = "Fleur & Co"
CONSENT = "E-mail from the owner, Flora, on 3 March 2026: agrees to the review and scans."
ANSWERED_BY_CLIENT = ("backups.regular", "backups.offline", "backups.restore_test")

PROGRAMME = """
from django.contrib.auth import get_user_model
from cyberbasics.web.programmes.models import Programme, ProgrammeRole
advisor = get_user_model().objects.get(email=args['email'])
programme = Programme.objects.create(name='Safer Shops (test)', country='GB',
                                     time_zone='Europe/London')
ProgrammeRole.objects.create(programme=programme, user=advisor, role='advisor')
result = programme.pk
"""

# The lab florist's answers (lab/answers/florist.yaml) into the review, all but `skip`, as if
# the client had given them earlier; their profile is left for the client to fill in.
FLORIST_ANSWERS = """
from importlib import resources
from cyberbasics.assess.answers import parse_answers
from cyberbasics.web.reviews.core import catalogue
from cyberbasics.web.reviews.models import Answer, Review
review = Review.objects.get(pk=args['review'], business_id=args['business'])
text = resources.files('cyberbasics.lab').joinpath('answers', 'florist.yaml').read_text('utf-8')
parsed = parse_answers(text, catalogue())
assert not parsed.problems, parsed.problems
Answer.objects.bulk_create([
    Answer(review=review, question=question, option=answer.option,
           source=Answer.Source.SELF)
    for question, answer in parsed.answers.items() if question not in args['skip']])
result = review.answers.count()
"""


def totp_code(secret: str, *, ahead: int = 0) -> str:
    """The code an authenticator app shows now (`ahead` steps later: a code is accepted once,
    so a second sign-in within 30 seconds needs the next step's code, which the site's one
    step of clock drift allows)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * ahead)


def test_an_advisor_runs_a_clients_review_through_a_magic_link(desktop_page, browser, site):
    page = desktop_page  # advisors work on a laptop; check_page still tries 360 px
    main = page.locator("main")
    email = f"advisor-{uuid.uuid4().hex[:8]}@example.com"
    site.create_user(email, name="Ada Advisor")
    site.django(PROGRAMME, email=email)

    # Signing in leads to the two-step set-up, which an advisor cannot skip.
    sign_in(page, email)
    assert "/accounts/two-step/" in page.url, page.url
    expect(main.get_by_text("your account needs two-step sign-in")).to_be_visible()
    look(page, "advisor-01-two-step-setup")
    secret = main.locator("#totp-secret").inner_text().replace(" ", "")
    main.get_by_label("6-digit code from your authenticator app").fill(totp_code(secret))
    submit(page, main.locator("form", has=page.locator("input[name=code]")))
    expect(main.get_by_text("Two-step sign-in is on.")).to_be_visible()

    # Signing in again asks for a code after the password.
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="Sign out").click()
    sign_in(page, email)
    assert "/accounts/sign-in/code/" in page.url, page.url
    look(page, "advisor-02-two-step-code")
    main.get_by_label("6-digit code from your authenticator app").fill(
        totp_code(secret, ahead=1))
    submit(page, main.locator("form"))

    # My clients: add one, with the owner's written consent.
    with page.expect_navigation():
        page.locator("header").get_by_role("link", name="My clients").click()
    expect(page.locator("h1")).to_have_text("Your clients")
    look(page, "advisor-03-home-empty")
    with page.expect_navigation():
        main.get_by_role("link", name="Add a client").click()
    look(page, "advisor-04-client-add")
    main.get_by_label("Business name").fill(CLIENT_NAME)
    main.get_by_label("Country").fill("RO")
    main.get_by_label("Time zone").select_option("Europe/Bucharest")
    main.get_by_label("Domain (optional)").fill("florist.example")
    main.get_by_label("The owner's written consent").fill(CONSENT)
    submit(page, main.locator("form"))
    expect(main.get_by_text(f"{CLIENT_NAME} is now one of your clients.")).to_be_visible()
    row = main.get_by_role("row", name=re.compile(CLIENT_NAME))
    expect(row).to_contain_text("not started")

    # The advisor opens the review; the client gave most answers earlier (the florist's).
    with page.expect_navigation():
        row.get_by_role("button", name=re.compile("^Start a review")).click()
    business_id, review_id = map(int, re.search(r"/b/(\d+)/reviews/(\d+)/", page.url).groups())
    expect(page.locator("h1")).to_have_text("Self-assessment")
    preloaded = site.django(FLORIST_ANSWERS, business=business_id, review=review_id,
                            skip=list(ANSWERED_BY_CLIENT))
    assert preloaded > 20
    page.goto("/advisor/")
    look(page, "advisor-05-home-with-client")

    # A client link, e-mailed and shown once.
    with page.expect_navigation():
        main.get_by_role("link", name=f"Client links for {CLIENT_NAME}").click()
    expect(page.locator("h1")).to_have_text(f"Client links for {CLIENT_NAME}")
    look(page, "advisor-06-links")
    client_email = f"flora-{uuid.uuid4().hex[:6]}@example.com"
    main.get_by_label("Send it to (optional)").fill(client_email)
    submit(page, main.locator("form"))
    expect(page.locator("h1")).to_have_text("The client link")
    look(page, "advisor-07-link-created")
    url = main.locator("#magic-link-url").inner_text().strip()
    token_path = re.search(r"/m/[^/]+/$", url).group(0)
    assert url in links_in(site.mailbox.wait_for(client_email))

    with another_person(browser, site.url) as client:
        cmain = client.locator("main")
        # The client opens the link: their business's page, no account.
        client.goto(token_path)
        assert client.url.endswith("/client/"), client.url
        expect(client.locator("h1")).to_have_text(
            f"The cyber security review of {CLIENT_NAME}")
        look(client, "client-01-home")
        with client.expect_navigation():
            cmain.get_by_role("link", name="Continue answering").click()
        with client.expect_navigation():
            cmain.get_by_role("link", name="Your business profile").click()

        # The profile, then the questions not answered yet, through the form.
        profile = cmain.locator("form.profile-form")
        profile.locator("input[type=number]").first.fill("3")
        for label in ("Microsoft 365", "Windows computers", "Phones or tablets",
                      "Where customers come in"):
            profile.locator("label", has_text=label).click()
        for question in ("card payments", "your own website", "network storage",
                         "outside IT person"):
            group = profile.locator("fieldset", has_text=question)
            group.locator("label", has_text="Yes" if question in (
                "card payments", "your own website") else "No").click()
        submit(client, profile)
        for question in ANSWERED_BY_CLIENT:
            assert f"/questions/{question}/" in client.url, client.url
            form = cmain.locator("form.question")
            form.locator("ul.choices li:not(.dont-know) label").first.click()
            expect(client.locator("#save-status")).to_contain_text("Saved")
            with client.expect_navigation():
                form.get_by_role("button", name="Save and next").click()
        with client.expect_navigation():
            cmain.get_by_role("link", name="All questions and answers").click()
        look(client, "client-02-overview")

        # Meanwhile the advisor checks one of the client's answers.
        page.goto(f"/b/{business_id}/reviews/{review_id}/questions/overview/")
        look(page, "advisor-08-overview")
        backup = main.locator("li[id='q-backups.regular']")
        with page.expect_navigation():
            backup.get_by_role("button", name=re.compile("^Mark as checked by the advisor"))\
                .click()
        expect(backup.get_by_text("checked by the advisor")).to_be_visible()

        # The client sees the check, finishes and reads the report.
        client.reload()
        expect(cmain.locator("li[id='q-backups.regular']")
               .get_by_text("checked by the advisor")).to_be_visible()
        with client.expect_navigation():
            cmain.get_by_role("button", name="Finish the review").click()
        expect(client.locator("h1")).to_have_text("Result of the review")
        expect(cmain.locator("#result .headline")).to_contain_text(re.compile(r"\d+ of 100"))
        expect(cmain.locator("#first ol.result-actions > li")).to_have_count(5)
        look(client, "client-03-result")
        client.goto("/client/")
        expect(cmain.get_by_role("link", name="See the report")).to_be_visible()

        # The advisor: a private note, the name on reports, the branded PDF.
        page.goto(f"/b/{business_id}/notes/")
        expect(page.locator("h1")).to_have_text(f"Notes on {CLIENT_NAME}")
        main.get_by_label("New note").fill("Shared shop mailbox: no second step yet.")
        submit(page, main.locator("form"))
        expect(main.locator("article.card")).to_contain_text("Shared shop mailbox")
        look(page, "advisor-09-notes")
        page.goto("/advisor/branding/")
        main.get_by_label("Name on your reports").fill(BRAND)
        submit(page, main.locator("form"))
        expect(main.get_by_text("Your branding is saved.")).to_be_visible()
        look(page, "advisor-10-branding")
        page.goto(f"/b/{business_id}/reviews/{review_id}/result/")
        look(page, "advisor-11-result")
        with page.expect_download() as download:
            main.get_by_role("link", name="Download the report (PDF)").click()
        with open(download.value.path(), "rb") as handle:
            pdf = handle.read()
        assert pdf.startswith(b"%PDF-")
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        assert BRAND in " ".join(text.split()), text[:500]

        # The advisor withdraws the link: the client's next request is refused.
        page.goto(f"/b/{business_id}/magic-links/")
        with page.expect_navigation():
            main.get_by_role("button", name=re.compile("^Withdraw")).click()
        expect(main.get_by_text("The link no longer works.")).to_be_visible()
        expect(main.locator(".badge", has_text="withdrawn")).to_be_visible()
        look(page, "advisor-12-links-withdrawn")
        client.goto(f"/b/{business_id}/reviews/{review_id}/result/")
        assert "/accounts/sign-in/" in client.url, client.url
        response = client.goto(token_path)
        assert response.status == 404
        # Chromium logs the page's own 404 as a console error: expected here.
        problems = page_problems(client)
        problems[:] = [p for p in problems if token_path not in p]
        expect(client.locator("h1")).to_have_text("This link does not work")
        look(client, "client-04-link-withdrawn")
