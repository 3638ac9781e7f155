"""The list of checks: each a pure function with a stable id, an area, a severity and the
evidence it needs. Adding a check is one decorated function in `scan/checks/`."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .model import Outcome, Severity

CheckFunction = Callable[["EvidenceView"], Outcome]  # noqa: F821 - defined in gather


@dataclass(frozen=True)
class Check:
    id: str
    area: str
    severity: Severity
    needs: tuple[str, ...]
    run: CheckFunction
    active: bool = False  # sends more than a passive scan may (port connects, path probes)


_CHECKS: dict[str, Check] = {}


def check(id: str, *, area: str, severity: Severity, needs: Iterable[str],
          active: bool = False):
    """Register a check function under a stable id; `active` ones run only with --active."""

    def register(func: CheckFunction) -> CheckFunction:
        if id in _CHECKS:
            raise ValueError(f"check {id} registered twice")
        _CHECKS[id] = Check(id, area, severity, tuple(needs), func, active)
        return func

    return register


def all_checks() -> list[Check]:
    from . import checks  # noqa: F401 - importing registers them

    return list(_CHECKS.values())


def select(patterns: Iterable[str] = (), *, active: bool = False) -> list[Check]:
    """Checks whose id matches any glob pattern (all when no pattern is given); active
    checks only when the scan is active."""
    patterns = [p.strip() for p in patterns if p.strip()]
    checks = [c for c in all_checks() if active or not c.active]
    if not patterns:
        return checks
    chosen = [c for c in checks if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)]
    if not chosen:
        known = ", ".join(sorted(c.id for c in checks))
        raise ValueError(f"no check matches {', '.join(patterns)}; known checks: {known}")
    return chosen
