"""What a scan produces: findings per check, results per domain. Frozen and JSON-ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    INFO = "info"  # not applicable, or nothing to judge
    ERROR = "error"  # could not check (timeout, SERVFAIL, refused): never a pass or a fail


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Outcome:
    """What a check function returns: a status, a result key that picks the text, and the
    evidence that supports it (no finding without evidence)."""

    status: Status
    result: str  # text key, e.g. "spf-missing"; stable, drives the wording
    # JSON-ready (built from the evidence types' to_json()), so results serialise as they are.
    evidence: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # values the text interpolates


@dataclass(frozen=True)
class Finding:
    check: str
    area: str
    status: Status
    severity: Severity
    result: str
    title: str
    summary: str
    why: str
    fix: str
    evidence: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "area": self.area,
            "status": str(self.status),
            "severity": str(self.severity),
            "result": self.result,
            "title": self.title,
            "summary": self.summary,
            "why": self.why,
            "fix": self.fix,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class ScanFailure:
    """Why a domain could not be scanned at all."""

    code: str  # "invalid_domain", "ip_address", "nxdomain", "dns_error", "timeout"
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class DomainResult:
    domain: str | None
    input: str
    mode: str
    started_at: str
    duration_ms: int
    error: ScanFailure | None = None
    findings: tuple[Finding, ...] = ()
    notice: str | None = None  # e.g. "you typed a URL; we scanned the domain example.com"

    def to_json(self) -> dict[str, Any]:
        data = {
            "domain": self.domain,
            "input": self.input,
            "error": self.error.to_json() if self.error else None,
            "mode": self.mode,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "findings": [f.to_json() for f in self.findings],
        }
        if self.notice:
            data["notice"] = self.notice
        return data


SCHEMA_ID = "cyberbasics.scan/1"


def scan_document(results: list[DomainResult]) -> dict[str, Any]:
    return {"schema": SCHEMA_ID, "results": [r.to_json() for r in results]}
