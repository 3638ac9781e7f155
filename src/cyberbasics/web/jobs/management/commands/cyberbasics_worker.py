"""`python -m cyberbasics.web cyberbasics_worker`: django-tasks-db's worker with a lease.

The same options as ``db_worker`` (--queue-name, --exclude-queues, --interval, --batch,
--reload, --backend, --no-startup-delay, --max-tasks, --worker-id). In addition the worker
keeps its heartbeat fresh from a thread and, before its first claim and after every beat,
puts back in the queue the tasks of workers that stopped beating (`jobs.lease`). Run this,
never ``db_worker``, so that every worker beats. On start it also queues the platform's
daily task (the action plan's reminders) unless it is queued already.
"""

from __future__ import annotations

import logging
import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from ... import lease

logger = logging.getLogger("cyberbasics.web.jobs")


def schedule_daily_tasks() -> None:
    """Queue the daily reminders (`reviews.reminders`) and the deletion of expired
    anonymous evidence logs (`incidents.cleanup`) unless a run is queued; each run queues
    the next. One failing does not stop the other."""
    try:
        from cyberbasics.web.reviews.reminders import schedule_daily_reminders

        schedule_daily_reminders()
    except Exception:  # the worker is still useful without them
        logger.exception("could not queue the daily reminders")
    try:
        from cyberbasics.web.incidents.cleanup import schedule_daily_cleanup

        schedule_daily_cleanup()
    except Exception:  # expired logs are unreachable already; the cleanup frees the space
        logger.exception("could not queue the daily evidence cleanup")


class LeasedWorker(db_worker.Worker):
    """django-tasks-db's `Worker`, beating and reaping while it runs."""

    def __init__(self, *, lease_seconds: float, max_attempts: int, **options):
        super().__init__(**options)
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.heartbeat = lease.Heartbeat(self.worker_id, every=lease_seconds / 4,
                                         then=self.reap)

    def reap(self) -> lease.Reaped:
        return lease.reap(lease=self.lease_seconds, attempts=self.max_attempts,
                          backend_name=self.backend_name)

    def run(self) -> None:
        self.heartbeat.start()
        try:
            lease.forget_departed()
            self.reap()  # before the first claim
            schedule_daily_tasks()
            super().run()
        finally:
            self.heartbeat.stop()


class Command(db_worker.Command):
    help = ("Run a database background worker that beats, and requeues the tasks of workers "
            "that stopped beating")

    def handle(self, *, verbosity: int, queue_name: str, interval: float, batch: bool,
               backend_name: str, startup_delay: bool, reload: bool, max_tasks: int | None,
               worker_id: str, exclude_queues: str, **options) -> None:
        # db_worker's own handle, building a LeasedWorker instead of a Worker.
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("--reload and --batch cannot be specified together: "
                           "autoreload disabled")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        lease_seconds = lease.lease_seconds()
        attempts = lease.max_attempts()
        if not lease_seconds > 0 or attempts < 1:
            raise CommandError("CYBERBASICS_TASK_LEASE_SECONDS must be above 0 and "
                               "CYBERBASICS_TASK_MAX_ATTEMPTS at least 1")
        worker = LeasedWorker(
            queue_names=queue_names, interval=interval, batch=batch,
            backend_name=backend_name, startup_delay=startup_delay, max_tasks=max_tasks,
            worker_id=worker_id, excluded_queue_names=excluded_queue_names,
            lease_seconds=lease_seconds, max_attempts=attempts)
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child process runs the worker
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()

