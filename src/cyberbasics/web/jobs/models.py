"""Worker liveness, so a task whose worker died is handed to another, and the per-address
leases that let workers on many machines share the scanner's per-target limits
(docs/decisions/0004-task-leases.md).

Times in both tables are the database server's clock (``Now()``), never a worker's, so
machines whose clocks disagree still agree on who is late.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """One row per running worker (`cyberbasics_worker`), touched every few seconds by a
    thread of its own. A worker whose row is older than the lease is presumed dead, and the
    tasks it was running go back to the queue (`jobs.lease.reap`)."""

    worker_id = models.CharField(_("worker id"), max_length=64, primary_key=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}, process {self.pid})"


class TargetLease(models.Model):
    """Who is actively scanning an address, until when: at most one holder anywhere. The
    holder renews ``expires_at`` while it probes and deletes the row when it is done; a row
    past its expiry belongs to a holder that died, and the next scan takes it over."""

    address = models.CharField(_("address"), max_length=64, primary_key=True)
    holder = models.CharField(_("holder"), max_length=200)
    acquired_at = models.DateTimeField(_("acquired at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        ordering = ["address"]
        verbose_name = _("target lease")
        verbose_name_plural = _("target leases")

    def __str__(self) -> str:
        return f"{self.address} ({self.holder})"
