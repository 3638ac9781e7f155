"""The evidence log without an account (public pages under /help/evidence/).

Every page of a log goes through `anonymous.find`: the token in the URL must be one this
browser session started, otherwise 404, whoever asks.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ...incident.evidence import EvidenceError
from .. import limits
from ..audit.services import record
from ..businesses.models import Business
from ..businesses.selectors import OWNER, STAFF
from . import anonymous, downloads, logs
from . import files as file_store
from .forms import EntryForm, MoveForm, StartLogForm


def start(request):
    """What the log is, the logs this browser already has, and the form to start one."""
    refused = None
    if request.method == "POST":
        form = StartLogForm(request.POST)
        if form.is_valid():
            refused = limits.refusal(limits.EVIDENCE_LOGS, request)
            if refused is not None:
                form.add_error(None, refused.message())
            else:
                redirected = _start_log(request, form)
                if redirected is not None:
                    return redirected
    else:
        form = StartLogForm(initial={"time_zone": "Europe/London"})
    response = render(request, "incidents/anonymous_start.html", {
        "form": form, "existing": anonymous.session_logs(request),
        "keep_days": anonymous.keep_days()}, status=400 if form.errors else 200)
    # Over the limit, the form comes back with what was typed and when to try again.
    return limits.too_many(response, refused) if refused is not None else response


def _start_log(request, form: StartLogForm):
    """Start the log and go to it, counting it against this client; None with the error on
    the form when the core refuses the input."""
    business = form.cleaned_data["business"].strip() or _("Not given")
    try:
        token, _log = anonymous.start(request, business, form.cleaned_data["time_zone"])
    except EvidenceError as exc:
        form.add_error("business", logs.evidence_error_text(exc))
        return None
    limits.record(limits.EVIDENCE_LOGS, request)
    return redirect("incidents:anonymous-detail", token=token)


def _page(request, token: str, found, form: EntryForm | None = None, status: int = 200):
    return render(request, "incidents/anonymous_log.html", {
        "token": token, "anonymous": found, "view": logs.view_log(found.log),
        "form": form or EntryForm(), "keep_days": anonymous.keep_days(),
        "limits": _limits(), "storage_full": anonymous.storage_full()}, status=status)


def _limits() -> dict[str, str]:
    return {"file": logs.megabytes(file_store.max_file_bytes()),
            "log": logs.megabytes(file_store.max_log_bytes())}


def detail(request, token: str):
    """The log: its entries, whether the chain holds, and (POST) a new entry."""
    found = anonymous.find(request, token)
    if request.method != "POST":
        return _page(request, token, found)
    form = EntryForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            anonymous.check_room(data["files"])
            entry = logs.add_entry(found.log, data["recorded_by"], data["text"], data["files"])
        except anonymous.StorageFull as exc:
            form.add_error(None, str(exc))
            status = 429  # the site's limit, not a mistake in the form
        except logs.LogChangeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Entry %(seq)s added: write its fingerprint down "
                                        "(below).")
                             % {"seq": entry.seq})
            return redirect("incidents:anonymous-detail", token=token)
    # The text typed stays in the form; only the files must be chosen again.
    return _page(request, token, found, form, status=status)


def bundle(request, token: str):
    found = anonymous.find(request, token)
    try:
        return downloads.bundle_response(found.log)
    except EvidenceError as exc:
        messages.error(request, logs.evidence_error_text(exc))
        return redirect("incidents:anonymous-detail", token=token)


def pdf(request, token: str):
    found = anonymous.find(request, token)
    try:
        return downloads.pdf_response(found.log)
    except EvidenceError as exc:
        messages.error(request, logs.evidence_error_text(exc))
        return redirect("incidents:anonymous-detail", token=token)


@require_POST
def delete(request, token: str):
    found = anonymous.find(request, token)
    anonymous.delete(request, found, token)
    messages.success(request, _("The evidence log and its files are deleted."))
    return redirect("incidents:anonymous-log")


def _own_businesses(user):
    """Where a signed-in person may keep an incident: businesses they own or work in."""
    return Business.objects.filter(memberships__user=user,
                                   memberships__role__in=(OWNER, STAFF)).order_by("name", "pk")


@login_required
def move(request, token: str):
    """Keep this browser's log in one of the person's businesses, as a new incident."""
    found = anonymous.find(request, token)
    header = logs.core_log(found.log).header
    businesses = list(_own_businesses(request.user))
    form = MoveForm(request.POST or None, businesses=businesses,
                    time_zone=header.time_zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # The choices are the person's own businesses, so the chosen one is among them.
        business = next(b for b in businesses if b.pk == data["business"])
        incident = anonymous.move_to_incident(
            request, found, token, business=business, kind=data["kind"],
            title=data["title"], became_aware_at=data["became_aware_at"])
        record("incident.created", request=request, business=business,
               incident=incident.pk, kind=incident.kind, moved_from="anonymous_log")
        messages.success(request, _("The evidence log is now kept with this incident."))
        return redirect("incidents:detail", business_id=business.pk,
                        incident_id=incident.pk)
    return render(request, "incidents/anonymous_move.html", {
        "form": form, "token": token, "businesses": businesses, "header": header},
        status=400 if form.errors else 200)
