"""Evidence logs in the database, through the core (`cyberbasics.incident.evidence`).

The site never builds hashes itself: `new_log` and `next_entry` make the header and each
entry, `serialise`'s canonical lines are what is stored, and reading parses those lines
back (`parse_log`) and checks them (`verify`). Shared by the anonymous log and incidents.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ...incident import evidence
from ...report.safe_text import safe_text
from ...texts import LANGUAGES, words
from . import files as file_store
from .models import StoredEntry, StoredLog

logger = logging.getLogger(__name__)


class LogChangeError(Exception):
    """Why an entry was not added, in words for the person adding it."""


def language() -> str:
    code = (get_language() or "en").split("-")[0]
    return code if code in LANGUAGES else "en"


def _words() -> Any:
    return words("evidence", language())


def evidence_error_text(exc: evidence.EvidenceError) -> str:
    """The core's error in the page's language (its field names too)."""
    texts = _words()
    params = dict(exc.params)
    if "field" in params:
        params["field"] = texts["fields"].get(params["field"], params["field"])
    template = texts["errors"].get(exc.key, exc.key)
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


# --- creating and reading ---------------------------------------------------------------------

def create_log(business: str, time_zone: str, *, now: dt.datetime | None = None) -> StoredLog:
    log = evidence.new_log(business, time_zone, now=now)
    return StoredLog.objects.create(log_id=log.header.log_id,
                                    header=evidence.canonical_json(log.header.to_json())
                                    .decode("utf-8"))


def core_log(stored: StoredLog) -> evidence.EvidenceLog:
    """The stored lines as the core's log; a row that is no longer a log line raises
    `EvidenceError`, as a damaged log file would."""
    lines = [stored.header, *stored.entries.order_by("seq").values_list("line", flat=True)]
    return evidence.parse_log("\n".join(lines).encode("utf-8"))


@dataclass(frozen=True)
class FileRow:
    name: str
    size: int
    sha256: str
    kept: bool | None  # the kept copy matches (True), differs (False), is not kept (None)


@dataclass(frozen=True)
class EntryRow:
    entry: evidence.Entry
    local_time: str
    files: tuple[FileRow, ...]


@dataclass(frozen=True)
class LogView:
    """What a page shows of a log: its entries, whether the chain holds, in words."""

    stored: StoredLog
    log: evidence.EvidenceLog | None
    ok: bool
    verdict: str
    rows: tuple[EntryRow, ...] = ()
    changed_files: tuple[str, ...] = field(default=())

    @property
    def head(self) -> str:
        return self.log.head if self.log is not None else ""

    @property
    def header(self):
        return self.log.header if self.log is not None else None


# Whether each kept file still has its recorded bytes is shown on every view of a log, but
# reading up to 50 MB on every page view (anonymous visitors included) is a cost anyone can
# make us pay. So a page re-hashes a file only when its state (size, mtime, ctime, inode:
# files.file_state) differs from the state it had when it was last hashed, and the result
# is remembered only when the file had settled before it was read (files.settled). That is
# still honest: changing a file's bytes changes its ctime, which no program can set back, so
# a changed file is hashed again on the next view. Only someone who can also turn the
# machine's clock back (root, who could equally rewrite the database) could hide a change
# from the page, and the downloads re-hash every file whatever was remembered.
def kept_files(stored: StoredLog, log: evidence.EvidenceLog, *,
               full: bool = False) -> dict[str, bool | None]:
    """sha256 -> whether the kept copy has the recorded bytes (None: not kept), for every
    file of the log; `full` hashes every file again, whatever was remembered."""
    remembered = dict(stored.verified_files or {})
    results: dict[str, bool | None] = {}
    for attachment in (a for entry in log.entries for a in entry.files):
        sha, size = attachment.sha256, attachment.size
        if sha in results:
            continue
        looked_at = time.time_ns()
        state = file_store.file_state(stored.log_id, sha)
        if state is None:
            results[sha] = None
            continue
        known = remembered.get(sha) or {}
        if not full and known.get("state") == state and known.get("size") == size:
            results[sha] = known.get("matches")
            continue
        results[sha] = file_store.file_matches(stored.log_id, sha, size)
        if file_store.settled(state, looked_at):
            remembered[sha] = {"size": size, "state": state, "matches": results[sha]}
        else:
            remembered.pop(sha, None)
    if remembered != (stored.verified_files or {}):
        # update(), not save(): never write over stored_bytes that add_entry keeps.
        StoredLog.objects.filter(pk=stored.pk).update(verified_files=remembered)
        stored.verified_files = remembered
    return results


def view_log(stored: StoredLog) -> LogView:
    """Read, verify and describe a log, including whether each kept file still has the bytes
    its entry recorded (a changed file is reported as the bundle's check would)."""
    texts = _words()
    try:
        log = core_log(stored)
    except evidence.EvidenceError as exc:
        return LogView(stored, None, False, evidence_error_text(exc))
    result = evidence.verify(log)
    checked = kept_files(stored, log)
    rows, changed = [], []
    for entry in log.entries:
        kept = []
        for attachment in entry.files:
            matches = checked[attachment.sha256]
            if matches is False:
                changed.append(attachment.name)
            kept.append(FileRow(attachment.name, attachment.size, attachment.sha256, matches))
        rows.append(EntryRow(entry, _local(entry), tuple(kept)))
    if result.problem is not None:
        ok, verdict = False, _broken_text(texts, result.problem)
    elif changed:
        ok = False
        verdict = _("These files no longer have the bytes that were recorded: %(files)s") \
            % {"files": ", ".join(changed)}
    else:
        ok, verdict = True, texts["ok"].format(entries=result.entries)
    return LogView(stored, log, ok, verdict, tuple(rows), tuple(changed))


def _local(entry: evidence.Entry) -> str:
    """The entry's time in its time zone, as people read it: 2026-11-25 17:20 (+01:00)."""
    text = entry.local_time()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} ({offset[:3]}:{offset[3:]})" if offset else text


def _broken_text(texts: Any, problem: evidence.Problem) -> str:
    reason = texts["reasons"][problem.reason].format(
        **{k: safe_text(v) for k, v in problem.params.items()})
    key = "header_broken" if problem.seq == 0 else "broken"
    return texts[key].format(seq=problem.seq, reason=reason)


# --- adding -----------------------------------------------------------------------------------

def check_uploads(stored: StoredLog, uploads: list) -> None:
    """Refuse, before anything is kept, a file over the per-file limit or files that would
    take the log over its limit."""
    per_file, per_log = file_store.max_file_bytes(), file_store.max_log_bytes()
    for upload in uploads:
        if upload.size > per_file:
            raise LogChangeError(
                _("%(name)s is %(size)s; a file may be at most %(limit)s. Nothing was "
                  "added: make the file smaller (a screenshot of the part that matters, say) "
                  "and add the entry again.")
                % {"name": file_store.display_name(upload.name),
                   "size": megabytes(upload.size), "limit": megabytes(per_file)})
    total = stored.stored_bytes + sum(upload.size for upload in uploads)
    if total > per_log:
        raise LogChangeError(
            _("These files would take the log over %(limit)s (it holds %(used)s). "
              "Nothing was added: download the log now and start a new one for more files.")
            % {"limit": megabytes(per_log), "used": megabytes(stored.stored_bytes)})


def megabytes(size: int) -> str:
    """A size as people read it, in the page's language ("10.0 MB", "2.4 KB")."""
    return str(filesizeformat(size))


def add_entry(stored: StoredLog, recorded_by: str, text: str, uploads: list, *,
              now: dt.datetime | None = None) -> evidence.Entry:
    """Append one entry with its files. A log whose chain is broken is not extended (that
    would bury the break under new entries), as the core's `append_entry` does for files."""
    check_uploads(stored, uploads)
    with transaction.atomic():
        locked = StoredLog.objects.select_for_update().get(pk=stored.pk)
        try:
            log = core_log(locked)
        except evidence.EvidenceError as exc:
            raise LogChangeError(evidence_error_text(exc)) from None
        result = evidence.verify(log)
        if result.problem is not None:
            raise LogChangeError(
                _("Nothing was added: the log's chain is broken at entry %(seq)s. Download "
                  "it as it is and keep it; start a new log for what comes next.")
                % {"seq": result.problem.seq})
        saved = [file_store.save_upload(locked.log_id, upload) for upload in uploads]
        attachments = [evidence.Attachment(s.name, s.size, s.sha256) for s in saved]
        try:
            entry = evidence.next_entry(log, recorded_by, text, attachments, now=now)
        except evidence.EvidenceError as exc:
            raise LogChangeError(evidence_error_text(exc)) from None
        try:
            with transaction.atomic():
                StoredEntry.objects.create(
                    log=locked, seq=entry.seq, hash=entry.hash,
                    line=evidence.canonical_json(entry.to_json()).decode("utf-8"))
        except IntegrityError:
            raise LogChangeError(_("Someone added an entry at the same moment. Nothing was "
                                   "lost: add yours again.")) from None
        locked.stored_bytes += sum(s.size for s in saved)
        locked.save(update_fields=["stored_bytes"])
    stored.stored_bytes = locked.stored_bytes
    return entry


# --- exports ----------------------------------------------------------------------------------

def bundle(stored: StoredLog) -> bytes:
    """The zip the CLI's `evidence export --format zip` writes: log.json, the files,
    SHA256SUMS and a README in the page's language."""
    log = core_log(stored)
    texts = _words()
    header = log.header
    readme = texts["readme"].format(
        business=safe_text(header.business), log_id=safe_text(header.log_id),
        created=safe_text(header.created), time_zone=safe_text(header.time_zone),
        entries=len(log.entries), head=log.head)
    # Every file hashed in full on a download, whatever a page view remembered: the bundle
    # is the evidence, and this also corrects what the log's page shows from now on.
    changed = [sha for sha, matches in kept_files(stored, log, full=True).items()
               if matches is False]
    if changed:
        logger.warning("evidence log %s: kept files changed: %s", stored.log_id, changed)
    data, _missing = evidence.export_bundle(log, file_store.store_for(stored.log_id), readme)
    return data


def pdf(stored: StoredLog) -> bytes:
    from ...incident.evidence_pdf import to_pdf

    return to_pdf(core_log(stored), language())


def delete_log(stored: StoredLog) -> None:
    """The log, its entries and its kept files."""
    log_id = stored.log_id
    StoredLog.objects.filter(pk=stored.pk).delete()
    file_store.delete_store(log_id)
