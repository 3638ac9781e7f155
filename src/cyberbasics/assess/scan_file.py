"""A scan's JSON output (`cyberbasics.scan/1`) read back for a review: the findings of the
business's domains and the outside view's area scores.

With several domains, each outside-view area takes the lowest score among the business's
domains: an attacker goes for the weakest. Domains the scan could not scan, and areas that
were not scanned, give no score (never a made-up one).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..scan.model import Finding, Severity, Status

SCAN_SCHEMA = "cyberbasics.scan/1"
SCAN_AREAS = ("domain", "email", "web", "services", "vulns")


class ScanFileError(ValueError):
    """The file is not a Cyber Basics scan (the message says why)."""


@dataclass(frozen=True)
class ScanSummary:
    domains: tuple[str, ...]  # the domains read
    mode: str | None  # "passive" / "active"
    findings: tuple[Finding, ...]
    area_scores: dict[str, int | None]  # area -> lowest score across the domains
    skipped: tuple[str, ...] = ()  # domains in the file that are not the business's


def read_scan(path: Path, domains: Iterable[str] = ()) -> ScanSummary:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScanFileError(f"cannot read the scan {path}: {exc}") from None
    return scan_summary(document, domains)


def scan_summary(document: Any, domains: Iterable[str] = ()) -> ScanSummary:
    if not isinstance(document, dict) or document.get("schema") != SCAN_SCHEMA:
        raise ScanFileError(f"not a Cyber Basics scan (its schema is not {SCAN_SCHEMA})")
    wanted = {d.strip().lower().rstrip(".") for d in domains if d}
    results = [r for r in document.get("results") or [] if isinstance(r, dict)]
    used = [r for r in results if r.get("domain") and not r.get("error")
            and (not wanted or r["domain"] in wanted)]
    skipped = tuple(r.get("domain") or r.get("input") or "?" for r in results
                    if r not in used)
    findings, scores = [], {}
    for result in used:
        findings += [_finding(f) for f in result.get("findings") or [] if isinstance(f, dict)]
        areas = (result.get("grades") or {}).get("areas") or {}
        for area in areas.values() if isinstance(areas, dict) else areas:
            if isinstance(area, dict) and area.get("area") in SCAN_AREAS \
                    and isinstance(area.get("score"), int):
                previous = scores.get(area["area"])
                scores[area["area"]] = area["score"] if previous is None else min(
                    previous, area["score"])
    modes = {r.get("mode") for r in used}
    return ScanSummary(tuple(r["domain"] for r in used),
                       modes.pop() if len(modes) == 1 else None, tuple(findings),
                       {area: scores.get(area) for area in SCAN_AREAS}, skipped)


def _finding(raw: dict) -> Finding:
    try:
        status = Status(raw.get("status"))
    except ValueError:
        status = Status.ERROR
    try:
        severity = Severity(raw.get("severity"))
    except ValueError:
        severity = Severity.INFO
    return Finding(str(raw.get("check", "")), str(raw.get("area", "")), status, severity,
                   str(raw.get("result", "")), str(raw.get("title", "")),
                   str(raw.get("summary", "")), str(raw.get("why", "")),
                   str(raw.get("fix", "")), raw.get("evidence") or {})
