"""The action plan, "My actions", the business's people and the history of its reviews.

Thin views: the rules live in `plan.py` (plan, tracking, staff, scan verification) and
`history.py`. Tracking updates answer htmx with the updated block and plain POSTs with a
redirect, so the page works without script.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ..access import business_view
from ..businesses.selectors import ADVISOR, CLIENT, OWNER, STAFF
from . import history as history_service
from . import plan as plan_service
from .models import ActionItem

BADGES = {"todo": "neutral", "doing": "warn", "done": "good", "verified": "good",
          "not_applicable": "neutral"}


# --- forms ------------------------------------------------------------------------------------

class TrackingForm(forms.Form):
    """An owner's or advisor's changes to one action: status, who does it, by when."""

    status = forms.ChoiceField(label=gettext_lazy("Status"))
    assignee = forms.ModelChoiceField(queryset=None, required=False,
                                      label=gettext_lazy("Who does it"),
                                      empty_label=gettext_lazy("Nobody yet"))
    due_date = forms.DateField(required=False, label=gettext_lazy("Due date"),
                               widget=forms.DateInput(attrs={"type": "date"},
                                                      format="%Y-%m-%d"))

    def __init__(self, *args, item: ActionItem, **kwargs):
        super().__init__(*args, prefix=f"item{item.pk}", initial={
            "status": item.status, "assignee": item.assignee_id, "due_date": item.due_date},
            **kwargs)
        self.fields["status"].choices = _status_choices(item, staff=False)
        self.fields["assignee"].queryset = plan_service.assignable_people(item.business)


class StatusForm(forms.Form):
    """The person an action is assigned to marks their progress."""

    status = forms.ChoiceField(label=gettext_lazy("Status"))

    def __init__(self, *args, item: ActionItem, **kwargs):
        super().__init__(*args, prefix=f"mine{item.pk}", initial={"status": item.status},
                         **kwargs)
        self.fields["status"].choices = _status_choices(item, staff=True)


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Their e-mail address"), max_length=254)


def _status_choices(item: ActionItem, *, staff: bool) -> list[tuple[str, str]]:
    return [(status, ActionItem.Status(status).label)
            for status in plan_service.allowed_statuses(item, staff=staff)]


def _decorate(item: ActionItem, *, staff: bool = False) -> ActionItem:
    """What the templates show beside an item: its badge class, the scan's note and the
    statuses that may be chosen (the tracking forms are written out in the templates, as a
    plan has dozens of them; the form classes above validate what comes back)."""
    item.badge = BADGES.get(item.status, "neutral")
    item.note_text = plan_service.status_note_text(item)
    item.status_choices = _status_choices(item, staff=staff)
    return item


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(request, default: str) -> str:
    """The form's `next` when it is a page of this site, else `default`."""
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        return default
    return target


def _back(request, default: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(_safe_next(request, default))


# --- the plan ---------------------------------------------------------------------------------

@business_view(OWNER, ADVISOR, CLIENT)
def plan(request, access):
    page = plan_service.plan_page(access.business)
    can_edit = access.role in (OWNER, ADVISOR)
    for row in [*page.top, *(r for g in page.groups for r in g.rows)]:
        _decorate(row.item)
    people = list(plan_service.assignable_people(access.business)) if can_edit else []
    return render(request, "reviews/plan/plan.html", {
        "access": access, "business": access.business, "page": page, "can_edit": can_edit,
        "people": people})


@business_view(OWNER, ADVISOR)
@require_POST
def update(request, access, item_id: int):
    item = get_object_or_404(access.business.actions, pk=item_id)
    form = TrackingForm(request.POST, item=item)
    saved, error = _apply(request, form, item, staff=False)
    if saved is not None:
        item = saved
    default = reverse("plan:plan", args=[access.business.pk]) + f"#action-{item.pk}"
    if _is_htmx(request):
        return render(request, "reviews/plan/_tracking.html", {
            "access": access, "item": _decorate(item), "can_edit": True,
            "people": plan_service.assignable_people(access.business),
            "saved": saved is not None and error is None, "error": error})
    return _finish(request, error, default)


def _apply(request, form, item: ActionItem, *, staff: bool):
    """Validate and save a tracking form: (the saved item or None, an error or None)."""
    if not form.is_valid():
        return None, " ".join(f"{form.fields[name].label}: {' '.join(errors)}"
                              for name, errors in form.errors.items() if name in form.fields)
    data = form.cleaned_data
    changes = {"status": data["status"]}
    if not staff:
        changes.update(assignee=data["assignee"], due_date=data["due_date"])
    try:
        saved, _changed = plan_service.update_action_item(item, request=request, staff=staff,
                                                          **changes)
    except plan_service.PlanChangeError as exc:
        return None, str(exc)
    return saved, None


def _finish(request, error: str | None, default: str) -> HttpResponseRedirect:
    if error is None:
        messages.success(request, _("Saved."))
    else:
        messages.error(request, error)
    return _back(request, default)


# --- my actions -------------------------------------------------------------------------------

def _my_actions_page(request, business=None):
    groups = plan_service.my_actions(request.user, business)
    for group in groups:
        for row in group.rows:
            _decorate(row.item, staff=True)
    return render(request, "reviews/plan/my_actions.html", {
        "groups": groups, "business": business,
        "access": getattr(request, "access", None)})


@login_required
def my_actions(request):
    return _my_actions_page(request)


@business_view(OWNER, STAFF)
def business_my_actions(request, access):
    return _my_actions_page(request, access.business)


@business_view(OWNER, STAFF)
@require_POST
def my_update(request, access, item_id: int):
    item = get_object_or_404(access.business.actions, pk=item_id, assignee=request.user)
    form = StatusForm(request.POST, item=item)
    saved, error = _apply(request, form, item, staff=True)
    if saved is not None:
        item = saved
    default = reverse("plan:business-my-actions", args=[access.business.pk])
    if _is_htmx(request):
        return render(request, "reviews/plan/_my_tracking.html", {
            "item": _decorate(item, staff=True), "business": access.business,
            "next_url": _safe_next(request, default).split("#")[0],
            "saved": saved is not None and error is None, "error": error})
    return _finish(request, error, default)


# --- people -----------------------------------------------------------------------------------

def _members_page(request, access, form: InviteForm | None = None):
    return render(request, "reviews/plan/members.html", {
        "access": access, "business": access.business,
        "members": plan_service.members(access.business),
        "invitations": plan_service.pending_invitations(access.business),
        "form": form or InviteForm()}, status=200 if form is None else 400)


@business_view(OWNER)
def members(request, access):
    return _members_page(request, access)


@business_view(OWNER)
@require_POST
def invite(request, access):
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            plan_service.invite_staff(access.business, form.cleaned_data["email"],
                                      invited_by=request.user, request=request)
        except plan_service.InvitationError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, _("Invitation sent to %(email)s.")
                             % {"email": form.cleaned_data["email"]})
            return redirect("plan:members", access.business.pk)
    return _members_page(request, access, form)


@business_view(OWNER)
@require_POST
def remove_member(request, access, membership_id: int):
    membership = get_object_or_404(access.business.memberships.select_related("user"),
                                   pk=membership_id, role="staff")
    plan_service.remove_member(membership, request=request)
    messages.success(request, _("%(person)s is no longer a member.")
                     % {"person": membership.user})
    return redirect("plan:members", access.business.pk)


@business_view(OWNER)
@require_POST
def cancel_invitation(request, access, invitation_id: int):
    invitation = get_object_or_404(plan_service.pending_invitations(access.business),
                                   pk=invitation_id)
    plan_service.cancel_invitation(invitation, request=request)
    messages.success(request, _("The invitation to %(email)s is cancelled.")
                     % {"email": invitation.email})
    return redirect("plan:members", access.business.pk)


def accept_invitation(request, token: str):
    """Public: the link in the invitation e-mail. Anonymous visitors are asked to sign in or
    sign up (and come back here); a signed-in invitee accepts with one button."""
    invitation = plan_service.invitation_for_token(token)
    if invitation is None:
        return render(request, "reviews/plan/invitation_invalid.html", status=404)
    context = {"invitation": invitation, "business": invitation.business,
               "next": request.path}
    if not request.user.is_authenticated:
        return render(request, "reviews/plan/invitation.html", context)
    if request.method == "POST":
        try:
            membership = plan_service.accept_invitation(invitation, request.user,
                                                        request=request)
        except plan_service.InvitationError as exc:
            context["error"] = str(exc)
            return render(request, "reviews/plan/invitation.html", context, status=400)
        messages.success(request, _("Welcome to %(business)s.")
                         % {"business": invitation.business.name})
        target = "plan:business-my-actions" if membership.role == "staff" else "plan:plan"
        return redirect(target, invitation.business.pk)
    context["wrong_address"] = (request.user.email.strip().lower()
                                != invitation.email.strip().lower())
    return render(request, "reviews/plan/invitation.html", context)


# --- history ----------------------------------------------------------------------------------

@business_view(OWNER, ADVISOR, CLIENT)
def history(request, access):
    return render(request, "reviews/plan/history.html", {
        "access": access, "business": access.business,
        "history": history_service.review_history(access.business)})
