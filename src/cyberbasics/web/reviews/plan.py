"""The action plan in the browser, and the people who carry it out.

Services and selectors for the plan page, the tracking of each action (status, assignee,
due date), the staff members who are assigned actions, and the outside scan that confirms
a fix by itself.

- The plan is the core's (`core_review(...).plan`, worded by the review report's model) from
  the business's latest completed review. Each action has one `ActionItem` per business,
  created by `sync_action_items` on first view or when a review completes; tracking is never
  deleted, so an action that leaves the plan and comes back keeps its history.
- An action is "verified" only by a scan (`verify_actions_from_scan`): the actions whose
  catalogue entry says `verify_by: {check: ...}` become verified when that check passes on
  every domain the scan covered; an action marked done that the scan shows still failing
  goes back to "to do" with a note saying why. "Could not check" (an `error` or `info`
  finding, a domain the scan could not reach, a check the scan did not run) never verifies
  and never reopens anything.
- Staff see only the actions assigned to them; everything else of the business is a 404.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ...assess.catalogue import Action, load_catalogue
from ...assess.plan import Plan
from ...assess.review import area_name, catalogue_words, word
from ...report.review_model import ActionView, ReviewWords, build_report
from ...report.safe_text import safe_text
from ...texts import DEFAULT_LANGUAGE, LANGUAGES, MissingText, check_texts
from ..audit.services import record
from ..businesses.models import Business, Invitation, Membership
from .core import core_review
from .models import ActionItem, Review, Scan

Status = ActionItem.Status
OPEN_STATUSES = (Status.TODO, Status.DOING)
FINISHED_STATUSES = (Status.DONE, Status.VERIFIED, Status.NOT_APPLICABLE)
# What people may set: "verified" only ever comes from a scan.
MANAGER_STATUSES = (Status.TODO, Status.DOING, Status.DONE, Status.NOT_APPLICABLE)
STAFF_STATUSES = (Status.TODO, Status.DOING, Status.DONE)
INVITATION_DAYS = 7
SCAN_SCHEMA = "cyberbasics.scan/1"


# --- language ---------------------------------------------------------------------------------

def content_language(language: str | None = None) -> str:
    """The core's language for `language` (default: the request's), English if unsupported."""
    code = (language or translation.get_language() or DEFAULT_LANGUAGE).lower()
    code = code.split("-")[0].split("_")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


# --- the plan ---------------------------------------------------------------------------------

def latest_completed_review(business: Business) -> Review | None:
    return business.reviews.filter(completed_at__isnull=False).order_by("-completed_at").first()


def current_plan_ids(business: Business) -> set[str] | None:
    """The action ids in the plan of the latest completed review, from its stored result
    (None: no completed review with a stored result, so nothing is known to be closed)."""
    review = latest_completed_review(business)
    result = review.result if review is not None else None
    if not isinstance(result, Mapping) or not isinstance(result.get("actions"), list):
        return None
    return {str(a.get("id")) for a in result["actions"] if isinstance(a, Mapping)}


def verifying_checks(action: Action) -> tuple[str, ...]:
    """The scan checks that confirm `action` by themselves (`verify_by: {check: ID}`)."""
    kind, target = action.verify_by
    return (target,) if kind == "check" and target else ()


def scan_verifiable_actions() -> dict[str, tuple[str, ...]]:
    """Action id -> the checks that verify it, for every action a scan can confirm."""
    return {action.id: checks for action in load_catalogue().actions
            if (checks := verifying_checks(action))}


def sync_action_items(business: Business, core_plan: Plan) -> dict[str, ActionItem]:
    """A tracking row for every action of `core_plan` (creating only the missing ones; none is
    ever deleted or reset). Returns action id -> item for the plan's actions."""
    wanted = [planned.id for planned in core_plan.actions]
    existing = {item.action: item for item in business.actions.filter(action__in=wanted)}
    missing = [ActionItem(business=business, action=action_id)
               for action_id in wanted if action_id not in existing]
    if missing:
        # Two requests may create the same rows at once: the unique constraint decides.
        ActionItem.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {item.action: item for item in business.actions.filter(action__in=wanted)}
    return existing


def assignable_people(business: Business):
    """Who an action can be given to: the business's owners and staff members."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(memberships__business=business).order_by("email")


@dataclass
class Row:
    view: ActionView
    item: ActionItem
    closed: bool = False  # no longer in the latest review's plan (it is in place now)


@dataclass
class Group:
    area: str
    name: str
    rows: list[Row]


@dataclass
class PlanPage:
    review: Review | None
    top: list[Row] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    count: int = 0
    open_count: int = 0


def plan_page(business: Business, language: str | None = None) -> PlanPage:
    """The plan of the business's latest completed review, top five first then by area,
    each action with its words and its tracking row."""
    lang = content_language(language)
    review = latest_completed_review(business)
    if review is None:
        return PlanPage(None)
    core = core_review(review, lang)
    report = build_report(core)
    items = sync_action_items(business, core.plan)
    top = [Row(view, items[view.id]) for view in report.top_actions]
    groups = [Group(group.area, group.name, [Row(view, items[view.id]) for view in group.actions])
              for group in report.more_actions]
    rows = top + [row for group in groups for row in group.rows]
    _attach_assignees(rows)
    return PlanPage(review, top, groups, len(rows),
                    sum(1 for row in rows if row.item.status in OPEN_STATUSES))


def _attach_assignees(rows: Iterable[Row]) -> None:
    from django.contrib.auth import get_user_model

    rows = list(rows)
    ids = {row.item.assignee_id for row in rows if row.item.assignee_id}
    people = get_user_model().objects.in_bulk(ids) if ids else {}
    for row in rows:
        if row.item.assignee_id:
            row.item.assignee = people.get(row.item.assignee_id)


def action_views(business: Business, language: str) -> dict[str, ActionView]:
    """Action id -> its words in the latest completed review's plan (for "My actions")."""
    review = latest_completed_review(business)
    if review is None:
        return {}
    return {view.id: view for view in build_report(core_review(review, language)).actions}


def fallback_view(action_id: str, language: str) -> ActionView:
    """Words for an action that is no longer in the plan (its gap was closed since)."""
    catalogue = load_catalogue()
    action = next((a for a in catalogue.actions if a.id == action_id), None)
    t = ReviewWords(language)
    title = word(language, f"action.{action_id}", "title")
    entry = catalogue_words(language).get(f"action.{action_id}") or {}
    area = catalogue.control(action.control).area if action else ""
    kind, target = action.verify_by if action else ("evidence", "")
    minutes = action.effort_minutes if action else 0
    return ActionView(
        id=action_id, rank=0, title=safe_text(title), why=" ".join(str(entry.get("why") or
                                                                       "").split()),
        how=(), area=area, area_name=area_name(language, area) if area else "", priority=0,
        effort_minutes=minutes, effort=t("effort_minutes", minutes=minutes) if minutes else "",
        cost_band=action.cost_band if action else "",
        cost=t.entry("costs", action.cost_band) if action else "",
        quick_win=bool(action and action.quick_win), critical=False, status="to_do",
        status_name="", verify_kind=kind, verify_target=target, verify=t.entry("verify", kind))


@dataclass
class BusinessActions:
    business: Business
    rows: list[Row]


def my_actions(user, business: Business | None = None,
               language: str | None = None) -> list[BusinessActions]:
    """The actions assigned to `user` in the businesses they belong to (or in `business`),
    open ones first by due date, grouped by business."""
    lang = content_language(language)
    items = ActionItem.objects.filter(assignee=user, business__memberships__user=user) \
        .select_related("business").distinct()
    if business is not None:
        items = items.filter(business=business)
    by_business: dict[int, list[ActionItem]] = {}
    for item in items:
        by_business.setdefault(item.business_id, []).append(item)
    result = []
    for item_list in by_business.values():
        owner_business = item_list[0].business
        views = action_views(owner_business, lang)
        item_list.sort(key=lambda i: (i.status not in OPEN_STATUSES,
                                      i.due_date or dt.date.max, i.action))
        result.append(BusinessActions(owner_business, [
            Row(views.get(i.action) or fallback_view(i.action, lang), i,
                closed=bool(views) and i.action not in views) for i in item_list]))
    result.sort(key=lambda group: group.business.name.casefold())
    return result


# --- tracking changes -------------------------------------------------------------------------

class PlanChangeError(ValueError):
    """A change to an action that is not allowed (the message is for the user)."""


_UNCHANGED: Any = object()


def allowed_statuses(item: ActionItem, *, staff: bool) -> list[str]:
    """The statuses a person may choose for `item`; its current one is always listed, so
    saving the assignee of a verified action does not change its status. Staff leave a
    verified action, or one the owner says does not apply, as it is."""
    if staff and item.status not in STAFF_STATUSES:
        return [item.status]
    allowed = list(STAFF_STATUSES if staff else MANAGER_STATUSES)
    if item.status not in allowed:
        allowed.append(item.status)
    return allowed


def set_status(item: ActionItem, status: str, now: dt.datetime | None = None) -> None:
    """Move `item` to `status` as a person chose it (no save)."""
    now = now or timezone.now()
    if status == item.status:
        return
    if item.status == Status.VERIFIED:
        item.verified_at, item.verified_by = None, ""
    item.status = status
    item.done_at = now if status == Status.DONE else None
    item.status_note = {}


@transaction.atomic
def update_action_item(item: ActionItem, *, status: str | None = None, assignee=_UNCHANGED,
                       due_date=_UNCHANGED, request=None,
                       staff: bool = False) -> tuple[ActionItem, dict]:
    """Apply a person's changes to `item` and audit them ("action.updated"); returns the
    item as saved and the changes as field -> [before, after] (empty when nothing changed).
    Staff may only change the status, and only to to do, in progress or done."""
    if staff and (assignee is not _UNCHANGED or due_date is not _UNCHANGED):
        raise PlanChangeError(_("Only the owner or the advisor can change that."))
    item = ActionItem.objects.select_for_update().select_related("business").get(pk=item.pk)
    changes: dict[str, list] = {}
    if status is not None and status != item.status:
        if status not in allowed_statuses(item, staff=staff):
            raise PlanChangeError(_("That status cannot be chosen here."))
        changes["status"] = [item.status, status]
        set_status(item, status)
    if assignee is not _UNCHANGED and (assignee.pk if assignee else None) != item.assignee_id:
        if assignee is not None and not assignable_people(item.business).filter(
                pk=assignee.pk).exists():
            raise PlanChangeError(_("Actions can be given only to the business's people."))
        changes["assignee"] = [item.assignee_id, assignee.pk if assignee else None]
        item.assignee = assignee
        item.reminder_sent_for = None  # the new person hears about it at the due date
    if due_date is not _UNCHANGED and due_date != item.due_date:
        changes["due_date"] = [item.due_date.isoformat() if item.due_date else None,
                               due_date.isoformat() if due_date else None]
        item.due_date = due_date
    if changes:
        item.save()
        record("action.updated", request=request, business=item.business, action_id=item.action,
               item=item.pk, changes=changes)
    return item, changes


# --- the outside scan confirms a fix ----------------------------------------------------------

def _scan_statuses(document: Any, domains: Iterable[str]) -> dict[str, dict[str, str] | None]:
    """Domain -> {check: status} for each domain the scan was asked to cover (None: the
    domain could not be scanned at all). Without a list of domains, every domain in it."""
    results = [r for r in (document.get("results") or []) if isinstance(r, Mapping)]

    def norm(name: Any) -> str:
        return str(name or "").strip().lower().rstrip(".")

    wanted = [norm(d) for d in domains if norm(d)]
    if not wanted:
        wanted = [norm(r.get("domain") or r.get("input")) for r in results]
    statuses: dict[str, dict[str, str] | None] = {}
    for domain in dict.fromkeys(wanted):
        found = next((r for r in results if norm(r.get("domain")) == domain), None) \
            or next((r for r in results if norm(r.get("input")) == domain), None)
        if found is None or found.get("error") or not found.get("domain"):
            statuses[domain] = None
            continue
        seen: dict[str, str] = {}
        for finding in found.get("findings") or []:
            if isinstance(finding, Mapping) and finding.get("check"):
                check, status = str(finding["check"]), str(finding.get("status"))
                # One check may report more than once: the worst word counts.
                if _RANK.get(status, 9) < _RANK.get(seen.get(check, ""), 9):
                    seen[check] = status
        statuses[domain] = seen
    return statuses


_RANK = {"fail": 0, "warn": 1, "error": 2, "info": 3, "pass": 4}


@dataclass(frozen=True)
class Verdict:
    passing: bool  # every check passed on every domain
    failing: tuple[tuple[str, str], ...]  # (check, domain) still showing the problem


def scan_verdict(checks: Iterable[str], statuses: Mapping[str, Mapping[str, str] | None]) \
        -> Verdict:
    """What a scan says about the checks that verify an action: passing only when each
    passed on every domain; failing where one failed or warned; otherwise nothing (could
    not check)."""
    checks = tuple(checks)
    failing, all_pass = [], bool(statuses) and bool(checks)
    for domain, seen in statuses.items():
        for check in checks:
            status = seen.get(check) if seen is not None else None
            if status in ("fail", "warn"):
                failing.append((check, domain))
            if status != "pass":
                all_pass = False
    return Verdict(all_pass and not failing, tuple(failing))


def verify_actions_from_scan(scan: Scan) -> dict[str, str]:
    """Let a finished scan confirm or reopen the business's scan-verifiable actions.

    The scan task calls this when a scan is done. Returns action id -> the new status of
    every item it changed. An action whose verifying checks pass on every domain becomes
    "verified"; one marked done (or verified before) that the scan shows still failing goes
    back to "to do" with a note saying why. Could-not-check changes nothing."""
    if scan.status != Scan.Status.DONE or not isinstance(scan.result, Mapping) \
            or scan.result.get("schema") != SCAN_SCHEMA:
        return {}
    newer = Scan.objects.filter(business_id=scan.business_id, status=Scan.Status.DONE,
                                finished_at__gt=scan.finished_at) if scan.finished_at else None
    if newer is not None and newer.exists():
        return {}  # a later scan has spoken already
    statuses = _scan_statuses(scan.result, scan.domains or ())
    verifiable = scan_verifiable_actions()
    now = timezone.now()
    day = (scan.finished_at or now).date().isoformat()
    changed: dict[str, str] = {}
    with transaction.atomic():
        items = ActionItem.objects.select_for_update().filter(
            business_id=scan.business_id, action__in=list(verifiable))
        for item in items:
            checks = verifiable[item.action]
            verdict = scan_verdict(checks, statuses)
            note = {"checks": list(checks), "scan": scan.pk, "at": day}
            if verdict.passing and item.status in (Status.TODO, Status.DOING, Status.DONE):
                item.status, item.verified_at = Status.VERIFIED, now
                item.verified_by = ",".join(checks)
                item.done_at = item.done_at or now
                item.status_note = {"kind": "verified", "domains": list(statuses), **note}
                event = "action.verified"
            elif verdict.failing and item.status in (Status.DONE, Status.VERIFIED):
                kind = "still_failing" if item.status == Status.DONE else "failing_again"
                item.status, item.verified_at, item.verified_by = Status.TODO, None, ""
                item.done_at = None
                item.status_note = {"kind": kind, "domains": sorted({d for _, d in
                                                                     verdict.failing}),
                                    **note, "checks": sorted({c for c, _ in verdict.failing})}
                event = "action.reopened"
            else:
                continue
            item.save()
            changed[item.action] = item.status
            record(event, business=scan.business, action_id=item.action, item=item.pk,
                   scan=scan.pk, checks=item.status_note["checks"])
    return changed


def check_title(check: str, language: str) -> str:
    try:
        title = check_texts(check, language).get("title")
    except MissingText:
        title = None
    return safe_text(" ".join(str(title or check).split()))


def status_note_text(item: ActionItem, language: str | None = None) -> str:
    """Why a scan changed `item`'s status, in the active language ("" when no scan did)."""
    note = item.status_note if isinstance(item.status_note, Mapping) else {}
    kind = note.get("kind")
    if kind not in ("verified", "still_failing", "failing_again"):
        return ""
    lang = content_language(language)
    checks = ", ".join(check_title(str(c), lang) for c in note.get("checks") or [])
    domains = ", ".join(safe_text(d) for d in note.get("domains") or [])
    try:
        day = date_format(dt.date.fromisoformat(str(note.get("at"))), "DATE_FORMAT")
    except ValueError:
        day = ""
    params = {"date": day, "checks": checks, "domains": domains}
    if kind == "verified":
        return _("The outside scan of %(date)s confirmed it: %(checks)s passed on "
                 "%(domains)s.") % params
    if kind == "still_failing":
        return _("Marked done, but the outside scan of %(date)s still found the problem "
                 "(%(checks)s) on %(domains)s, so it is back to do.") % params
    return _("Confirmed before, but the outside scan of %(date)s found the problem again "
             "(%(checks)s) on %(domains)s, so it is back to do.") % params


# --- staff members ----------------------------------------------------------------------------

class InvitationError(ValueError):
    """An invitation that cannot be sent or accepted (the message is for the user)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def site_link(path: str) -> str:
    return settings.CYBERBASICS_SITE_URL.rstrip("/") + path


def pending_invitations(business: Business):
    return business.invitations.filter(kind=Invitation.Kind.STAFF, accepted_at__isnull=True,
                                       expires_at__gt=timezone.now()).order_by("email")


def members(business: Business):
    return business.memberships.select_related("user").order_by("role", "user__email")


def _language_for_email(email: str) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(email__iexact=email).first()
    if user is not None and user.language:
        return content_language(user.language)
    return content_language()


def invite_staff(business: Business, email: str, *, invited_by, request=None) -> Invitation:
    """Invite `email` to join `business` as a staff member: a link by e-mail, valid for
    INVITATION_DAYS days; only the token's SHA-256 is kept."""
    email = email.strip().lower()
    if business.memberships.filter(user__email__iexact=email).exists():
        raise InvitationError(_("That person is already a member of this business."))
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        # A new invitation replaces any earlier one to the same address.
        pending_invitations(business).filter(email__iexact=email).update(expires_at=now)
        invitation = Invitation.objects.create(
            business=business, email=email, kind=Invitation.Kind.STAFF,
            token_hash=token_hash(token), invited_by=invited_by,
            expires_at=now + dt.timedelta(days=INVITATION_DAYS))
        record("member.invited", request=request, business=business, email=email,
               invitation=invitation.pk)
    link = site_link(reverse("plan:accept-invitation", args=[token]))
    with translation.override(_language_for_email(email)):
        context = {"business": business, "link": link, "inviter": invited_by,
                   "days": INVITATION_DAYS}
        subject = " ".join(render_to_string("reviews/plan/email/invitation_subject.txt",
                                            context).split())
        body = render_to_string("reviews/plan/email/invitation_body.txt", context)
    send_mail(subject, body, None, [email])
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The pending staff invitation this link's token opens, or None."""
    if not token or len(token) > 200:
        return None
    return Invitation.objects.select_related("business", "invited_by").filter(
        token_hash=token_hash(token), kind=Invitation.Kind.STAFF, accepted_at__isnull=True,
        expires_at__gt=timezone.now()).first()


def accept_invitation(invitation: Invitation, user, *, request=None) -> Membership:
    """`user` joins the invitation's business as a staff member (an owner stays owner)."""
    if user.email.strip().lower() != invitation.email.strip().lower():
        raise InvitationError(_("This invitation was sent to %(email)s. Sign in with that "
                                "address to accept it.") % {"email": invitation.email})
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().filter(
            pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=timezone.now()).first()
        if locked is None:
            raise InvitationError(_("This invitation has been used or has expired."))
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        try:
            with transaction.atomic():
                membership, created = Membership.objects.get_or_create(
                    business=locked.business, user=user,
                    defaults={"role": Membership.Role.STAFF})
        except IntegrityError:  # joined in another request at the same moment
            membership, created = Membership.objects.get(business=locked.business,
                                                         user=user), False
        if created:
            record("member.joined", request=request, actor=user, business=locked.business,
                   user=user.pk, role=membership.role, invitation=locked.pk)
    return membership


@transaction.atomic
def remove_member(membership: Membership, *, request=None) -> None:
    """Remove a staff member; their actions in the business go back to nobody."""
    if membership.role != Membership.Role.STAFF:
        raise InvitationError(_("Only staff members can be removed here."))
    business, user = membership.business, membership.user
    business.actions.filter(assignee=user).update(assignee=None, reminder_sent_for=None)
    membership.delete()
    record("member.removed", request=request, business=business, user=user.pk,
           email=user.email)


def cancel_invitation(invitation: Invitation, *, request=None) -> None:
    invitation.expires_at = timezone.now()
    invitation.save(update_fields=["expires_at"])
    record("member.invitation_cancelled", request=request, business=invitation.business,
           invitation=invitation.pk, email=invitation.email)
