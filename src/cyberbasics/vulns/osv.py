"""OSV records (ossf/osv-schema): affected version ranges per package, and the import that
turns them, with the KEV catalogue, into dataset entries.

Only packages whose versions are the upstream versions a scan reads in banners are mapped to
our product ids: the Bitnami ecosystem names packages by upstream project and versions them
as the project does (``apache`` 2.4.49). Distribution ecosystems (Debian, Ubuntu, Alpine...)
version their builds their own way (``2.4.38-3+deb10u6``), which a banner does not show, so
they are not used. Ranges of type SEMVER and ECOSYSTEM are read; GIT ranges (commits) are not.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .dataset import Dataset, Entry
from .kev import KEV_PAGE, KevCatalogue
from .versions import AffectedRange, VersionError, parse_version, try_parse

OSV_ZIP_URL = "https://osv-vulnerabilities.storage.googleapis.com/{ecosystem}/all.zip"
OSV_RECORD_URL = "https://osv.dev/vulnerability/{id}"
MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_ZIP_MEMBERS = 200_000

# (OSV ecosystem, package name) -> our product id. Each pair was checked against the Bitnami
# vulnerability database (bitnami/vulndb, data/<name>/BIT-<name>-*.json).
PACKAGES: dict[tuple[str, str], str] = {
    ("Bitnami", "apache"): "apache-httpd",
    ("Bitnami", "nginx"): "nginx",
    ("Bitnami", "php"): "php",
    ("Bitnami", "wordpress"): "wordpress",
    ("Bitnami", "drupal"): "drupal",
    ("Bitnami", "joomla"): "joomla",
}
ECOSYSTEMS = tuple(sorted({ecosystem for ecosystem, _ in PACKAGES}))
_RANGE_TYPES = ("SEMVER", "ECOSYSTEM")


class OsvError(ValueError):
    """The document is not an OSV record."""


@dataclass(frozen=True)
class OsvAffected:
    ecosystem: str
    name: str
    ranges: tuple[AffectedRange, ...]


@dataclass(frozen=True)
class OsvRecord:
    id: str
    aliases: tuple[str, ...]
    affected: tuple[OsvAffected, ...]
    summary: str = ""
    modified: str = ""
    skipped_ranges: int = 0  # ranges that could not be read (unknown type, bad versions)

    @property
    def cves(self) -> tuple[str, ...]:
        ids = (self.id, *self.aliases)
        return tuple(dict.fromkeys(i for i in ids if i.startswith("CVE-")))

    @property
    def url(self) -> str:
        return OSV_RECORD_URL.format(id=self.id)


def parse_osv(document: Any) -> OsvRecord:
    if isinstance(document, bytes | str):
        if len(document) > MAX_RECORD_BYTES:
            raise OsvError("record too large")
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise OsvError(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        raise OsvError("an OSV record is an object with an id")
    aliases = document.get("aliases") or []
    aliases = tuple(a for a in aliases if isinstance(a, str)) if isinstance(aliases, list) \
        else ()
    affected, skipped = [], 0
    for item in document.get("affected") or []:
        if not isinstance(item, dict) or not isinstance(item.get("package"), dict):
            continue
        package = item["package"]
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if not isinstance(ecosystem, str) or not isinstance(name, str):
            continue
        ranges = []
        for raw_range in item.get("ranges") or []:
            try:
                ranges.extend(_ranges(raw_range))
            except (OsvError, VersionError):
                skipped += 1
        affected.append(OsvAffected(ecosystem, name, tuple(ranges)))
    summary = document.get("summary") if isinstance(document.get("summary"), str) else ""
    modified = document.get("modified") if isinstance(document.get("modified"), str) else ""
    return OsvRecord(document["id"], aliases, tuple(affected), summary, modified, skipped)


def _ranges(raw: Any) -> list[AffectedRange]:
    """A range's events as intervals: each `introduced` runs to the next `fixed` or
    `last_affected` (events sorted by version, "0" first); one that runs into a `limit`
    is dropped."""
    if not isinstance(raw, dict) or raw.get("type") not in _RANGE_TYPES:
        raise OsvError("not a SEMVER or ECOSYSTEM range")
    events = raw.get("events")
    if not isinstance(events, list) or not events:
        raise OsvError("a range without events")
    parsed = []
    for event in events:
        if not isinstance(event, dict) or len(event) != 1:
            raise OsvError("an event has exactly one key")
        (kind, value), = event.items()
        if kind not in ("introduced", "fixed", "last_affected", "limit") \
                or not isinstance(value, str):
            raise OsvError(f"unknown event {kind!r}")
        if kind == "limit" and value == "*":
            continue
        parsed.append((parse_version(value), kind, value))
    order = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 2}
    parsed.sort(key=lambda item: (item[0], order[item[1]]))
    intervals, start = [], None
    for _, kind, value in parsed:
        if kind == "introduced":
            start = value if start is None else start
        elif start is not None:
            if kind == "last_affected":
                intervals.append(AffectedRange(start, last_affected=value))
            elif kind == "fixed":
                intervals.append(AffectedRange(start, fixed=value))
            # A `limit` only bounds where to look; it names no fix, so that range is left
            # out rather than reported with a fix that does not exist.
            start = None
    if start is not None:
        intervals.append(AffectedRange(start))
    return intervals


def read_records(paths: Iterable[Path]) -> Iterator[OsvRecord]:
    """Records from .json files, .zip archives of them (as OSV publishes per ecosystem), and
    directories holding either; unreadable files are skipped."""
    for path in paths:
        if path.is_dir():
            yield from read_records(sorted(p for p in path.rglob("*")
                                           if p.suffix in (".json", ".zip")))
        elif path.suffix == ".zip":
            yield from read_zip(path.read_bytes())
        else:
            try:
                yield parse_osv(path.read_bytes())
            except (OSError, OsvError):
                continue


def read_zip(data: bytes) -> Iterator[OsvRecord]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist()[:MAX_ZIP_MEMBERS]:
            if not info.filename.endswith(".json") or info.file_size > MAX_RECORD_BYTES:
                continue
            try:
                yield parse_osv(archive.read(info))
            except OsvError:
                continue


# --- the import ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportReport:
    dataset: Dataset
    kev_entries: int
    osv_records: int
    matched_records: int  # OSV records for a KEV CVE and a mapped package


def build_dataset(kev: KevCatalogue, records: Iterable[OsvRecord], *, date: str) -> ImportReport:
    """Entries for every CVE that is in the KEV catalogue and has OSV ranges for a product we
    map. KEV gives the exploitation, the name and the description; OSV gives the versions."""
    ranges: dict[tuple[str, str], list[AffectedRange]] = {}
    record_urls: dict[tuple[str, str], list[str]] = {}
    count = matched = 0
    for record in records:
        count += 1
        cves = [c for c in record.cves if c in kev]
        if not cves:
            continue
        used = False
        for affected in record.affected:
            product = PACKAGES.get((affected.ecosystem, affected.name))
            if product is None or not affected.ranges:
                continue
            used = True
            for cve in cves:
                key = (cve, product)
                ranges.setdefault(key, []).extend(affected.ranges)
                record_urls.setdefault(key, []).append(record.url)
        matched += used
    entries = []
    for (cve, product), found in sorted(ranges.items()):
        kev_entry = kev.entries[cve]
        unique = tuple(dict.fromkeys(found))
        entries.append(Entry(
            cve=cve, product=product, title=kev_entry.name, affected=unique,
            fixed_version=fixed_text(unique),
            impact=f"Attackers are known to exploit this (CISA KEV, added "
                   f"{kev_entry.date_added}). {kev_entry.description}",
            sources=(kev_entry.url, *dict.fromkeys(record_urls[(cve, product)])),
            kev_date_added=kev_entry.date_added, origin="imported"))
    sources = ({"name": f"CISA KEV catalogue {kev.version}", "url": KEV_PAGE,
                "released": kev.released},
               {"name": "OSV records (" + ", ".join(ECOSYSTEMS) + " ecosystem)",
                "url": "https://osv.dev/"})
    dataset = Dataset(date=date, entries=tuple(entries), sources=sources, origin="imported")
    return ImportReport(dataset, len(kev.entries), count, matched)


def fixed_text(ranges: Iterable[AffectedRange]) -> str:
    """Which versions fix it, in words, from the ranges' upper ends."""
    ranges = list(ranges)
    fixed = [r.fixed for r in ranges if r.fixed is not None]
    last = [r.last_affected for r in ranges if r.last_affected is not None]
    parts = []
    if fixed:
        parts.append("fixed in " + ", ".join(_sorted_versions(fixed)))
    if last:
        parts.append("fixed after " + ", ".join(_sorted_versions(last)))
    open_ended = [r.introduced for r in ranges if r.fixed is None and r.last_affected is None]
    if open_ended:
        parts.append("no fix is listed for versions from " + ", ".join(
            _sorted_versions(open_ended)))
    return "; ".join(parts)


def _sorted_versions(texts: list[str]) -> list[str]:
    unique = list(dict.fromkeys(texts))
    return sorted(unique, key=lambda t: try_parse(t) or parse_version("0"))
