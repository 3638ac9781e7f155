"""The demo data of `make run`: a programme, its operator and two advisors, and the lab's five
businesses (lab/world.py: their domains and stories) with owners, reviews, scans and action
plans in progress. Lab only: `seed_demo` refuses to run unless CYBERBASICS_LAB is on, so demo
data never lands in a real deployment.

Everything made up is labelled "(lab)", like the florist's answers file. The scans are real:
they run against the lab at seeding time (`cyberbasics serve` starts the lab first); without
a running lab, finished reviews are scored without an outside view and the open reviews' scans
wait in the queue for the worker. The florist's answers are the lab's own answers file
(lab/answers/florist.yaml); the others are drawn, seeded, from the catalogue's options at a
posture that fits the business's story.

Seeding is idempotent: accounts are found by e-mail (and given back the documented password
and TOTP secret), businesses by their demo domain; only a business that is not there yet gets
its reviews, scans and plan, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

DEMO_PASSWORD = "cyberbasics-lab-demo"
PROGRAMME = {"name": "Lab County Cyber Programme (lab)", "country": "RO",
             "time_zone": "Europe/Bucharest"}
ISSUER = "Cyber Basics (lab)"

OPERATOR, ADVISOR, OWNER, STAFF = "operator", "advisor", "owner", "staff"
ROLE_NAMES = {OPERATOR: "programme operator", ADVISOR: "advisor", OWNER: "business owner",
              STAFF: "staff member"}


class DemoRefused(RuntimeError):
    """Demo data is for the lab only."""


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str  # operator | advisor | owner | staff
    # Fixed and published: these accounts exist only in the lab. Base32 (RFC 4648), as
    # authenticator apps take it.
    totp_secret: str = ""
    domain: str = ""  # owner and staff: the business's demo domain

    def otpauth_uri(self) -> str:
        import pyotp

        return pyotp.TOTP(self.totp_secret).provisioning_uri(name=self.email,
                                                             issuer_name=ISSUER)


ACCOUNTS = (
    DemoAccount("operator@lab-county.example", "Olivia Operator (lab)", OPERATOR,
                "LABDEMOOPERATORSECRETPUBLIC23456"),
    DemoAccount("ana.advisor@lab-county.example", "Ana Advisor (lab)", ADVISOR,
                "LABDEMOADVISORANASECRETPUBLIC234"),
    DemoAccount("bogdan.advisor@lab-county.example", "Bogdan Advisor (lab)", ADVISOR,
                "LABDEMOADVISORBOGDANSECRETPUBLIC"),
    DemoAccount("owner@bakery.example", "Bea Baker (lab)", OWNER, domain="bakery.example"),
    DemoAccount("owner@plumber.example", "Paul Plumber (lab)", OWNER, domain="plumber.example"),
    DemoAccount("owner@florist.example", "Flora Florist (lab)", OWNER,
                domain="florist.example"),
    DemoAccount("staff@florist.example", "Sam Staff (lab)", STAFF, domain="florist.example"),
    DemoAccount("owner@parked.example", "Piotr Parked (lab)", OWNER, domain="parked.example"),
    DemoAccount("owner@brokendns.example", "Bianca Books (lab)", OWNER,
                domain="brokendns.example"),
)


@dataclass(frozen=True)
class DemoReview:
    days_ago: int
    finished: bool
    posture: float = 0.5  # 0 (nothing done) .. 1 (everything); ignored with answers_file
    answered: float = 1.0  # share of the questions answered (unfinished reviews)
    answers_file: str = ""  # a lab answers file (lab/answers/) instead of drawn answers
    improved: tuple[tuple[str, str], ...] = ()  # answers changed since the file
    advisor_checked: bool = False  # the answers were checked by the business's advisor
    scan: str = ""  # "", "passive" or "active": the outside view of this review


@dataclass(frozen=True)
class DemoIncident:
    """An incident the business keeps in its account, with its evidence log: each entry
    (who, what, hours after the business became aware)."""

    kind: str
    title: str
    days_ago: int
    entries: tuple[tuple[str, str, float], ...]


@dataclass(frozen=True)
class DemoBusiness:
    """What the demo adds to one of the lab's businesses (its domain and story come from
    lab/world.py)."""

    domain: str
    name: str
    profile: dict[str, Any]
    reviews: tuple[DemoReview, ...]
    verified_by: str = ""  # "", "dns", "file" or "consent"
    advisor: str = ""  # e-mail of the advisor the owner consented to
    # The plan of the latest finished review: (how many actions, status) in priority order,
    # with due dates from `due_days` (negative: overdue); the staff member takes `staff_takes`.
    plan: tuple[tuple[int, str], ...] = ()
    due_days: tuple[int, ...] = ()
    staff_takes: tuple[int, ...] = ()
    note: str = ""  # the advisor's private note
    seed: int = 0
    incident: DemoIncident | None = None


BUSINESSES = (
    DemoBusiness(
        "bakery.example", "Crumb & Crust Bakery (lab)",
        {"size": 6, "sector": "food", "platforms": ["google_workspace", "windows", "mobile"],
         "premises": "shop", "card_payments": True, "own_website": True, "nas": False,
         "it_provider": True},
        (DemoReview(200, True, posture=0.55),
         DemoReview(30, True, posture=0.9, scan="passive")),
        verified_by="dns", plan=((3, "done"), (2, "doing"), (20, "todo")),
        due_days=(-20, -10, -3, 14, 30), seed=1),
    DemoBusiness(
        "plumber.example", "Pipe Dream Plumbing (lab)",
        {"size": 2, "sector": "trades", "platforms": ["windows", "mobile"], "premises": "home",
         "card_payments": False, "own_website": True, "nas": False, "it_provider": False},
        (DemoReview(3, False, posture=0.15, answered=0.35, advisor_checked=True,
                    scan="active"),),
        verified_by="consent", advisor="ana.advisor@lab-county.example",
        note="(lab) Old WordPress site and open remote desktop: call before the review ends.",
        seed=2),
    DemoBusiness(
        "florist.example", "Fleur & Co (lab)", {},  # profile: from the answers file
        (DemoReview(40, True, answers_file="florist.yaml", scan="passive"),
         DemoReview(2, False, answers_file="florist.yaml", answered=0.4,
                    improved=(("mfa.email", "everyone"), ("backups.restore_test", "this_year"),
                              ("passwords.manager", "some")))),
        verified_by="file", advisor="ana.advisor@lab-county.example",
        plan=((2, "done"), (2, "doing"), (30, "todo")),
        due_days=(-25, -12, -5, -1, 7, 21, 45), staff_takes=(2, 3, 5),
        note="(lab) Shared shop mailbox still without a second step.", seed=3,
        incident=DemoIncident(
            "invoice_fraud", "(lab) Supplier's \"new bank details\" e-mail", 3,
            (("Flora (owner)", "(lab) An e-mail from our flower supplier says their bank "
              "account has changed; the invoice of 1,840 EUR asks us to pay the new account.",
              0.0),
             ("Flora (owner)", "(lab) Called the supplier on the number in our own records: "
              "they sent no such e-mail. We have not paid. E-mail kept, not answered.", 0.5),
             ("Ana (advisor)", "(lab) The e-mail checker says the sender's domain is a "
              "lookalike of the supplier's. Reported to the police; reference to follow.",
              2.0)))),
    DemoBusiness(
        "parked.example", "Parked Holdings (lab)",
        {"size": 1, "sector": "property", "platforms": ["macos", "mobile"], "premises": "home",
         "card_payments": False, "own_website": False, "nas": False, "it_provider": False},
        (DemoReview(60, True, posture=0.6, scan="passive"),),
        plan=((1, "done"), (30, "todo")), due_days=(-30, 10), seed=4),
    DemoBusiness(
        "brokendns.example", "Ledger Lane Bookkeeping (lab)",
        {"size": 4, "sector": "accounting", "platforms": ["microsoft365", "windows"],
         "premises": "office", "card_payments": False, "own_website": False, "nas": True,
         "it_provider": True},
        (DemoReview(90, True, posture=0.7, scan="passive"),
         DemoReview(1, False, posture=0.75, answered=0.1, scan="passive")),
        advisor="bogdan.advisor@lab-county.example",
        plan=((1, "done"), (1, "doing"), (30, "todo")), due_days=(-8, 5, 20), seed=5),
)


def lab_enabled() -> bool:
    value = os.environ.get("CYBERBASICS_LAB", "")
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def account(email: str) -> DemoAccount:
    return next(a for a in ACCOUNTS if a.email == email)


def lab_stories() -> dict[str, str]:
    """domain -> what a newcomer should notice, from the lab's world."""
    from ..lab.world import demo_businesses

    return {b.domain: b.story for b in demo_businesses()}


# --- seeding ---------------------------------------------------------------------------------

def seed_demo(stdout: TextIO | None = None) -> dict[str, int]:
    """Make the demo data (idempotent): {"added": businesses added now, "businesses": the
    programme's businesses}."""
    out = stdout or sys.stdout
    if not lab_enabled():
        raise DemoRefused("demo data is for the lab only: set CYBERBASICS_LAB=1 (never on a "
                          "real deployment)")
    stories = lab_stories()
    missing = [b.domain for b in BUSINESSES if b.domain not in stories]
    if missing:
        raise DemoRefused(f"the lab has no business for {', '.join(missing)}")
    from .businesses.models import Business, Domain

    existing = set(Domain.objects.filter(
        business__programme__name=PROGRAMME["name"],
        name__in=[b.domain for b in BUSINESSES]).values_list("name", flat=True))
    new = [b for b in BUSINESSES if b.domain not in existing]
    scans = _lab_scans(new, out)
    with transaction.atomic():
        programme = _programme()
        passwords = _Passwords()
        users = {a.email: _user(a, passwords) for a in ACCOUNTS}
        _roles(programme, users)
        for demo in new:
            _business(demo, programme, users, scans, stories[demo.domain])
    count = Business.objects.filter(programme=programme).count()
    if new:
        out.write(f"Demo data (lab): added {len(new)} businesses "
                  f"({', '.join(b.domain for b in new)}).\n")
    else:
        out.write(f"Demo data (lab): already there ({count} businesses); the demo accounts "
                  "have their documented password and second factor.\n")
    return {"added": len(new), "businesses": count}


def _programme():
    from .programmes.models import Programme

    programme, _ = Programme.objects.get_or_create(
        name=PROGRAMME["name"], defaults={"country": PROGRAMME["country"],
                                          "time_zone": PROGRAMME["time_zone"]})
    return programme


class _Passwords:
    """The demo password's hash, made once and shared by the demo accounts (argon2 takes most
    of a second a hash here); a stored hash is checked once however many accounts share it."""

    def __init__(self):
        self.demo_hash = ""
        self.checked: dict[str, bool] = {}

    def is_demo(self, encoded: str) -> bool:
        from django.contrib.auth.hashers import check_password

        if encoded not in self.checked:
            self.checked[encoded] = check_password(DEMO_PASSWORD, encoded)
        if self.checked[encoded]:
            self.demo_hash = self.demo_hash or encoded
        return self.checked[encoded]

    def demo(self) -> str:
        from django.contrib.auth.hashers import make_password

        if not self.demo_hash:
            self.demo_hash = make_password(DEMO_PASSWORD)
            self.checked[self.demo_hash] = True
        return self.demo_hash


def _user(demo: DemoAccount, passwords: _Passwords):
    """The account, created or given back its documented password and second factor."""
    from .accounts.models import User

    user = User.objects.filter(email=demo.email).first()
    if user is None:
        user = User(email=demo.email, name=demo.name)
    if not user.password or not passwords.is_demo(user.password):
        user.password = passwords.demo()
    if user.totp_secret != demo.totp_secret or (demo.totp_secret
                                                and user.totp_confirmed_at is None):
        user.totp_secret = demo.totp_secret
        user.totp_confirmed_at = timezone.now() if demo.totp_secret else None
        user.totp_last_step = 0
    user.is_active = True
    user.save()
    return user


def _roles(programme, users) -> None:
    from .programmes.models import AdvisorBranding, ProgrammeRole

    for demo in ACCOUNTS:
        if demo.role in (OPERATOR, ADVISOR):
            ProgrammeRole.objects.get_or_create(programme=programme, user=users[demo.email],
                                                role=demo.role)
        if demo.role == ADVISOR:
            AdvisorBranding.objects.get_or_create(
                advisor=users[demo.email],
                defaults={"name": demo.name.replace(" (lab)", " Advisory (lab)")})


def _business(demo: DemoBusiness, programme, users, scans, story: str) -> None:
    from .businesses.models import AdvisorAccess, Business, Domain, Membership
    from .reviews.models import AdvisorNote

    now = timezone.now()
    profile = dict(demo.profile)
    first = demo.reviews[0]
    if first.answers_file:
        profile = _answers_file(first.answers_file).business
        profile = {k: v for k, v in profile.items() if k not in ("name", "country", "domains")}
    business = Business.objects.create(name=demo.name, country=PROGRAMME["country"],
                                       time_zone=PROGRAMME["time_zone"], profile=profile,
                                       programme=programme)
    _backdate(business, now - dt.timedelta(days=max(r.days_ago for r in demo.reviews) + 7))
    domain = Domain(business=business, name=demo.domain)
    if demo.verified_by:
        domain.verified_at = now - dt.timedelta(days=first.days_ago + 1)
        domain.verified_by = demo.verified_by
        if demo.verified_by == "consent":
            domain.consent_note = ("(lab) The owner agreed in writing to an active scan of "
                                   f"{demo.domain} (demo data).")
    domain.save()
    for member in ACCOUNTS:
        if member.domain == demo.domain:
            Membership.objects.create(business=business, user=users[member.email],
                                      role=member.role)
    owner = users[next(a.email for a in ACCOUNTS
                       if a.domain == demo.domain and a.role == OWNER)]
    advisor = users.get(demo.advisor)
    if advisor is not None:
        AdvisorAccess.objects.create(
            business=business, advisor=advisor, granted_by=owner,
            consent=f"(lab) {owner.name} invited {advisor.name} to advise {demo.name}.")
        if demo.note:
            AdvisorNote.objects.create(business=business, advisor=advisor, text=demo.note)
    latest_finished = None
    for spec in demo.reviews:
        by = advisor if spec.advisor_checked and advisor is not None else owner
        review = _review(business, spec, by, scans.get((demo.domain, spec.scan)), demo.seed)
        if review.completed:
            latest_finished = review
    if latest_finished is not None and demo.plan:
        _plan(business, latest_finished, demo, users)
    if demo.incident is not None:
        _incident(business, demo.incident, owner)


def _incident(business, demo: DemoIncident, owner) -> None:
    """An open incident with its hash-chained evidence log, entries at their own times."""
    from .incidents import logs
    from .incidents.models import Incident

    aware = timezone.now() - dt.timedelta(days=demo.days_ago)
    stored = logs.create_log(business.name, business.time_zone, now=aware)
    Incident.objects.create(business=business, kind=demo.kind, title=demo.title,
                            became_aware_at=aware, time_zone=business.time_zone, log=stored,
                            created_by=owner)
    for by, text, hours in demo.entries:
        logs.add_entry(stored, by, text, [], now=aware + dt.timedelta(hours=hours))


def _backdate(obj, when, **fields) -> None:
    """auto_now_add fields cannot be set on create: set them after."""
    type(obj).objects.filter(pk=obj.pk).update(created_at=when, **fields)


def _review(business, spec: DemoReview, by, scan_document, seed: int):
    from .reviews.core import catalogue
    from .reviews.models import Answer, Review

    cat = catalogue()
    when = timezone.now() - dt.timedelta(days=spec.days_ago)
    review = Review.objects.create(business=business, started_by=by,
                                   catalogue_version=cat.version,
                                   profile=dict(business.profile))
    answers = _answers(spec, business.profile, seed + spec.days_ago)
    source = Answer.Source.ADVISOR if spec.advisor_checked else Answer.Source.SELF
    Answer.objects.bulk_create([
        Answer(review=review, question=question, option=option,
               source=answer_source or source, note=note or "", answered_by=by)
        for question, (option, answer_source, note) in answers.items()])
    if spec.scan:
        _scan(business, review, by, spec.scan, scan_document, when)
    if spec.finished:  # as the finish button does, then dated with the demo's history
        from .reviews.assessment import finish_review

        finish_review(review, "en", request=None)
        Review.objects.filter(pk=review.pk).update(completed_at=when + dt.timedelta(hours=1))
    _backdate(review, when)
    return Review.objects.get(pk=review.pk)


def _scan(business, review, by, mode: str, document, when) -> None:
    """A scan of the business's domain for this review: the real result when the lab ran it
    at seeding time, otherwise queued for the worker (the platform's own scan task)."""
    from .reviews.models import Scan
    from .reviews.scanning import DONE, areas_for, initial_progress

    active = mode == Scan.Mode.ACTIVE
    scan = Scan.objects.create(business=business, review=review, requested_by=by,
                               domains=[d.name for d in business.domains.order_by("name")],
                               mode=mode, progress=initial_progress(active))
    if document is None:
        from .reviews.tasks import run_scan

        transaction.on_commit(lambda: Scan.objects.filter(pk=scan.pk).update(
            task_id=str(run_scan.enqueue(scan.pk, "en").id)[:64]))
        return
    started = when + dt.timedelta(minutes=1)
    duration = sum(int(r.get("duration_ms") or 0) for r in document.get("results") or [])
    Scan.objects.filter(pk=scan.pk).update(
        status=Scan.Status.DONE, result=document, attempts=1,
        progress=dict.fromkeys(areas_for(active), DONE), created_at=when, started_at=started,
        finished_at=started + dt.timedelta(milliseconds=duration))


def _plan(business, review, demo: DemoBusiness, users) -> None:
    """The plan of the latest finished review, in progress: the first actions done, the next
    being done, the rest to do; due dates (some overdue); a few given to the staff member.
    Then the review's scan verifies what it can, as a re-scan would."""
    from .reviews.core import core_review
    from .reviews.plan import set_status, sync_action_items, verify_actions_from_scan

    core_plan = core_review(review, "en").plan
    items = sync_action_items(business, core_plan)
    statuses: list[str] = []
    for count, status in demo.plan:
        statuses += [status] * count
    statuses += [statuses[-1]] * max(0, len(core_plan.actions) - len(statuses))
    staff = next((users[a.email] for a in ACCOUNTS
                  if a.domain == demo.domain and a.role == STAFF), None)
    owner = next(users[a.email] for a in ACCOUNTS
                 if a.domain == demo.domain and a.role == OWNER)
    today = timezone.localdate()
    done_at = review.completed_at + dt.timedelta(days=3)
    for index, (planned, status) in enumerate(zip(core_plan.actions, statuses, strict=False)):
        item = items[planned.id]
        set_status(item, status, now=done_at)
        if index < len(demo.due_days):  # the first ones are planned: a date and a person
            item.due_date = today + dt.timedelta(days=demo.due_days[index])
            item.assignee = staff if staff is not None and index in demo.staff_takes \
                else owner
        item.save()
    scan = business.scans.filter(status="done").order_by("-finished_at").first()
    if scan is not None:
        verify_actions_from_scan(scan)


# --- answers ---------------------------------------------------------------------------------

def _answers_file(name: str):
    from ..assess.answers import parse_answers
    from .reviews.core import catalogue

    text = resources.files("cyberbasics.lab").joinpath("answers", name).read_text("utf-8")
    answers = parse_answers(text, catalogue())
    if answers.problems:
        raise DemoRefused(f"lab answers file {name}: " + "; ".join(map(str, answers.problems)))
    return answers


def _answers(spec: DemoReview, profile: dict[str, Any],
             seed: int) -> dict[str, tuple[str, str, str]]:
    """question -> (option, source, note), in the catalogue's order, the first
    `spec.answered` share of the questions that apply."""
    from ..assess.scoring import applicable_questions
    from .reviews.core import catalogue

    cat = catalogue()
    if spec.answers_file:
        parsed = _answers_file(spec.answers_file)
        chosen = {q: (a.option, a.source, a.note or "") for q, a in parsed.answers.items()}
        for question, option in spec.improved:
            chosen[question] = (option, "", "")
    else:
        chosen = drawn_answers(cat, profile, spec.posture, seed)
    options = {q: option for q, (option, _, _) in chosen.items()}
    asked = [q.id for q in applicable_questions(cat, profile, options) if q.id in chosen]
    keep = asked if spec.answered >= 1 else asked[:round(len(asked) * spec.answered)]
    return {q: chosen[q] for q in keep}


def drawn_answers(cat, profile: dict[str, Any], posture: float,
                  seed: int) -> dict[str, tuple[str, str, str]]:
    """Plausible answers for a business at `posture` (0 nothing done .. 1 everything), drawn
    with a fixed seed: each question's option nearest a value scattered around the posture,
    a few "I don't know"; only questions that apply, given the answers before them."""
    from ..assess.conditions import applies

    rng = random.Random(seed)
    chosen: dict[str, tuple[str, str, str]] = {}
    options: dict[str, str] = {}
    for question in cat.questions:
        if not applies(question.condition, profile, options):
            continue
        valued = [o for o in question.options if o.value is not None]
        if rng.random() < 0.08 or not valued:
            option = "dont_know"
        else:
            target = min(1.0, max(0.0, rng.gauss(posture, 0.25)))
            option = min(valued, key=lambda o: (abs(o.value - target), -o.value)).id
        chosen[question.id] = (option, "", "")
        options[question.id] = option
    return chosen


# --- the lab's scans -------------------------------------------------------------------------

def _lab_scans(new: list[DemoBusiness], out: TextIO) -> dict[tuple[str, str], dict]:
    """(domain, mode) -> the `cyberbasics.scan/1` document, scanned now against the running
    lab; empty when no lab is running (the scans are then queued for the worker)."""
    wanted = sorted({(b.domain, r.scan) for b in new for r in b.reviews if r.scan})
    if not wanted:
        return {}
    config = lab_scan_config()
    if config is None:
        out.write("Demo data (lab): no running lab (CYBERBASICS_LAB_STATE): the scans wait "
                  "for the worker, and finished reviews have no outside view.\n")
        return {}
    import asyncio

    from ..report.scan_output import document
    from ..scan.engine import scan_domains

    async def scan_all() -> dict[tuple[str, str], dict]:
        found = {}
        for mode in ("passive", "active"):
            domains = [d for d, m in wanted if m == mode]
            if domains:
                results = await scan_domains(domains, config(active=mode == "active"))
                found.update({(r.domain or r.input, mode): document([r]) for r in results})
        return found

    out.write("Demo data (lab): scanning the lab's demo domains...\n")
    out.flush()
    quiet = logging.getLogger("httpx")  # one line per request of the scan: noise here
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        return asyncio.run(scan_all())
    finally:
        quiet.setLevel(level)


def lab_scan_config():
    """A function making the lab's `ScanConfig` (keyword overrides such as active=True), from
    the state file of the running lab; None without one."""
    from . import scanning

    path = scanning.lab_state_path()
    if path is None or not path.exists():
        return None
    return scanning.scan_config


# --- what `cyberbasics serve` prints ---------------------------------------------------------

LAB_MAIL_DIR = "lab-mail"  # under the data folder: the lab's messages for the email checker

def describe(url: str) -> str:
    """The sign-in sheet: every demo account, its role and second factor, and what to try."""
    stories = lab_stories()
    names = {b.domain: b.name for b in BUSINESSES}
    lines = [f"Demo accounts (lab). Every one signs in with the password: {DEMO_PASSWORD}", ""]
    for demo in ACCOUNTS:
        where = f"  {names[demo.domain]}, {demo.domain}" if demo.domain else ""
        lines.append(f"  {ROLE_NAMES[demo.role]:<19} {demo.email:<34}{where}".rstrip())
        if demo.totp_secret:
            lines.append(f"  {'':<19} second factor (TOTP) secret: {demo.totp_secret}")
            lines.append(f"  {'':<19} {demo.otpauth_uri()}")
    lines += ["", "Advisors and the operator need a code from an authenticator app: add the "
                  "secret (or the otpauth:// link) to one.",
              "", "The businesses live in the lab (every server on this machine):"]
    for demo in BUSINESSES:
        lines.append(f"  {demo.domain:<19} {stories[demo.domain]}")
    lines += ["", "What to try:",
              "  - Sign in as owner@florist.example: the finished review's result and its "
              "action plan (some actions overdue), the re-review half answered, and an open "
              "incident (a fake supplier invoice) with its evidence log.",
              "  - Sign in as staff@florist.example: the actions assigned to the staff member.",
              "  - Sign in as ana.advisor@lab-county.example (with a code): the clients "
              "plumber.example and florist.example, an active scan, private notes.",
              "  - Sign in as operator@lab-county.example (with a code): the programme's "
              "businesses and statistics.",
              "  - Add a domain and start a scan as any owner: it runs in the task worker "
              "against the lab.",
              f"  - Or sign up as a new owner at {url.rstrip('/')}/accounts/sign-up/.",
              "", "Help now (no sign-in needed):",
              f"  - {url.rstrip('/')}/help/ : \"I think we've been hacked\": the triage, the "
              "eight playbooks, whom to report to, the breach clock, the evidence log.",
              f"  - {url.rstrip('/')}/email-check/ : paste or upload a message from "
              f"{LAB_MAIL_DIR}/ in the data folder (genuine, spoofed, lookalike, forwarded "
              "and mailing-list mail to the florist, signed by the lab's senders; "
              "expected.json says what each should get)."]
    return "\n".join(lines) + "\n"
