"""`cyberbasics evidence`: the evidence log of an incident (docs/evidence-log.md).

``evidence new`` starts a log, ``evidence add`` records what was seen (with files, whose
SHA-256 is recorded and whose bytes are kept in ``<log>.files/``), ``evidence show`` lists it,
``evidence verify`` checks the hash chain (and a bundle's files), ``evidence export`` writes the
bundle (zip) or a PDF. Messages are in the language of ``--lang``; errors exit with 1 and a
sentence, never a traceback.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

evidence_app = typer.Typer(
    help="The evidence log of an incident: append-only, hash-chained, exportable.",
    no_args_is_help=True)

Lang = Annotated[str, typer.Option("--lang", help="Language of the messages: en, pl, es, it, "
                                                  "ro.")]
LogPath = Annotated[Path, typer.Argument(help="The evidence log file.", dir_okay=True)]


class ExportFormat(StrEnum):
    zip = "zip"
    pdf = "pdf"


def _words(language: str) -> Any:
    from ..texts import LANGUAGES, words

    if language not in LANGUAGES:
        english = words("evidence", "en")
        typer.echo(english["errors"]["bad_language"].format(
            language=language, languages=", ".join(LANGUAGES)), err=True)
        raise typer.Exit(2)
    return words("evidence", language)


def _safe(value: object) -> str:
    from ..report.safe_text import safe_text

    return safe_text(value)


def _fail(exc: Exception, texts: Any) -> NoReturn:
    from ..incident.evidence import EvidenceError

    if isinstance(exc, EvidenceError):
        params = {k: _safe(v) for k, v in exc.params.items()}
        if "field" in params:
            params["field"] = texts["fields"].get(params["field"], params["field"])
        template = texts["errors"].get(exc.key)
        message = template.format(**params) if template else _safe(exc)
    else:
        message = _safe(exc)
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _result_lines(result: Any, texts: Any) -> list[str]:
    lines = []
    if result.problem is None:
        lines.append(texts["ok"].format(entries=result.entries))
    else:
        reason = texts["reasons"][result.problem.reason].format(
            **{k: _safe(v) for k, v in result.problem.params.items()})
        key = "header_broken" if result.problem.seq == 0 else "broken"
        lines.append(texts[key].format(seq=result.problem.seq, reason=reason))
    if result.checked_files:
        lines.append(texts["files_checked"].format(count=result.checked_files))
    if result.missing_files:
        lines.append(texts["files_missing"].format(count=len(result.missing_files),
                                                   files=", ".join(result.missing_files)))
    lines.append(f"{texts['head']}: {result.head}")
    return lines


@evidence_app.command()
def new(
    log: LogPath,
    business: Annotated[str, typer.Option("--business", help="The business's name.")],
    time_zone: Annotated[str, typer.Option(
        "--time-zone", help="The business's time zone, e.g. Europe/Warsaw.")],
    lang: Lang = "en",
) -> None:
    """Start a new evidence log (never overwrites a file)."""
    from ..incident.evidence import EvidenceError, create_log_file

    texts = _words(lang)
    try:
        created = create_log_file(log, business, time_zone)
    except (EvidenceError, OSError) as exc:
        _fail(exc, texts)
    typer.echo(texts["cli"]["created"].format(path=log, business=_safe(created.header.business),
                                              time_zone=created.header.time_zone))


@evidence_app.command()
def add(
    log: LogPath,
    by: Annotated[str, typer.Option("--by", help="Who is recording this.")],
    text: Annotated[str, typer.Option("--text", help="What was seen, in your own words.")],
    file: Annotated[list[Path] | None, typer.Option(
        "--file", help="A file or screenshot to attach (repeatable).")] = None,
    lang: Lang = "en",
) -> None:
    """Record what was seen, with any files (their SHA-256 goes into the log)."""
    from ..incident.evidence import EvidenceError, append_entry

    texts = _words(lang)
    try:
        entry = append_entry(log, by, text, file or [])
    except (EvidenceError, OSError) as exc:
        _fail(exc, texts)
    typer.echo(texts["cli"]["added"].format(seq=entry.seq, time=entry.local_time(),
                                            hash=entry.hash))
    typer.echo(texts["cli"]["write_down"])


def _read(path: Path, texts: Any) -> Any:
    from ..incident.evidence import EvidenceError, read_log

    try:
        return read_log(path)
    except (EvidenceError, OSError) as exc:
        _fail(exc, texts)


@evidence_app.command()
def show(log: LogPath, lang: Lang = "en") -> None:
    """List every entry with its hashes, then the result of checking the chain."""
    from ..incident.evidence import verify

    texts = _words(lang)
    loaded = _read(log, texts)
    header = loaded.header
    typer.echo(texts["title"].format(business=_safe(header.business)))
    typer.echo(f"{texts['log_id']}: {_safe(header.log_id)}")
    typer.echo(f"{texts['created']}: {_safe(header.created)}")
    typer.echo(f"{texts['time_zone']}: {_safe(header.time_zone)}")
    typer.echo(f"{texts['genesis']}: {_safe(header.genesis)}")
    if not loaded.entries:
        typer.echo(texts["no_entries"])
    for entry in loaded.entries:
        typer.echo("")
        typer.echo(texts["entry_heading"].format(seq=entry.seq))
        typer.echo(f"  {texts['recorded_at']}: {_safe(entry.recorded_at)}")
        typer.echo(f"  {texts['local_time']}: {_safe(entry.local_time())} "
                   f"({_safe(entry.time_zone)})")
        typer.echo(f"  {texts['recorded_by']}: {_safe(entry.recorded_by)}")
        typer.echo(f"  {texts['what_was_seen']}:")
        for line in entry.text.splitlines() or [""]:
            typer.echo(f"    {_safe(line)}")
        if entry.files:
            typer.echo(f"  {texts['files']}:")
            for attachment in entry.files:
                typer.echo(f"    {_safe(attachment.name)} "
                           f"({texts['file_size'].format(size=attachment.size)}) "
                           f"SHA-256 {_safe(attachment.sha256)}")
        typer.echo(f"  {texts['prev_hash']}: {_safe(entry.prev_hash)}")
        typer.echo(f"  {texts['entry_hash']}: {_safe(entry.hash)}")
    typer.echo("")
    for line in _result_lines(verify(loaded), texts):
        typer.echo(line)


def _is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False


@evidence_app.command("verify")
def verify_command(
    log: LogPath,
    bundle: Annotated[Path | None, typer.Option(
        "--bundle", help="An exported bundle (zip): its files are checked too, and its log "
                         "must be this log or an earlier state of it.")] = None,
    head: Annotated[str | None, typer.Option(
        "--head", help="A last fingerprint written down earlier: it must still be in the "
                       "log (shows entries cut off the end).")] = None,
    lang: Lang = "en",
) -> None:
    """Check the hash chain: exit 0 if intact, 1 with the first broken entry and why.
    LOG may also be a bundle (zip)."""
    from ..incident.evidence import EvidenceError, Problem, Verification, verify, verify_bundle

    texts = _words(lang)
    try:
        if _is_zip(log):
            loaded, result = verify_bundle(log.read_bytes())
        else:
            loaded, result = _read(log, texts), None
            result = verify(loaded)
        if result.ok and bundle is not None:
            try:
                data = bundle.read_bytes()
            except FileNotFoundError:
                raise EvidenceError("no_log", path=str(bundle)) from None
            bundled, bundle_result = verify_bundle(data)
            known = {loaded.header.genesis, *(e.hash for e in loaded.entries)}
            if not bundle_result.ok:
                result = bundle_result
            elif (bundled.header.log_id != loaded.header.log_id
                  or bundled.head not in known):
                result = Verification(len(loaded.entries), loaded.head,
                                      Problem(len(bundled.entries), "head_not_found"))
            else:
                result = Verification(result.entries, result.head, None,
                                      bundle_result.checked_files,
                                      bundle_result.missing_files)
        if result.ok and head is not None:
            result = verify(loaded, expected_head=head)
    except (EvidenceError, OSError) as exc:
        _fail(exc, texts)
    for line in _result_lines(result, texts):
        typer.echo(line)
    if not result.ok:
        raise typer.Exit(1)


def readme_text(loaded: Any, texts: Any) -> str:
    header = loaded.header
    return texts["readme"].format(business=_safe(header.business), log_id=_safe(header.log_id),
                                  created=_safe(header.created),
                                  time_zone=_safe(header.time_zone),
                                  entries=len(loaded.entries), head=loaded.head)


@evidence_app.command()
def export(
    log: LogPath,
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.zip,
    lang: Lang = "en",
) -> None:
    """Write the bundle (zip: log.json, the files, SHA256SUMS, README.txt) or a PDF."""
    from ..incident.evidence import EvidenceError, atomic_write, export_bundle, store_dir

    texts = _words(lang)
    loaded = _read(log, texts)
    try:
        if format is ExportFormat.zip:
            data, missing = export_bundle(loaded, store_dir(log), readme_text(loaded, texts))
            if missing:
                typer.echo(texts["files_not_carried"].format(files=", ".join(missing)),
                           err=True)
        else:
            from ..incident.evidence_pdf import to_pdf

            try:
                data = to_pdf(loaded, lang, now=dt.datetime.now(dt.UTC))
            except (ImportError, OSError) as exc:
                raise EvidenceError("pdf_unavailable", error=str(exc)) from None
        if not output.parent.is_dir():
            raise EvidenceError("no_directory", path=str(output.parent))
        atomic_write(output, data)
    except (EvidenceError, OSError) as exc:
        _fail(exc, texts)
    typer.echo(texts["cli"]["exported"].format(path=output))
    if format is ExportFormat.zip:
        typer.echo(texts["cli"]["verify_hint"].format(path=output))
