"""The evidence log on the web: anonymous logs bound to a session and a token, incidents in a
business's account, downloads that verify with the core, limits, tampering and cleanup."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cyberbasics.incident.evidence import parse_log, verify, verify_bundle
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import MagicLink, Membership
from cyberbasics.web.businesses.selectors import MAGIC_SESSION_KEY
from cyberbasics.web.incidents import cleanup, logs
from cyberbasics.web.incidents.anonymous import SESSION_KEY
from cyberbasics.web.incidents.files import store_for
from cyberbasics.web.incidents.models import (
    KINDS,
    AnonymousLog,
    Incident,
    StoredEntry,
    StoredLog,
)
from cyberbasics.web.programmes.testing import (
    give_access,
    make_advisor,
    make_business,
    make_programme,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

PICTURE = b"\x89PNG\r\n\x1a\n" + b"ransom note pixels " * 20


@pytest.fixture(autouse=True)
def evidence_folder(settings, tmp_path):
    settings.CYBERBASICS_EVIDENCE_DIR = str(tmp_path / "evidence")
    settings.CYBERBASICS_EVIDENCE_MAX_FILE_BYTES = 1000
    settings.CYBERBASICS_EVIDENCE_MAX_LOG_BYTES = 2500
    return tmp_path / "evidence"


def upload(name: str = "note.png", data: bytes = PICTURE) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def start_log(client, business: str = "Kowalski Sp. z o.o.", zone: str = "Europe/Warsaw"):
    response = client.post(reverse("incidents:anonymous-log"),
                           {"business": business, "time_zone": zone})
    assert response.status_code == 302, response.content.decode()[:2000]
    token = response.headers["Location"].rstrip("/").split("/")[-1]
    assert response.headers["Location"] == reverse("incidents:anonymous-detail", args=[token])
    return token


def add(client, url: str, text: str = "Ransom note on the reception PC", files=(),
        by: str = "Anna"):
    return client.post(url, {"recorded_by": by, "text": text, "files": list(files)})


def detail_url(token: str) -> str:
    return reverse("incidents:anonymous-detail", args=[token])


# --- the anonymous log ------------------------------------------------------------------------

def test_start_page_says_how_long_the_log_is_kept(client, settings):
    settings.CYBERBASICS_EVIDENCE_ANONYMOUS_DAYS = 12
    page = client.get(reverse("incidents:anonymous-log")).content.decode()
    assert "12 days" in page
    assert 'name="time_zone"' in page


def test_a_log_records_entries_with_files_and_local_times(client, evidence_folder):
    token = start_log(client)
    response = add(client, detail_url(token), files=[upload()])
    assert response.status_code == 302
    page = client.get(detail_url(token)).content.decode()
    digest = hashlib.sha256(PICTURE).hexdigest()
    assert digest in page  # the file's SHA-256 is shown
    assert "Ransom note on the reception PC" in page and "Anna" in page
    assert "Europe/Warsaw" in page and 'data-ok="true"' in page
    stored = StoredLog.objects.get()
    assert (store_for(stored.log_id) / digest).read_bytes() == PICTURE
    entry = json.loads(StoredEntry.objects.get().line)
    assert entry["files"] == [{"name": "note.png", "size": len(PICTURE), "sha256": digest}]
    assert entry["hash"] in page  # the fingerprint to write down
    # The local time in the chosen zone: Warsaw is UTC+1 in November, UTC+2 in summer.
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\+0[12]:00\)", page)


def test_the_bundle_verifies_with_the_core(client):
    token = start_log(client)
    add(client, detail_url(token), files=[upload()])
    add(client, detail_url(token), text="The bank called back", files=[upload("b.txt", b"x")])
    response = client.get(reverse("incidents:anonymous-bundle", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    log, result = verify_bundle(response.content)
    assert result.ok, result.problem
    assert result.entries == 2 and result.checked_files == 2 and not result.missing_files
    assert log.header.business == "Kowalski Sp. z o.o."
    assert log.header.time_zone == "Europe/Warsaw"


def test_the_pdf_is_a_pdf(client):
    token = start_log(client)
    add(client, detail_url(token))
    response = client.get(reverse("incidents:anonymous-pdf", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Ransom note on the reception PC" in text  # it opens, and the entry is in it


def test_the_business_name_is_optional(client):
    token = start_log(client, business="")
    assert "Not given" in client.get(detail_url(token)).content.decode()


def test_an_unknown_time_zone_is_refused(client):
    response = client.post(reverse("incidents:anonymous-log"),
                           {"business": "", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert not StoredLog.objects.exists()


def test_another_session_gets_404_even_with_the_token(client):
    token = start_log(client)
    add(client, detail_url(token))
    stranger = Client()
    stranger.get(reverse("incidents:anonymous-log"))  # has a session of its own
    for name in ("anonymous-detail", "anonymous-bundle", "anonymous-pdf"):
        url = reverse(f"incidents:{name}", args=[token])
        assert stranger.get(url).status_code == 404, name
    assert add(stranger, detail_url(token)).status_code == 404
    delete = reverse("incidents:anonymous-delete", args=[token])
    assert stranger.post(delete).status_code == 404
    assert StoredEntry.objects.count() == 1 and AnonymousLog.objects.count() == 1


def test_a_made_up_token_in_the_session_still_gets_404(client):
    session = client.session
    session[SESSION_KEY] = ["not-a-real-token"]
    session.save()
    assert client.get(detail_url("not-a-real-token")).status_code == 404


def test_an_oversized_file_is_refused_clearly_and_nothing_is_lost(client, evidence_folder):
    token = start_log(client)
    response = add(client, detail_url(token), text="Screenshot of the fake invoice",
                   files=[upload("big.png", b"x" * 1001)])
    assert response.status_code == 400
    page = response.content.decode()
    assert "big.png is 1001\xa0bytes; a file may be at most 1000\xa0bytes" in page
    assert "make the file smaller" in page  # and what to do
    assert "Screenshot of the fake invoice" in page  # what was typed is still in the form
    assert not StoredEntry.objects.exists()
    assert not store_for(StoredLog.objects.get().log_id).exists()  # no file kept either


def test_the_log_limit_counts_every_file_of_the_log(client):
    token = start_log(client)
    for n in range(2):
        assert add(client, detail_url(token), text=f"photo {n}",
                   files=[upload(f"{n}.png", bytes([n]) * 1000)]).status_code == 302
    response = add(client, detail_url(token), text="third", files=[upload("3.png", b"z" * 600)])
    assert response.status_code == 400
    assert "take the log over 2.4\xa0KB (it holds 2.0\xa0KB)" in response.content.decode()
    assert StoredEntry.objects.count() == 2
    assert StoredLog.objects.get().stored_bytes == 2000


def test_an_empty_entry_is_refused(client):
    token = start_log(client)
    response = add(client, detail_url(token), text="   ")
    assert response.status_code == 400
    assert not StoredEntry.objects.exists()


def test_a_tampered_entry_is_detected_on_the_page_and_blocks_adding(client):
    token = start_log(client)
    add(client, detail_url(token), text="Paid 2,000 EUR to the new account")
    add(client, detail_url(token), text="Called the bank")
    row = StoredEntry.objects.get(seq=1)
    row.line = row.line.replace("2,000", "200")
    row.save()
    page = client.get(detail_url(token)).content.decode()
    assert 'data-ok="false"' in page
    assert "broken at entry 1" in page
    response = add(client, detail_url(token), text="More")
    assert response.status_code == 400 and "Nothing was added" in response.content.decode()
    assert StoredEntry.objects.count() == 2


def test_a_removed_entry_is_detected(client):
    token = start_log(client)
    for text in ("one", "two", "three"):
        add(client, detail_url(token), text=text)
    StoredEntry.objects.filter(seq=2).delete()
    page = client.get(detail_url(token)).content.decode()
    assert 'data-ok="false"' in page and "entry 2 is missing" in page


def test_a_changed_file_is_detected(client):
    token = start_log(client)
    add(client, detail_url(token), files=[upload()])
    stored = StoredLog.objects.get()
    (store_for(stored.log_id) / hashlib.sha256(PICTURE).hexdigest()).write_bytes(b"edited")
    page = client.get(detail_url(token)).content.decode()
    assert 'data-ok="false"' in page and "changed since it was recorded" in page


@pytest.fixture
def hashes(monkeypatch):
    """Every full read of a kept file, as (sha256, size)."""
    from cyberbasics.web.incidents import files

    seen, real = [], files.file_matches

    def counting(log_id, sha256, size):
        seen.append(sha256)
        return real(log_id, sha256, size)

    monkeypatch.setattr(files, "file_matches", counting)
    return seen


def test_a_page_view_hashes_a_file_again_only_when_it_changed(client, monkeypatch, hashes):
    from cyberbasics.web.incidents import files

    monkeypatch.setattr(files, "SETTLED_NS", 0)  # this test's files count as settled at once
    token = start_log(client)
    add(client, detail_url(token), files=[upload()])
    add(client, detail_url(token), text="The same picture again", files=[upload()])
    digest = hashlib.sha256(PICTURE).hexdigest()
    hashes.clear()
    for _ in range(3):
        assert 'data-ok="true"' in client.get(detail_url(token)).content.decode()
    assert hashes == [digest]  # once, for both entries and all three views

    # The same size and the old modification time put back: the ctime still moved.
    kept = store_for(StoredLog.objects.get().log_id) / digest
    before = kept.stat()
    kept.write_bytes(PICTURE.replace(b"ransom", b"RANSOM"))
    os.utime(kept, ns=(before.st_atime_ns, before.st_mtime_ns))
    page = client.get(detail_url(token)).content.decode()
    assert 'data-ok="false"' in page and "changed since it was recorded" in page
    assert hashes == [digest, digest]
    client.get(detail_url(token))
    assert hashes == [digest, digest]  # the change is remembered too

    # A download reads every file whatever was remembered.
    assert client.get(reverse("incidents:anonymous-bundle", args=[token])).status_code == 200
    assert hashes == [digest] * 3


def test_a_file_written_just_now_is_not_remembered(client, hashes):
    token = start_log(client)
    add(client, detail_url(token), files=[upload()])
    hashes.clear()
    client.get(detail_url(token))
    client.get(detail_url(token))
    assert len(hashes) == 2  # a coarse clock could hide a change made in the same tick
    assert StoredLog.objects.get().verified_files == {}


def test_the_stored_lines_are_the_cores_log(client):
    token = start_log(client)
    add(client, detail_url(token), files=[upload()])
    stored = StoredLog.objects.get()
    text = "\n".join([stored.header, *StoredEntry.objects.values_list("line", flat=True)])
    assert verify(parse_log(text.encode())).ok


def test_no_entry_can_be_edited_or_deleted_one_by_one(client):
    token = start_log(client)
    add(client, detail_url(token))
    page = client.get(detail_url(token)).content.decode()
    assert "cannot be changed or deleted one by one" in page
    names = {p.name for p in __import__("cyberbasics.web.incidents.urls",
                                        fromlist=["urlpatterns"]).urlpatterns}
    assert not {n for n in names if "edit" in n or "entry-delete" in n}


def test_delete_now_removes_the_log_and_its_files(client):
    token = start_log(client)
    add(client, detail_url(token), files=[upload()])
    folder = store_for(StoredLog.objects.get().log_id)
    assert folder.exists()
    response = client.post(reverse("incidents:anonymous-delete", args=[token]))
    assert response.status_code == 302
    assert not StoredLog.objects.exists() and not StoredEntry.objects.exists()
    assert not folder.exists()
    assert client.get(detail_url(token)).status_code == 404


def test_an_expired_log_is_gone_and_the_cleanup_deletes_it(client):
    old, fresh = start_log(client), start_log(client)
    add(client, detail_url(old), files=[upload()])
    add(client, detail_url(fresh), files=[upload("f.png", b"fresh")])
    expired = AnonymousLog.objects.order_by("pk").first()
    AnonymousLog.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1))
    folder = store_for(expired.log.log_id)
    assert client.get(detail_url(old)).status_code == 404  # past its time, before cleanup
    assert cleanup.delete_expired_logs() == 1
    assert not StoredLog.objects.filter(pk=expired.log_id).exists() and not folder.exists()
    assert client.get(detail_url(fresh)).status_code == 200
    assert StoredEntry.objects.count() == 1


def test_the_cleanup_command(client):
    token = start_log(client)
    AnonymousLog.objects.update(expires_at=timezone.now() - dt.timedelta(days=1))
    call_command("delete_expired_evidence")
    assert not AnonymousLog.objects.exists() and not StoredLog.objects.exists()
    assert client.get(detail_url(token)).status_code == 404


def test_the_daily_cleanup_is_queued_once():
    from django_tasks_db.models import DBTaskResult

    first = cleanup.schedule_daily_cleanup()
    assert first is not None
    assert cleanup.schedule_daily_cleanup() is None
    queued = DBTaskResult.objects.get(task_path=cleanup.delete_expired_evidence.module_path)
    assert queued.run_after.astimezone(dt.UTC).time() == dt.time(3, 0)


def test_the_logs_of_this_browser_are_listed(client):
    token = start_log(client)
    page = client.get(reverse("incidents:anonymous-log")).content.decode()
    assert detail_url(token) in page
    assert detail_url(token) not in Client().get(reverse("incidents:anonymous-log")) \
        .content.decode()


# --- incidents in a business's account --------------------------------------------------------

class People:
    def __init__(self):
        programme = make_programme()
        self.owner, self.staff = make_user(), make_user()
        self.advisor = make_advisor(programme)
        self.business = make_business("Lab Florist", owner=self.owner, programme=programme)
        self.business.time_zone = "Europe/London"
        self.business.save()
        Membership.objects.create(business=self.business, user=self.staff,
                                  role=Membership.Role.STAFF)
        give_access(self.business, self.advisor)
        self.other_owner = make_user()
        self.other_advisor = make_advisor(programme)
        other = make_business("Other", owner=self.other_owner, programme=programme)
        give_access(other, self.other_advisor)
        self.other = other


@pytest.fixture
def people():
    return People()


def new_incident(client, business, kind: str = "ransomware", title: str = "Ransom note",
                 day: str = "2026-11-20", time: str = "09:30", zone: str = "Europe/London"):
    return client.post(reverse("incidents:new", args=[business.pk]), {
        "kind": kind, "title": title, "aware_date": day, "aware_time": time,
        "time_zone": zone})


def make_incident(people, kind: str = "ransomware") -> Incident:
    client = sign_in(Client(), people.owner)
    response = new_incident(client, people.business, kind=kind)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Incident.objects.latest("pk")


def incident_url(name: str, incident: Incident) -> str:
    return reverse(f"incidents:{name}", args=[incident.business_id, incident.pk])


def test_the_owner_records_an_incident_with_its_own_log(client, people):
    sign_in(client, people.owner)
    assert client.get(reverse("incidents:new", args=[people.business.pk])).status_code == 200
    response = new_incident(client, people.business)
    incident = Incident.objects.get()
    assert response.headers["Location"] == incident_url("detail", incident)
    assert incident.kind == "ransomware" and incident.status == "open"
    assert incident.created_by == people.owner and incident.time_zone == "Europe/London"
    assert incident.became_aware_at == dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    header = logs.core_log(incident.log).header
    assert header.business == "Lab Florist" and header.time_zone == "Europe/London"
    assert AuditEvent.objects.filter(action="incident.created", business=people.business,
                                     actor=people.owner).exists()
    page = client.get(reverse("incidents:list", args=[people.business.pk])).content.decode()
    assert "Ransom note" in page


def test_a_future_moment_or_missing_fields_are_refused(client, people):
    sign_in(client, people.owner)
    response = new_incident(client, people.business, day="2099-01-01")
    assert response.status_code == 400 and "in the future" in response.content.decode()
    response = new_incident(client, people.business, title="")
    assert response.status_code == 400
    assert not Incident.objects.exists() and not StoredLog.objects.exists()


def test_every_kind_is_a_playbook_or_other():
    ids = {kind for kind, _ in KINDS} - {"other"}
    assert ids == {"ransomware", "invoice_fraud", "account_hacked", "phishing_clicked",
                   "lost_device", "personal_data_breach", "website_hacked",
                   "fake_it_support_call"}
    try:
        from cyberbasics.incident.playbooks import PLAYBOOK_IDS
    except ImportError:  # the playbooks land separately
        return
    assert ids == set(PLAYBOOK_IDS)


def test_staff_and_advisor_read_and_add_entries(people):
    incident = make_incident(people)
    for person in (people.staff, people.advisor, people.owner):
        client = sign_in(Client(), person)
        assert client.get(incident_url("detail", incident)).status_code == 200
        response = add(client, incident_url("add-entry", incident), text=f"seen by {person}",
                       by=str(person), files=[upload(f"{person.pk}.png", b"p%d" % person.pk)])
        assert response.status_code == 302, person
    view = logs.view_log(incident.log)
    assert view.ok and len(view.rows) == 3
    assert AuditEvent.objects.filter(action="incident.entry_added").count() == 3


def test_who_may_open_and_close(people):
    staff, advisor = sign_in(Client(), people.staff), sign_in(Client(), people.advisor)
    assert new_incident(staff, people.business).status_code == 302
    incident = Incident.objects.get()
    assert advisor.get(reverse("incidents:new", args=[people.business.pk])).status_code == 404
    assert new_incident(advisor, people.business).status_code == 404
    for client in (staff, advisor):
        response = client.post(incident_url("status", incident), {"status": "closed"})
        assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.status == "open"


def test_the_owner_closes_and_reopens(client, people):
    incident = make_incident(people)
    sign_in(client, people.owner)
    client.post(incident_url("status", incident), {"status": "closed"})
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.closed_at is not None
    response = add(client, incident_url("add-entry", incident), text="late note")
    assert response.status_code == 400 and "reopen" in response.content.decode()
    assert not incident.log.entries.exists()
    client.post(incident_url("status", incident), {"status": "open"})
    incident.refresh_from_db()
    assert incident.status == "open" and incident.closed_at is None
    assert add(client, incident_url("add-entry", incident)).status_code == 302
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"incident.closed", "incident.reopened"} <= actions
    response = client.post(incident_url("status", incident), {"status": "maybe"})
    assert response.status_code == 302


def test_downloads_verify_and_are_audited(client, people):
    incident = make_incident(people)
    sign_in(client, people.advisor)
    add(client, incident_url("add-entry", incident), files=[upload()])
    response = client.get(incident_url("bundle", incident))
    log, result = verify_bundle(response.content)
    assert result.ok and result.checked_files == 1 and log.header.log_id == incident.log.log_id
    assert client.get(incident_url("pdf", incident)).content.startswith(b"%PDF")
    formats = set(AuditEvent.objects.filter(action="incident.downloaded", actor=people.advisor)
                  .values_list("detail__format", flat=True))
    assert formats == {"zip", "pdf"}


def test_a_tampered_incident_entry_is_shown_broken(client, people):
    incident = make_incident(people)
    sign_in(client, people.owner)
    add(client, incident_url("add-entry", incident), text="Invoice from our supplier")
    StoredEntry.objects.filter(log=incident.log).update(
        line=StoredEntry.objects.get(log=incident.log).line.replace('"Anna"', '"Bob"'))
    page = client.get(incident_url("detail", incident)).content.decode()
    assert 'data-ok="false"' in page and "broken at entry 1" in page


def test_other_businesses_and_clients_get_404(people):
    incident = make_incident(people)
    pages = [reverse("incidents:list", args=[people.business.pk]),
             reverse("incidents:new", args=[people.business.pk]),
             *(incident_url(name, incident)
               for name in ("detail", "add-entry", "bundle", "pdf", "status"))]
    for intruder in (people.other_owner, people.other_advisor):
        client = sign_in(Client(), intruder)
        for url in pages:
            assert client.get(url).status_code == 404, (url, intruder)
            assert client.post(url, {"status": "closed", "text": "x",
                                     "recorded_by": "x"}).status_code == 404, (url, intruder)
    # Their own business id with this incident's id: not found either.
    client = sign_in(Client(), people.other_owner)
    mixed = reverse("incidents:detail", args=[people.other.pk, incident.pk])
    assert client.get(mixed).status_code == 404
    # A magic-link client of the business has no way to its incidents.
    link = MagicLink.objects.create(business=people.business, token_hash="0" * 64,
                                    created_by=people.advisor,
                                    expires_at=timezone.now() + dt.timedelta(days=1))
    client = Client()
    session = client.session
    session[MAGIC_SESSION_KEY] = link.pk
    session.save()
    assert client.get(incident_url("detail", incident)).status_code == 404
    assert not incident.log.entries.exists()
    anonymous = Client()
    response = anonymous.get(incident_url("detail", incident))
    assert response.status_code == 302 and "sign-in" in response.headers["Location"]


def test_the_detail_links_to_the_playbook_and_the_breach_clock(client, people):
    incident = make_incident(people, kind="personal_data_breach")
    sign_in(client, people.owner)
    page = client.get(incident_url("detail", incident)).content.decode()
    assert reverse("help:playbook", args=["personal_data_breach"]) in page
    breach = reverse("help:breach")
    assert f"{breach}?aware_date=2026-11-20&amp;aware_time=09%3A30" \
           "&amp;time_zone=Europe%2FLondon" in page
    other = make_incident(people, kind="other")
    assert 'id="playbook-link"' not in client.get(incident_url("detail", other)) \
        .content.decode()


def test_deleting_the_business_deletes_its_evidence(people):
    incident = make_incident(people)
    client = sign_in(Client(), people.owner)
    add(client, incident_url("add-entry", incident), files=[upload()])
    folder = store_for(incident.log.log_id)
    assert folder.exists()
    people.business.delete()
    assert not StoredLog.objects.exists() and not folder.exists()


# --- keeping an anonymous log in an account ---------------------------------------------------

def test_an_anonymous_log_moves_into_the_account_on_sign_in(client, people):
    token = start_log(client, business="", zone="Europe/Warsaw")
    add(client, detail_url(token), files=[upload()])
    log_id = StoredLog.objects.get().log_id
    move = reverse("incidents:anonymous-move", args=[token])
    assert client.get(move).status_code == 302  # sign in first
    client.force_login(people.owner)  # the session (and its log) survives signing in
    assert client.get(move).status_code == 200
    response = client.post(move, {"business": people.business.pk, "kind": "invoice_fraud",
                                  "title": "Fake invoice", "aware_date": "2026-11-24",
                                  "aware_time": "08:00"})
    incident = Incident.objects.get()
    assert response.headers["Location"] == incident_url("detail", incident)
    assert incident.log.log_id == log_id and incident.time_zone == "Europe/Warsaw"
    assert incident.became_aware_at == dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)
    assert not AnonymousLog.objects.exists()
    assert logs.view_log(incident.log).ok and incident.log.entries.count() == 1
    assert client.get(detail_url(token)).status_code == 404
    assert client.get(incident_url("detail", incident)).status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "1969-12-31", "2100-01-01", "9999-12-31"])
def test_a_year_out_of_range_is_a_form_error_not_a_crash(client, people, day):
    """Year 1 in Europe/Berlin passed the "future" check and then overflowed on saving."""
    sign_in(client, people.owner)
    response = new_incident(client, people.business, day=day, zone="Europe/Berlin")
    assert response.status_code == 400
    assert "Check the year of this date." in response.content.decode()
    assert not Incident.objects.exists()

    token = start_log(client)  # keeping an anonymous log uses the same form
    response = client.post(reverse("incidents:anonymous-move", args=[token]), {
        "business": people.business.pk, "kind": "other", "title": "x", "aware_date": day,
        "aware_time": "08:00"})
    assert response.status_code == 400
    assert "Check the year of this date." in response.content.decode()
    assert not Incident.objects.exists() and AnonymousLog.objects.count() == 1


def test_the_first_and_last_years_allowed_are_kept(client, people):
    sign_in(client, people.owner)
    response = new_incident(client, people.business, day="1970-01-01", time="00:00",
                            zone="Asia/Tokyo")
    assert response.status_code == 302
    assert Incident.objects.get().became_aware_at == dt.datetime(1969, 12, 31, 15, 0,
                                                                 tzinfo=dt.UTC)


def test_a_log_cannot_be_moved_into_someone_elses_business(client, people):
    token = start_log(client)
    client.force_login(people.other_owner)
    move = reverse("incidents:anonymous-move", args=[token])
    response = client.post(move, {"business": people.business.pk, "kind": "other",
                                  "title": "x", "aware_date": "2026-11-24",
                                  "aware_time": "08:00"})
    assert response.status_code == 400
    assert not Incident.objects.exists() and AnonymousLog.objects.count() == 1


def test_the_browser_keeps_its_log_as_long_as_the_log_is_kept(client):
    token = start_log(client)
    expires = AnonymousLog.objects.get().expires_at
    assert abs(client.session.get_expiry_date() - expires) < dt.timedelta(seconds=5)
    assert client.get(detail_url(token)).status_code == 200


def test_the_business_export_can_carry_its_incidents(people):
    from cyberbasics.web.incidents.privacy import incidents_data

    incident = make_incident(people)
    client = sign_in(Client(), people.owner)
    add(client, incident_url("add-entry", incident), text="noted")
    [data] = incidents_data(people.business)
    assert data["title"] == "Ransom note" and data["created_by"] == people.owner.email
    assert [e["text"] for e in data["evidence_log"]["entries"]] == ["noted"]
    assert incidents_data(people.other) == []
