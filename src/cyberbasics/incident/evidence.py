"""The evidence log: an append-only, hash-chained record of what a business saw during an
incident, to hand to the police or an insurer (docs/evidence-log.md).

A log file is JSON Lines: a header line (the log's id, creation time, business name and time
zone, and the genesis hash), then one line per entry. Each entry holds its sequence number, when
it was recorded (UTC, RFC 3339) and in which time zone the business lives, who recorded it, what
was seen, the attached files (name, size, SHA-256 of the bytes), the previous entry's hash and
its own hash: SHA-256 over the canonical JSON of every other field. The first entry chains from
the genesis hash, SHA-256 over the canonical JSON of the header's fields, so the header is
protected too. Editing, removing or reordering an entry breaks the chain; :func:`verify` says
where and why.

Files are written atomically (a temporary file in the same directory, flushed, then
``os.replace``), so a crash leaves the old log or the new one, never half of one; appending
copies the earlier lines byte for byte. Attached files are copied, named by their hash, into
``<log>.files/`` next to the log, so the bundle (:func:`export_bundle`) can carry them.

Errors carry a text key (content/<lang>/evidence.yaml ``errors``) and its parameters, so the
CLI and the web app can say them in the user's language.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "cyberbasics-evidence-log"
VERSION = 1
MAX_LOG_BYTES = 64 * 1024 * 1024
MAX_TEXT = 20_000
MAX_NAME = 200
MAX_ENTRIES = 100_000
MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1024 * 1024


class EvidenceError(ValueError):
    """A log or bundle that cannot be read or changed; ``key`` names the text to show."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key, self.params = key, params
        detail = ", ".join(f"{k}={v}" for k, v in params.items())
        super().__init__(f"{key}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True)
class Attachment:
    name: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Entry:
    seq: int
    recorded_at: str  # UTC, RFC 3339, e.g. 2026-11-25T16:20:00Z
    time_zone: str
    recorded_by: str
    text: str
    files: tuple[Attachment, ...]
    prev_hash: str
    hash: str

    def content(self) -> dict[str, Any]:
        """Every field but the hash: what the hash covers."""
        return {"seq": self.seq, "recorded_at": self.recorded_at, "time_zone": self.time_zone,
                "recorded_by": self.recorded_by, "text": self.text,
                "files": [f.to_json() for f in self.files], "prev_hash": self.prev_hash}

    def to_json(self) -> dict[str, Any]:
        return {**self.content(), "hash": self.hash}

    def local_time(self) -> str:
        """When it was recorded, in the business's time zone (RFC 3339 with offset)."""
        return local_time(self.recorded_at, self.time_zone)


@dataclass(frozen=True)
class Header:
    log_id: str
    created: str
    business: str
    time_zone: str
    genesis: str

    def content(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "log_id": self.log_id,
                "created": self.created, "business": self.business,
                "time_zone": self.time_zone}

    def to_json(self) -> dict[str, Any]:
        return {**self.content(), "genesis": self.genesis}


@dataclass(frozen=True)
class EvidenceLog:
    header: Header
    entries: tuple[Entry, ...] = ()

    @property
    def head(self) -> str:
        """The last hash of the chain (the genesis hash while the log is empty)."""
        return self.entries[-1].hash if self.entries else self.header.genesis

    def to_document(self) -> dict[str, Any]:
        return {"header": self.header.to_json(), "entries": [e.to_json() for e in self.entries]}


@dataclass(frozen=True)
class Problem:
    """Why the chain breaks at entry ``seq`` (0: the header)."""

    seq: int
    reason: str  # a key of evidence.yaml `reasons`
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str
    problem: Problem | None = None
    checked_files: int = 0
    missing_files: tuple[str, ...] = ()  # attachments the bundle does not carry

    @property
    def ok(self) -> bool:
        return self.problem is None


# --- hashing ------------------------------------------------------------------------------------

def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same fields always give the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def genesis_hash(header_content: Mapping[str, Any]) -> str:
    return sha256_hex(canonical_json({"genesis": dict(header_content)}))


def entry_hash(content: Mapping[str, Any]) -> str:
    return sha256_hex(canonical_json(dict(content)))


def hash_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()


# --- time -----------------------------------------------------------------------------------------

def rfc3339_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_time_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if not name or name != name.strip() or len(name) > 64:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise EvidenceError("bad_time_zone", time_zone=name) from None
    return name


def local_time(utc_text: str, time_zone: str) -> str:
    """An RFC 3339 UTC time in ``time_zone``; the UTC text itself if either cannot be read."""
    from zoneinfo import ZoneInfo

    try:
        moment = dt.datetime.strptime(utc_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        return moment.astimezone(ZoneInfo(time_zone)).isoformat()
    except (ValueError, OSError, KeyError):
        return utc_text


# --- building -------------------------------------------------------------------------------------

def _clean(value: str, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EvidenceError("empty_field", field=what)
    if len(value) > limit:
        raise EvidenceError("too_long", field=what, limit=limit)
    if not _encodable(value):
        raise EvidenceError("not_text", field=what)
    return value


def _encodable(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (no lone surrogates, which JSON escapes and
    undecodable command-line bytes can carry)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def new_log(business: str, time_zone: str, *, now: dt.datetime | None = None,
            log_id: str | None = None) -> EvidenceLog:
    business = _clean(business, "business", MAX_NAME)
    check_time_zone(time_zone)
    created = rfc3339_utc(now or dt.datetime.now(dt.UTC))
    log_id = log_id or str(uuid.uuid4())
    content = {"format": FORMAT, "version": VERSION, "log_id": log_id, "created": created,
               "business": business, "time_zone": time_zone}
    return EvidenceLog(Header(log_id, created, business, time_zone, genesis_hash(content)))


def attachment_for(path: Path) -> Attachment:
    if not path.is_file():
        raise EvidenceError("no_attachment", path=str(path))
    try:
        size, digest = hash_file(path)
    except OSError as exc:
        raise EvidenceError("unreadable", path=str(path), error=exc.strerror or str(exc)) from None
    name = path.name[:MAX_NAME] or "file"
    return Attachment(name, size, digest)


def next_entry(log: EvidenceLog, recorded_by: str, text: str,
               files: Iterable[Attachment] = (), *, now: dt.datetime | None = None) -> Entry:
    content = {"seq": len(log.entries) + 1,
               "recorded_at": rfc3339_utc(now or dt.datetime.now(dt.UTC)),
               "time_zone": log.header.time_zone,
               "recorded_by": _clean(recorded_by, "recorded_by", MAX_NAME),
               "text": _clean(text, "text", MAX_TEXT),
               "files": [f.to_json() for f in files],
               "prev_hash": log.head}
    return Entry(content["seq"], content["recorded_at"], content["time_zone"],
                 content["recorded_by"], content["text"], tuple(files), content["prev_hash"],
                 entry_hash(content))


# --- verifying ------------------------------------------------------------------------------------

def verify(log: EvidenceLog, expected_head: str | None = None) -> Verification:
    """Whether the chain holds: the first broken entry and why, or ok. The chain alone cannot
    show that its last entries were cut off; ``expected_head``, a hash written down earlier
    (the head shown by ``evidence add`` or printed in an export), must still be in the chain."""
    def broken(seq: int, reason: str, **params: Any) -> Verification:
        return Verification(len(log.entries), log.head, Problem(seq, reason, params))

    if genesis_hash(log.header.content()) != log.header.genesis:
        return broken(0, "header_changed")
    previous = log.header.genesis
    for index, entry in enumerate(log.entries):
        expected = index + 1
        if entry.seq != expected:
            if any(later.seq == expected for later in log.entries[index + 1:]):
                return broken(entry.seq, "reordered", expected=expected)
            if entry.seq > expected:
                return broken(entry.seq, "missing", expected=expected)
            return broken(entry.seq, "reordered", expected=expected)
        if entry.prev_hash != previous:
            return broken(entry.seq, "prev_mismatch")
        if entry_hash(entry.content()) != entry.hash:
            return broken(entry.seq, "edited")
        previous = entry.hash
    if expected_head is not None:
        known = {log.header.genesis, *(e.hash for e in log.entries)}
        if expected_head.strip().lower() not in known:
            return broken(len(log.entries), "head_not_found")
    return Verification(len(log.entries), log.head)


# --- reading --------------------------------------------------------------------------------------

def _require(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise EvidenceError("missing_field", field=key, where=where)
    value = mapping[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise EvidenceError("wrong_field", field=key, where=where)
    if isinstance(value, str) and not _encodable(value):
        raise EvidenceError("wrong_field", field=key, where=where)
    return value


def _header(data: Any) -> Header:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise EvidenceError("not_a_log")
    if data.get("version") != VERSION:
        raise EvidenceError("unknown_version", version=str(data.get("version"))[:20])
    values = [_require(data, key, str, "header")
              for key in ("log_id", "created", "business", "time_zone", "genesis")]
    return Header(*values)


def _entry(data: Any, where: str) -> Entry:
    if not isinstance(data, dict):
        raise EvidenceError("wrong_field", field="entry", where=where)
    files = []
    for item in _require(data, "files", list, where):
        files.append(Attachment(_require(item, "name", str, where),
                                _require(item, "size", int, where),
                                _require(item, "sha256", str, where)))
    return Entry(_require(data, "seq", int, where), _require(data, "recorded_at", str, where),
                 _require(data, "time_zone", str, where),
                 _require(data, "recorded_by", str, where), _require(data, "text", str, where),
                 tuple(files), _require(data, "prev_hash", str, where),
                 _require(data, "hash", str, where))


def parse_log(data: bytes) -> EvidenceLog:
    """A log from its bytes: JSON Lines (the log file) or one JSON document (a bundle's
    log.json). Anything else raises :class:`EvidenceError`, never another exception."""
    if len(data) > MAX_LOG_BYTES:
        raise EvidenceError("too_big", limit=MAX_LOG_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EvidenceError("not_a_log") from None
    if not text.strip():
        raise EvidenceError("empty")
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):
        whole = None
    if isinstance(whole, dict) and "entries" in whole:
        entries = whole["entries"]
        if not isinstance(entries, list):
            raise EvidenceError("wrong_field", field="entries", where="document")
        header, items = _header(whole.get("header")), entries
        where = [f"entry {n}" for n in range(1, len(items) + 1)]
    else:
        lines = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
        try:
            first = json.loads(lines[0][1])
        except (ValueError, RecursionError):
            raise EvidenceError("not_a_log") from None
        header, items, where = _header(first), [], []
        for number, line in lines[1:]:
            try:
                items.append(json.loads(line))
            except (ValueError, RecursionError):
                raise EvidenceError("bad_line", line=number) from None
            where.append(f"line {number}")
    if len(items) > MAX_ENTRIES:
        raise EvidenceError("too_big", limit=MAX_LOG_BYTES)
    return EvidenceLog(header, tuple(_entry(item, w) for item, w in zip(items, where, strict=True)))


def read_log(path: Path) -> EvidenceLog:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_LOG_BYTES + 1)
    except FileNotFoundError:
        raise EvidenceError("no_log", path=str(path)) from None
    except IsADirectoryError:
        raise EvidenceError("not_a_log") from None
    except OSError as exc:
        raise EvidenceError("unreadable", path=str(path), error=exc.strerror or str(exc)) from None
    return parse_log(data)


# --- writing --------------------------------------------------------------------------------------

def _line(value: Mapping[str, Any]) -> bytes:
    return canonical_json(dict(value)) + b"\n"


def serialise(log: EvidenceLog) -> bytes:
    return _line(log.header.to_json()) + b"".join(_line(e.to_json()) for e in log.entries)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one."""
    directory = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    try:  # make the rename itself durable, where the platform allows it
        directory_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory_fd)
    except OSError:
        pass
    finally:
        os.close(directory_fd)


def store_dir(path: Path) -> Path:
    """Where the attached files of the log at ``path`` are kept, named by their SHA-256."""
    return path.with_name(path.name + ".files")


def create_log_file(path: Path, business: str, time_zone: str, *,
                    now: dt.datetime | None = None) -> EvidenceLog:
    if path.exists():
        raise EvidenceError("exists", path=str(path))
    if not path.parent.is_dir():
        raise EvidenceError("no_directory", path=str(path.parent))
    log = new_log(business, time_zone, now=now)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(serialise(log))
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, path)  # unlike os.replace, never overwrites a log made meanwhile
    except FileExistsError:
        raise EvidenceError("exists", path=str(path)) from None
    finally:
        os.unlink(temporary)
    return log


def append_entry(path: Path, recorded_by: str, text: str, files: Iterable[Path] = (), *,
                 now: dt.datetime | None = None) -> Entry:
    """Add an entry to the log at ``path``: the earlier lines are copied byte for byte, the
    new line added, the whole written atomically. A log whose chain is broken is not
    extended (the break would be hidden under new entries)."""
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        raise EvidenceError("no_log", path=str(path)) from None
    except OSError as exc:
        raise EvidenceError("unreadable", path=str(path), error=exc.strerror or str(exc)) from None
    log = parse_log(old)
    result = verify(log)
    if result.problem is not None:
        raise EvidenceError("broken_log", seq=result.problem.seq)
    paths = list(files)
    attachments = [attachment_for(p) for p in paths]
    entry = next_entry(log, recorded_by, text, attachments, now=now)
    store = store_dir(path)
    for source, attachment in zip(paths, attachments, strict=True):
        target = store / attachment.sha256
        if not target.exists():
            store.mkdir(exist_ok=True)
            try:
                copied = source.read_bytes()
            except OSError as exc:
                raise EvidenceError("unreadable", path=str(source),
                                    error=exc.strerror or str(exc)) from None
            if sha256_hex(copied) != attachment.sha256:  # changed while we were reading
                raise EvidenceError("attachment_moving", path=str(source))
            atomic_write(target, copied)
    if old and not old.endswith(b"\n"):
        old += b"\n"
    atomic_write(path, old + _line(entry.to_json()))
    return entry


# --- the bundle -----------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[^\w.\-]+")


def bundle_member(entry: Entry, index: int) -> str:
    """Where the bundle keeps an entry's attachment: ``files/<seq>-<n>-<name>``."""
    name = _UNSAFE_NAME.sub("_", entry.files[index].name).lstrip(".") or "file"
    return f"files/{entry.seq:04d}-{index + 1}-{name[:100]}"


def export_bundle(log: EvidenceLog, store: Path | None, readme: str) -> tuple[bytes, list[str]]:
    """The bundle as zip bytes (log.json, SHA256SUMS, README.txt and the attached files found
    in ``store``), and the attachments it could not carry (not in the store)."""
    buffer, missing = io.BytesIO(), []
    sums = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("log.json", json.dumps(log.to_document(), ensure_ascii=False,
                                                 indent=2) + "\n")
        for entry in log.entries:
            for index, attachment in enumerate(entry.files):
                member = bundle_member(entry, index)
                source = (store / attachment.sha256) if store is not None else None
                if (source is None or not _HEX64.fullmatch(attachment.sha256)
                        or not source.is_file()):
                    missing.append(member)
                    continue
                archive.write(source, member)
                sums.append(f"{attachment.sha256}  {member}\n")
        archive.writestr("SHA256SUMS", "".join(sums))
        archive.writestr("README.txt", readme)
    return buffer.getvalue(), missing


def verify_bundle(data: bytes) -> tuple[EvidenceLog, Verification]:
    """Read a bundle, verify its log's chain and that every file it carries still has the
    bytes the log recorded."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise EvidenceError("not_a_bundle") from None
    with archive:
        try:
            info = archive.getinfo("log.json")
        except KeyError:
            raise EvidenceError("not_a_bundle") from None
        if info.file_size > MAX_LOG_BYTES:
            raise EvidenceError("too_big", limit=MAX_LOG_BYTES)
        try:
            log = parse_log(archive.read(info))
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, NotImplementedError):
            raise EvidenceError("not_a_bundle") from None
        result = verify(log)
        if not result.ok:
            return log, result
        names = set(archive.namelist())
        checked, missing = 0, []
        for entry in log.entries:
            for index, attachment in enumerate(entry.files):
                member = bundle_member(entry, index)
                if member not in names:
                    missing.append(member)
                    continue
                try:
                    size, digest = _hash_member(archive, member)
                except (zipfile.BadZipFile, OSError, RuntimeError, EOFError,
                        NotImplementedError):
                    size, digest = -1, ""
                if digest != attachment.sha256 or size != attachment.size:
                    problem = Problem(entry.seq, "attachment_changed", {"file": member})
                    return log, Verification(len(log.entries), log.head, problem, checked,
                                             tuple(missing))
                checked += 1
        return log, Verification(len(log.entries), log.head, None, checked, tuple(missing))


def _hash_member(archive: zipfile.ZipFile, member: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > MAX_ATTACHMENT_BYTES:
                return size, ""
            digest.update(chunk)
    return size, digest.hexdigest()
