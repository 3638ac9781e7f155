"""The outside view as a background task: starting a scan, running it with live progress per
area, and what the pages show of it.

A scan's whole state is its row (status, progress, result, error), so a page can be closed
and opened again, and a worker that dies mid-scan leaves a row another worker starts over.
The task (`tasks.run_scan`) is idempotent: a finished scan is left alone; a "running" one
is a retry after a dead worker and starts over, and the writes of a worker whose attempt
was taken over are dropped (each write names its attempt).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from ...assess.scan_file import SCAN_AREAS
from ...config import ConfigError, ScanConfig
from ...report.scan_output import document
from ...scan.registry import select
from ..audit.services import record
from ..scanning import ScanSetupError, scan_config
from .models import Review, Scan

logger = logging.getLogger(__name__)

WAITING, RUNNING, DONE = "waiting", "running", "done"
# How often, at most, the progress row is written while evidence comes in.
PROGRESS_INTERVAL = 0.25


class ScanNotAllowed(ValueError):
    """A scan cannot be started; the message says why, in the reader's language."""


# --- starting -------------------------------------------------------------------------------

def areas_for(active: bool) -> list[str]:
    """The areas a scan covers, in report order (services only when active)."""
    present = {check.area for check in select(active=active)}
    return [area for area in SCAN_AREAS if area in present] + sorted(
        present.difference(SCAN_AREAS))


def initial_progress(active: bool) -> dict[str, str]:
    return dict.fromkeys(areas_for(active), WAITING)


def start_context(business) -> dict:
    """What the form that starts a scan needs (the business page shows it too)."""
    domains = list(business.domains.all())
    return {"scan_domains": domains,
            "all_verified": bool(domains) and all(d.verified for d in domains)}


def _enqueue(scan: Scan, language: str) -> None:
    from .tasks import run_scan

    try:
        result = run_scan.enqueue(scan.pk, language)
    except Exception:  # the queue is down: say so on the scan rather than losing it
        logger.exception("could not queue scan %s", scan.pk)
        Scan.objects.filter(pk=scan.pk, status=Scan.Status.QUEUED).update(
            status=Scan.Status.FAILED, finished_at=timezone.now(),
            error=_("The scan could not be queued. Please try again in a minute."))
        return
    Scan.objects.filter(pk=scan.pk).update(task_id=str(result.id)[:64])


def start_scan(business, *, user=None, request=None, active: bool = False,
               confirmed: bool = False, review: Review | None = None,
               language: str = "en", retry_of: Scan | None = None) -> Scan:
    """Queue a scan of every domain of `business` for its open review (opened if needed).
    Passive by default; active only when every domain is verified and the person starting
    it confirmed. `ScanNotAllowed` says why not."""
    from .services import start_review

    domains = list(business.domains.order_by("name"))
    if not domains:
        raise ScanNotAllowed(_("Add the business's domain first: the outside view looks at "
                               "its domains."))
    if active:
        unverified = [d.name for d in domains if not d.verified]
        if unverified:
            raise ScanNotAllowed(_("An active scan needs every domain verified first; not yet "
                                   "verified: %(domains)s.") % {"domains": ", ".join(unverified)})
        if not confirmed:
            raise ScanNotAllowed(_("Tick the box to confirm that the business agrees to the "
                                   "active checks."))
    who = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        if review is None:
            review = start_review(business, user=who, request=request)
        scan = Scan.objects.create(
            business=business, review=review, requested_by=who,
            domains=[d.name for d in domains],
            mode=Scan.Mode.ACTIVE if active else Scan.Mode.PASSIVE,
            progress=initial_progress(active))
        record("scan.started", request=request, actor=who if request is None else None,
               business=business, scan=scan.pk, mode=scan.mode, domains=scan.domains,
               **({"retry_of": retry_of.pk} if retry_of is not None else {}))
    _enqueue(scan, language)
    scan.refresh_from_db()
    return scan


def retry_scan(scan: Scan, *, user=None, request=None, language: str = "en") -> Scan:
    """A new scan of the same business for the same review, in the same mode (an active one
    only while every domain is still verified; it was confirmed when first started)."""
    if scan.status != Scan.Status.FAILED:
        raise ScanNotAllowed(_("Only a scan that failed can be tried again."))
    return start_scan(scan.business, user=user, request=request,
                      active=scan.mode == Scan.Mode.ACTIVE, confirmed=True,
                      review=scan.review, language=language, retry_of=scan)


# --- running --------------------------------------------------------------------------------

class ProgressTracker:
    """Which areas are finished: an area is done for a domain when every piece of evidence
    its checks need is in (or the domain is finished), and done when it is for every domain."""

    def __init__(self, domains: list[str], checks) -> None:
        self.needs: dict[str, set[str]] = {}
        for check in checks:
            self.needs.setdefault(check.area, set()).update(check.needs)
        self.areas = [a for a in SCAN_AREAS if a in self.needs] + sorted(
            set(self.needs).difference(SCAN_AREAS))
        self.domains = list(dict.fromkeys(domains))
        self.gathered: dict[str, set[str]] = {d: set() for d in self.domains}
        self.finished: set[str] = set()

    def evidence(self, domain: str, name: str) -> None:
        self.gathered.setdefault(domain, set()).add(name)

    def domain_done(self, domain: str) -> None:
        self.finished.add(domain)

    def _done(self, area: str, domain: str) -> bool:
        return domain in self.finished or self.needs[area] <= self.gathered.get(domain, set())

    def state(self) -> dict[str, str]:
        return {area: DONE if all(self._done(area, d) for d in self.domains) else RUNNING
                for area in self.areas}


def _scan_in_thread(domains: list[str], config: ScanConfig, language: str,
                    events: queue.SimpleQueue) -> threading.Thread:
    """Run the core's scan in its own thread and event loop, reporting to `events`:
    ("evidence", domain, name), ("domain", domain), then ("results", list) or ("error",
    exception). The database is written from the task's own thread only."""
    from ...scan.engine import scan_domains

    def work() -> None:
        try:
            results = asyncio.run(scan_domains(
                domains, config, language=language,
                progress=lambda result: events.put(("domain", result.domain or result.input)),
                on_evidence=lambda domain, name: events.put(("evidence", domain, name))))
        except BaseException as exc:  # handed to the task's thread, which decides
            events.put(("error", exc))
        else:
            events.put(("results", results))

    thread = threading.Thread(target=work, name="cyberbasics-scan", daemon=True)
    thread.start()
    return thread


@dataclass
class _Attempt:
    scan_id: int
    number: int

    def update(self, **fields) -> bool:
        """Write to the scan only while this attempt is still the latest one."""
        return bool(Scan.objects.filter(pk=self.scan_id, attempts=self.number,
                                        status=Scan.Status.RUNNING).update(**fields))


def _claim(scan_id: int) -> _Attempt | None:
    """Mark the scan running as a new attempt; None when it is finished (or gone)."""
    with transaction.atomic():
        scan = Scan.objects.select_for_update().filter(pk=scan_id).first()
        if scan is None or scan.status in (Scan.Status.DONE, Scan.Status.FAILED):
            return None
        claimed = Scan.objects.filter(pk=scan_id, attempts=scan.attempts).exclude(
            status__in=(Scan.Status.DONE, Scan.Status.FAILED)).update(
            status=Scan.Status.RUNNING, started_at=timezone.now(), finished_at=None,
            attempts=F("attempts") + 1, result=None, error="",
            progress=dict.fromkeys(areas_for(scan.mode == Scan.Mode.ACTIVE), RUNNING))
        if not claimed:
            return None
    return _Attempt(scan_id, scan.attempts + 1)


def _domains_to_scan(scan: Scan) -> list[str]:
    """The scan's domains that still belong to the business (and, for an active scan, are
    still verified)."""
    current = scan.business.domains.filter(name__in=scan.domains)
    if scan.mode == Scan.Mode.ACTIVE:
        unverified = [d.name for d in current if not d.verified]
        if unverified:
            raise ScanNotAllowed(_("%(domains)s is no longer verified, so the active scan was "
                                   "not run.") % {"domains": ", ".join(unverified)})
    names = {d.name for d in current}
    wanted = [name for name in scan.domains if name in names]
    if not wanted:
        raise ScanNotAllowed(_("None of the scan's domains belongs to the business any "
                               "more."))
    return wanted


def execute_scan(scan_id: int, language: str = "en", *, config: ScanConfig | None = None,
                 time_limit: float | None = None) -> str:
    """The task's body: run the scan, keep its progress and result. Returns the scan's
    status ("missing" when there is no such scan). Never raises for a failed scan."""
    attempt = _claim(scan_id)
    if attempt is None:
        scan = Scan.objects.filter(pk=scan_id).only("status").first()
        return scan.status if scan is not None else "missing"
    scan = Scan.objects.select_related("business").get(pk=scan_id)
    with override(language):
        try:
            results = _run(scan, attempt, language, config, time_limit)
        except TimeoutError:
            logger.exception("scan %s ran out of time", scan_id)
            _fail(scan, attempt, _("The scan took far longer than it should and was stopped. "
                                   "Please try again later."))
            return Scan.Status.FAILED
        except (ScanNotAllowed, ScanSetupError, ConfigError) as exc:
            if isinstance(exc, ScanSetupError):
                logger.error("scan %s: %s", scan_id, exc.detail)
            _fail(scan, attempt, str(exc))
            return Scan.Status.FAILED
        except Exception:
            logger.exception("scan %s failed", scan_id)
            _fail(scan, attempt, _("The scan stopped because of an error on our side. Please "
                                   "try again; if it keeps failing, tell the site's "
                                   "administrator."))
            return Scan.Status.FAILED
    data = document(results)
    progress = dict.fromkeys(areas_for(scan.mode == Scan.Mode.ACTIVE), DONE)
    if attempt.update(status=Scan.Status.DONE, result=data, progress=progress,
                      finished_at=timezone.now()):
        record("scan.finished", business=scan.business, scan=scan.pk, mode=scan.mode)
        _verify_actions(scan_id)
    return Scan.Status.DONE


def _verify_actions(scan_id: int) -> None:
    """The finished scan confirms or reopens the plan's scan-verifiable actions; a problem
    there is logged and never turns a finished scan into a failed one."""
    from .plan import verify_actions_from_scan

    try:
        verify_actions_from_scan(Scan.objects.select_related("business").get(pk=scan_id))
    except Exception:
        logger.exception("scan %s: could not verify the plan's actions", scan_id)


def _fail(scan: Scan, attempt: _Attempt, message: str) -> None:
    if attempt.update(status=Scan.Status.FAILED, error=message, finished_at=timezone.now()):
        record("scan.failed", business=scan.business, scan=scan.pk, error=message)


def _run(scan: Scan, attempt: _Attempt, language: str, config: ScanConfig | None,
         time_limit: float | None):
    from ...texts import LANGUAGES

    domains = _domains_to_scan(scan)
    config = config or scan_config(active=scan.mode == Scan.Mode.ACTIVE)
    language = language if language in LANGUAGES else "en"
    locks = None
    if config.active and config.target_lock_provider is None:
        # One active scan per address across every worker and machine (jobs.target_lease).
        from ..jobs.target_lease import database_target_locks

        locks = database_target_locks()
        config = replace(config, target_lock_provider=locks)
    try:
        return _follow(scan, attempt, domains, config, language, time_limit)
    finally:
        if locks is not None:
            locks.close()


def _follow(scan: Scan, attempt: _Attempt, domains: list[str], config: ScanConfig,
            language: str, time_limit: float | None):
    """Run the scan in its thread; write the progress as areas finish; the results."""
    tracker = ProgressTracker(domains, select(config.checks, active=config.active))
    events: queue.SimpleQueue = queue.SimpleQueue()
    thread = _scan_in_thread(domains, config, language, events)
    limit = time_limit or (config.domain_timeout * (len(domains) // config.concurrency + 1)
                           + 60.0)
    deadline = time.monotonic() + limit
    shown = tracker.state()
    written_at = 0.0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"scan {scan.pk} took longer than {limit:g} s")
        try:
            event = events.get(timeout=min(remaining, PROGRESS_INTERVAL))
        except queue.Empty:
            event = None
        if event is not None:
            kind = event[0]
            if kind == "results":
                thread.join(5)
                return event[1]
            if kind == "error":
                raise event[1]
            if kind == "evidence":
                tracker.evidence(event[1], event[2])
            elif kind == "domain":
                tracker.domain_done(event[1])
        state = tracker.state()
        if state != shown and time.monotonic() - written_at >= PROGRESS_INTERVAL:
            attempt.update(progress=state)
            shown, written_at = state, time.monotonic()


# --- what the pages show --------------------------------------------------------------------

@dataclass(frozen=True)
class AreaProgress:
    area: str
    name: str
    state: str  # waiting | running | done

    @property
    def tone(self) -> str:
        return {DONE: "good", RUNNING: "warn"}.get(self.state, "neutral")


def area_rows(scan: Scan, language: str) -> list[AreaProgress]:
    from ...assess.review import area_name

    progress = scan.progress or {}
    if scan.status == Scan.Status.DONE:
        progress = dict.fromkeys(progress or areas_for(scan.mode == Scan.Mode.ACTIVE), DONE)
    return [AreaProgress(area, area_name(language, area, "scan"), state)
            for area, state in progress.items()]


@dataclass(frozen=True)
class AreaGrade:
    name: str
    grade: str | None
    score: int | None
    state: str | None  # why there is no grade ("not scanned", ...), in the reader's words


@dataclass(frozen=True)
class DomainGrades:
    domain: str
    grade: str | None
    score: int | None
    error: str | None
    areas: list[AreaGrade]


def _no_grade_state(graded: dict) -> str | None:
    """As the scan report says it (report/wording.area_state), from the JSON document."""
    if graded.get("score") is not None:
        return None
    if graded.get("unchecked"):
        return "unchecked"
    if graded.get("not_applicable") or graded.get("checked"):
        return "not_applicable"
    return "not_scanned"


def result_rows(scan: Scan, language: str) -> list[DomainGrades]:
    """Each domain's overall and per-area grade from the scan's document."""
    from ...assess.review import area_name
    from ...report.wording import report_texts

    states = report_texts(language).get("area_states") or {}
    rows = []
    for result in (scan.result or {}).get("results") or []:
        if not isinstance(result, dict):
            continue
        grades = result.get("grades") or {}
        overall = grades.get("overall") or {}
        areas = []
        for key, graded in (grades.get("areas") or {}).items():
            if isinstance(graded, dict):
                state = _no_grade_state(graded)
                areas.append(AreaGrade(area_name(language, key, "scan"), graded.get("grade"),
                                       graded.get("score"),
                                       str(states.get(state, state)) if state else None))
        error = result.get("error")
        rows.append(DomainGrades(
            str(result.get("domain") or result.get("input") or "?"),
            overall.get("grade"), overall.get("score"),
            str(error.get("message") or error.get("code")) if isinstance(error, dict) else None,
            areas))
    return rows


def progress_signature(scan: Scan) -> str:
    """Changes whenever what the progress fragment shows changes (the poll compares it)."""
    states = "".join(state[:1] for _area, state in sorted((scan.progress or {}).items()))
    return f"{scan.status}-{scan.attempts}-{states}"


def content_language() -> str:
    """The request's language as the core's content files name it."""
    from ...texts import LANGUAGES

    language = (get_language() or "en").split("-")[0]
    return language if language in LANGUAGES else "en"


def fail_abandoned(scan_id: int, language: str = "en") -> bool:
    """Mark a scan whose task will not run again (its worker died too often) failed, unless
    it finished; True when it was."""
    with override(language):
        message = _("The scan was interrupted several times (the server running it stopped) "
                    "and was given up. Please try again.")
    updated = Scan.objects.filter(pk=scan_id).exclude(
        status__in=(Scan.Status.DONE, Scan.Status.FAILED)).update(
        status=Scan.Status.FAILED, error=message, finished_at=timezone.now())
    return bool(updated)
