"""Background tasks of reviews (Django Tasks; the database backend in a deployment)."""

from __future__ import annotations

import logging

from django.dispatch import receiver
from django_tasks import TaskResultStatus, task
from django_tasks.signals import task_finished

logger = logging.getLogger(__name__)


@task()
def run_scan(scan_id: int, language: str = "en") -> str:
    """Run one queued scan (`reviews.scanning.execute_scan`): idempotent, and never raises
    for a scan that fails, so a worker never dies of one; the scan row says what happened."""
    from .scanning import execute_scan

    return execute_scan(scan_id, language)


@receiver(task_finished, dispatch_uid="cyberbasics.reviews.scan_task_finished")
def scan_task_finished(sender, task_result, **kwargs) -> None:
    """A scan task that failed outside the scan's own handling (its worker died too often,
    say) leaves its scan failed, never "running" for ever. Connected when this module is
    imported, which resolving a `run_scan` task does first."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    if getattr(task_result.task, "func", None) is not run_scan.func or not task_result.args:
        return
    from .scanning import fail_abandoned

    args = list(task_result.args)
    language = args[1] if len(args) > 1 else task_result.kwargs.get("language", "en")
    try:
        fail_abandoned(args[0], str(language))
    except Exception:  # a receiver must not break the worker
        logger.exception("could not mark scan %s failed", task_result.args[0])
