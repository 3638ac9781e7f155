"""`cyberbasics data`: the known-exploited-vulnerabilities dataset (docs/vulns.md).

``data update`` imports the CISA KEV catalogue and OSV records into the user data directory
($CYBERBASICS_DATA_DIR, else $XDG_DATA_HOME/cyberbasics, else ~/.local/share/cyberbasics);
with --kev-file and --osv-dir/--osv-file it reads local copies (offline), otherwise it
downloads them from CISA and OSV. The dataset shipped in the package is never changed.
``data status`` and ``data show`` say which dataset a scan uses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(help="The known-exploited-vulnerabilities dataset: status, update.",
                       no_args_is_help=True)

DOWNLOAD_TIMEOUT = 60.0
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024


def _download(url: str) -> bytes:
    """GET a public file over HTTPS (only `data update` without local files does this)."""
    import httpx

    with httpx.Client(timeout=DOWNLOAD_TIMEOUT, follow_redirects=True) as client, \
            client.stream("GET", url) as response:
        response.raise_for_status()
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_DOWNLOAD_BYTES:
                raise ValueError(f"{url} is larger than {MAX_DOWNLOAD_BYTES} bytes")
            chunks.append(chunk)
    return b"".join(chunks)


@data_app.command()
def update(
    kev_file: Annotated[Path | None, typer.Option(
        "--kev-file", exists=True, dir_okay=False,
        help="A local copy of CISA's known_exploited_vulnerabilities.json.")] = None,
    osv_dir: Annotated[Path | None, typer.Option(
        "--osv-dir", exists=True, file_okay=False,
        help="A directory of OSV records (.json) or OSV ecosystem archives (all.zip).")] = None,
    osv_file: Annotated[list[Path] | None, typer.Option(
        "--osv-file", exists=True, dir_okay=False,
        help="An OSV record (.json) or ecosystem archive (.zip); repeatable.")] = None,
) -> None:
    """Import the KEV catalogue and OSV version ranges into your data directory (from the
    files given, else downloaded from CISA and OSV)."""
    from ..vulns import kev as kev_module
    from ..vulns import osv as osv_module
    from ..vulns.dataset import save_updated, updated_path

    try:
        if kev_file is not None:
            catalogue = kev_module.parse_kev(kev_file.read_bytes())
        else:
            typer.echo(f"Downloading {kev_module.KEV_URL}")
            catalogue = kev_module.parse_kev(_download(kev_module.KEV_URL))
        if osv_dir is not None or osv_file:
            paths = ([osv_dir] if osv_dir is not None else []) + list(osv_file or [])
            records = list(osv_module.read_records(paths))
        else:
            records = []
            for ecosystem in osv_module.ECOSYSTEMS:
                url = osv_module.OSV_ZIP_URL.format(ecosystem=ecosystem)
                typer.echo(f"Downloading {url}")
                records += list(osv_module.read_zip(_download(url)))
    except (OSError, ValueError) as exc:  # KevError, OsvError, zip and HTTP errors
        typer.echo(f"Update failed, nothing changed: {exc}", err=True)
        raise typer.Exit(1) from None
    except Exception as exc:  # httpx errors are not OSErrors
        typer.echo(f"Update failed, nothing changed: {exc.__class__.__name__}: {exc}",
                   err=True)
        raise typer.Exit(1) from None
    today = dt.datetime.now(dt.UTC).date().isoformat()
    report = osv_module.build_dataset(catalogue, records, date=today)
    path = save_updated(report.dataset, updated_path())
    typer.echo(f"KEV catalogue {catalogue.version}: {report.kev_entries} vulnerabilities "
               f"({catalogue.skipped} unreadable skipped).")
    typer.echo(f"OSV: {report.osv_records} records read, {report.matched_records} for a "
               f"known exploited CVE in a product we recognise.")
    typer.echo(f"Imported {len(report.dataset.entries)} entries into {path}.")


def _status_lines() -> list[str]:
    from ..vulns.dataset import load_dataset, updated_path

    dataset = load_dataset()
    imported = sum(1 for e in dataset.entries if e.origin == "imported")
    lines = [f"Dataset date: {dataset.date}",
             f"Source: {dataset.origin}",
             f"Entries: {len(dataset.entries)} ({len(dataset.entries) - imported} shipped, "
             f"{imported} imported)",
             f"Updated copy: {updated_path()}"
             + ("" if updated_path().is_file() else " (none yet: run `cyberbasics data update`)")]
    lines += [f"Problem: {p}" for p in dataset.problems]
    return lines


@data_app.command()
def status() -> None:
    """Which dataset scans use: its date, number of entries and source."""
    for line in _status_lines():
        typer.echo(line)


@data_app.command()
def show() -> None:
    """The status, then every entry: CVE, product, affected versions, fixed version."""
    from ..scan.software import PRODUCTS
    from ..vulns.dataset import load_dataset

    for line in _status_lines():
        typer.echo(line)
    for entry in load_dataset().entries:
        ranges = ", ".join(r.describe() for r in entry.affected)
        typer.echo(f"{entry.cve}  {PRODUCTS[entry.product]}: {ranges}. "
                   f"Fixed: {entry.fixed_version}")
