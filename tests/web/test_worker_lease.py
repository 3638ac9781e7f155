"""The task lease: a task whose worker died is run again by another worker, never left
"running"; a task that kills its worker every time fails after the allowed attempts; two
reapers never both requeue one task. Workers are real processes (`cyberbasics_worker`)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.db.models.functions import Now
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.utils import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max

from cyberbasics.web.jobs import lease
from cyberbasics.web.jobs.models import WorkerHeartbeat

from . import lease_tasks
from .conftest import ROOT, SHARED

pytestmark = pytest.mark.django_db(transaction=True, databases=SHARED)

LEASE = 2.0  # seconds: short, so that a dead worker is noticed quickly


def wait_until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}")
        time.sleep(0.05)


def enqueue(alias: str, task, *args) -> DBTaskResult:
    """What ``task.enqueue(*args)`` writes, in the shared database."""
    return DBTaskResult.objects.using(alias).create(
        args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
        priority=task.priority, task_path=task.module_path, queue_name=task.queue_name,
        run_after=get_date_max(), backend_name="default")


class Workers:
    def __init__(self, database, folder: Path):
        self.database = database
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, worker_id: str) -> subprocess.Popen:
        log = open(self.folder / f"{worker_id}.log", "wb")  # noqa: SIM115 - the child's
        process = subprocess.Popen(
            self.database.command("cyberbasics_worker", "--worker-id", worker_id,
                                  "--interval", "0.1", "--no-startup-delay", "--no-reload"),
            env=self.database.env(CYBERBASICS_TASK_LEASE_SECONDS=str(LEASE),
                                  CYBERBASICS_TASK_MAX_ATTEMPTS="3"),
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes[worker_id] = process
        return process

    def log(self, worker_id: str) -> str:
        return (self.folder / f"{worker_id}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(10)


@pytest.fixture
def workers(shared_database, tmp_path):
    running = Workers(shared_database, tmp_path)
    yield running
    running.stop_all()


def starts(folder: Path) -> int:
    path = folder / "started"
    return len(path.read_text().split()) if path.exists() else 0


def test_a_task_whose_worker_is_killed_runs_again_on_another_worker(shared_database,
                                                                      workers, tmp_path):
    alias = shared_database.alias
    job = enqueue(alias, lease_tasks.wait_for_go, str(tmp_path))
    tasks = DBTaskResult.objects.using(alias)

    first = workers.start("first")
    wait_until(lambda: starts(tmp_path) == 1, "the first worker to start the task")
    assert tasks.get(id=job.id).worker_ids == ["first"]
    first.send_signal(signal.SIGKILL)  # mid-task: no clean-up of any kind
    assert first.wait(10) == -signal.SIGKILL

    time.sleep(LEASE + 0.5)  # nobody is left to notice: the task still says running
    assert tasks.get(id=job.id).status == TaskResultStatus.RUNNING

    second = workers.start("second")
    wait_until(lambda: starts(tmp_path) == 2, "the second worker to run the task again",
               timeout=LEASE + 30)
    assert tasks.get(id=job.id).worker_ids == ["first", "second"]
    (tmp_path / "go").touch()
    done = wait_until(lambda: tasks.filter(id=job.id).exclude(
        status=TaskResultStatus.RUNNING).first(), "the task to finish")
    assert (done.status, done.return_value) == (TaskResultStatus.SUCCESSFUL, "done"), \
        workers.log("second")
    assert starts(tmp_path) == 2
    assert "queued again" in workers.log("second")

    # A worker that stops cleanly takes its heartbeat with it.
    beats = WorkerHeartbeat.objects.using(alias)
    assert beats.filter(worker_id="second").exists()
    second.send_signal(signal.SIGTERM)
    assert second.wait(15) == 0, workers.log("second")
    assert not beats.filter(worker_id="second").exists()


def test_a_task_that_kills_every_worker_fails_after_the_attempts(shared_database, workers,
                                                                 tmp_path):
    alias = shared_database.alias
    job = enqueue(alias, lease_tasks.kill_my_worker, str(tmp_path))
    tasks = DBTaskResult.objects.using(alias)
    for attempt in (1, 2, 3):
        worker = workers.start(f"worker-{attempt}")
        assert worker.wait(LEASE + 30) == -signal.SIGKILL, workers.log(f"worker-{attempt}")
        assert starts(tmp_path) == attempt
    workers.start("survivor")
    failed = wait_until(lambda: tasks.filter(id=job.id, status=TaskResultStatus.FAILED).first(),
                        "the task to be marked failed", timeout=LEASE + 30)
    assert failed.worker_ids == ["worker-1", "worker-2", "worker-3"]
    assert failed.exception_class_path == "cyberbasics.web.jobs.lease.WorkerLost"
    assert "started 3 times" in failed.traceback and "worker-3" in failed.traceback
    [error] = failed.task_result.errors
    assert error.exception_class is lease.WorkerLost
    time.sleep(LEASE)  # and it stays failed: never claimed again
    assert starts(tmp_path) == 3
    assert workers.processes["survivor"].poll() is None


def test_the_worker_takes_db_workers_options_and_queues_the_daily_reminders(shared_database,
                                                                             tmp_path):
    alias = shared_database.alias
    (tmp_path / "go").touch()
    job = enqueue(alias, lease_tasks.wait_for_go, str(tmp_path))
    other_queue = DBTaskResult.objects.using(alias).get(
        id=enqueue(alias, lease_tasks.wait_for_go, str(tmp_path)).id)
    other_queue.queue_name = "elsewhere"
    other_queue.save(using=alias)
    finished = subprocess.run(
        shared_database.command("cyberbasics_worker", "--batch", "--queue-name", "default",
                                "--interval", "0", "--worker-id", "batch-1"),
        env=shared_database.env(), cwd=ROOT, capture_output=True, timeout=60)
    assert finished.returncode == 0, finished.stderr.decode(errors="replace")
    tasks = DBTaskResult.objects.using(alias)
    done = tasks.get(id=job.id)
    assert (done.status, done.worker_ids) == (TaskResultStatus.SUCCESSFUL, ["batch-1"])
    assert tasks.get(id=other_queue.id).status == TaskResultStatus.READY
    assert not WorkerHeartbeat.objects.using(alias).exists()  # gone with its worker
    [reminders] = tasks.filter(task_path__endswith=".send_due_reminders")
    assert reminders.status == TaskResultStatus.READY and reminders.run_after > timezone.now()


# --- the reaper, in this process --------------------------------------------------------


def running_task(alias: str, worker_ids: list[str], started: float = 60.0) -> DBTaskResult:
    job = enqueue(alias, lease_tasks.wait_for_go, "/nonexistent")
    DBTaskResult.objects.using(alias).filter(id=job.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=worker_ids,
        started_at=timezone.now() - timedelta(seconds=started))
    return DBTaskResult.objects.using(alias).get(id=job.id)


def in_threads(alias: str, count: int, work):
    """Run ``work()`` in ``count`` threads at once (each with its own connection)."""
    start = threading.Barrier(count, timeout=30)
    results = [None] * count

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = work()
        finally:
            connections[alias].close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_only_tasks_of_silent_workers_are_stale(shared_database):
    alias = shared_database.alias
    beats = WorkerHeartbeat.objects.using(alias)
    lease.beat("alive", using=alias)
    beats.create(worker_id="silent", host="h", pid=1, started_at=Now(), last_seen=Now())
    beats.filter(worker_id="silent").update(last_seen=lease.db_time(-10 * LEASE))
    alive = running_task(alias, ["silent", "alive"])
    silent = running_task(alias, ["alive", "silent"])
    vanished = running_task(alias, ["never-beat"])
    just_claimed = running_task(alias, ["never-beat"], started=0)
    stale = {t.id for t in lease.stale_tasks(lease=LEASE, using=alias)}
    assert stale == {silent.id, vanished.id}
    assert alive.id not in stale and just_claimed.id not in stale


def test_two_reapers_that_read_the_same_task_requeue_it_once(shared_database):
    alias = shared_database.alias
    job = running_task(alias, ["gone"])
    seen = in_threads(alias, 2, lambda: lease.stale_tasks(lease=LEASE, using=alias))
    assert [[t.id for t in found] for found in seen] == [[job.id], [job.id]]
    outcomes = in_threads(alias, 2, lambda: [lease.requeue(t, attempts=3, using=alias)
                                             for t in seen.pop()])
    assert sorted(outcomes, key=repr) == [["requeued"], [None]]  # one did, one found it done
    assert DBTaskResult.objects.using(alias).get(id=job.id).status == TaskResultStatus.READY


def test_racing_reapers_fail_a_task_once(shared_database):
    alias = shared_database.alias
    job = running_task(alias, ["a", "b", "c"])
    results = in_threads(alias, 4, lambda: lease.reap(lease=LEASE, attempts=3, using=alias))
    assert sorted(len(r.failed) for r in results) == [0, 0, 0, 1]
    assert not any(r.requeued for r in results)
    assert DBTaskResult.objects.using(alias).get(id=job.id).status == TaskResultStatus.FAILED


def test_a_task_claimed_again_after_it_was_read_is_left_alone(shared_database):
    alias = shared_database.alias
    job = running_task(alias, ["gone"])
    [stale] = lease.stale_tasks(lease=LEASE, using=alias)
    # Meanwhile another reaper requeued it and a live worker claimed it.
    DBTaskResult.objects.using(alias).filter(id=job.id).update(worker_ids=["gone", "new"])
    assert lease.requeue(stale, attempts=3, using=alias) is None
    job.refresh_from_db(using=alias)
    assert (job.status, job.worker_ids) == (TaskResultStatus.RUNNING, ["gone", "new"])


def test_a_reaper_waits_for_a_claim_in_progress_and_then_leaves_the_task(shared_database):
    """Worker B claims the task in a transaction while a reaper's compare-and-set comes in:
    the reaper's UPDATE waits for B (the row lock on PostgreSQL, the write lock on SQLite)
    and then finds the task changed."""
    alias = shared_database.alias
    job = running_task(alias, ["gone"])
    [stale] = lease.stale_tasks(lease=LEASE, using=alias)
    claimed, reaped = threading.Event(), []

    def reaper():
        claimed.wait(30)
        try:
            reaped.append(lease.requeue(stale, attempts=3, using=alias))
        finally:
            connections[alias].close()

    thread = threading.Thread(target=reaper)
    thread.start()
    with transaction.atomic(using=alias):
        DBTaskResult.objects.using(alias).filter(id=job.id).update(
            status=TaskResultStatus.RUNNING, worker_ids=["gone", "b"])
        claimed.set()
        time.sleep(0.5)  # the reaper is now waiting for this transaction
    thread.join(30)
    assert reaped == [None]
    assert DBTaskResult.objects.using(alias).get(id=job.id).worker_ids == ["gone", "b"]


@pytest.mark.postgres
def test_two_claims_at_once_skip_each_others_locked_task(shared_database):
    """The claim the lease builds on: with SKIP LOCKED, two workers claiming at once get
    different tasks (PostgreSQL; SQLite runs one writer at a time instead)."""
    alias = shared_database.alias
    for _ in range(2):
        enqueue(alias, lease_tasks.wait_for_go, "/nonexistent")

    def claim():
        with transaction.atomic(using=alias):
            task = DBTaskResult.objects.using(alias).ready().get_locked()
            time.sleep(0.5)  # both transactions are open at once
            return task.id if task else None

    first, second = in_threads(alias, 2, claim)
    assert first and second and first != second
