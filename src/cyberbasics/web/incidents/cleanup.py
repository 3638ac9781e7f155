"""The daily cleanup: anonymous evidence logs past their time are deleted with their files.

It runs as the task `delete_expired_evidence` (django-tasks, database backend), queued for
the next 03:00 UTC by `schedule_daily_cleanup()`, which the worker calls when it starts (as
it does for the reminders, `reviews/reminders.py`), and which each run calls again for the
next day. `manage.py delete_expired_evidence` runs it by hand or from cron.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

from . import anonymous

log = logging.getLogger(__name__)
RUN_AT = dt.time(3, 0, tzinfo=dt.UTC)


def next_run(now: dt.datetime | None = None) -> dt.datetime:
    """The next 03:00 UTC strictly after `now`."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    at = dt.datetime.combine(now.date(), RUN_AT)
    return at if at > now else at + dt.timedelta(days=1)


def delete_expired_logs(now: dt.datetime | None = None) -> int:
    deleted = anonymous.delete_expired(now)
    if deleted:
        log.info("deleted %s expired anonymous evidence log(s)", deleted)
    return deleted


@task()
def delete_expired_evidence() -> int:
    """The daily task: delete expired anonymous logs, then queue tomorrow's run."""
    try:
        return delete_expired_logs()
    finally:
        schedule_daily_cleanup()


def queued_cleanup_runs():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=delete_expired_evidence.module_path,
                                       status="READY")


def schedule_daily_cleanup(now: dt.datetime | None = None):
    """Queue `delete_expired_evidence` for the next 03:00 UTC unless a run is queued
    already; the queued task's result, or None (already queued, or a backend that cannot
    run tasks later)."""
    backend = delete_expired_evidence.get_backend()
    if not backend.supports_defer:
        return None
    from django.db import transaction
    from django_tasks_db.backend import DatabaseBackend

    with transaction.atomic():
        if isinstance(backend, DatabaseBackend) and queued_cleanup_runs().exists():
            return None
        return delete_expired_evidence.using(run_after=next_run(now)).enqueue()
