"""The task lease: a task whose worker died goes back to the queue (docs/decisions/0004).

django-tasks-db claims a task by setting it RUNNING (``SELECT ... FOR UPDATE SKIP LOCKED``)
and nothing else: if the worker is then killed, the task stays RUNNING for ever. Here each
worker (`cyberbasics_worker`) keeps a `WorkerHeartbeat` row fresh from a thread of its own,
and every worker reaps: a RUNNING task whose last worker has not been seen for
``CYBERBASICS_TASK_LEASE_SECONDS`` goes back to READY, in one compare-and-set UPDATE (still
RUNNING, still the same ``worker_ids``), so that of two reapers only one requeues it and a
task claimed again in between is left alone. The attempts are counted from ``worker_ids``
(one entry per claim): a task whose worker died ``CYBERBASICS_TASK_MAX_ATTEMPTS`` times is
marked FAILED with `WorkerLost` instead, so a task that kills its worker cannot loop.

A task may therefore run more than once (at least once, never lost): tasks must be safe to
repeat. A worker that hangs while its heartbeat thread runs keeps its task: time limits
inside the tasks (a scan's ``domain_timeout``) bound that.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import DateTimeField, ExpressionWrapper, Value
from django.db.models.functions import Now
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus, task_finished
from django_tasks_db.models import DBTaskResult

from .models import TargetLease, WorkerHeartbeat

logger = logging.getLogger("cyberbasics.web.jobs")

DEFAULT_LEASE_SECONDS = 30.0
DEFAULT_MAX_ATTEMPTS = 3
# Rows of workers gone for this long are deleted (their tasks were reaped long before).
FORGET_AFTER = timedelta(days=1)


class WorkerLost(Exception):
    """The task's worker stopped (killed, crashed, lost its machine or its database) before
    the task finished, as many times as a task may be tried."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


def lease_seconds() -> float:
    return float(getattr(settings, "CYBERBASICS_TASK_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def max_attempts() -> int:
    return int(getattr(settings, "CYBERBASICS_TASK_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def db_time(offset_seconds: float = 0.0):
    """The database server's clock, plus an offset: every worker compares times by one
    clock, however far apart the machines' clocks are."""
    if not offset_seconds:
        return Now()
    return ExpressionWrapper(Now() + Value(timedelta(seconds=offset_seconds)),
                             output_field=DateTimeField())


# --- heartbeats ------------------------------------------------------------------------


def beat(worker_id: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Say that the worker is alive (its row, created on its first beat)."""
    rows = WorkerHeartbeat.objects.using(using)
    if not rows.filter(worker_id=worker_id).update(last_seen=Now()):
        rows.update_or_create(worker_id=worker_id, defaults={
            "host": socket.gethostname()[:255], "pid": os.getpid(),
            "started_at": Now(), "last_seen": Now()})


def forget(worker_id: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """The worker stops: its tasks (if one was cut short) may be reaped at once."""
    WorkerHeartbeat.objects.using(using).filter(worker_id=worker_id).delete()


class Heartbeat:
    """A thread that beats for ``worker_id`` every ``every`` seconds, with a database
    connection of its own (closed when the thread ends), and after each beat calls
    ``then`` (the reaper). `start` returns once the first beat is written, so the worker
    never claims a task before its row exists; `stop` deletes the row."""

    def __init__(self, worker_id: str, *, every: float, then: Callable[[], object] | None = None,
                 using: str = DEFAULT_DB_ALIAS):
        self.worker_id = worker_id
        self.every = every
        self.then = then
        self.using = using
        self._stop = threading.Event()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 60.0) -> None:
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {self.worker_id}",
                                        daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError(f"worker {self.worker_id}: the first heartbeat took over "
                               f"{timeout:g} s")
        if self._error is not None:
            raise self._error

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        connection = connections[self.using]
        try:
            try:
                beat(self.worker_id, using=self.using)
            except BaseException as exc:
                self._error = exc
                return
            finally:
                self._started.set()
            while not self._stop.wait(self.every):
                try:
                    connection.close_if_unusable_or_obsolete()
                    beat(self.worker_id, using=self.using)
                    if self.then is not None:
                        self.then()
                except Exception:  # the database is away: try again at the next beat
                    logger.exception("worker %s: heartbeat failed", self.worker_id)
            try:
                forget(self.worker_id, using=self.using)
            except Exception:
                logger.exception("worker %s: could not delete its heartbeat", self.worker_id)
        finally:
            connection.close()


# --- the reaper ------------------------------------------------------------------------


@dataclass
class Reaped:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def stale_tasks(*, lease: float | None = None, backend_name: str | None = None,
                using: str = DEFAULT_DB_ALIAS) -> list[DBTaskResult]:
    """RUNNING tasks whose last worker has not beaten within the lease (and that started
    longer ago than the lease: a worker beats before it claims, so a task without any
    heartbeat row is one from a worker without a heartbeat, given the same time)."""
    lease = lease_seconds() if lease is None else lease
    alive = set(WorkerHeartbeat.objects.using(using).filter(last_seen__gte=db_time(-lease))
                .values_list("worker_id", flat=True))
    running = DBTaskResult.objects.using(using).running().filter(
        started_at__lt=timezone.now() - timedelta(seconds=lease))
    if backend_name is not None:
        running = running.filter(backend_name=backend_name)
    return [task for task in running.only("id", "worker_ids", "task_path", "backend_name")
            if not task.worker_ids or task.worker_ids[-1] not in alive]


def requeue(task: DBTaskResult, *, attempts: int | None = None,
            using: str = DEFAULT_DB_ALIAS) -> str | None:
    """Put a stale task back in the queue, or mark it FAILED when it has had ``attempts``
    tries; "requeued", "failed", or None when it changed since it was read (another reaper
    got there first, or a worker claimed it again): compare and set on status and
    ``worker_ids``."""
    attempts = max_attempts() if attempts is None else attempts
    same = DBTaskResult.objects.using(using).filter(
        id=task.id, status=TaskResultStatus.RUNNING, worker_ids=task.worker_ids)
    tried = len(task.worker_ids)
    if tried < attempts:
        if not same.update(status=TaskResultStatus.READY):
            return None
        logger.warning("task %s (%s): worker %s stopped mid-task; queued again (attempt %d "
                       "of %d next)", task.id, task.task_path, _last(task), tried + 1, attempts)
        return "requeued"
    text = (f"{WORKER_LOST}: this task was started {tried} times and each time its worker "
            "stopped before the task finished (killed, crashed, or its machine lost power or "
            f"its database); workers: {', '.join(task.worker_ids)}. It is not started again: "
            "enqueue it anew once the cause is fixed.\n")
    if not same.update(status=TaskResultStatus.FAILED, finished_at=timezone.now(),
                       return_value=None, exception_class_path=WORKER_LOST, traceback=text):
        return None
    logger.error("task %s (%s): worker %s stopped mid-task, attempt %d of %d; marked failed",
                 task.id, task.task_path, _last(task), tried, attempts)
    _announce_failure(task.id, using)
    return "failed"


def reap(*, lease: float | None = None, attempts: int | None = None,
         backend_name: str | None = None, using: str = DEFAULT_DB_ALIAS) -> Reaped:
    """Requeue (or fail) every task whose worker is gone."""
    reaped = Reaped()
    for task in stale_tasks(lease=lease, backend_name=backend_name, using=using):
        outcome = requeue(task, attempts=attempts, using=using)
        if outcome == "requeued":
            reaped.requeued.append(str(task.id))
        elif outcome == "failed":
            reaped.failed.append(str(task.id))
    return reaped


def forget_departed(using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete heartbeats and target leases nobody has renewed for a day."""
    WorkerHeartbeat.objects.using(using).filter(
        last_seen__lt=db_time(-FORGET_AFTER.total_seconds())).delete()
    TargetLease.objects.using(using).filter(
        expires_at__lt=db_time(-FORGET_AFTER.total_seconds())).delete()


def _last(task: DBTaskResult) -> str:
    return task.worker_ids[-1] if task.worker_ids else "(none)"


def _announce_failure(task_id, using: str) -> None:
    """`task_finished`, as the worker sends it for a task that failed, so the pages that
    follow a task learn that this one will not finish."""
    try:
        failed = DBTaskResult.objects.using(using).get(id=task_id)
        task_finished.send(sender=type(failed.task.get_backend()),
                           task_result=failed.task_result)
    except (ImportError, SuspiciousOperation):
        logger.exception("task %s: cannot announce its failure", task_id)
    except Exception:
        logger.exception("task %s: a task_finished receiver failed", task_id)
