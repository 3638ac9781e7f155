"""`cyberbasics data update|status|show` through typer, on local files only."""

import json
from pathlib import Path

from typer.testing import CliRunner

from cyberbasics.cli import data as data_cli
from cyberbasics.cli.data import data_app
from cyberbasics.vulns import dataset as ds

FIXTURES = Path(__file__).with_name("fixtures")
runner = CliRunner()


def run(*args):
    return runner.invoke(data_app, list(args))


def test_update_from_local_files_writes_the_user_copy_only(data_dir):
    shipped_before = ds.shipped_text()
    result = run("update", "--kev-file", str(FIXTURES / "kev.json"),
                 "--osv-dir", str(FIXTURES / "osv"))
    assert result.exit_code == 0, result.output
    assert "Imported 2 entries" in result.output
    written = json.loads((data_dir / "known_exploited.json").read_text())
    assert written["format"] == ds.FORMAT
    assert {e["cve"] for e in written["entries"]} == {"CVE-2021-40438", "CVE-2021-41773"}
    assert ds.shipped_text() == shipped_before  # the package's file is never touched
    status = run("status")
    assert status.exit_code == 0
    assert "update of" in status.output and "Entries:" in status.output


def test_update_with_single_osv_files(data_dir):
    result = run("update", "--kev-file", str(FIXTURES / "kev.json"),
                 "--osv-file", str(FIXTURES / "osv" / "BIT-apache-2021-40438.json"))
    assert result.exit_code == 0, result.output
    assert "Imported 1 entries" in result.output


def test_a_bad_catalogue_changes_nothing(data_dir, tmp_path):
    bad = tmp_path / "kev.json"
    bad.write_text('{"title": "not the catalogue"}')
    result = run("update", "--kev-file", str(bad), "--osv-dir", str(FIXTURES / "osv"))
    assert result.exit_code == 1 and "nothing changed" in result.output
    assert not (data_dir / "known_exploited.json").exists()


def test_update_without_files_downloads(monkeypatch, data_dir):
    """Without local files the official sources are fetched; here the fetch is replaced."""
    fetched = []

    def fake_download(url):
        fetched.append(url)
        if "cisa.gov" in url:
            return (FIXTURES / "kev.json").read_bytes()
        import io
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in (FIXTURES / "osv").glob("*.json"):
                archive.writestr(path.name, path.read_bytes())
        return buffer.getvalue()

    monkeypatch.setattr(data_cli, "_download", fake_download)
    result = run("update")
    assert result.exit_code == 0, result.output
    assert fetched == [
        "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        "https://osv-vulnerabilities.storage.googleapis.com/Bitnami/all.zip"]


def test_status_and_show_without_an_update():
    status = run("status")
    assert status.exit_code == 0
    assert f"Dataset date: {ds.load_shipped().date}" in status.output
    assert "Source: shipped" in status.output and "none yet" in status.output
    show = run("show")
    assert show.exit_code == 0
    assert "CVE-2021-41773  Apache HTTP Server: 2.4.49 only." in show.output
