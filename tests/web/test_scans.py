"""The outside view as a background task: the web's scan configuration, the engine's
progress hook, a real scan of a lab domain through the task with its live progress and
result, a failing scan with its reason and Retry, idempotent re-runs, and who may see what."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django.urls import reverse
from django_tasks import TaskResultStatus

from cyberbasics.scan.engine import scan_domains
from cyberbasics.scan.registry import select
from cyberbasics.web import scanning as web_scanning
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import AdvisorAccess, Business, Domain, Membership
from cyberbasics.web.programmes.testing import make_user
from cyberbasics.web.reviews import scanning
from cyberbasics.web.reviews.models import Review, Scan
from cyberbasics.web.reviews.tasks import run_scan, scan_task_finished

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def make_business(name="Bakery", domains=("bakery.example",), *, verified=False):
    business = Business.objects.create(name=name, country="GB", time_zone="Europe/London")
    for domain in domains:
        Domain.objects.create(business=business, name=domain,
                              verified_at="2026-01-01T00:00Z" if verified else None,
                              verified_by="dns" if verified else "")
    return business


def member(business, role=Membership.Role.OWNER):
    user = make_user()
    Membership.objects.create(business=business, user=user, role=role)
    return user


@pytest.fixture
def bakery():
    return make_business()


@pytest.fixture
def owner_client(client, bakery):
    client.force_login(member(bakery))
    return client


@pytest.fixture
def lab_scans(world, monkeypatch):
    """Scans of the web go to the running demo lab."""
    monkeypatch.setattr(scanning, "scan_config",
                        lambda active=False: world.config(active=active))
    return world


def make_scan(business, status=Scan.Status.QUEUED, **fields):
    fields.setdefault("progress", scanning.initial_progress(False))
    return Scan.objects.create(business=business, status=status,
                               domains=[d.name for d in business.domains.all()], **fields)


# --- the web's scan configuration ---------------------------------------------------------

def test_no_resolver_configured_refuses_to_scan(settings):
    settings.CYBERBASICS_LAB_STATE = ""
    settings.CYBERBASICS_NAMESERVERS = []
    with pytest.raises(web_scanning.ScanSetupError) as caught:
        web_scanning.scan_config()
    assert "not set up" in str(caught.value)
    assert "CYBERBASICS_NAMESERVERS" in caught.value.detail


def test_configured_nameservers_make_a_real_world_config(settings):
    settings.CYBERBASICS_LAB_STATE = ""
    settings.CYBERBASICS_NAMESERVERS = ["192.0.2.53", "[2001:db8::53]:5353"]
    config = web_scanning.scan_config(active=True)
    assert config.nameservers == (("192.0.2.53", 53), ("2001:db8::53", 5353))
    assert config.active and not config.lab and not config.port_map


def test_a_bad_nameserver_is_a_setup_error(settings):
    settings.CYBERBASICS_LAB_STATE = ""
    settings.CYBERBASICS_NAMESERVERS = ["resolver.example"]
    with pytest.raises(web_scanning.ScanSetupError, match="not set up"):
        web_scanning.scan_config()


def test_lab_state_file_round_trip(world, tmp_path, settings):
    path = web_scanning.write_lab_state(world, tmp_path / "state" / "lab.json")
    data = json.loads(path.read_text())
    assert data["nameservers"] == [[world.dns.host, world.dns.port]]
    assert data["port_map"]["25"] == world.port_map[25]
    settings.CYBERBASICS_LAB_STATE = str(path)
    settings.CYBERBASICS_NAMESERVERS = ["192.0.2.53"]  # the lab state wins
    config = web_scanning.scan_config(active=True)
    assert config.nameservers == (world.dns.address,)
    assert config.lab and config.active
    assert config.port_map == world.port_map
    assert config.ca_file == world.ca_file and config.trust_anchor_file == world.trust_anchor_file
    assert web_scanning.lab_mode()


def test_unreadable_lab_state_is_a_setup_error(tmp_path, settings):
    settings.CYBERBASICS_LAB_STATE = str(tmp_path / "missing.json")
    with pytest.raises(web_scanning.ScanSetupError) as caught:
        web_scanning.scan_config()
    assert "missing.json" in caught.value.detail


# --- the engine's progress hook -----------------------------------------------------------

def test_engine_reports_each_piece_of_evidence_and_the_results_are_unchanged(world):
    config = world.config()
    seen = []
    with_hook = asyncio.run(scan_domains(["bakery.example"], config,
                                         on_evidence=lambda d, n: seen.append((d, n))))
    without = asyncio.run(scan_domains(["bakery.example"], config))
    needs = {name for check in select(config.checks) for name in check.needs}
    assert {name for domain, name in seen if domain == "bakery.example"} >= needs | {"soa"}
    assert len(seen) == len(set(seen))  # each piece once
    assert [(f.check, f.status) for f in with_hook[0].findings] == \
        [(f.check, f.status) for f in without[0].findings]


def test_a_failing_listener_does_not_cost_the_scan(world):
    def broken(domain, name):
        raise RuntimeError("listener bug")

    [result] = asyncio.run(scan_domains(["florist.example"], world.config(),
                                        on_evidence=broken))
    assert result.error is None and result.findings


def test_evidence_of_a_domain_that_does_not_exist_is_still_reported(world):
    seen = []
    [result] = asyncio.run(scan_domains(["nothing-here.example"], world.config(),
                                        on_evidence=lambda d, n: seen.append(n)))
    assert result.error is not None and result.error.code == "nxdomain"
    assert "soa" in seen


def test_progress_tracker_marks_an_area_done_when_its_evidence_is_in():
    checks = [SimpleNamespace(area="domain", needs=("soa", "ns")),
              SimpleNamespace(area="email", needs=("mx", "spf"))]
    tracker = scanning.ProgressTracker(["a.example", "b.example"], checks)
    assert tracker.state() == {"domain": "running", "email": "running"}
    for domain in ("a.example", "b.example"):
        tracker.evidence(domain, "soa")
        tracker.evidence(domain, "ns")
    tracker.evidence("a.example", "mx")
    assert tracker.state() == {"domain": "done", "email": "running"}
    tracker.domain_done("b.example")
    tracker.evidence("a.example", "spf")
    assert tracker.state() == {"domain": "done", "email": "done"}


# --- a real scan through the task ---------------------------------------------------------

def test_owner_starts_a_passive_scan_that_runs_to_the_end(owner_client, bakery, lab_scans):
    with override_settings(TASKS=IMMEDIATE):
        response = owner_client.post(reverse("scans:start", args=[bakery.pk]))
    scan = bakery.scans.get()
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("scans:detail", args=[bakery.pk, scan.pk])
    assert scan.status == Scan.Status.DONE, scan.error
    assert scan.mode == Scan.Mode.PASSIVE and scan.domains == ["bakery.example"]
    assert scan.attempts == 1 and scan.task_id and scan.finished_at
    assert scan.review is not None and scan.review.business == bakery  # the open review
    assert scan.progress and set(scan.progress.values()) == {"done"}
    assert "services" not in scan.progress  # passive: no exposed-services probes
    document = scan.result
    assert document["schema"] == "cyberbasics.scan/1"
    [result] = document["results"]
    assert result["domain"] == "bakery.example" and result["error"] is None
    assert result["grades"]["overall"]["grade"] in ("A", "B")
    actions = set(AuditEvent.objects.filter(business=bakery).values_list("action", flat=True))
    assert {"scan.started", "scan.finished", "review.started"} <= actions

    page = owner_client.get(response.headers["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert 'role="status"' in text and "The scan is finished." in text
    assert "hx-trigger" not in text  # nothing left to follow
    assert reverse("assessment:questions", args=[bakery.pk, scan.review_id]) in text
    assert "bakery.example" in text and "Website" in text


def test_progress_is_written_area_by_area(bakery, lab_scans, monkeypatch):
    monkeypatch.setattr(scanning, "PROGRESS_INTERVAL", 0.0)
    writes = []
    update = scanning._Attempt.update

    def recorded(self, **fields):
        if "progress" in fields and "status" not in fields:
            writes.append(dict(fields["progress"]))
        return update(self, **fields)

    monkeypatch.setattr(scanning._Attempt, "update", recorded)
    Domain.objects.create(business=bakery, name="florist.example")
    scan = make_scan(bakery)
    assert scan.domains == ["bakery.example", "florist.example"]
    assert run_scan.call(scan.pk, "en") == Scan.Status.DONE
    assert writes, "no progress was written while the scan ran"
    assert any("done" in w.values() and "running" in w.values() for w in writes), writes
    for earlier, later in itertools.pairwise(writes):  # never goes back
        assert all(later[a] == "done" for a, s in earlier.items() if s == "done")


def test_scan_texts_follow_the_language_it_was_started_in(bakery, lab_scans):
    scan = make_scan(bakery)
    run_scan.call(scan.pk, "pl")
    scan.refresh_from_db()
    findings = scan.result["results"][0]["findings"]
    english = make_scan(bakery)
    run_scan.call(english.pk, "en")
    english.refresh_from_db()
    assert findings[0]["title"] != english.result["results"][0]["findings"][0]["title"]


def test_the_progress_fragment_polls_until_the_scan_is_finished(owner_client, bakery):
    scan = make_scan(bakery, status=Scan.Status.RUNNING, attempts=1,
                     progress={"domain": "done", "email": "running"})
    url = reverse("scans:progress", args=[bakery.pk, scan.pk])
    response = owner_client.get(url)
    text = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in text and "hx-get" in text
    assert 'hx-swap-oob="innerHTML"' in text and "1 of 2 areas done" in text
    signature = scanning.progress_signature(scan)
    assert owner_client.get(url, {"seen": signature}).status_code == 204  # nothing new
    page = owner_client.get(reverse("scans:detail", args=[bakery.pk, scan.pk]))
    assert 'hx-trigger="every 2s"' in page.content.decode()
    assert 'aria-live="polite"' in page.content.decode()

    Scan.objects.filter(pk=scan.pk).update(status=Scan.Status.DONE, result={
        "schema": "cyberbasics.scan/1", "results": []})
    done = owner_client.get(url, {"seen": signature})
    assert done.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in done.content.decode()
    assert "The scan is finished." in done.content.decode()


# --- failures and retries -----------------------------------------------------------------

def test_a_scan_without_configuration_fails_with_a_reason_and_can_be_retried(
        owner_client, bakery, settings):
    settings.CYBERBASICS_LAB_STATE = ""
    settings.CYBERBASICS_NAMESERVERS = []
    with override_settings(TASKS=IMMEDIATE):
        response = owner_client.post(reverse("scans:start", args=[bakery.pk]))
    scan = bakery.scans.get()
    assert scan.status == Scan.Status.FAILED
    assert "not set up" in scan.error and "CYBERBASICS" not in scan.error  # plain words
    page = owner_client.get(response.headers["Location"])
    text = page.content.decode()
    assert scan.error in text.replace("&#x27;", "'")
    assert reverse("scans:retry", args=[bakery.pk, scan.pk]) in text and "Retry" in text
    assert "hx-trigger" not in text

    with override_settings(TASKS=DUMMY):
        again = owner_client.post(reverse("scans:retry", args=[bakery.pk, scan.pk]))
    retry = bakery.scans.exclude(pk=scan.pk).get()
    assert again.headers["Location"] == reverse("scans:detail", args=[bakery.pk, retry.pk])
    assert retry.review_id == scan.review_id and retry.status == Scan.Status.QUEUED
    event = AuditEvent.objects.filter(action="scan.started").first()
    assert event.detail["retry_of"] == scan.pk


def test_only_a_failed_scan_can_be_retried(owner_client, bakery):
    scan = make_scan(bakery, status=Scan.Status.DONE)
    response = owner_client.post(reverse("scans:retry", args=[bakery.pk, scan.pk]))
    assert response.status_code == 302 and bakery.scans.count() == 1


def test_an_unexpected_error_fails_the_scan_and_logs_the_traceback(bakery, lab_scans,
                                                                    monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("boom in the engine")

    monkeypatch.setattr(scanning, "_follow", explode)
    scan = make_scan(bakery)
    with caplog.at_level(logging.ERROR):
        assert run_scan.call(scan.pk, "en") == Scan.Status.FAILED  # the worker lives on
    scan.refresh_from_db()
    assert scan.status == Scan.Status.FAILED and "error on our side" in scan.error
    assert "boom" not in scan.error
    assert any("RuntimeError: boom in the engine" in (r.exc_text or "") for r in caplog.records)
    assert AuditEvent.objects.filter(action="scan.failed").exists()


def test_a_scan_that_runs_too_long_is_stopped(bakery, lab_scans, monkeypatch):
    scan = make_scan(bakery)
    monkeypatch.setattr(scanning, "_scan_in_thread", lambda *args: None)  # never reports
    assert scanning.execute_scan(scan.pk, time_limit=0.3) == Scan.Status.FAILED
    scan.refresh_from_db()
    assert "took far longer" in scan.error


def test_running_a_finished_scan_again_does_nothing(bakery, lab_scans):
    scan = make_scan(bakery, status=Scan.Status.DONE, attempts=1,
                     result={"schema": "cyberbasics.scan/1", "results": []})
    assert run_scan.call(scan.pk, "en") == Scan.Status.DONE
    scan.refresh_from_db()
    assert scan.attempts == 1 and scan.result["results"] == []
    failed = make_scan(bakery, status=Scan.Status.FAILED, error="earlier")
    assert run_scan.call(failed.pk, "en") == Scan.Status.FAILED
    assert run_scan.call(999999, "en") == "missing"


def test_a_scan_left_running_by_a_dead_worker_starts_over(bakery, lab_scans):
    scan = make_scan(bakery, status=Scan.Status.RUNNING, attempts=1,
                     progress={"domain": "done", "email": "running"})
    stale = scanning._Attempt(scan.pk, 1)
    assert run_scan.call(scan.pk, "en") == Scan.Status.DONE
    scan.refresh_from_db()
    assert scan.attempts == 2 and scan.status == Scan.Status.DONE and scan.result
    # the dead worker's attempt, should it wake up, writes nothing any more
    assert not stale.update(status=Scan.Status.FAILED, error="late")
    scan.refresh_from_db()
    assert scan.status == Scan.Status.DONE


def test_a_task_given_up_by_the_workers_leaves_its_scan_failed(bakery):
    scan = make_scan(bakery, status=Scan.Status.RUNNING, attempts=3)
    failed = SimpleNamespace(status=TaskResultStatus.FAILED, task=run_scan, args=[scan.pk, "en"],
                             kwargs={})
    scan_task_finished(sender=None, task_result=failed)
    scan.refresh_from_db()
    assert scan.status == Scan.Status.FAILED and "interrupted" in scan.error
    done = make_scan(bakery, status=Scan.Status.DONE)
    scan_task_finished(sender=None, task_result=SimpleNamespace(
        status=TaskResultStatus.FAILED, task=run_scan, args=[done.pk], kwargs={}))
    done.refresh_from_db()
    assert done.status == Scan.Status.DONE


def test_a_removed_domain_is_not_scanned(bakery, lab_scans):
    scan = make_scan(bakery)
    bakery.domains.all().delete()
    assert run_scan.call(scan.pk, "en") == Scan.Status.FAILED
    scan.refresh_from_db()
    assert "belongs to the business" in scan.error


# --- starting: passive and active ---------------------------------------------------------

def test_no_domain_no_scan(client):
    business = make_business(domains=())
    client.force_login(member(business))
    response = client.post(reverse("scans:start", args=[business.pk]), follow=True)
    assert not Scan.objects.exists()
    assert "Add the business" in response.content.decode()


def test_active_scan_needs_every_domain_verified(owner_client, bakery):
    response = owner_client.post(reverse("scans:start", args=[bakery.pk]),
                                 {"active": "on", "confirm": "on"}, follow=True)
    assert not Scan.objects.exists()
    assert "verified" in response.content.decode()


@override_settings(TASKS=DUMMY)
def test_active_scan_needs_the_confirmation_then_is_queued(client):
    business = make_business(verified=True)
    client.force_login(member(business))
    url = reverse("scans:start", args=[business.pk])
    client.post(url, {"active": "on"})
    assert not Scan.objects.exists()
    response = client.post(url, {"active": "on", "confirm": "on"})
    scan = business.scans.get()
    assert scan.mode == Scan.Mode.ACTIVE and scan.status == Scan.Status.QUEUED
    assert scan.task_id and "services" in scan.progress
    assert set(scan.progress.values()) == {"waiting"}
    assert response.headers["Location"].endswith(f"/scans/{scan.pk}/")


def test_an_active_scan_of_a_domain_no_longer_verified_does_not_run(lab_scans):
    business = make_business(verified=True)
    scan = make_scan(business, mode=Scan.Mode.ACTIVE)
    business.domains.update(verified_at=None)
    assert run_scan.call(scan.pk, "en") == Scan.Status.FAILED
    scan.refresh_from_db()
    assert "no longer verified" in scan.error


@override_settings(TASKS=DUMMY)
def test_the_business_page_offers_active_checks_only_when_verified(client):
    business = make_business()
    client.force_login(member(business))
    page = client.get(reverse("businesses:detail", args=[business.pk])).content.decode()
    assert 'name="active"' not in page and "once every domain is verified" in page
    business.domains.update(verified_at="2026-01-01T00:00Z", verified_by="dns")
    page = client.get(reverse("businesses:detail", args=[business.pk])).content.decode()
    assert 'name="active"' in page and 'name="confirm"' in page


@override_settings(TASKS=DUMMY)
def test_a_scan_goes_to_the_open_review(owner_client, bakery):
    review = Review.objects.create(business=bakery, catalogue_version="x")
    owner_client.post(reverse("scans:start", args=[bakery.pk]))
    assert bakery.scans.get().review == review


@override_settings(TASKS=DUMMY)
def test_history_lists_the_scans_newest_first(owner_client, bakery):
    first = make_scan(bakery, status=Scan.Status.DONE)
    second = make_scan(bakery, status=Scan.Status.FAILED)
    response = owner_client.get(reverse("scans:list", args=[bakery.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    first_at = text.index(reverse("scans:detail", args=[bakery.pk, first.pk]))
    second_at = text.index(reverse("scans:detail", args=[bakery.pk, second.pk]))
    assert second_at < first_at
    assert 'name="from" value="list"' in text


# --- who may see and do what --------------------------------------------------------------

def _urls(business, scan):
    return {
        "list": ("get", reverse("scans:list", args=[business.pk])),
        "detail": ("get", reverse("scans:detail", args=[business.pk, scan.pk])),
        "progress": ("get", reverse("scans:progress", args=[business.pk, scan.pk])),
        "start": ("post", reverse("scans:start", args=[business.pk])),
        "retry": ("post", reverse("scans:retry", args=[business.pk, scan.pk])),
    }


@pytest.mark.parametrize("view", ["list", "detail", "progress", "start", "retry"])
def test_anonymous_visitors_are_sent_to_sign_in(client, bakery, view):
    method, url = _urls(bakery, make_scan(bakery, status=Scan.Status.FAILED))[view]
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))
    assert Scan.objects.count() == 1


@override_settings(TASKS=DUMMY)
@pytest.mark.parametrize("view", ["list", "detail", "progress", "start", "retry"])
def test_another_business_and_staff_get_404(client, bakery, view):
    scan = make_scan(bakery, status=Scan.Status.FAILED)
    other = make_business("Plumber", ("plumber.example",))
    method, url = _urls(bakery, scan)[view]
    client.force_login(member(other))
    assert getattr(client, method)(url).status_code == 404
    # a scan of the bakery through the plumber's own address is 404 too
    if view in ("detail", "progress", "retry"):
        mixed = _urls(other, scan)[view][1]
        assert getattr(client, method)(mixed).status_code == 404
    client.force_login(member(bakery, Membership.Role.STAFF))
    assert getattr(client, method)(url).status_code == 404
    assert Scan.objects.count() == 1


@override_settings(TASKS=DUMMY)
def test_an_advisor_with_access_may_start_and_follow_scans(client, bakery):
    from cyberbasics.web.accounts.testing import sign_in_with_second_factor

    advisor = make_user()
    AdvisorAccess.objects.create(business=bakery, advisor=advisor, consent="by e-mail")
    sign_in_with_second_factor(client, advisor)
    response = client.post(reverse("scans:start", args=[bakery.pk]))
    scan = bakery.scans.get()
    assert response.status_code == 302 and scan.requested_by == advisor
    assert client.get(reverse("scans:detail", args=[bakery.pk, scan.pk])).status_code == 200
    assert client.get(reverse("scans:list", args=[bakery.pk])).status_code == 200


@override_settings(TASKS=DUMMY)
def test_a_client_with_a_magic_link_may_start_and_follow_scans(client, bakery):
    import datetime as dt

    from django.utils import timezone

    from cyberbasics.web.businesses.models import MagicLink
    from cyberbasics.web.businesses.selectors import MAGIC_SESSION_KEY

    link = MagicLink.objects.create(business=bakery, token_hash="0" * 64, created_by=make_user(),
                                    expires_at=timezone.now() + dt.timedelta(days=1))
    session = client.session
    session[MAGIC_SESSION_KEY] = link.pk
    session.save()
    response = client.post(reverse("scans:start", args=[bakery.pk]))
    scan = bakery.scans.get()
    assert response.status_code == 302 and scan.requested_by is None
    assert client.get(reverse("scans:detail", args=[bakery.pk, scan.pk])).status_code == 200
    other = make_business("Plumber", ("plumber.example",))
    assert client.post(reverse("scans:start", args=[other.pk])).status_code == 404
    assert not other.scans.exists()
