"""Reminders by e-mail when an action falls due.

`send_reminders(today)` writes to each assignee (or to the business's owners when the action
is given to nobody, or to someone who has left) about the actions due today or overdue and
not finished, once per due date (`ActionItem.reminder_sent_for`), in the recipient's language,
as plain text with a link to the page where they can act on it.

It runs every day as the task `send_due_reminders` (django-tasks, database backend): the
worker's start calls `schedule_daily_reminders()`, which queues the task for the next 07:00
UTC unless one is queued already, and the task queues the next day's run after each run.
`manage.py send_reminders` runs it by hand (or from cron).

A reminder is claimed before it is sent (a conditional update of `reminder_sent_for`), so two
runs at once never send the same one twice; a failed send gives the claim back.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.core.mail import send_mail
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from ...assess.review import word
from ...report.safe_text import safe_text
from ..businesses.models import Membership
from .models import ActionItem
from .plan import OPEN_STATUSES, content_language, current_plan_ids, site_link

log = logging.getLogger(__name__)
SEND_AT = dt.time(7, 0, tzinfo=dt.UTC)


@dataclass
class Due:
    item: ActionItem
    title: str
    overdue: bool


@dataclass
class Letter:
    user: object
    language: str
    # business -> (link, actions)
    businesses: dict = field(default_factory=dict)


def due_items(today: dt.date):
    """The open actions due today or earlier whose reminder for that date is not sent."""
    return ActionItem.objects.filter(status__in=OPEN_STATUSES, due_date__isnull=False,
                                     due_date__lte=today) \
        .filter(Q(reminder_sent_for__isnull=True) | ~Q(reminder_sent_for=F("due_date"))) \
        .select_related("business", "assignee").order_by("business_id", "due_date", "action")


def _recipients(item: ActionItem, members: dict[int, dict[int, Membership]]) -> list:
    """The assignee while they belong to the business, else its owners."""
    people = members.get(item.business_id, {})
    if item.assignee_id and item.assignee_id in people:
        return [people[item.assignee_id]]
    return [m for m in people.values() if m.role == Membership.Role.OWNER]


def _claim(item: ActionItem) -> bool:
    """Mark `item`'s reminder for its due date as sent, unless another run did first."""
    return ActionItem.objects.filter(pk=item.pk, due_date=item.due_date) \
        .filter(Q(reminder_sent_for__isnull=True) | ~Q(reminder_sent_for=F("due_date"))) \
        .update(reminder_sent_for=item.due_date) == 1


def send_reminders(today: dt.date | None = None) -> int:
    """E-mail every reminder due on `today` (default: today in UTC); returns how many
    e-mails were sent."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    items = list(due_items(today))
    if not items:
        return 0
    members: dict[int, dict[int, Membership]] = {}
    for membership in Membership.objects.filter(
            business_id__in={i.business_id for i in items}).select_related("user"):
        members.setdefault(membership.business_id, {})[membership.user_id] = membership
    plans: dict[int, set[str] | None] = {}
    letters: dict[int, Letter] = {}
    claimed: dict[int, tuple[ActionItem, object]] = {}
    for item in items:
        if item.business_id not in plans:
            plans[item.business_id] = current_plan_ids(item.business)
        in_plan = plans[item.business_id]
        if in_plan is not None and item.action not in in_plan:
            continue  # the latest review shows it in place: nothing to remind of
        recipients = _recipients(item, members)
        if not recipients or not _claim(item):
            continue
        claimed[item.pk] = (item, item.reminder_sent_for)
        for membership in recipients:
            user = membership.user
            letter = letters.setdefault(user.pk, Letter(
                user, content_language(user.language or "en")))
            if membership.role == Membership.Role.STAFF:
                path = reverse("plan:business-my-actions", args=[item.business_id])
            else:
                path = reverse("plan:plan", args=[item.business_id])
            entry = letter.businesses.setdefault(item.business_id,
                                                 (item.business, site_link(path), []))
            entry[2].append(item)
    sent = 0
    for letter in letters.values():
        item_ids = [i.pk for (_, _, group) in letter.businesses.values() for i in group]
        try:
            _send(letter, today)
            sent += 1
        except Exception:
            log.exception("the reminder to user %s could not be sent", letter.user.pk)
            for pk in item_ids:  # give the claims back: the next run tries again
                item, before = claimed[pk]
                ActionItem.objects.filter(pk=pk, reminder_sent_for=item.due_date) \
                    .update(reminder_sent_for=before)
    return sent


def _send(letter: Letter, today: dt.date) -> None:
    lang = letter.language
    with translation.override(lang):
        groups = []
        for business, link, group in letter.businesses.values():
            groups.append({"business": safe_text(business.name), "link": link, "actions": [
                Due(item, safe_text(" ".join(word(lang, f"action.{item.action}", "title")
                                             .split())), item.due_date < today)
                for item in group]})
        context = {"user": letter.user, "groups": groups, "today": today,
                   "count": sum(len(g["actions"]) for g in groups)}
        subject = " ".join(render_to_string("reviews/plan/email/reminder_subject.txt",
                                            context).split())
        body = render_to_string("reviews/plan/email/reminder_body.txt", context)
    send_mail(subject, body, None, [letter.user.email])


# --- the schedule -----------------------------------------------------------------------------

def next_run(now: dt.datetime | None = None) -> dt.datetime:
    """The next 07:00 UTC strictly after `now`."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    at = dt.datetime.combine(now.date(), SEND_AT)
    return at if at > now else at + dt.timedelta(days=1)


@task()
def send_due_reminders() -> int:
    """The daily task: send the reminders due today, then queue tomorrow's run."""
    try:
        return send_reminders()
    finally:
        schedule_daily_reminders()


def queued_reminder_runs():
    """The runs of `send_due_reminders` waiting in the database queue."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=send_due_reminders.module_path,
                                       status="READY")


def schedule_daily_reminders(now: dt.datetime | None = None):
    """Queue `send_due_reminders` for the next 07:00 UTC unless a run is queued already;
    returns the queued task's result, or None when there was one (or when the task backend
    cannot run tasks later)."""
    backend = send_due_reminders.get_backend()
    if not backend.supports_defer:
        return None
    from django.db import transaction

    with transaction.atomic():
        if _uses_database_queue(backend) and queued_reminder_runs().exists():
            return None
        return send_due_reminders.using(run_after=next_run(now)).enqueue()


def _uses_database_queue(backend) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(backend, DatabaseBackend)
