"""One active scan of an address at a time on every machine: the core's per-address lock,
kept in the database (docs/decisions/0004-task-leases.md).

The core locks an address with a file on the machine that scans (`net.target_lock`); with
workers on several machines that is not enough. `DatabaseTargetLocks` is a lock provider
for the core (``ScanConfig.target_lock_provider``) that keeps a `TargetLease` row per
address instead: taken by inserting the row, or by a compare-and-set on a row whose expiry
has passed (its holder died); renewed while the scan probes; deleted when it is done. A scan
that finds the address held waits (polling) up to the core's time limit and then gives up
with `TargetBusy`, which the checks report as "could not check", saying why.

Since an address is probed by one holder at a time anywhere, that holder's rate limiter is
the only one sending to it, and the per-target rate limit holds across every worker.

Usage (the scan task)::

    with database_target_locks() as locks:
        config = dataclasses.replace(config, target_lock_provider=locks)
        results = asyncio.run(scan_domains(domains, config))

Database work runs in one thread of the provider's own, with its own connection, closed by
`close` (or leaving the ``with``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, Error, IntegrityError, connections, transaction
from django.db.models.functions import Now

from ...net.ratelimit import canonical_address
from ...net.target_lock import TargetBusy, TargetLockError
from .lease import db_time, lease_seconds
from .models import TargetLease

logger = logging.getLogger("cyberbasics.web.jobs")

POLL_SECONDS = 0.5


def holder_name() -> str:
    """Who holds a lease, as the busy message shows it; unique per provider."""
    return f"process {os.getpid()} on {socket.gethostname()} #{secrets.token_hex(4)}"[:200]


# --- the database operations (synchronous; the provider runs them in its thread) ----------


def take(address: str, holder: str, lease: float, *, using: str = DEFAULT_DB_ALIAS
         ) -> TargetLease | None:
    """Take the address's lease for ``lease`` seconds: None when taken, else the row of
    the holder that has it."""
    rows = TargetLease.objects.using(using)
    lease_row = {"holder": holder, "acquired_at": Now(), "expires_at": db_time(lease)}
    if rows.filter(address=address, expires_at__lt=Now()).update(**lease_row):
        return None  # its holder died: taken over
    current = rows.filter(address=address).first()
    if current is not None:
        return current
    try:
        with transaction.atomic(using=using):
            rows.create(address=address, **lease_row)
    except IntegrityError:  # another holder inserted it first
        return rows.filter(address=address).first() or TargetLease(address=address,
                                                                   holder="another scan")
    return None


def renew(address: str, holder: str, lease: float, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Extend the holder's lease; False when it is no longer the holder's."""
    return bool(TargetLease.objects.using(using).filter(address=address, holder=holder)
                .update(expires_at=db_time(lease)))


def give_back(address: str, holder: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    TargetLease.objects.using(using).filter(address=address, holder=holder).delete()


# --- the core's lock provider ----------------------------------------------------------


@dataclass
class Held:
    address: str
    renewing: asyncio.Task


class DatabaseTargetLocks:
    """A `net.target_lock.LockProvider` keeping one `TargetLease` row per address."""

    def __init__(self, *, lease: float | None = None, poll: float = POLL_SECONDS,
                 using: str = DEFAULT_DB_ALIAS, holder: str | None = None):
        self.lease = lease_seconds() if lease is None else float(lease)
        if not self.lease > 0:
            raise ValueError("the lease must be above 0 seconds")
        self.poll = poll
        self.using = using
        self.holder = holder or holder_name()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="target-lease")

    async def acquire(self, address: str, *, wait: float) -> Held:
        key = canonical_address(address)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, wait)
        while True:
            try:
                current = await self._call(take, key, self.holder, self.lease)
            except (Error, RuntimeError) as exc:
                raise TargetLockError(f"cannot take the lease on {key} in the database: "
                                      f"{exc}") from None
            if current is None:
                return Held(key, asyncio.create_task(self._renew(key)))
            left = deadline - loop.time()
            if left <= 0:
                since = (f" since {current.acquired_at:%H:%M:%S} UTC"
                         if current.acquired_at else "")
                raise TargetBusy(
                    f"another active scan of {key} was running ({current.holder}{since}) "
                    f"and did not finish within {wait:g} s; two scans of one address never "
                    "run at once, so this one did not probe it")
            await asyncio.sleep(min(self.poll, left))

    async def release(self, held: Held) -> None:
        held.renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await held.renewing
        try:  # shielded: a scan cancelled (its time is up) still gives the address back
            await asyncio.shield(self._call(give_back, held.address, self.holder))
        except (Error, RuntimeError):  # it expires by itself
            logger.warning("could not give back the lease on %s", held.address, exc_info=True)

    async def _renew(self, key: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                if not await self._call(renew, key, self.holder, self.lease):
                    logger.warning("the lease on %s expired before it was renewed (the "
                                   "database was away?); another scan may now probe it", key)
                    return
            except (Error, RuntimeError):
                logger.warning("could not renew the lease on %s", key, exc_info=True)

    async def _call(self, operation, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self._in_thread, operation, *args))

    def _in_thread(self, operation, *args):
        connections[self.using].close_if_unusable_or_obsolete()
        return operation(*args, using=self.using)

    def close(self) -> None:
        """Close the thread's database connection and end the thread."""
        with contextlib.suppress(RuntimeError):  # already closed
            self._executor.submit(lambda: connections[self.using].close()).result()
        self._executor.shutdown(wait=True)

    def __enter__(self) -> DatabaseTargetLocks:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def database_target_locks(**options) -> DatabaseTargetLocks:
    """The lock provider for scans run by the workers: pass it as ``ScanConfig(
    target_lock_provider=...)`` and close it after the scan (or use it in a ``with``)."""
    return DatabaseTargetLocks(**options)


__all__ = ["DatabaseTargetLocks", "TargetBusy", "database_target_locks", "give_back", "renew",
           "take"]
