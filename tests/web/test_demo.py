"""The demo data of `make run`: lab only, idempotent, real scans and answers, and a sign-in
sheet whose every account works as printed."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.utils import timezone

from cyberbasics.assess.answers import parse_answers
from cyberbasics.assess.catalogue import load_catalogue
from cyberbasics.assess.scoring import applicable_questions
from cyberbasics.lab.world import demo_businesses
from cyberbasics.web import demo
from cyberbasics.web.accounts.models import User
from cyberbasics.web.businesses.models import AdvisorAccess, Business, Domain, Membership
from cyberbasics.web.businesses.selectors import businesses_for
from cyberbasics.web.programmes.models import Programme, ProgrammeRole
from cyberbasics.web.reviews.models import ActionItem, Answer, Review, Scan
from cyberbasics.web.scanning import write_lab_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab_state(world, tmp_path, settings):
    settings.CYBERBASICS_LAB_STATE = str(write_lab_state(world, tmp_path / "lab-state.json"))
    return settings.CYBERBASICS_LAB_STATE


@pytest.fixture
def no_lab(settings):
    settings.CYBERBASICS_LAB_STATE = ""


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Programme, ProgrammeRole, User, Business, Domain, Membership, AdvisorAccess, Review,
        Answer, Scan, ActionItem)}


def test_refuses_outside_the_lab(monkeypatch, no_lab):
    monkeypatch.delenv("CYBERBASICS_LAB", raising=False)
    with pytest.raises(demo.DemoRefused, match="lab only"):
        demo.seed_demo()
    monkeypatch.setenv("CYBERBASICS_LAB", "0")
    with pytest.raises(demo.DemoRefused):
        demo.seed_demo()
    assert not User.objects.exists() and not Business.objects.exists()


def test_the_demo_world(lab_state, capsys):
    assert demo.seed_demo()["added"] == 5
    programme = Programme.objects.get()
    assert programme.name.endswith("(lab)") and programme.country == "RO"
    # Every account signs in with the documented password; the programme's people have a
    # confirmed second factor with their published secret.
    hashes = {user.password for user in User.objects.all()}
    assert User.objects.count() == len(demo.ACCOUNTS) and len(hashes) == 1
    assert User.objects.first().check_password(demo.DEMO_PASSWORD)
    for account in demo.ACCOUNTS:
        user = User.objects.get(email=account.email)
        assert user.name.endswith("(lab)")
        assert user.has_second_factor == bool(account.totp_secret)
        if account.totp_secret:
            assert user.totp_secret == account.totp_secret
            assert ProgrammeRole.objects.filter(programme=programme, user=user,
                                                role=account.role).exists()
    # The businesses are the lab's, each with its owner (the florist with a staff member).
    lab_domains = sorted(b.domain for b in demo_businesses())
    assert sorted(Domain.objects.values_list("name", flat=True)) == lab_domains
    assert all(b.name.endswith("(lab)") and b.programme == programme
               for b in Business.objects.all())
    assert Membership.objects.filter(role="owner").count() == 5
    florist = Business.objects.get(domains__name="florist.example")
    assert florist.memberships.get(role="staff").user.email == "staff@florist.example"
    ana = User.objects.get(email="ana.advisor@lab-county.example")
    assert sorted(b.domains.get().name for b in businesses_for(ana)) == [
        "florist.example", "plumber.example"]
    assert Domain.objects.filter(verified_at__isnull=False).count() == 3

    # The florist's finished review carries the lab's answers file, as it is.
    cat = load_catalogue()
    text = (demo.resources.files("cyberbasics.lab") / "answers" / "florist.yaml").read_text()
    expected = parse_answers(text, cat)
    finished = florist.reviews.get(completed_at__isnull=False)
    stored = {a.question: (a.option, a.source) for a in finished.answers.all()}
    options = {q: a.option for q, a in expected.answers.items()}
    asked = {q.id for q in applicable_questions(cat, florist.profile, options)}
    assert stored == {q: (a.option, a.source) for q, a in expected.answers.items()
                      if q in asked}
    assert florist.profile["size"] == 3 and florist.name == expected.business["name"]

    # Finished reviews are scored with their outside view; open ones are partly answered.
    for review in Review.objects.filter(completed_at__isnull=False):
        assert review.result["schema"] == "cyberbasics.result/1"
        assert isinstance(review.result["overall"]["score"], int)
        assert review.completed_at < timezone.now() - dt.timedelta(days=1)
    for review in Review.objects.filter(completed_at__isnull=True):
        assert review.result is None
        assert 0 < review.answers.count() < len(cat.questions)
    assert Review.objects.filter(completed_at__isnull=True).count() == 3
    assert florist.reviews.first().completed_at is None  # the re-review, started after
    # The bakery's history: an older review scored lower.
    older, newer = Business.objects.get(domains__name="bakery.example").reviews.order_by(
        "created_at")
    assert older.result["overall"]["score"] < newer.result["overall"]["score"]

    # Scans are real ones, run against the lab: the same findings a scan gives now.
    assert not Scan.objects.exclude(status=Scan.Status.DONE).exists()
    for scan in Scan.objects.all():
        assert scan.result["schema"] == "cyberbasics.scan/1"
        (result,) = scan.result["results"]
        assert result["domain"] == scan.domains[0] and result["findings"]
        assert set(scan.progress.values()) == {"done"}
    plumber = Scan.objects.get(business__domains__name="plumber.example")
    assert plumber.mode == Scan.Mode.ACTIVE and plumber.review.completed_at is None
    florist_scan = finished.scans.get().result["results"][0]
    dmarc = next(f for f in florist_scan["findings"] if f["check"] == "email.dmarc.policy")
    assert dmarc["status"] in ("warn", "fail")  # monitoring-only DMARC, as the lab's story
    assert finished.result["scan"]["domains"] == ["florist.example"]

    # The plans are in progress: done, doing, overdue, and some in the staff member's hands.
    today = timezone.localdate()
    items = ActionItem.objects.filter(business=florist)
    assert items.filter(status="done").exists() or items.filter(status="verified").exists()
    assert items.filter(status="doing").exists()
    overdue = items.filter(status__in=("todo", "doing"), due_date__lt=today)
    assert overdue.exists()
    assert items.filter(assignee__email="staff@florist.example").count() == 3
    assert ActionItem.objects.filter(business__domains__name="plumber.example").count() == 0
    assert "added 5 businesses" in capsys.readouterr().out


def test_seeding_twice_adds_nothing_and_restores_the_credentials(lab_state):
    demo.seed_demo()
    before = counts()
    owner = User.objects.get(email="owner@florist.example")
    owner.set_password("changed-while-playing")
    owner.save()
    advisor = User.objects.get(email="ana.advisor@lab-county.example")
    advisor.totp_secret = pyotp.random_base32()
    advisor.save()
    assert demo.seed_demo()["added"] == 0
    assert counts() == before
    owner.refresh_from_db()
    advisor.refresh_from_db()
    assert owner.check_password(demo.DEMO_PASSWORD)
    assert advisor.totp_secret == demo.account(advisor.email).totp_secret


def test_a_business_deleted_while_playing_comes_back(lab_state):
    demo.seed_demo()
    before = counts()
    Business.objects.get(domains__name="parked.example").delete()
    assert demo.seed_demo()["added"] == 1
    assert counts() == before


def test_without_a_lab_the_scans_wait_for_the_worker(no_lab, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        demo.seed_demo()
    scans = Scan.objects.all()
    assert scans and all(s.status == Scan.Status.QUEUED and s.result is None for s in scans)
    assert all(s.task_id for s in scans)
    assert DBTaskResult.objects.filter(status="READY").count() >= scans.count()
    # The finished reviews say honestly that they had no outside view.
    assert all(r.result["scan"] is None
               for r in Review.objects.filter(completed_at__isnull=False))


def test_the_sign_in_sheet():
    sheet = demo.describe("http://127.0.0.1:8123/")
    assert demo.DEMO_PASSWORD in sheet
    for account in demo.ACCOUNTS:
        assert account.email in sheet
        if account.totp_secret:
            assert account.totp_secret in sheet and account.otpauth_uri() in sheet
            base64.b32decode(account.totp_secret)  # a valid secret, as apps take it
            query = parse_qs(urlsplit(account.otpauth_uri()).query)
            assert query["secret"] == [account.totp_secret]
            assert "(lab)" in query["issuer"][0]
    for business in demo_businesses():
        assert business.domain in sheet and business.story in sheet
    assert "http://127.0.0.1:8123/accounts/sign-up/" in sheet
    assert "http://127.0.0.1:8123/help/" in sheet and "http://127.0.0.1:8123/email-check/" in sheet


def test_every_demo_page_opens(lab_state, client):
    """What `make run` invites people to try renders with the demo data, for each role."""
    from django.urls import reverse

    from cyberbasics.web.accounts.two_factor import PASSED_KEY

    demo.seed_demo()

    def sign_in(email: str) -> None:
        user = User.objects.get(email=email)
        client.force_login(user)
        if user.has_second_factor:  # as the sign-in's second step leaves the session
            session = client.session
            session[PASSED_KEY] = user.pk
            session.save()

    def opens(url: str) -> None:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert b"(lab)" in response.content, url

    for account in demo.ACCOUNTS:
        if account.role != demo.OWNER:
            continue
        sign_in(account.email)
        business = Business.objects.get(domains__name=account.domain)
        opens(reverse("businesses:home"))
        for name in ("businesses:detail", "plan:plan", "plan:history", "scans:list",
                     "incidents:list"):
            opens(reverse(name, args=[business.pk]))
        for incident in business.incidents.all():
            page = client.get(reverse("incidents:detail", args=[business.pk, incident.pk]))
            assert page.status_code == 200 and b"(lab)" in page.content
            assert b'data-ok="true"' in page.content and incident.log.entries.count() == 3
        for review in business.reviews.all():
            name = "assessment:result" if review.completed else "assessment:questions"
            opens(reverse(name, args=[business.pk, review.pk]))
        for scan in business.scans.all():
            opens(reverse("scans:detail", args=[business.pk, scan.pk]))
    sign_in("staff@florist.example")
    page = client.get(reverse("plan:my-actions"))
    assert page.status_code == 200
    sign_in("ana.advisor@lab-county.example")
    opens(reverse("advice:advisor-home"))
    florist = Business.objects.get(domains__name="florist.example")
    opens(reverse("incidents:list", args=[florist.pk]))  # the advisor helps with it
    plumber = Business.objects.get(domains__name="plumber.example")
    opens(reverse("advice:notes", args=[plumber.pk]))
    sign_in("operator@lab-county.example")
    opens(reverse("programmes:dashboard", args=[Programme.objects.get().pk]))
