"""The self-assessment in the browser (reviews/views_assessment.py): the profile, one question a
screen with "I don't know" and its helper, saving at once (plain POST and htmx), resuming,
applies_if, the overview, the advisor's check, finishing, and who may see what."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cyberbasics.assess.catalogue import load_catalogue
from cyberbasics.assess.review import catalogue_words, to_result_json
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import AdvisorAccess, Business, MagicLink, Membership
from cyberbasics.web.businesses.selectors import MAGIC_SESSION_KEY
from cyberbasics.web.reviews.core import core_review
from cyberbasics.web.reviews.models import Answer, Review
from cyberbasics.web.reviews.services import start_review

pytestmark = pytest.mark.django_db

CATALOGUE = load_catalogue()
# A shop of three on Microsoft 365 and Windows, no NAS: what the profile form posts.
PROFILE = {"size": "3", "platforms": ["microsoft365", "windows"], "premises": "shop",
           "card_payments": "yes", "own_website": "yes", "nas": "no", "it_provider": "no"}
FIRST = CATALOGUE.questions[0]  # backups.regular


@dataclass
class World:
    business: Business
    other: Business
    review: Review
    owner: object
    other_owner: object
    staff: object
    advisor: object
    magic_link: MagicLink


def make_user(django_user_model, email):
    return django_user_model.objects.create_user(email, None)  # force_login: no hashing


@pytest.fixture(name="w")
def world_fixture(django_user_model):
    owner = make_user(django_user_model, "owner@shop.example")
    other_owner = make_user(django_user_model, "owner@elsewhere.example")
    staff = make_user(django_user_model, "staff@shop.example")
    advisor = make_user(django_user_model, "advisor@help.example")
    business = Business.objects.create(name="Fleur & Co", country="RO")
    other = Business.objects.create(name="Elsewhere Ltd", country="PL")
    Membership.objects.create(business=business, user=owner, role="owner")
    Membership.objects.create(business=business, user=staff, role="staff")
    Membership.objects.create(business=other, user=other_owner, role="owner")
    # An advisor through the owner's consent only (no programme role, so no second factor).
    AdvisorAccess.objects.create(business=business, advisor=advisor, consent="by e-mail")
    link = MagicLink.objects.create(business=business, token_hash="0" * 64, created_by=advisor,
                                    expires_at=timezone.now() + dt.timedelta(days=7))
    review = start_review(business, user=owner)
    return World(business, other, review, owner, other_owner, staff, advisor, link)


def url(name, review, **kwargs):
    return reverse(f"assessment:{name}", kwargs={"business_id": review.business_id,
                                                 "review_id": review.pk, **kwargs})


def question_url(review, question_id, **params):
    address = url("question", review, question_id=question_id)
    return address + ("?from=overview" if params.get("overview") else "")


def as_client(client, w):
    session = client.session
    session[MAGIC_SESSION_KEY] = w.magic_link.pk
    session.save()
    return client


def answer(review, question_id, option, source="self"):
    return Answer.objects.update_or_create(review=review, question=question_id,
                                           defaults={"option": option, "source": source})[0]


def save_profile(client, review, **changes):
    data = {**PROFILE, **changes}
    return client.post(url("profile", review), {k: v for k, v in data.items() if v is not None})


PAGES = ["questions", "profile", "overview", "question"]


def page_url(name, review):
    return question_url(review, FIRST.id) if name == "question" else url(name, review)


# --- who may see what ------------------------------------------------------------------------

@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, w, name):
    response = client.get(page_url(name, w.review))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


@pytest.mark.parametrize("name", PAGES)
def test_another_business_and_staff_get_404(client, w, name):
    client.force_login(w.other_owner)
    assert client.get(page_url(name, w.review)).status_code == 404
    client.force_login(w.staff)
    assert client.get(page_url(name, w.review)).status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_owner_advisor_and_magic_link_client_may_answer(client, w, name):
    for login in (w.owner, w.advisor):
        client.force_login(login)
        assert client.get(page_url(name, w.review)).status_code == 200
    client.logout()
    assert as_client(client, w).get(page_url(name, w.review)).status_code == 200


def test_a_review_of_another_business_is_not_found_through_ones_own(client, w):
    their_review = start_review(w.other, user=w.other_owner)
    client.force_login(w.owner)
    mixed = reverse("assessment:overview", kwargs={"business_id": w.business.pk,
                                                   "review_id": their_review.pk})
    assert client.get(mixed).status_code == 404
    assert client.post(url("finish", their_review)).status_code == 404
    their_review.refresh_from_db()
    assert not their_review.completed


def test_posting_needs_the_same_access(client, w):
    assert client.post(question_url(w.review, FIRST.id), {"option": "no"}).status_code == 302
    client.force_login(w.other_owner)
    assert client.post(question_url(w.review, FIRST.id), {"option": "no"}).status_code == 404
    assert client.post(url("finish", w.review)).status_code == 404
    assert not Answer.objects.exists()
    w.review.refresh_from_db()
    assert not w.review.completed


def test_start_opens_a_review_once(client, w):
    start = reverse("assessment:start", kwargs={"business_id": w.business.pk})
    client.force_login(w.other_owner)
    assert client.post(start).status_code == 404
    client.force_login(w.owner)
    response = client.post(start)
    assert response.headers["Location"] == url("questions", w.review)
    assert Review.objects.filter(business=w.business).count() == 1


# --- the questionnaire -----------------------------------------------------------------------

def test_profile_is_prefilled_and_saved_into_the_review(client, w):
    w.review.profile = {"size": 4, "nas": True, "sector": "retail"}
    w.review.save()
    client.force_login(w.owner)
    page = client.get(url("profile", w.review)).content.decode()
    assert 'name="size"' in page and 'value="4"' in page
    assert re.search(r'<input type="radio" name="nas" value="yes"[^>]*checked', page)
    assert "How many people work in the business, you included?" in page
    response = save_profile(client, w.review)
    assert response.status_code == 302
    w.review.refresh_from_db()
    assert w.review.profile == {"sector": "retail", "size": 3,
                                "platforms": ["microsoft365", "windows"], "premises": "shop",
                                "card_payments": True, "own_website": True, "nas": False,
                                "it_provider": False}


def test_a_field_left_out_stays_missing_and_a_bad_number_is_refused(client, w):
    client.force_login(w.owner)
    save_profile(client, w.review, platforms=None, premises=None)
    w.review.refresh_from_db()
    assert "platforms" not in w.review.profile and "premises" not in w.review.profile
    response = save_profile(client, w.review, size="none")
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    w.review.refresh_from_db()
    assert w.review.profile["size"] == 3


def test_the_whole_journey_profile_questions_resume_overview_finish(client, w):
    client.force_login(w.owner)
    landing = client.get(url("questions", w.review)).content.decode()
    assert url("profile", w.review) in landing
    assert "Start with your business profile" in landing

    response = save_profile(client, w.review)
    assert response.headers["Location"] == question_url(w.review, FIRST.id)

    page = client.get(question_url(w.review, FIRST.id)).content.decode()
    assert '<ul class="choices">' in page
    assert "<progress" in page
    total = int(re.search(r"1 of (\d+)</strong>", page).group(1))
    assert total < len(CATALOGUE.questions)  # no NAS: its questions are not counted
    assert re.search(r"about \d+ minutes left", page)
    for option in FIRST.options:
        assert f'value="{option.id}"' in page
    assert escape(catalogue_words("en")["option.dont_know"]["text"]) in page

    response = client.post(question_url(w.review, FIRST.id),
                           {"option": "automatic_daily", "go": "next"})
    second = CATALOGUE.questions[1]
    assert response.headers["Location"] == question_url(w.review, second.id)
    assert Answer.objects.get(review=w.review, question=FIRST.id).option == "automatic_daily"
    assert client.get(question_url(w.review, second.id)).content.decode().count(
        f"2 of {total}</strong>") == 1

    # Back saves what was picked and goes to the question before.
    response = client.post(question_url(w.review, second.id), {"option": "yes", "go": "back"})
    assert response.headers["Location"] == question_url(w.review, FIRST.id)
    assert Answer.objects.get(review=w.review, question=second.id).option == "yes"
    # The previous answer is shown when going back.
    assert re.search(r'value="automatic_daily" checked',
                     client.get(question_url(w.review, FIRST.id)).content.decode())

    # A new session (a closed browser) carries on at the first question not answered.
    client.logout()
    client.force_login(w.owner)
    landing = client.get(url("questions", w.review)).content.decode()
    assert "Continue where you stopped" in landing
    assert question_url(w.review, CATALOGUE.questions[2].id) in landing
    assert f"2 of {total} answered" in landing

    overview = client.get(url("overview", w.review)).content.decode()
    assert "Back up your" not in overview  # actions are in the result, not here
    assert question_url(w.review, FIRST.id, overview=True) in overview
    assert f"{total - 2} questions are not answered yet" in overview

    response = client.post(url("finish", w.review))
    assert response.headers["Location"] == url("result", w.review)
    w.review.refresh_from_db()
    assert w.review.completed
    assert w.review.result == to_result_json(core_review(w.review, "en"))
    assert AuditEvent.objects.filter(action="review.completed", business=w.business).count() == 1


def test_saving_nothing_skips_and_the_last_question_leads_to_the_overview(client, w):
    client.force_login(w.owner)
    save_profile(client, w.review)
    response = client.post(question_url(w.review, FIRST.id), {"go": "next"})
    assert response.headers["Location"] == question_url(w.review, CATALOGUE.questions[1].id)
    assert not Answer.objects.exists()
    last = CATALOGUE.questions[-1]
    response = client.post(question_url(w.review, last.id), {"option": last.options[0].id})
    assert response.headers["Location"] == url("overview", w.review)


def test_an_option_the_question_does_not_have_is_refused(client, w):
    client.force_login(w.owner)
    response = client.post(question_url(w.review, FIRST.id), {"option": "maybe"})
    assert response.status_code == 400
    assert not Answer.objects.exists()
    assert client.get(question_url(w.review, "no.such_question")).status_code == 404


def test_with_htmx_an_answer_is_saved_at_once_and_says_so(client, w):
    client.force_login(w.owner)
    response = client.post(question_url(w.review, FIRST.id), {"option": "no"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "Saved" in fragment and "<html" not in fragment
    # the progress is brought up to date out of band
    assert re.search(r'id="quiz-progress" hx-swap-oob="true"', fragment)
    assert re.search(r'<progress[^>]*value="1"', fragment)
    assert Answer.objects.get(review=w.review, question=FIRST.id).option == "no"
    # the page wires it: a change posts the form, the status region is announced
    page = client.get(question_url(w.review, FIRST.id)).content.decode()
    assert 'hx-post="' + question_url(w.review, FIRST.id) + '"' in page
    assert 'hx-trigger="change"' in page
    assert re.search(r'id="save-status"[^>]*aria-live="polite"', page)


def test_i_dont_know_has_its_helper_for_the_business_platforms(client, w):
    client.force_login(w.owner)
    save_profile(client, w.review)  # Microsoft 365 and Windows
    page = client.get(question_url(w.review, FIRST.id)).content.decode()
    helpers = catalogue_words("en")[f"question.{FIRST.id}"]["how_to_find_out"]
    text = {p: " ".join(t.split()) for p, t in helpers.items()}
    details = page[page.index("<details"):page.index("</details>")]
    assert "How to find out (Microsoft 365)" in details
    assert escape(text["microsoft365"]) in details
    assert escape(text["windows"]) in details
    assert "Google Workspace" not in details and "(Mac)" not in details
    assert escape(catalogue_words("en")["option.dont_know"]["text"]) in page


def test_the_helpers_follow_the_language(client, w):
    client.force_login(w.owner)
    save_profile(client, w.review)
    page = client.get(question_url(w.review, FIRST.id), HTTP_ACCEPT_LANGUAGE="pl")
    text = page.content.decode()
    polish = catalogue_words("pl")[f"question.{FIRST.id}"]["text"]
    assert escape(" ".join(polish.split())) in text
    assert escape(catalogue_words("pl")["option.dont_know"]["text"]) in text


def test_applies_if_hides_questions_and_keeps_their_answers(client, w):
    nas_question = "devices.nas_updates"
    client.force_login(w.owner)
    save_profile(client, w.review, nas="yes")
    assert client.get(question_url(w.review, nas_question)).status_code == 200
    client.post(question_url(w.review, nas_question), {"option": "never"})
    assert nas_question in client.get(url("overview", w.review)).content.decode()

    save_profile(client, w.review, nas="no")
    overview = client.get(url("overview", w.review)).content.decode()
    assert f'id="q-{nas_question}"' not in overview
    response = client.get(question_url(w.review, nas_question))
    assert response.status_code == 302 and response.headers["Location"] == url("overview",
                                                                                w.review)
    # kept, but neither shown nor scored
    assert Answer.objects.filter(review=w.review, question=nas_question).exists()
    w.review.refresh_from_db()
    assert nas_question not in core_review(w.review, "en").assessment.asked
    save_profile(client, w.review, nas="yes")
    assert re.search(r'id="q-devices.nas_updates"', client.get(url("overview", w.review))
                     .content.decode())


def test_an_earlier_answer_can_rule_a_question_out(client, w):
    client.force_login(w.owner)
    save_profile(client, w.review)
    client.post(question_url(w.review, FIRST.id), {"option": "no"})
    # "not answer.backups.regular is no": the offline copy is not asked, and next skips it
    response = client.post(question_url(w.review, FIRST.id), {"option": "no"})
    assert response.headers["Location"] == question_url(w.review, "devices.supported")
    assert client.get(question_url(w.review, "backups.offline")).status_code == 302


# --- the advisor's check ---------------------------------------------------------------------

def test_only_an_advisor_marks_an_answer_as_checked(client, w):
    answer(w.review, FIRST.id, "no")
    check = url("checked", w.review, question_id=FIRST.id)
    client.force_login(w.owner)
    assert client.post(check, {"checked": "1"}).status_code == 404
    assert "Mark as checked by the advisor" not in client.get(url("overview", w.review)) \
        .content.decode()
    client.logout()
    assert as_client(client, w).post(check, {"checked": "1"}).status_code == 404
    assert Answer.objects.get(question=FIRST.id).source == "self"

    client.force_login(w.advisor)
    overview = client.get(url("overview", w.review)).content.decode()
    assert "Mark as checked by the advisor" in overview and f'action="{check}"' in overview
    response = client.post(check, {"checked": "1"})
    assert response.status_code == 302
    assert Answer.objects.get(question=FIRST.id).source == "advisor"
    assert "Remove the advisor's check" in client.get(url("overview", w.review)) \
        .content.decode()
    assert AuditEvent.objects.filter(action="answer.checked").count() == 1
    client.post(check, {"checked": "0"})
    assert Answer.objects.get(question=FIRST.id).source == "self"
    # nothing to check on an unanswered question
    assert client.post(url("checked", w.review, question_id="backups.offline"),
                       {"checked": "1"}).status_code == 404


def test_changing_an_answer_drops_the_advisors_check(client, w):
    answer(w.review, FIRST.id, "no", source="advisor")
    client.force_login(w.owner)
    client.post(question_url(w.review, FIRST.id), {"option": "no"})
    assert Answer.objects.get(question=FIRST.id).source == "advisor"  # the same answer
    client.post(question_url(w.review, FIRST.id), {"option": "automatic_daily"})
    row = Answer.objects.get(question=FIRST.id)
    assert (row.option, row.source, row.answered_by) == ("automatic_daily", "self", w.owner)


# --- a finished review is read-only ----------------------------------------------------------

def test_a_finished_review_cannot_change(client, w):
    answer(w.review, FIRST.id, "no")
    client.force_login(w.owner)
    client.post(url("finish", w.review))
    w.review.refresh_from_db()
    finished_at, result = w.review.completed_at, w.review.result

    response = client.post(question_url(w.review, FIRST.id), {"option": "automatic_daily"})
    assert response.status_code == 302 and response.headers["Location"] == url("result",
                                                                                w.review)
    response = client.post(question_url(w.review, FIRST.id), {"option": "automatic_daily"},
                           HTTP_HX_REQUEST="true")
    assert "finished" in response.content.decode()
    save_profile(client, w.review, size="9")
    client.force_login(w.advisor)
    client.post(url("checked", w.review, question_id=FIRST.id), {"checked": "1"})
    assert client.post(url("finish", w.review)).status_code == 302

    row = Answer.objects.get(question=FIRST.id)
    assert (row.option, row.source) == ("no", "self")
    w.review.refresh_from_db()
    assert w.review.profile.get("size") != 9
    assert (w.review.completed_at, w.review.result) == (finished_at, result)
    assert AuditEvent.objects.filter(action="review.completed").count() == 1
    # the pages still show it, read-only
    overview = client.get(url("overview", w.review)).content.decode()
    assert "Finish the review" not in overview and "?from=overview" not in overview
    assert client.get(question_url(w.review, FIRST.id)).headers["Location"] == \
        url("overview", w.review)


def test_a_programme_advisor_works_after_the_second_factor(client, w):
    from cyberbasics.web.accounts.testing import sign_in_with_second_factor
    from cyberbasics.web.programmes.models import Programme, ProgrammeRole

    programme = Programme.objects.create(name="Shops Safe", country="RO")
    ProgrammeRole.objects.create(programme=programme, user=w.advisor, role="advisor")
    answer(w.review, FIRST.id, "no")
    check = url("checked", w.review, question_id=FIRST.id)
    client.force_login(w.advisor)  # no second factor yet: sent to it, nothing changes
    assert client.post(check, {"checked": "1"}).status_code == 302
    assert Answer.objects.get(question=FIRST.id).source == "self"
    sign_in_with_second_factor(client, w.advisor)
    assert client.get(url("overview", w.review)).status_code == 200
    client.post(check, {"checked": "1"})
    assert Answer.objects.get(question=FIRST.id).source == "advisor"
