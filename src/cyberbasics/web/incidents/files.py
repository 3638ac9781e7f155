"""Where the files attached to evidence logs are kept, and the limits on them.

Each log has a folder under the evidence folder (`CYBERBASICS_EVIDENCE_DIR`, by default
`<CYBERBASICS_VAR>/evidence`), named by the log's id, holding each file under its SHA-256:
the layout of the core's `<log>.files/` store, so `export_bundle` reads it as it is. The
folder is outside the static files, so nothing in it is ever served by URL.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

MB = 1024 * 1024
_LOG_ID = re.compile(r"[0-9a-f-]{36}")


def evidence_root() -> Path:
    configured = getattr(settings, "CYBERBASICS_EVIDENCE_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "evidence"


def max_file_bytes() -> int:
    return int(getattr(settings, "CYBERBASICS_EVIDENCE_MAX_FILE_BYTES", 10 * MB))


def max_log_bytes() -> int:
    return int(getattr(settings, "CYBERBASICS_EVIDENCE_MAX_LOG_BYTES", 50 * MB))


def store_for(log_id: str) -> Path:
    """The folder of one log's files (the id is a UUID the site made; checked anyway, as it
    becomes part of a path)."""
    if not _LOG_ID.fullmatch(log_id):
        raise ValueError(f"not a log id: {log_id!r}")
    return evidence_root() / log_id


@dataclass(frozen=True)
class SavedFile:
    name: str
    size: int
    sha256: str


def save_upload(log_id: str, upload) -> SavedFile:
    """Copy an uploaded file into the log's folder under its SHA-256, hashing the bytes as
    they are written (so the hash is of exactly what is kept). Atomic: a temporary file,
    fsynced, then renamed."""
    store = store_for(log_id)
    store.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, temporary = tempfile.mkstemp(prefix=".upload.", dir=store)
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in upload.chunks():
                digest.update(chunk)
                size += len(chunk)
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, store / digest.hexdigest())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return SavedFile(display_name(upload.name), size, digest.hexdigest())


def display_name(name: str | None) -> str:
    """The file's own name, without any folder a browser sent, at most 200 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[:200] or "file"


# A verified file's state is trusted only when the file had not changed for this long before
# it was hashed: a file system that keeps times in whole (or even two) seconds could
# otherwise change a file within the same tick as our look at it, and keep the same state.
SETTLED_NS = 3 * 1_000_000_000


def file_state(log_id: str, sha256: str) -> list[int] | None:
    """What says whether a kept file may have changed, without reading it: its size, its
    modification and status-change times and its inode; None when it is not kept.

    The status-change time (ctime) cannot be set back by a program (utime changes mtime and
    moves ctime to now), so any write, replace or restored mtime gives a new state."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        return None
    try:
        found = (store_for(log_id) / sha256).stat()
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino]


def settled(state: list[int], looked_at_ns: int) -> bool:
    """Whether `state` (taken at `looked_at_ns`) is old enough to be remembered."""
    return looked_at_ns - max(state[1], state[2]) >= SETTLED_NS


def file_matches(log_id: str, sha256: str, size: int) -> bool | None:
    """Whether the kept copy still has the recorded bytes; None when it is not kept."""
    path = store_for(log_id) / sha256
    if not re.fullmatch(r"[0-9a-f]{64}", sha256) or not path.is_file():
        return None
    digest, seen = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(MB):
            digest.update(chunk)
            seen += len(chunk)
    return seen == size and digest.hexdigest() == sha256


def delete_store(log_id: str) -> None:
    with contextlib.suppress(ValueError):
        shutil.rmtree(store_for(log_id), ignore_errors=True)
