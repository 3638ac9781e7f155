"""The result page and the report downloads (reviews/views_assessment.py): the lab florist's
answers in the database give exactly the CLI's result, with and without its scan; the page
shows the report model's score, charts, actions, areas, frameworks, findings, conflicts and
unknowns; the PDF and HTML downloads; who may see them."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from typer.testing import CliRunner

from cyberbasics.assess.answers import read_answers
from cyberbasics.assess.catalogue import load_catalogue
from cyberbasics.cli.main import app as main_app
from cyberbasics.report.review_model import review_texts
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import Domain
from cyberbasics.web.programmes.models import AdvisorBranding
from cyberbasics.web.reviews.models import Answer, Review, Scan

from .test_assessment import as_client, url, world_fixture  # noqa: F401  (the `w` fixture)

pytestmark = pytest.mark.django_db

runner = CliRunner()
FLORIST = Path(str(resources.files("cyberbasics.lab").joinpath("answers/florist.yaml")))


def cli_result(*extra: str) -> dict:
    done = runner.invoke(main_app, ["assess", "--answers", str(FLORIST), "--format", "json",
                                    *extra])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def load_florist(review: Review) -> None:
    """The florist's answers file as the web stores it: the business's name, country and
    domains on the business, the rest of the profile on the review, one row per answer."""
    read = read_answers(FLORIST, load_catalogue())
    assert read.problems == ()
    facts = dict(read.business)
    business = review.business
    business.name, business.country = facts.pop("name"), facts.pop("country")
    business.save()
    for domain in facts.pop("domains"):
        Domain.objects.create(business=business, name=domain)
    review.profile = facts
    review.save()
    Answer.objects.bulk_create(Answer(review=review, question=a.question, option=a.option,
                                      source=a.source, note=a.note or "")
                               for a in read.answers.values())


@pytest.fixture(scope="session", name="florist_scan")
def florist_scan_fixture(world, tmp_path_factory):
    path = tmp_path_factory.mktemp("web-result") / "scan.json"
    done = runner.invoke(main_app, ["scan", "florist.example", "--format", "json", "-o",
                                    str(path), *world.scan_arguments()])
    assert done.exit_code == 0, done.output
    return path


def attach_scan(review: Review, path: Path) -> Scan:
    return Scan.objects.create(business=review.business, review=review,
                               domains=["florist.example"], status=Scan.Status.DONE,
                               result=json.loads(path.read_text()),
                               finished_at=timezone.now())


# --- the same numbers as the CLI -------------------------------------------------------------

def test_the_florist_in_the_browser_scores_exactly_as_the_cli(client, w):
    load_florist(w.review)
    client.force_login(w.owner)
    expected = cli_result()
    assert expected["overall"]["score"] == 44  # the lab florist, as the CLI says it

    page = client.get(url("result", w.review)).content.decode()
    assert "44 of 100:" in page
    assert "This review is not finished." in page
    client.post(url("finish", w.review))
    w.review.refresh_from_db()
    assert w.review.result == expected  # the whole cyberbasics.result/1 document

    page = client.get(url("result", w.review)).content.decode()
    assert "This review is not finished." not in page
    assert "44 of 100:" in page
    for area in expected["areas"]:
        row = re.search(rf'<tr id="area-answers-{area["id"]}">(.*?)</tr>', page, re.S).group(1)
        assert f'<span class="value">{area["score"]}</span>' in row


def test_with_its_scan_the_florist_still_matches_the_cli(client, w, florist_scan):
    load_florist(w.review)
    attach_scan(w.review, florist_scan)
    client.force_login(w.owner)
    client.post(url("finish", w.review))
    w.review.refresh_from_db()
    assert w.review.result == cli_result("--scan", str(florist_scan))
    assert w.review.result["scan"]["domains"] == ["florist.example"]

    page = client.get(url("result", w.review)).content.decode()
    words = review_texts("en")
    # the conflict between the florist's answer and the scan, and the findings with their
    # technical detail one click away
    assert escape(" ".join(words["conflicts_heading"].split())) in page
    assert 'id="conflicts"' in page
    findings = page[page.index('id="findings"'):]
    assert findings.count('class="card finding"') == len(
        json.loads(florist_scan.read_text())["results"][0]["findings"])
    assert "<summary>Technical detail</summary>" in findings and "<pre>" in findings
    assert 'id="area-scan-email"' in page
    # a scan finished after the review does not change its result
    later = attach_scan(w.review, florist_scan)
    later.result = {**later.result, "results": []}
    later.save()
    assert client.get(url("result", w.review)).content.decode().count(
        'class="card finding"') == findings.count('class="card finding"')


def test_the_page_shows_the_report_and_keeps_to_the_content_security_policy(client, w):
    load_florist(w.review)
    client.force_login(w.owner)
    response = client.get(url("result", w.review))
    page = response.content.decode()
    words = review_texts("en")
    for key in ("result_heading", "first_heading", "areas_heading", "frameworks_heading",
                "unknown_heading"):
        assert escape(" ".join(words[key].split())) in page, key
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert "Turn on two-step login for every email account" in page  # the first action
    assert 'id="framework-cyber_essentials"' in page or 'class="card framework"' in page
    assert len(re.findall(r'<li class="card(?: critical)?">\s*<h3>', page)) == 5
    # nothing the policy would block: no style attribute, no inline script or handler
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"<style", page)
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))
    assert not re.search(r"\son[a-z]+=", page)
    assert len(re.findall(r"<h1[\s>]", page)) == 1


def test_the_result_follows_the_language(client, w):
    load_florist(w.review)
    client.force_login(w.owner)
    page = client.get(url("result", w.review), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    polish = review_texts("pl")
    assert escape(" ".join(polish["first_heading"].split())) in page
    assert '<html lang="pl">' in page


def test_a_finished_result_is_built_once_per_language_and_an_open_one_every_time(
        client, w, monkeypatch):
    from django.core.cache import cache

    from cyberbasics.web.reviews import assessment

    cache.clear()
    built = []
    real = assessment.review_report

    def counting(review, language, **kwargs):
        built.append(language)
        return real(review, language, **kwargs)

    monkeypatch.setattr(assessment, "review_report", counting)
    load_florist(w.review)
    client.force_login(w.owner)
    client.get(url("result", w.review))
    client.get(url("result", w.review))
    assert built == ["en", "en"]  # open: the answers may still change
    client.post(url("finish", w.review))
    built.clear()
    english = client.get(url("result", w.review)).content.decode()
    again = client.get(url("result", w.review)).content.decode()
    polish = client.get(url("result", w.review), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert built == ["en", "pl"]
    def body(page: str) -> str:  # the CSRF token in the frame differs on every response
        return page[page.index('<section id="result"'):page.index("</main>")]

    assert body(english) == body(again) and "44 of 100:" in again
    assert escape(" ".join(review_texts("pl")["first_heading"].split())) in polish
    assert escape(" ".join(review_texts("pl")["first_heading"].split())) not in english


def test_a_review_without_answers_still_shows_its_state(client, w):
    client.force_login(w.owner)
    response = client.get(url("result", w.review))
    assert response.status_code == 200
    assert "This review is not finished." in response.content.decode()


# --- who may see it --------------------------------------------------------------------------

RESULT_PAGES = ["result", "report-html"]


@pytest.mark.parametrize("name", RESULT_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, w, name):
    response = client.get(url(name, w.review))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


@pytest.mark.parametrize("name", [*RESULT_PAGES, "report-pdf"])
def test_another_business_and_staff_get_404(client, w, name):
    client.force_login(w.other_owner)
    assert client.get(url(name, w.review)).status_code == 404
    client.force_login(w.staff)
    assert client.get(url(name, w.review)).status_code == 404
    assert not AuditEvent.objects.filter(action="report.downloaded").exists()


@pytest.mark.parametrize("name", RESULT_PAGES)
def test_owner_advisor_and_magic_link_client_see_it(client, w, name):
    load_florist(w.review)
    for login in (w.owner, w.advisor):
        client.force_login(login)
        assert client.get(url(name, w.review)).status_code == 200
    client.logout()
    assert as_client(client, w).get(url(name, w.review)).status_code == 200


# --- the downloads ---------------------------------------------------------------------------

def test_the_pdf_is_a_pdf_attachment_and_is_logged(client, w):
    load_florist(w.review)
    client.logout()
    response = as_client(client, w).get(url("report-pdf", w.review))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    today = timezone.localdate().isoformat()
    assert disposition == (f'attachment; filename="cyber-basics-review-fleur-co-lab-{today}'
                           '.pdf"')
    event = AuditEvent.objects.get(action="report.downloaded")
    assert event.business == w.business and event.detail["format"] == "pdf"


def test_an_advisor_gets_the_report_in_their_branding(client, w):
    load_florist(w.review)
    AdvisorBranding.objects.create(advisor=w.advisor, name="Safe Shops Advice")
    client.force_login(w.owner)
    owners = client.get(url("report-html", w.review))
    assert owners.headers["Content-Disposition"].startswith("attachment;")
    assert "Safe Shops Advice" not in owners.content.decode()
    client.force_login(w.advisor)
    advisors = client.get(url("report-html", w.review)).content.decode()
    assert "Prepared by Safe Shops Advice" in advisors
    assert AuditEvent.objects.filter(action="report.downloaded",
                                     detail__branded=True).count() == 1


def test_a_broken_logo_leaves_the_name(client, w):
    AdvisorBranding.objects.create(advisor=w.advisor, name="Safe Shops Advice",
                                   logo_png=b"not a png")
    client.force_login(w.advisor)
    page = client.get(url("report-html", w.review)).content.decode()
    assert "Prepared by Safe Shops Advice" in page and "data:image/png" not in page


def test_what_changed_compares_finished_reviews_only(client, w):
    load_florist(w.review)
    client.force_login(w.owner)
    client.post(url("finish", w.review))
    second = Review.objects.create(business=w.review.business,
                                   catalogue_version=w.review.catalogue_version,
                                   profile=w.review.profile)
    for answer in w.review.answers.all()[:5]:  # five answers so far: the rest count as gaps
        Answer.objects.create(review=second, question=answer.question, option=answer.option)
    page = client.get(url("result", second)).content.decode()
    assert "This review is not finished." in page and 'id="change"' not in page
    for answer in w.review.answers.all()[5:]:
        Answer.objects.create(review=second, question=answer.question, option=answer.option)
    client.post(url("finish", second))
    assert 'id="change"' in client.get(url("result", second)).content.decode()
