"""The action plan page, its tracking rows and the outside scan that verifies actions.

The helpers at the top (people, businesses, completed reviews, scans) are shared with
test_staff, test_reminders and test_history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cyberbasics.assess.review import to_result_json
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import AdvisorAccess, Business, MagicLink, Membership
from cyberbasics.web.businesses.selectors import MAGIC_SESSION_KEY
from cyberbasics.web.reviews import plan as plan_service
from cyberbasics.web.reviews.core import catalogue, core_review
from cyberbasics.web.reviews.models import ActionItem, Answer, Review, Scan

pytestmark = pytest.mark.django_db

REMOTE = "router.close_remote_access"  # verify_by: {check: services.remote_access}
DMARC = "email.protect_your_domain"  # verify_by: {check: email.dmarc.policy}


# --- shared helpers ---------------------------------------------------------------------------

def make_user(email: str, **fields):
    """A user without a usable password (the tests sign in with force_login; argon2 is
    slow on purpose)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(email, None, **fields)


def make_business(name: str = "Lab Florist", owner=None, **profile) -> Business:
    business = Business.objects.create(name=name, country="GB",
                                       profile=profile or {"platforms": ["microsoft365"]})
    if owner is not None:
        Membership.objects.create(business=business, user=owner, role=Membership.Role.OWNER)
    return business


def add_staff(business: Business, user) -> Membership:
    return Membership.objects.create(business=business, user=user, role=Membership.Role.STAFF)


def add_advisor(business: Business, user) -> AdvisorAccess:
    return AdvisorAccess.objects.create(business=business, advisor=user,
                                        consent="signed form, 3 March")


def complete_review(business: Business, answers: dict[str, str] | None = None,
                    when: dt.datetime | None = None) -> Review:
    """A completed review with `answers` (question -> option) and its stored result."""
    review = Review.objects.create(business=business, catalogue_version=catalogue().version,
                                   profile=dict(business.profile))
    for question, option in (answers or {}).items():
        Answer.objects.create(review=review, question=question, option=option)
    review.result = to_result_json(core_review(review, "en"))
    review.completed_at = when or timezone.now()
    review.save()
    return review


def open_magic_link(client, business: Business, creator) -> MagicLink:
    link = MagicLink.objects.create(business=business, token_hash="x" * 64, created_by=creator,
                                    expires_at=timezone.now() + dt.timedelta(days=3))
    session = client.session
    session[MAGIC_SESSION_KEY] = link.pk
    session.save()
    return link


def finding(check: str, status: str) -> dict:
    return {"check": check, "area": check.split(".")[0], "status": status,
            "severity": "high", "result": "r", "title": check, "summary": "", "why": "",
            "fix": "", "evidence": {}}


def scan_document(per_domain: dict[str, list[dict] | None]) -> dict:
    """A `cyberbasics.scan/1` document: domain -> findings (None: could not scan it)."""
    results = []
    for domain, findings in per_domain.items():
        error = {"code": "timeout", "message": "no answer"} if findings is None else None
        results.append({"domain": domain, "input": domain, "error": error, "mode": "active",
                        "started_at": "2026-01-01T00:00:00Z", "duration_ms": 5,
                        "findings": findings or []})
    return {"schema": "cyberbasics.scan/1", "results": results}


def finished_scan(business: Business, per_domain: dict[str, list[dict] | None]) -> Scan:
    return Scan.objects.create(business=business, domains=list(per_domain),
                               mode=Scan.Mode.ACTIVE, status=Scan.Status.DONE,
                               result=scan_document(per_domain), finished_at=timezone.now())


def item_of(business: Business, action: str) -> ActionItem:
    return ActionItem.objects.get(business=business, action=action)


@pytest.fixture
def owner():
    return make_user("owner@florist.example", name="Olive Owner")


@pytest.fixture
def business(owner):
    return make_business(owner=owner)


@pytest.fixture
def reviewed(business):
    complete_review(business)
    return business


# --- the page ---------------------------------------------------------------------------------

def plan_url(business) -> str:
    return reverse("plan:plan", args=[business.pk])


def test_anonymous_visitors_are_sent_to_sign_in(client, reviewed):
    response = client.get(plan_url(reviewed))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


def test_another_business_gets_404(client, reviewed):
    stranger = make_user("other@bakery.example")
    make_business("Bakery", owner=stranger)
    client.force_login(stranger)
    assert client.get(plan_url(reviewed)).status_code == 404
    item = ActionItem.objects.create(business=reviewed, action=REMOTE)
    url = reverse("plan:update", args=[reviewed.pk, item.pk])
    assert client.post(url, {f"item{item.pk}-status": "done"}).status_code == 404
    assert item_of(reviewed, REMOTE).status == "todo"


def test_staff_cannot_see_the_plan(client, reviewed):
    staff = make_user("sam@florist.example")
    add_staff(reviewed, staff)
    client.force_login(staff)
    assert client.get(plan_url(reviewed)).status_code == 404
    assert client.get(reverse("plan:history", args=[reviewed.pk])).status_code == 404


def test_owner_sees_top_five_first_then_by_area_with_words_and_tracking(client, owner,
                                                                         reviewed):
    client.force_login(owner)
    response = client.get(plan_url(reviewed))
    assert response.status_code == 200
    page = response.context["page"]
    core = core_review(reviewed.reviews.get(), "en").plan
    assert [row.view.id for row in page.top] == [p.id for p in core.top]
    assert page.count == len(core.actions)
    assert [g.area for g in page.groups] == list(core.rest_by_area(
        [a.id for a in catalogue().areas]))
    # A tracking row for each action, created on first view.
    assert ActionItem.objects.filter(business=reviewed).count() == len(core.actions)
    html = response.content.decode()
    first = page.top[0]
    assert first.view.title in html and first.view.why[:40] in html
    assert html.index("Do these first") < html.index(first.view.title) \
        < html.index("Everything else, by area")
    # How to do it on the business's own platforms (Microsoft 365, and the router every
    # office has) wherever the action has words for them.
    rows = [*page.top, *(row for group in page.groups for row in group.rows)]
    shown = [{how.platform for how in row.view.how} for row in rows]
    own = [platforms for platforms in shown if "microsoft365" in platforms]
    assert own and all(platforms <= {"microsoft365", "router"} for platforms in own)
    assert "Microsoft 365" in html
    assert f'id="track-{first.item.pk}"' in html and 'hx-post="' in html
    assert f'name="item{first.item.pk}-assignee"' in html
    assert "style=" not in html and "onclick" not in html


def test_without_a_completed_review_there_is_no_plan_yet(client, owner, business):
    Review.objects.create(business=business, catalogue_version=catalogue().version)
    client.force_login(owner)
    response = client.get(plan_url(business))
    assert response.status_code == 200
    assert response.context["page"].review is None
    assert not ActionItem.objects.exists()


def test_advisor_edits_and_a_client_only_reads(client, owner, reviewed):
    advisor = make_user("ada@advice.example")
    add_advisor(reviewed, advisor)
    client.force_login(advisor)
    response = client.get(plan_url(reviewed))
    assert response.status_code == 200 and response.context["can_edit"]
    client.logout()
    open_magic_link(client, reviewed, advisor)
    response = client.get(plan_url(reviewed))
    assert response.status_code == 200 and not response.context["can_edit"]
    assert b'hx-post="' not in response.content
    item = item_of(reviewed, REMOTE)
    url = reverse("plan:update", args=[reviewed.pk, item.pk])
    assert client.post(url, {f"item{item.pk}-status": "done"}).status_code == 404


def test_sync_creates_missing_items_and_never_deletes_tracking(owner, reviewed):
    review = reviewed.reviews.get()
    plan = core_review(review, "en").plan
    items = plan_service.sync_action_items(reviewed, plan)
    assert set(items) == {p.id for p in plan.actions}
    kept = ActionItem.objects.create(business=reviewed, action="gone.from.catalogue",
                                     status="done")
    item = items[REMOTE]
    item.status = "doing"
    item.save()
    again = plan_service.sync_action_items(reviewed, plan)
    assert again[REMOTE].pk == item.pk and again[REMOTE].status == "doing"
    assert ActionItem.objects.filter(pk=kept.pk, status="done").exists()


# --- tracking updates -------------------------------------------------------------------------

def tracking(item, status="doing", assignee="", due=""):
    prefix = f"item{item.pk}"
    return {f"{prefix}-status": status, f"{prefix}-assignee": assignee,
            f"{prefix}-due_date": due}


def test_owner_updates_an_action_with_htmx_and_it_is_audited(client, owner, reviewed):
    staff = make_user("sam@florist.example")
    add_staff(reviewed, staff)
    client.force_login(owner)
    client.get(plan_url(reviewed))
    item = item_of(reviewed, REMOTE)
    url = reverse("plan:update", args=[reviewed.pk, item.pk])
    response = client.post(url, tracking(item, "doing", staff.pk, "2026-12-01"),
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div class="tracking" id="track-{item.pk}"')
    assert "<html" not in html and "Saved." in html
    item.refresh_from_db()
    assert (item.status, item.assignee, item.due_date) == ("doing", staff,
                                                           dt.date(2026, 12, 1))
    event = AuditEvent.objects.get(action="action.updated")
    assert event.actor == owner and event.business == reviewed
    assert event.detail["action_id"] == REMOTE
    assert event.detail["changes"]["status"] == ["todo", "doing"]


def test_a_plain_post_works_without_script(client, owner, reviewed):
    client.force_login(owner)
    client.get(plan_url(reviewed))
    item = item_of(reviewed, DMARC)
    response = client.post(reverse("plan:update", args=[reviewed.pk, item.pk]),
                           {**tracking(item, "done"), "next": plan_url(reviewed)})
    assert response.status_code == 302 and response.headers["Location"] == plan_url(reviewed)
    item.refresh_from_db()
    assert item.status == "done" and item.done_at is not None
    # An outside `next` is ignored.
    response = client.post(reverse("plan:update", args=[reviewed.pk, item.pk]),
                           {**tracking(item, "todo"), "next": "https://evil.example/"})
    assert response.headers["Location"].startswith(plan_url(reviewed))
    item.refresh_from_db()
    assert item.status == "todo" and item.done_at is None


def test_nobody_can_mark_an_action_verified_or_give_it_to_a_stranger(client, owner, reviewed):
    stranger = make_user("eve@elsewhere.example")
    client.force_login(owner)
    client.get(plan_url(reviewed))
    item = item_of(reviewed, REMOTE)
    url = reverse("plan:update", args=[reviewed.pk, item.pk])
    response = client.post(url, tracking(item, "verified"), headers={"HX-Request": "true"})
    assert response.status_code == 200 and b'role="alert"' in response.content
    response = client.post(url, tracking(item, "doing", stranger.pk),
                           headers={"HX-Request": "true"})
    assert b'role="alert"' in response.content
    item.refresh_from_db()
    assert item.status == "todo" and item.assignee is None
    assert not AuditEvent.objects.filter(action="action.updated").exists()


def test_a_verified_action_keeps_its_status_when_only_its_date_changes(client, owner,
                                                                        reviewed):
    client.force_login(owner)
    client.get(plan_url(reviewed))
    item = item_of(reviewed, REMOTE)
    ActionItem.objects.filter(pk=item.pk).update(status="verified", verified_at=timezone.now(),
                                                 verified_by="services.remote_access")
    client.post(reverse("plan:update", args=[reviewed.pk, item.pk]),
                tracking(item, "verified", "", "2027-01-10"))
    item.refresh_from_db()
    assert item.status == "verified" and item.verified_at is not None
    assert item.due_date == dt.date(2027, 1, 10)


def test_staff_get_404_on_the_plan_management_endpoint(client, reviewed):
    staff = make_user("sam@florist.example")
    add_staff(reviewed, staff)
    item = ActionItem.objects.create(business=reviewed, action=REMOTE, assignee=staff)
    other = ActionItem.objects.create(business=reviewed, action=DMARC)
    client.force_login(staff)
    for target in (item, other):
        url = reverse("plan:update", args=[reviewed.pk, target.pk])
        assert client.post(url, tracking(target, "done")).status_code == 404
    # Their own "My actions" endpoint works only for the action given to them.
    mine = reverse("plan:my-update", args=[reviewed.pk, other.pk])
    assert client.post(mine, {f"mine{other.pk}-status": "done"}).status_code == 404
    assert ActionItem.objects.filter(status="done").count() == 0


# --- the scan verifies ------------------------------------------------------------------------

def test_scan_verifiable_actions_come_from_the_catalogue():
    verifiable = plan_service.scan_verifiable_actions()
    assert verifiable[REMOTE] == ("services.remote_access",)
    assert verifiable[DMARC] == ("email.dmarc.policy",)
    assert "backups.turn_on_automatic" not in verifiable  # checked by the next answers


def test_a_passing_scan_on_every_domain_verifies_by_itself(business):
    ActionItem.objects.create(business=business, action=REMOTE, status="done")
    ActionItem.objects.create(business=business, action=DMARC, status="todo")
    ActionItem.objects.create(business=business, action="backups.turn_on_automatic")
    scan = finished_scan(business, {
        "florist.example": [finding("services.remote_access", "pass"),
                            finding("email.dmarc.policy", "pass")],
        "florist-shop.example": [finding("services.remote_access", "pass"),
                                 finding("email.dmarc.policy", "pass")]})
    changed = plan_service.verify_actions_from_scan(scan)
    assert changed == {REMOTE: "verified", DMARC: "verified"}
    item = item_of(business, REMOTE)
    assert item.verified_at is not None and item.verified_by == "services.remote_access"
    assert item.status_note["kind"] == "verified" and item.status_note["scan"] == scan.pk
    assert item_of(business, "backups.turn_on_automatic").status == "todo"
    assert AuditEvent.objects.filter(action="action.verified", business=business).count() == 2
    text = plan_service.status_note_text(item, "en")
    assert "florist.example" in text and "confirmed" in text


def test_could_not_check_never_verifies(business):
    ActionItem.objects.create(business=business, action=REMOTE, status="done")
    ActionItem.objects.create(business=business, action=DMARC, status="done")
    for per_domain in (
            {"florist.example": [finding("services.remote_access", "error"),
                                 finding("email.dmarc.policy", "info")]},
            # One domain passes, the other could not be scanned at all.
            {"florist.example": [finding("services.remote_access", "pass"),
                                 finding("email.dmarc.policy", "pass")],
             "florist-shop.example": None},
            # A passive scan: the active check did not run.
            {"florist.example": []}):
        scan = finished_scan(business, per_domain)
        assert plan_service.verify_actions_from_scan(scan) == {}
    assert set(ActionItem.objects.values_list("status", flat=True)) == {"done"}
    assert not ActionItem.objects.filter(verified_at__isnull=False).exists()


def test_done_but_still_failing_goes_back_to_do_with_a_note(client, owner, business):
    ActionItem.objects.create(business=business, action=DMARC, status="done",
                              done_at=timezone.now())
    ActionItem.objects.create(business=business, action=REMOTE, status="verified",
                              verified_at=timezone.now(),
                              verified_by="services.remote_access")
    scan = finished_scan(business, {
        "florist.example": [finding("email.dmarc.policy", "warn"),
                            finding("services.remote_access", "pass")],
        "florist-shop.example": [finding("email.dmarc.policy", "pass"),
                                 finding("services.remote_access", "fail")]})
    assert plan_service.verify_actions_from_scan(scan) == {DMARC: "todo", REMOTE: "todo"}
    dmarc = item_of(business, DMARC)
    assert dmarc.done_at is None
    assert dmarc.status_note["kind"] == "still_failing"
    assert dmarc.status_note["domains"] == ["florist.example"]
    remote = item_of(business, REMOTE)
    assert remote.verified_at is None and remote.status_note["kind"] == "failing_again"
    assert "florist-shop.example" in plan_service.status_note_text(remote, "en")
    assert AuditEvent.objects.filter(action="action.reopened").count() == 2
    # The owner sees why on the plan page.
    complete_review(business)
    client.force_login(owner)
    html = client.get(plan_url(business)).content.decode()
    assert "still found the problem" in html


def test_a_failing_scan_leaves_open_actions_alone_and_only_done_ones_reopen(business):
    ActionItem.objects.create(business=business, action=DMARC, status="doing")
    scan = finished_scan(business, {"florist.example": [finding("email.dmarc.policy",
                                                                "fail")]})
    assert plan_service.verify_actions_from_scan(scan) == {}
    assert item_of(business, DMARC).status == "doing"


def test_only_a_finished_scan_and_not_a_stale_one_speaks(business):
    ActionItem.objects.create(business=business, action=DMARC, status="done")
    passing = {"florist.example": [finding("email.dmarc.policy", "pass")]}
    running = finished_scan(business, passing)
    running.status = Scan.Status.RUNNING
    running.save()
    assert plan_service.verify_actions_from_scan(running) == {}
    older = finished_scan(business, passing)
    older.finished_at = timezone.now() - dt.timedelta(hours=1)
    older.save()
    finished_scan(business, {"florist.example": [finding("email.dmarc.policy", "fail")]})
    assert plan_service.verify_actions_from_scan(older) == {}
    assert item_of(business, DMARC).status == "done"


def test_a_person_changing_the_status_clears_the_scans_note(client, owner, business):
    ActionItem.objects.create(business=business, action=DMARC, status="done")
    scan = finished_scan(business, {"florist.example": [finding("email.dmarc.policy",
                                                                "fail")]})
    plan_service.verify_actions_from_scan(scan)
    item = item_of(business, DMARC)
    assert item.status_note
    plan_service.update_action_item(item, status="doing")
    item.refresh_from_db()
    assert item.status_note == {} and item.status == "doing"
