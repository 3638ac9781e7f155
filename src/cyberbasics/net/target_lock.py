"""Never two active scans of one address at once, across processes too.

Each target address has a lock file in a private folder; an active scan holds an exclusive
``flock`` on it while it probes that address. A second scan of the same address (another
process, or another batch in this one) waits for its turn, a bounded time, and then gives
up with a message that says who holds it. The operating system drops the lock when its
holder exits, however it exits, so a crashed scan never leaves an address locked.

Folder: ``$CYBERBASICS_LOCK_DIR`` when set, else ``$XDG_RUNTIME_DIR/cyberbasics/locks``, else
``<tempdir>/cyberbasics-<uid>/locks``; created private (0700) and refused when it belongs to
someone else.

Within one batch the collectors that reach the same address (port probes, file probes) share
one hold through `TargetLocks`: the file is locked when the first of them starts and
released when the last one ends.

Lock files serve the processes of one machine. Where workers on several machines scan, the
lock comes from elsewhere: `TargetLocks` takes any `LockProvider` (``ScanConfig.
target_lock_provider``), such as the web platform's database leases
(``cyberbasics.web.jobs.target_lease``); this module knows nothing of where they live.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .ratelimit import canonical_address

LOCK_DIR_ENV = "CYBERBASICS_LOCK_DIR"
POLL_SECONDS = 0.05


class TargetLockError(Exception):
    """The lock could not be taken: busy for too long, or the lock folder is unusable."""


class TargetBusy(TargetLockError):
    """Another scan held the address's lock for longer than we were willing to wait."""


def lock_dir() -> Path:
    """The folder holding one lock file per address (created, private)."""
    override = os.environ.get(LOCK_DIR_ENV, "").strip()
    if override:
        folder = Path(override)
    elif (runtime := os.environ.get("XDG_RUNTIME_DIR", "").strip()) and Path(runtime).is_dir():
        folder = Path(runtime) / "cyberbasics" / "locks"
    else:
        top = Path(tempfile.gettempdir()) / f"cyberbasics-{os.getuid()}"
        _private_folder(top)
        folder = top / "locks"
    _private_folder(folder)
    return folder


def _private_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError as exc:
        raise TargetLockError(f"cannot use the lock folder {folder}: {exc}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise TargetLockError(f"the lock folder {folder} is not a folder (a link?)")
    if info.st_uid != os.getuid():
        raise TargetLockError(f"the lock folder {folder} belongs to another user; set "
                              f"{LOCK_DIR_ENV} to a folder of your own")


def lock_path(address: str, folder: Path | None = None) -> Path:
    """The lock file of an address (``:`` written as ``_`` so IPv6 is a valid file name)."""
    key = canonical_address(address)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in key.replace(":", "_"))
    return (folder or lock_dir()) / f"{safe}.lock"


@dataclass
class _Held:
    fd: int
    path: Path


async def acquire(address: str, *, wait: float, folder: Path | None = None) -> _Held:
    """Take the address's lock, waiting at most ``wait`` seconds (polling: the event loop
    keeps running); raise TargetBusy when another holder keeps it longer."""
    import fcntl

    path = lock_path(address, folder)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise TargetLockError(f"cannot open the lock file {path}: {exc}") from None
    deadline = time.monotonic() + max(0.0, wait)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise TargetLockError(f"cannot lock {path}: {exc}") from None
            if time.monotonic() >= deadline:
                holder = _read_holder(fd)
                raise TargetBusy(
                    f"another active scan of {canonical_address(address)} was running"
                    f"{f' ({holder})' if holder else ''} and did not finish within "
                    f"{wait:g} s; two scans of one address never run at once, so this one "
                    "did not probe it")
            await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        _write_holder(fd)
        return _Held(fd, path)
    except BaseException:
        os.close(fd)
        raise


def release(held: _Held) -> None:
    """Unlock (closing the file releases the flock)."""
    os.close(held.fd)


def _write_holder(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()} since {time.strftime('%H:%M:%S')}\n".encode(), 0)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isprintable() else ""


class LockProvider(Protocol):
    """Where the per-address locks live. ``acquire`` waits at most ``wait`` seconds and
    raises `TargetBusy` when another holder keeps the address longer (`TargetLockError` when
    the lock cannot be taken at all); it returns a handle that ``release`` gives back. Both
    get the address in canonical form."""

    async def acquire(self, address: str, *, wait: float) -> Any: ...

    async def release(self, held: Any) -> None: ...


class FileLocks:
    """The default provider: one lock file per address on this machine (see above)."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder

    async def acquire(self, address: str, *, wait: float) -> _Held:
        return await acquire(address, wait=wait, folder=self.folder)

    async def release(self, held: _Held) -> None:
        release(held)


class TargetLocks:
    """A batch's holds on target addresses: one lock per address (a lock file, or what the
    ``provider`` gives), shared by every collector of the batch that probes it (so they
    never wait for each other)."""

    def __init__(self, folder: Path | None = None, *, provider: LockProvider | None = None):
        self.folder = folder
        self.provider: LockProvider = provider if provider is not None else FileLocks(folder)
        self._entries: dict[str, _Entry] = {}

    @contextlib.asynccontextmanager
    async def hold(self, address: str, *, wait: float) -> AsyncIterator[None]:
        key = canonical_address(address)
        entry = self._entries.setdefault(key, _Entry())
        async with entry.taking:
            if entry.count == 0:
                entry.held = await self.provider.acquire(key, wait=wait)
            entry.count += 1
        try:
            yield
        finally:
            entry.count -= 1
            if entry.count == 0 and entry.held is not None:
                held, entry.held = entry.held, None
                await self.provider.release(held)

    def held(self, address: str) -> bool:
        entry = self._entries.get(canonical_address(address))
        return entry is not None and entry.count > 0


class _Entry:
    def __init__(self):
        self.taking = asyncio.Lock()
        self.count = 0
        self.held: Any = None
