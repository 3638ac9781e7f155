"""The known-exploited-vulnerabilities dataset: which product versions are affected by a
vulnerability that attackers are known to use, with the fixed version, what an attacker can
do, and the documents each entry was read from.

Two files make it: the one shipped in the package (``data/known_exploited.json``, never
modified) and, when the user has run ``cyberbasics data update``, the imported copy in the
user data directory. Loading merges them: shipped entries (checked by hand, with plain-language
texts) win over imported ones for the same CVE and product. An entry that does not validate
(unknown product, a range that does not parse, no source, no fixed version, no impact text) is
left out and never produces a finding.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..protocols.software_names import distribution_build
from ..scan.software import PRODUCTS, SoftwareSeen
from .versions import AffectedRange, VersionError, try_parse

FORMAT = "cyberbasics.known-exploited/1"
SHIPPED_NAME = "known_exploited.json"
UPDATED_NAME = "known_exploited.json"
DATA_DIR_ENV = "CYBERBASICS_DATA_DIR"
_CVE = re.compile(r"CVE-\d{4}-\d{4,19}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DatasetError(ValueError):
    """A dataset file that cannot be used at all (not JSON, wrong format, no date)."""


@dataclass(frozen=True)
class Entry:
    cve: str
    product: str  # a key of scan.software.PRODUCTS
    title: str
    affected: tuple[AffectedRange, ...]
    fixed_version: str  # for people: which version (or update) fixes it
    impact: str  # plain English: what an attacker can do
    sources: tuple[str, ...]  # the documents (URLs) the entry was read from
    kev_date_added: str | None = None
    # False when a fixed installation still shows the same version (a patch that does not
    # change the banner): a match can then only say "possibly affected".
    fix_visible_in_version: bool = True
    note: str = ""
    origin: str = "shipped"  # "shipped" or "imported"

    def affects(self, version: str | None) -> bool | None:
        """True: in an affected range; False: in none; None: cannot tell (no version, or
        one too imprecise to compare with some range's bounds)."""
        if version is None or try_parse(version) is None:
            return None
        answers = [r.contains(version) for r in self.affected]
        if True in answers:
            return True
        if None in answers:
            return None
        return False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "cve": self.cve, "product": self.product, "title": self.title,
            "affected": [r.to_json() for r in self.affected],
            "fixed_version": self.fixed_version, "impact": self.impact,
            "sources": list(self.sources),
        }
        if self.kev_date_added:
            data["kev_date_added"] = self.kev_date_added
        if not self.fix_visible_in_version:
            data["fix_visible_in_version"] = False
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class Match:
    """A piece of software seen and an entry whose product it is."""

    entry: Entry
    seen: SoftwareSeen
    affected: bool | None  # as Entry.affects

    @property
    def certain(self) -> bool:
        """Affected, and nothing about the installation can hide a fix: not a Linux
        distribution's build (which may carry a backported fix under the old version
        number) and not an entry whose fix leaves the version unchanged."""
        return (self.affected is True and self.entry.fix_visible_in_version
                and distribution_build(self.seen.raw) is None)

    def to_json(self) -> dict[str, Any]:
        data = {"cve": self.entry.cve, "product": self.seen.product, "name": self.seen.name,
                "version": self.seen.version, "where": self.seen.where,
                "seen_as": self.seen.raw, "title": self.entry.title,
                "fixed_version": self.entry.fixed_version, "impact": self.entry.impact,
                "sources": list(self.entry.sources)}
        distro = distribution_build(self.seen.raw)
        if distro:
            data["distribution_build"] = distro
        if not self.entry.fix_visible_in_version:
            data["fix_visible_in_version"] = False
        return data


@dataclass(frozen=True)
class Dataset:
    date: str
    entries: tuple[Entry, ...]
    sources: tuple[dict, ...] = ()
    origin: str = "shipped"  # "shipped", or "shipped + update of <date>"
    problems: tuple[str, ...] = ()  # entries or files left out, and why
    _by_product: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict, repr=False,
                                                         compare=False)

    def __post_init__(self):
        grouped: dict[str, list[Entry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.product, []).append(entry)
        object.__setattr__(self, "_by_product", {k: tuple(v) for k, v in grouped.items()})

    def match(self, seen: SoftwareSeen) -> list[Match]:
        """Every entry for the product seen, with whether this version is affected; entries
        it is certainly not affected by are left out."""
        found = []
        for entry in self._by_product.get(seen.product, ()):
            affected = entry.affects(seen.version)
            if affected is not False:
                found.append(Match(entry, seen, affected))
        return found

    def summary(self) -> dict[str, Any]:
        return {"date": self.date, "origin": self.origin, "entries": len(self.entries)}

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "date": self.date, "origin": self.origin,
                "sources": list(self.sources),
                "entries": [e.to_json() for e in self.entries]}


# --- reading and validating ---------------------------------------------------------------

def parse_entry(raw: Any, *, origin: str = "shipped") -> Entry:
    """One entry from its JSON form; raises ValueError saying what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("an entry is an object")
    cve = raw.get("cve")
    if not isinstance(cve, str) or not _CVE.fullmatch(cve):
        raise ValueError(f"bad CVE id {cve!r}")
    product = raw.get("product")
    if product not in PRODUCTS:
        raise ValueError(f"{cve}: unknown product {product!r}")
    ranges = raw.get("affected")
    if not isinstance(ranges, list) or not ranges:
        raise ValueError(f"{cve}: no affected ranges")
    try:
        affected = tuple(AffectedRange(str(r.get("introduced", "0")), _text_or_none(r, "fixed"),
                                       _text_or_none(r, "last_affected"))
                         for r in ranges if isinstance(r, dict))
    except (VersionError, AttributeError) as exc:
        raise ValueError(f"{cve}: {exc}") from None
    if len(affected) != len(ranges):
        raise ValueError(f"{cve}: a range is not an object")
    texts = {}
    for key in ("title", "fixed_version", "impact"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{cve}: no {key}")
        texts[key] = value.strip()
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources or not all(
            isinstance(s, str) and s.startswith("https://") for s in sources):
        raise ValueError(f"{cve}: every entry needs its source documents (https URLs)")
    date_added = raw.get("kev_date_added")
    if date_added is not None and (not isinstance(date_added, str)
                                   or not _DATE.fullmatch(date_added)):
        raise ValueError(f"{cve}: bad kev_date_added {date_added!r}")
    visible = raw.get("fix_visible_in_version", True)
    if not isinstance(visible, bool):
        raise ValueError(f"{cve}: fix_visible_in_version is true or false")
    note = raw.get("note", "")
    return Entry(cve, product, texts["title"], affected, texts["fixed_version"],
                 texts["impact"], tuple(sources), date_added, visible,
                 note if isinstance(note, str) else "", origin)


def _text_or_none(raw: dict, key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def parse_dataset(document: Any, *, origin: str = "shipped") -> Dataset:
    """A whole dataset file; bad entries are left out and listed in `problems`."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DatasetError(f"not a {FORMAT} document")
    date = document.get("date")
    if not isinstance(date, str) or not _DATE.fullmatch(date):
        raise DatasetError("the dataset has no date")
    raw_entries = document.get("entries")
    if not isinstance(raw_entries, list):
        raise DatasetError("the dataset has no entries list")
    entries, problems = [], []
    for raw in raw_entries:
        try:
            entries.append(parse_entry(raw, origin=origin))
        except ValueError as exc:
            problems.append(f"entry left out: {exc}")
    sources = document.get("sources")
    sources = tuple(s for s in sources if isinstance(s, dict)) if isinstance(sources, list) \
        else ()
    return Dataset(date, tuple(entries), sources, origin, tuple(problems))


def data_dir() -> Path:
    """Where `cyberbasics data update` keeps its copy: $CYBERBASICS_DATA_DIR, else
    $XDG_DATA_HOME/cyberbasics, else ~/.local/share/cyberbasics."""
    explicit = os.environ.get(DATA_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "cyberbasics"


def updated_path() -> Path:
    return data_dir() / UPDATED_NAME


def shipped_text() -> str:
    return resources.files(__package__).joinpath("data", SHIPPED_NAME).read_text("utf-8")


def load_shipped() -> Dataset:
    return parse_dataset(json.loads(shipped_text()), origin="shipped")


def merge(shipped: Dataset, updated: Dataset) -> Dataset:
    """Shipped entries plus imported ones for a CVE and product the shipped set lacks."""
    known = {(e.cve, e.product) for e in shipped.entries}
    added = tuple(e for e in updated.entries if (e.cve, e.product) not in known)
    return Dataset(date=max(shipped.date, updated.date),
                   entries=shipped.entries + added,
                   sources=shipped.sources + updated.sources,
                   origin=f"shipped + update of {updated.date}",
                   problems=shipped.problems + updated.problems)


def load_dataset() -> Dataset:
    """The dataset a scan uses: shipped, merged with the user's updated copy when there is
    a usable one (a broken copy is reported in `problems` and otherwise ignored)."""
    path = updated_path()
    try:
        stamp = path.stat().st_mtime_ns if path.is_file() else None
    except OSError:
        stamp = None
    return _load(str(path), stamp)


@lru_cache(maxsize=4)
def _load(path: str, stamp: int | None) -> Dataset:
    shipped = load_shipped()
    if stamp is None:
        return shipped
    try:
        updated = parse_dataset(json.loads(Path(path).read_text("utf-8")), origin="imported")
    except (OSError, ValueError) as exc:  # JSONDecodeError and DatasetError are ValueErrors
        problem = f"the updated dataset at {path} could not be used ({exc}); using the shipped one"
        return Dataset(shipped.date, shipped.entries, shipped.sources, shipped.origin,
                       (*shipped.problems, problem))
    return merge(shipped, updated)


def save_updated(dataset: Dataset, path: Path | None = None) -> Path:
    """Write an imported dataset atomically to the user data directory."""
    target = path or updated_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    import tempfile

    text = json.dumps(dataset.to_json(), indent=1, ensure_ascii=False) + "\n"
    # A temporary file of its own, so two updates at once cannot write into one file.
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent,
                                     prefix=target.name + ".", suffix=".tmp",
                                     delete=False) as handle:
        handle.write(text)
    os.replace(handle.name, target)
    return target
