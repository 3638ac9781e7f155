"""The evidence log: the hash chain detects each kind of tampering, the file format round-trips
and is written atomically, the bundle and the PDF carry what they should, the CLI works end to
end, the reader never crashes on bad input, and every text exists in every language."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import string
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cyberbasics.cli.evidence import evidence_app, readme_text
from cyberbasics.incident import evidence as ev
from cyberbasics.texts import DEFAULT_LANGUAGE, LANGUAGES, _catalogue, words

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


def _build(tmp_path: Path, entries: int = 3, *, with_file: bool = True) -> Path:
    path = tmp_path / "case.log"
    ev.create_log_file(path, "Kowalski Sp. z o.o.", "Europe/Warsaw", now=NOW)
    attachment = tmp_path / "screenshot.png"
    attachment.write_bytes(b"\x89PNG ransom note")
    for n in range(1, entries + 1):
        files = [attachment] if with_file and n == 1 else []
        ev.append_entry(path, "Anna", f"Entry number {n}\nsecond line",
                        files, now=NOW + dt.timedelta(minutes=n))
    return path


def _rewrite(log: ev.EvidenceLog, entries: list[ev.Entry]) -> ev.EvidenceLog:
    return dataclasses.replace(log, entries=tuple(entries))


def _rehash(entry: ev.Entry, **changes) -> ev.Entry:
    changed = dataclasses.replace(entry, **changes)
    return dataclasses.replace(changed, hash=ev.entry_hash(changed.content()))


# --- the chain ------------------------------------------------------------------------------------

def test_an_untouched_log_verifies(tmp_path):
    log = ev.read_log(_build(tmp_path))
    result = ev.verify(log)
    assert result.ok and result.entries == 3 and result.head == log.entries[-1].hash
    assert log.entries[0].prev_hash == log.header.genesis
    assert [e.seq for e in log.entries] == [1, 2, 3]
    assert log.entries[0].recorded_at == "2026-11-25T15:01:00Z"
    assert log.entries[0].local_time() == "2026-11-25T16:01:00+01:00"
    assert log.entries[0].files[0].sha256 == hashlib.sha256(b"\x89PNG ransom note").hexdigest()
    assert log.entries[0].files[0].size == len(b"\x89PNG ransom note")


def test_the_hash_is_sha256_of_the_canonical_fields(tmp_path):
    entry = ev.read_log(_build(tmp_path)).entries[1]
    fields = {k: v for k, v in entry.to_json().items() if k != "hash"}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.hash == hashlib.sha256(canonical.encode()).hexdigest()


def test_the_genesis_depends_on_the_log_id_and_creation_time():
    one = ev.new_log("Shop", "Europe/London", now=NOW, log_id="a")
    other = ev.new_log("Shop", "Europe/London", now=NOW, log_id="b")
    assert one.header.genesis != other.header.genesis
    later = ev.new_log("Shop", "Europe/London", now=NOW + dt.timedelta(seconds=1), log_id="a")
    assert one.header.genesis != later.header.genesis


def test_edited_text_is_detected(tmp_path):
    log = ev.read_log(_build(tmp_path))
    entries = list(log.entries)
    entries[1] = dataclasses.replace(entries[1], text="Nothing happened")
    problem = ev.verify(_rewrite(log, entries)).problem
    assert (problem.seq, problem.reason) == (2, "edited")


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(tmp_path):
    log = ev.read_log(_build(tmp_path))
    entries = list(log.entries)
    entries[1] = _rehash(entries[1], recorded_by="Someone else")
    problem = ev.verify(_rewrite(log, entries)).problem
    assert (problem.seq, problem.reason) == (3, "prev_mismatch")


def test_a_removed_entry_is_detected(tmp_path):
    log = ev.read_log(_build(tmp_path))
    problem = ev.verify(_rewrite(log, [log.entries[0], log.entries[2]])).problem
    assert (problem.seq, problem.reason, problem.params["expected"]) == (3, "missing", 2)


def test_a_removed_and_renumbered_entry_is_detected(tmp_path):
    log = ev.read_log(_build(tmp_path))
    renumbered = dataclasses.replace(log.entries[2], seq=2)
    problem = ev.verify(_rewrite(log, [log.entries[0], renumbered])).problem
    assert problem.seq == 2 and problem.reason in ("prev_mismatch", "edited")


def test_a_removed_first_entry_is_detected(tmp_path):
    log = ev.read_log(_build(tmp_path))
    problem = ev.verify(_rewrite(log, list(log.entries[1:]))).problem
    assert (problem.seq, problem.reason) == (2, "missing")


def test_reordered_entries_are_detected(tmp_path):
    log = ev.read_log(_build(tmp_path))
    swapped = [log.entries[0], log.entries[2], log.entries[1]]
    problem = ev.verify(_rewrite(log, swapped)).problem
    assert (problem.seq, problem.reason) == (3, "reordered")


def test_a_changed_file_hash_is_detected(tmp_path):
    log = ev.read_log(_build(tmp_path))
    first = log.entries[0]
    forged = dataclasses.replace(first.files[0], sha256="0" * 64)
    entries = [dataclasses.replace(first, files=(forged,)), *log.entries[1:]]
    problem = ev.verify(_rewrite(log, entries)).problem
    assert (problem.seq, problem.reason) == (1, "edited")


def test_a_changed_header_is_detected(tmp_path):
    log = ev.read_log(_build(tmp_path))
    changed = dataclasses.replace(log, header=dataclasses.replace(log.header, business="Other"))
    problem = ev.verify(changed).problem
    assert (problem.seq, problem.reason) == (0, "header_changed")


def test_a_cut_off_end_is_detected_with_a_head_written_down(tmp_path):
    log = ev.read_log(_build(tmp_path))
    head = log.head
    cut = _rewrite(log, list(log.entries[:2]))
    assert ev.verify(cut).ok  # the chain alone cannot tell
    assert ev.verify(cut, expected_head=head).problem.reason == "head_not_found"
    assert ev.verify(log, expected_head=log.entries[1].hash).ok  # an earlier head is fine


def test_tampering_in_the_file_itself_is_detected(tmp_path):
    path = _build(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b"Entry number 2", b"Entry number 9")
    path.write_bytes(b"".join(lines))
    assert ev.verify(ev.read_log(path)).problem.reason == "edited"
    with pytest.raises(ev.EvidenceError) as caught:
        ev.append_entry(path, "Anna", "more")
    assert caught.value.key == "broken_log"


# --- the file format ------------------------------------------------------------------------------

def test_round_trip_as_lines_and_as_a_document(tmp_path):
    path = _build(tmp_path)
    log = ev.read_log(path)
    assert ev.serialise(log) == path.read_bytes()
    assert ev.parse_log(ev.serialise(log)) == log
    document = json.dumps(log.to_document(), indent=2).encode()
    assert ev.parse_log(document) == log


def test_appending_keeps_earlier_lines_byte_for_byte(tmp_path):
    path = _build(tmp_path, entries=2)
    before = path.read_bytes()
    ev.append_entry(path, "Jan", "Called the bank to recall the payment")
    after = path.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1


def test_unusual_text_survives(tmp_path):
    path = tmp_path / "x.log"
    ev.create_log_file(path, "Café «Zoë» 東京", "Europe/Rome")
    text = "Ransom note:\n\u202eevil\u202c \x1b[2J emoji 🙂 \"quotes\" \\ backslash"
    ev.append_entry(path, "Zoë", text)
    log = ev.read_log(path)
    assert log.entries[0].text == text and log.header.business == "Café «Zoë» 東京"
    assert ev.verify(log).ok


def test_a_failed_write_leaves_the_old_log_intact(tmp_path, monkeypatch):
    path = _build(tmp_path, entries=2)
    before = path.read_bytes()
    real_fdopen = os.fdopen

    class Failing(io.RawIOBase):
        def __init__(self, stream):
            self.stream = stream

        def write(self, data):
            self.stream.write(data[: len(data) // 2])  # half of it, then the "crash"
            raise OSError(28, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

    monkeypatch.setattr(ev.os, "fdopen", lambda fd, mode: Failing(real_fdopen(fd, mode)))
    with pytest.raises(OSError):
        ev.append_entry(path, "Anna", "this write fails half way")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.log", "case.log.files",
                                                          "screenshot.png"]


def test_a_failed_rename_leaves_the_old_log_intact(tmp_path, monkeypatch):
    path = _build(tmp_path, entries=1)
    before = path.read_bytes()

    def crash(*args):
        raise OSError("power cut")

    monkeypatch.setattr(ev.os, "replace", crash)
    with pytest.raises(OSError):
        ev.append_entry(path, "Anna", "lost")
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_new_never_overwrites(tmp_path):
    path = _build(tmp_path, entries=1)
    before = path.read_bytes()
    with pytest.raises(ev.EvidenceError) as caught:
        ev.create_log_file(path, "Other", "Europe/Warsaw")
    assert caught.value.key == "exists" and path.read_bytes() == before


@pytest.mark.parametrize(("data", "key"), [
    (b"", "empty"), (b"\xff\xfe garbage", "not_a_log"), (b"[1, 2]", "not_a_log"),
    (b'{"format": "something-else"}', "not_a_log"),
    (b'{"format": "cyberbasics-evidence-log", "version": 99}', "unknown_version"),
    (b'{"format": "cyberbasics-evidence-log", "version": 1}', "missing_field"),
])
def test_bad_files_give_a_clear_error(data, key):
    with pytest.raises(ev.EvidenceError) as caught:
        ev.parse_log(data)
    assert caught.value.key == key


def test_a_damaged_line_is_named(tmp_path):
    path = _build(tmp_path, entries=2)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + lines[1][:40] + b"\n" + lines[2])
    with pytest.raises(ev.EvidenceError) as caught:
        ev.read_log(path)
    assert (caught.value.key, caught.value.params) == ("bad_line", {"line": 2})


def test_bad_input_when_building():
    with pytest.raises(ev.EvidenceError, match="bad_time_zone"):
        ev.new_log("Shop", "Mars/Olympus")
    with pytest.raises(ev.EvidenceError, match="empty_field"):
        ev.new_log("  ", "Europe/Warsaw")
    log = ev.new_log("Shop", "Europe/Warsaw")
    with pytest.raises(ev.EvidenceError, match="too_long"):
        ev.next_entry(log, "Anna", "x" * (ev.MAX_TEXT + 1))
    with pytest.raises(ev.EvidenceError, match="not_text"):
        ev.next_entry(log, "Anna", "bad \udcff bytes")


# --- the bundle -----------------------------------------------------------------------------------

def _bundle(tmp_path: Path, language: str = "en") -> bytes:
    path = _build(tmp_path)
    log = ev.read_log(path)
    data, missing = ev.export_bundle(log, ev.store_dir(path),
                                     readme_text(log, words("evidence", language)))
    assert missing == []
    return data


def test_the_bundle_carries_the_log_the_files_and_a_readme(tmp_path):
    data = _bundle(tmp_path, "pl")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert names == {"log.json", "SHA256SUMS", "README.txt", "files/0001-1-screenshot.png"}
        readme = archive.read("README.txt").decode()
        assert "sha256sum -c SHA256SUMS" in readme and "Jak to sprawdzić" in readme
        sums = archive.read("SHA256SUMS").decode().splitlines()
        for line in sums:  # what `sha256sum -c` would do
            digest, member = line.split("  ")
            assert hashlib.sha256(archive.read(member)).hexdigest() == digest
        assert len(sums) == 1
    log, result = ev.verify_bundle(data)
    assert result.ok and result.checked_files == 1 and not result.missing_files
    assert len(log.entries) == 3


def _replace_member(data: bytes, member: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != member:
                target.writestr(info, source.read(info))
        if content is not None:
            target.writestr(member, content)
    return out.getvalue()


def test_a_changed_attachment_fails(tmp_path):
    data = _replace_member(_bundle(tmp_path), "files/0001-1-screenshot.png", b"\x89PNG edited")
    _, result = ev.verify_bundle(data)
    assert result.problem.reason == "attachment_changed" and result.problem.seq == 1


def test_a_missing_attachment_is_reported(tmp_path):
    data = _replace_member(_bundle(tmp_path), "files/0001-1-screenshot.png", None)
    _, result = ev.verify_bundle(data)
    assert result.ok and result.missing_files == ("files/0001-1-screenshot.png",)


def test_an_edited_log_in_the_bundle_fails(tmp_path):
    data = _bundle(tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = json.loads(archive.read("log.json"))
    document["entries"][2]["text"] = "changed"
    _, result = ev.verify_bundle(_replace_member(data, "log.json", json.dumps(document).encode()))
    assert (result.problem.seq, result.problem.reason) == (3, "edited")


def test_a_hostile_file_name_stays_inside_files(tmp_path):
    log = ev.new_log("Shop", "Europe/Warsaw")
    entry = ev.next_entry(log, "Anna", "x", [ev.Attachment("../../etc/passwd", 1, "a" * 64)])
    assert ev.bundle_member(entry, 0) == "files/0001-1-_.._etc_passwd"


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 broken", b"not a zip at all"])
def test_not_a_bundle(data):
    with pytest.raises(ev.EvidenceError, match="not_a_bundle"):
        ev.verify_bundle(data)


# --- the PDF --------------------------------------------------------------------------------------

def test_the_pdf_lists_every_entry_and_the_result(tmp_path):
    from pypdf import PdfReader

    from cyberbasics.incident.evidence_pdf import to_html, to_pdf

    path = _build(tmp_path)
    ev.append_entry(path, "<script>alert(1)</script>", "Saw <b>this</b> & that")
    log = ev.read_log(path)
    html = to_html(log, "en")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;this&lt;/b&gt; &amp; that" in html
    pdf = to_pdf(log, "pl", now=NOW)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "Dziennikdowodów" in flat and "Wpis4" in flat
    assert "Łańcuchjestnienaruszony" in flat
    assert log.entries[0].files[0].sha256 in flat and log.head in flat


def test_the_pdf_shows_a_broken_chain(tmp_path):
    from cyberbasics.incident.evidence_pdf import to_html

    log = ev.read_log(_build(tmp_path))
    entries = list(log.entries)
    entries[1] = dataclasses.replace(entries[1], text="changed")
    html = to_html(_rewrite(log, entries), "en")
    assert "The chain is broken at entry 2" in html


# --- the CLI --------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_end_to_end(tmp_path):
    log, shot = tmp_path / "incident.log", tmp_path / "shot.png"
    shot.write_bytes(b"screen")
    result = runner.invoke(evidence_app, ["new", str(log), "--business", "Kowalski",
                                          "--time-zone", "Europe/Warsaw"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(evidence_app, ["add", str(log), "--by", "Anna", "--text",
                                          "Ransom note on the screen", "--file", str(shot)])
    assert result.exit_code == 0, result.output
    head = ev.read_log(log).head
    assert head in result.output
    result = runner.invoke(evidence_app, ["add", str(log), "--by", "Jan", "--text", "Bank called",
                                          "--lang", "pl"])
    assert result.exit_code == 0 and "Dodano wpis 2" in result.output
    result = runner.invoke(evidence_app, ["show", str(log)])
    assert result.exit_code == 0
    assert "Ransom note on the screen" in result.output and "The chain is intact" in result.output
    assert hashlib.sha256(b"screen").hexdigest() in result.output
    result = runner.invoke(evidence_app, ["verify", str(log), "--head", head])
    assert result.exit_code == 0, result.output

    bundle = tmp_path / "out.zip"
    result = runner.invoke(evidence_app, ["export", str(log), "--format", "zip", "-o", str(bundle),
                                          "--lang", "es"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(bundle) as archive:
        assert "Cómo comprobarlo" in archive.read("README.txt").decode()
    for args in (["verify", str(bundle)], ["verify", str(log), "--bundle", str(bundle)]):
        result = runner.invoke(evidence_app, args)
        assert result.exit_code == 0 and "match their fingerprints: 1" in result.output, args

    bundle.write_bytes(_replace_member(bundle.read_bytes(), "files/0001-1-shot.png", b"other"))
    result = runner.invoke(evidence_app, ["verify", str(log), "--bundle", str(bundle)])
    assert result.exit_code == 1 and "no longer has the bytes" in result.output

    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[2])  # entry 1 removed
    result = runner.invoke(evidence_app, ["verify", str(log), "--lang", "it"])
    assert result.exit_code == 1 and "manca la voce 1" in result.output
    result = runner.invoke(evidence_app, ["add", str(log), "--by", "A", "--text", "more"])
    assert result.exit_code == 1 and "Nothing was added" in result.output


def test_cli_pdf_export(tmp_path):
    log = _build(tmp_path, entries=1)
    out = tmp_path / "log.pdf"
    result = runner.invoke(evidence_app, ["export", str(log), "--format", "pdf", "-o", str(out),
                                          "--lang", "ro"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("content", "expected"), [
    (None, "There is no evidence log"),
    (b"", "is empty"),
    (b"\x00\x01binary", "not a Cyber Basics evidence log"),
    (b'{"format": "cyberbasics-evidence-log", "version": 1, "log_id": 5}', "is damaged"),
])
@pytest.mark.parametrize("command", ["show", "verify", "export", "add"])
def test_cli_bad_logs_give_a_sentence_not_a_traceback(tmp_path, content, expected, command):
    log = tmp_path / "bad.log"
    if content is not None:
        log.write_bytes(content)
    extra = {"export": ["-o", str(tmp_path / "o.zip")], "add": ["--by", "a", "--text", "t"]}
    result = runner.invoke(evidence_app, [command, str(log), *extra.get(command, [])])
    assert result.exit_code == 1
    assert expected in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit)


def test_cli_bad_options(tmp_path):
    log = tmp_path / "x.log"
    result = runner.invoke(evidence_app, ["new", str(log), "--business", "B",
                                          "--time-zone", "Nowhere/Town"])
    assert result.exit_code == 1 and "Unknown time zone" in result.output and not log.exists()
    result = runner.invoke(evidence_app, ["new", str(log), "--business", "B",
                                          "--time-zone", "UTC", "--lang", "xx"])
    assert result.exit_code == 2 and "Unknown language" in result.output
    runner.invoke(evidence_app, ["new", str(log), "--business", "B", "--time-zone", "UTC"])
    result = runner.invoke(evidence_app, ["add", str(log), "--by", "A", "--text", "t",
                                          "--file", str(tmp_path / "absent.png")])
    assert result.exit_code == 1 and "There is no file" in result.output
    result = runner.invoke(evidence_app, ["add", str(log), "--by", " ", "--text", "t"])
    assert result.exit_code == 1 and "who recorded it" in result.output
    assert ev.read_log(log).entries == ()


# --- fuzzing the readers --------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20)

_KEYS = ["format", "version", "log_id", "created", "business", "time_zone", "genesis", "seq",
         "recorded_at", "recorded_by", "text", "files", "prev_hash", "hash", "name", "size",
         "sha256", "header", "entries"]
log_like = st.recursive(
    st.sampled_from([ev.FORMAT, 1, 0, "", "x", None, True, [], {}, "\ud800"]) | json_values,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(_KEYS), children, max_size=9),
    max_leaves=30)


def _read_safely(data: bytes) -> None:
    try:
        log = ev.parse_log(data)
    except ev.EvidenceError:
        return
    ev.verify(log)
    for entry in log.entries:
        entry.local_time()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_arbitrary_bytes(data):
    _read_safely(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(log_like, min_size=1, max_size=4))
def test_fuzz_arbitrary_json_lines(values):
    _read_safely("\n".join(json.dumps(v) for v in values).encode())
    _read_safely(json.dumps(values[0]).encode())
    _read_safely(json.dumps({"header": values[0], "entries": values[1:]}).encode())


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 5), st.sampled_from(_KEYS), log_like)
def test_fuzz_one_field_of_a_real_log(line, key, value):
    log = ev.new_log("Shop", "Europe/Warsaw", now=NOW, log_id="id")
    entries = []
    for n in range(3):
        entry = ev.next_entry(dataclasses.replace(log, entries=tuple(entries)), "A", f"t{n}",
                              [ev.Attachment("f", 1, "b" * 64)], now=NOW)
        entries.append(entry)
    lines = [log.header.to_json(), *(e.to_json() for e in entries)]
    target = lines[line % len(lines)]
    target[key] = value
    _read_safely("\n".join(json.dumps(v) for v in lines).encode())


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_bundles(data):
    for candidate in (data, b"PK\x03\x04" + data):
        with contextlib.suppress(ev.EvidenceError):
            ev.verify_bundle(candidate)


# --- the texts ------------------------------------------------------------------------------------

def _keys(value, prefix=""):
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _keys(child, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), value


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_every_text_exists_in_every_language(language):
    english = dict(_keys(_catalogue(DEFAULT_LANGUAGE, "evidence")))
    translated = dict(_keys(_catalogue(language, "evidence")))
    assert translated.get("_status") in ("draft", "reviewed")
    missing = sorted(english.keys() - translated.keys())
    assert not missing, f"evidence.yaml in {language} lacks {missing}"
    assert not sorted(translated.keys() - english.keys())
    for key, text in english.items():
        if isinstance(text, str):
            assert _fields(translated[key]) == _fields(text), (language, key)


def test_every_key_the_code_uses_exists():
    source = (Path(ev.__file__).read_text() + Path(ev.__file__).with_name(
        "evidence_pdf.py").read_text())
    texts = _catalogue(DEFAULT_LANGUAGE, "evidence")
    for key in set(re.findall(r'EvidenceError\("(\w+)"', source)):
        assert key in texts["errors"], key
    for key in set(re.findall(r'(?:broken|Problem)\((?:[^,]+), "(\w+)"', source)):
        assert key in texts["reasons"], key
