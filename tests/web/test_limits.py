"""Limits on Help now's anonymous, expensive pages: evidence logs started, the site-wide cap on
anonymous evidence files, breach draft PDFs and email checks, per client address and held in
the database; over a limit a 429 that keeps what was typed and says when to try again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from cyberbasics.web import limits
from cyberbasics.web.accounts import throttle
from cyberbasics.web.accounts.models import LoginAttempt, PageUse
from cyberbasics.web.incidents import anonymous
from cyberbasics.web.incidents.models import AnonymousLog, StoredEntry, StoredLog
from cyberbasics.web.programmes.testing import make_business, make_user, sign_in

pytestmark = pytest.mark.django_db

HOME = "203.0.113.9"
NEIGHBOUR = "198.51.100.7"


def request_from(address: str | None, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": address} if address else {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if address is None:
        request.META.pop("REMOTE_ADDR", None)
    return request


def age_uses(minutes: float) -> None:
    PageUse.objects.update(at=F("at") - timedelta(minutes=minutes))


# --- the counter ----------------------------------------------------------------------------

def test_a_client_gets_the_allowed_number_then_a_refusal_until_the_oldest_use_ages_out(
        settings):
    settings.CYBERBASICS_LIMIT_BREACH_PDFS_PER_10_MINUTES = 3
    request = request_from(HOME)
    assert [limits.take(limits.BREACH_PDFS, request) for _ in range(3)] == [None] * 3
    first = PageUse.objects.order_by("at").first().at
    refused = limits.take(limits.BREACH_PDFS, request)
    assert refused is not None
    assert refused.retry_at == first + timedelta(minutes=10)
    assert 1 <= refused.seconds() <= 600
    assert "download the PDF again in 10 minutes" in refused.message()
    # A refusal is not counted, so the client opens again on time.
    assert PageUse.objects.filter(limit="breach_pdf").count() == 3
    age_uses(9)
    soon = limits.refusal(limits.BREACH_PDFS, request)
    assert soon is not None and "again in 1 minute." in soon.message()
    age_uses(1)
    assert limits.refusal(limits.BREACH_PDFS, request) is None


def test_limits_are_per_client_and_per_limit(settings):
    settings.CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES = 1
    assert limits.take(limits.EMAIL_CHECKS, request_from(HOME)) is None
    assert limits.take(limits.EMAIL_CHECKS, request_from(HOME)) is not None
    assert limits.take(limits.EMAIL_CHECKS, request_from(NEIGHBOUR)) is None
    assert limits.take(limits.BREACH_PDFS, request_from(HOME)) is None


def test_an_ipv6_client_is_counted_by_its_64_network(settings):
    settings.CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES = 2
    assert limits.client_key(request_from("2001:db8:1:2::1")) == "2001:db8:1:2::"
    assert limits.client_key(request_from("::ffff:203.0.113.9")) == HOME
    for host in ("2001:db8:1:2::1", "2001:db8:1:2:aaaa::7"):
        assert limits.take(limits.EMAIL_CHECKS, request_from(host)) is None
    assert limits.take(limits.EMAIL_CHECKS, request_from("2001:db8:1:2:ffff::9")) is not None
    assert limits.take(limits.EMAIL_CHECKS, request_from("2001:db8:1:3::1")) is None


def test_behind_a_proxy_each_forwarded_client_is_counted_apart(settings):
    settings.CYBERBASICS_PROXY_COUNT = 1
    settings.CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES = 1
    assert limits.take(limits.EMAIL_CHECKS, request_from("10.0.0.2", HOME)) is None
    assert limits.take(limits.EMAIL_CHECKS, request_from("10.0.0.2", NEIGHBOUR)) is None
    assert limits.take(limits.EMAIL_CHECKS, request_from("10.0.0.2", HOME)) is not None


def test_zero_turns_a_limit_off_and_no_address_is_never_one_bucket(settings):
    settings.CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES = 0
    for _ in range(3):
        assert limits.take(limits.EMAIL_CHECKS, request_from(HOME)) is None
    settings.CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES = 1
    for _ in range(3):
        assert limits.take(limits.EMAIL_CHECKS, request_from(None)) is None
    assert not PageUse.objects.exists()


def test_uses_do_not_count_against_signing_in_and_old_rows_are_pruned(client, settings):
    settings.CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES = 100
    for _ in range(throttle.PER_IP + 5):
        limits.take(limits.EMAIL_CHECKS, request_from(HOME))
    assert not throttle.is_locked("olive@example.com", HOME)
    assert not LoginAttempt.objects.exists()
    PageUse.objects.create(limit="email_check", client=HOME,
                           at=timezone.now() - timedelta(days=2))
    limits.take(limits.EMAIL_CHECKS, request_from(HOME))
    assert not PageUse.objects.filter(at__lt=timezone.now() - timedelta(days=1)).exists()


# --- starting anonymous evidence logs ----------------------------------------------------------

@pytest.fixture
def evidence_folder(settings, tmp_path):
    settings.CYBERBASICS_EVIDENCE_DIR = str(tmp_path / "evidence")
    return tmp_path / "evidence"


def start(client, business="Kowalski Sp. z o.o.", address=HOME):
    return client.post(reverse("incidents:anonymous-log"),
                       {"business": business, "time_zone": "Europe/Warsaw"},
                       REMOTE_ADDR=address)


def test_starting_logs_is_limited_per_address_even_from_new_sessions(settings, evidence_folder):
    settings.CYBERBASICS_LIMIT_EVIDENCE_LOGS_PER_HOUR = 2
    assert start(Client()).status_code == 302
    assert start(Client()).status_code == 302
    response = start(Client(), business="Third Ltd")
    assert response.status_code == 429
    assert 3000 <= int(response["Retry-After"]) <= 3600
    page = response.content.decode()
    assert "You can start another in 60 minutes" in page
    assert 'value="Third Ltd"' in page  # what was typed is kept
    assert AnonymousLog.objects.count() == 2
    # Another address is not affected; an hour later this one may start again.
    assert start(Client(), address=NEIGHBOUR).status_code == 302
    age_uses(60)
    assert start(Client()).status_code == 302


def test_the_default_is_ten_logs_an_hour(evidence_folder):
    for _ in range(10):
        assert start(Client()).status_code == 302
    assert start(Client()).status_code == 429


# --- the site-wide cap on anonymous evidence files ------------------------------------------

PICTURE = b"\x89PNG\r\n\x1a\n" + b"ransom note pixels " * 20


def add_entry(client, url, text, files=()):
    return client.post(url, {"recorded_by": "Anna", "text": text,
                             "files": [SimpleUploadedFile(name, data) for name, data in files]})


def test_past_the_cap_files_are_refused_text_still_works(client, settings, evidence_folder):
    settings.CYBERBASICS_EVIDENCE_ANONYMOUS_TOTAL_BYTES = len(PICTURE)  # one file fills it
    url = start(client)["Location"]
    assert add_entry(client, url, "First note", [("a.png", PICTURE)]).status_code == 302
    response = add_entry(client, url, "The ransom note on screen 2",
                         [("b.png", PICTURE[::-1])])
    assert response.status_code == 429
    page = response.content.decode()
    assert "cannot take more files for logs without an account" in page
    assert "Text entries still work" in page and "sign in" in page
    assert "The ransom note on screen 2" in page  # nothing typed lost
    assert StoredEntry.objects.count() == 1
    assert len(list(next(evidence_folder.iterdir()).iterdir())) == 1  # b.png was not kept
    assert add_entry(client, url, "The ransom note on screen 2").status_code == 302
    assert StoredEntry.objects.count() == 2
    # The page says so before anyone picks a file.
    assert 'id="storage-full"' in client.get(url).content.decode()


def test_the_cap_counts_every_anonymous_log_but_not_business_incidents(client, settings,
                                                                       evidence_folder):
    settings.CYBERBASICS_EVIDENCE_ANONYMOUS_TOTAL_BYTES = 1000
    StoredLog.objects.create(log_id="business-log", header="{}", stored_bytes=10**9)
    url = start(client)["Location"]
    assert not anonymous.storage_full()
    assert 'id="storage-full"' not in client.get(url).content.decode()
    other = Client()
    other_url = start(other)["Location"]
    assert add_entry(other, other_url, "note", [("a.png", PICTURE * 2)]).status_code == 302
    assert anonymous.stored_bytes() == 2 * len(PICTURE)
    # Another visitor's files count towards the same cap.
    response = add_entry(client, url, "mine", [("b.png", PICTURE)])
    assert response.status_code == 429


def test_the_cap_defaults_to_two_gib(settings):
    del settings.CYBERBASICS_EVIDENCE_ANONYMOUS_TOTAL_BYTES
    assert anonymous.total_bytes_cap() == 2 * 1024 ** 3


# --- breach draft PDFs ------------------------------------------------------------------------

DRAFT = {"business_name": "Florist & Co", "country": "Poland",
         "what_happened": "A laptop with the customer list was stolen.",
         "aware_date": "2026-11-20", "aware_time": "09:30", "time_zone": "Europe/Warsaw",
         "contact_email": "owner@florist.example", "high_risk": "yes"}


def draft(client, fmt="pdf", address=HOME):
    return client.post(reverse("help:breach-draft"), {**DRAFT, "format": fmt},
                       REMOTE_ADDR=address)


def test_breach_pdfs_are_limited_and_the_draft_is_shown_as_a_page_instead(client, settings):
    settings.CYBERBASICS_LIMIT_BREACH_PDFS_PER_10_MINUTES = 1
    assert draft(client)["Content-Type"] == "application/pdf"
    response = draft(client)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "You can download the PDF again in 10 minutes" in page
    assert "print it or copy it now" in page
    assert "A laptop with the customer list was stolen." in page  # the draft itself
    assert 'value="Florist &amp; Co"' in page  # and the form with every answer
    # The preview costs no PDF and is not limited; another address still gets its PDF.
    assert draft(client, fmt="preview").status_code == 200
    assert draft(client, address=NEIGHBOUR)["Content-Type"] == "application/pdf"


def test_a_bad_draft_does_not_use_up_the_limit(client, settings):
    settings.CYBERBASICS_LIMIT_BREACH_PDFS_PER_10_MINUTES = 1
    response = client.post(reverse("help:breach-draft"),
                           {**DRAFT, "contact_email": "nope", "format": "pdf"})
    assert response.status_code == 200
    assert draft(client)["Content-Type"] == "application/pdf"


# --- email checks -----------------------------------------------------------------------------

MESSAGE = ("From: Anna <anna@nordsupply.de>\r\nTo: office@acmebakery.pl\r\n"
           "Subject: Invoice 4471\r\nMessage-ID: <1@nordsupply.de>\r\n"
           "Date: Tue, 24 Nov 2026 09:00:00 +0100\r\n\r\nPlease pay the new account.\r\n")


@pytest.fixture
def no_resolver(settings):
    settings.CYBERBASICS_LAB_STATE = ""
    settings.CYBERBASICS_NAMESERVERS = []


def test_email_checks_are_limited_public_and_business_together(client, settings, no_resolver):
    settings.CYBERBASICS_LIMIT_EMAIL_CHECKS_PER_10_MINUTES = 2
    owner = make_user()
    business = make_business(owner=owner)
    sign_in(client, owner)
    assert client.post(reverse("mailcheck:check"), {"source": MESSAGE}).status_code == 200
    business_url = reverse("mailcheck:business-check", args=[business.pk])
    assert client.post(business_url, {"source": MESSAGE}).status_code == 200
    for url in (reverse("mailcheck:check"), business_url):
        response = client.post(url, {"source": MESSAGE})
        assert response.status_code == 429
        page = response.content.decode()
        assert "You can check this one in 10 minutes" in page
        assert "Please pay the new account." in page  # the message is still in the form
        assert 'class="verdict' not in page  # and was not checked
    assert business.checked_messages.count() == 1


def test_the_default_is_sixty_email_checks(no_resolver):
    assert limits.EMAIL_CHECKS.allowed() == 60
    assert limits.EVIDENCE_LOGS.allowed() == 10
    assert limits.BREACH_PDFS.allowed() == 20
