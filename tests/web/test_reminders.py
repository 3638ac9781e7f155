"""Reminders by e-mail at the due date: who gets them, once per due date, in their language,
and the daily task that sends them (locmem e-mail backend, from settings_test)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from cyberbasics.web.reviews import reminders
from cyberbasics.web.reviews.models import ActionItem

from .test_plan import DMARC, REMOTE, add_staff, make_business, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def owner():
    return make_user("owner@florist.example", name="Olive Owner")


@pytest.fixture
def business(owner):
    return make_business(owner=owner)


@pytest.fixture
def staff(business):
    user = make_user("sam@florist.example", name="Sam Staff")
    add_staff(business, user)
    return user


def test_the_assignee_hears_of_due_and_overdue_actions_once_per_due_date(business, staff):
    due = ActionItem.objects.create(business=business, action=REMOTE, assignee=staff,
                                    due_date=TODAY)
    late = ActionItem.objects.create(business=business, action=DMARC, assignee=staff,
                                     due_date=TODAY - dt.timedelta(days=3), status="doing")
    ActionItem.objects.create(business=business, action="firewall.turn_on", assignee=staff,
                              due_date=TODAY + dt.timedelta(days=1))  # not yet
    ActionItem.objects.create(business=business, action="backups.test_restore",
                              assignee=staff, due_date=TODAY, status="done")  # finished
    assert reminders.send_reminders(TODAY) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@florist.example"]
    assert "2 actions" in message.subject
    assert "Close the doors into your office from the internet" in message.body
    assert "due today" in message.body and "was due on 2026-06-12" in message.body
    assert "Lab Florist" in message.body
    assert f"http://127.0.0.1:8000/b/{business.pk}/my-actions/" in message.body
    assert not message.alternatives  # plain text
    assert "firewall" not in message.body.lower()
    due.refresh_from_db()
    late.refresh_from_db()
    assert due.reminder_sent_for == TODAY and late.reminder_sent_for == late.due_date
    # Once per due date: the next day says nothing new...
    assert reminders.send_reminders(TODAY + dt.timedelta(days=1)) == 1  # the firewall one
    assert len(mail.outbox) == 2 and "firewall" not in mail.outbox[0].body.lower()
    assert reminders.send_reminders(TODAY + dt.timedelta(days=1)) == 0
    # ...until the due date moves.
    due.due_date = TODAY + dt.timedelta(days=2)
    due.save()
    assert reminders.send_reminders(TODAY + dt.timedelta(days=2)) == 1
    assert len(mail.outbox) == 3


def test_unassigned_actions_and_those_of_people_who_left_go_to_the_owners(business, owner):
    second_owner = make_user("co@florist.example")
    from cyberbasics.web.businesses.models import Membership

    Membership.objects.create(business=business, user=second_owner, role="owner")
    gone = make_user("gone@florist.example")  # assigned, then removed from the business
    ActionItem.objects.create(business=business, action=REMOTE, due_date=TODAY)
    ActionItem.objects.create(business=business, action=DMARC, due_date=TODAY, assignee=gone)
    assert reminders.send_reminders(TODAY) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["co@florist.example",
                                                    "owner@florist.example"]
    body = mail.outbox[0].body
    assert f"http://127.0.0.1:8000/b/{business.pk}/plan/" in body
    assert "2 actions" in mail.outbox[0].subject
    assert "gone@florist.example" not in [m.to[0] for m in mail.outbox]


def test_each_recipient_reads_it_in_their_language(business, staff):
    staff.language = "pl"
    staff.save()
    ActionItem.objects.create(business=business, action=REMOTE, assignee=staff,
                              due_date=TODAY)
    ActionItem.objects.create(business=business, action=DMARC, due_date=TODAY)
    reminders.send_reminders(TODAY)
    by_person = {m.to[0]: m for m in mail.outbox}
    polish = by_person["sam@florist.example"].body
    english = by_person["owner@florist.example"].body
    from cyberbasics.assess.review import word

    assert word("pl", f"action.{REMOTE}", "title") in " ".join(polish.split())
    assert word("en", f"action.{DMARC}", "title") in " ".join(english.split())
    assert word("en", f"action.{REMOTE}", "title") not in polish


def test_a_failed_send_is_tried_again_next_time(business, staff, monkeypatch):
    item = ActionItem.objects.create(business=business, action=REMOTE, assignee=staff,
                                     due_date=TODAY)

    def broken(*args, **kwargs):
        raise OSError("the mail server is down")

    monkeypatch.setattr(reminders, "send_mail", broken)
    assert reminders.send_reminders(TODAY) == 0
    item.refresh_from_db()
    assert item.reminder_sent_for is None
    monkeypatch.undo()
    assert reminders.send_reminders(TODAY) == 1
    assert len(mail.outbox) == 1


def test_the_management_command_sends_them(business, staff):
    ActionItem.objects.create(business=business, action=REMOTE, assignee=staff,
                              due_date=TODAY)
    out = StringIO()
    call_command("send_reminders", "--date", TODAY.isoformat(), stdout=out)
    assert "1 reminder" in out.getvalue() and len(mail.outbox) == 1


def test_next_run_is_the_next_seven_oclock_utc():
    at = dt.datetime(2026, 6, 15, 6, 59, tzinfo=dt.UTC)
    assert reminders.next_run(at) == dt.datetime(2026, 6, 15, 7, 0, tzinfo=dt.UTC)
    at = dt.datetime(2026, 6, 15, 7, 0, tzinfo=dt.UTC)
    assert reminders.next_run(at) == dt.datetime(2026, 6, 16, 7, 0, tzinfo=dt.UTC)
    warsaw = dt.timezone(dt.timedelta(hours=2))  # 08:30 in Warsaw is 06:30 UTC
    assert reminders.next_run(dt.datetime(2026, 6, 15, 8, 30, tzinfo=warsaw)) \
        == dt.datetime(2026, 6, 15, 7, 0, tzinfo=dt.UTC)


def test_the_daily_task_is_queued_once_and_queues_the_next_run(business, staff):
    now = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
    first = reminders.schedule_daily_reminders(now)
    assert first is not None
    assert reminders.schedule_daily_reminders(now) is None  # already queued
    queued = DBTaskResult.objects.get()
    assert queued.status == "READY"
    assert queued.task_path == "cyberbasics.web.reviews.reminders.send_due_reminders"
    assert queued.run_after == dt.datetime(2026, 6, 16, 7, 0, tzinfo=dt.UTC)
    # Running it (as the worker does) sends today's reminders and queues the next run.
    ActionItem.objects.create(business=business, action=REMOTE, assignee=staff,
                              due_date=dt.datetime.now(dt.UTC).date())
    queued.claim("test-worker")
    assert reminders.send_due_reminders.call() == 1
    queued.set_successful(1)
    assert len(mail.outbox) == 1
    waiting = DBTaskResult.objects.filter(status="READY")
    assert waiting.count() == 1 and waiting.get().pk != queued.pk


def test_the_command_can_queue_the_daily_task():
    out = StringIO()
    call_command("send_reminders", "--schedule", stdout=out)
    assert "daily reminders queued" in out.getvalue()
    call_command("send_reminders", "--schedule", stdout=out)
    assert "already queued" in out.getvalue()
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_no_reminder_for_an_action_the_latest_review_shows_in_place(business, staff):
    from .test_plan import complete_review

    complete_review(business, {"backups.regular": "automatic_daily"})
    ActionItem.objects.create(business=business, action="backups.turn_on_automatic",
                              assignee=staff, due_date=TODAY)  # closed by the answers
    ActionItem.objects.create(business=business, action=REMOTE, assignee=staff,
                              due_date=TODAY)  # still in the plan
    assert reminders.send_reminders(TODAY) == 1
    assert "backup" not in mail.outbox[0].body.lower()
    assert "1 action" in mail.outbox[0].subject
