"""Incidents in a business's account (/b/<id>/incidents/).

Who may do what: owners, staff members and the business's advisors see every incident, its
evidence log and its downloads, and add entries (whoever sees something records it); owners
and staff open incidents; owners close and reopen them. Magic-link clients have no access.
Every incident is looked up within the business (`services.incident_of`): 404 otherwise.
"""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ...incident.evidence import EvidenceError
from ..access import business_view
from ..businesses.selectors import ADVISOR, OWNER, STAFF
from . import downloads, logs, services
from . import files as file_store
from .forms import EntryForm, IncidentForm
from .models import PLAYBOOK_KINDS, Incident

READERS = (OWNER, STAFF, ADVISOR)
OPENERS = (OWNER, STAFF)
CLOSERS = (OWNER,)


@business_view(*READERS)
def incident_list(request, access):
    return render(request, "incidents/list.html", {
        "access": access, "business": access.business,
        "incidents": services.incidents_of(access.business),
        "can_open": access.role in OPENERS})


@business_view(*OPENERS)
def new(request, access):
    business = access.business
    form = IncidentForm(request.POST or None, time_zone=business.time_zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.create_incident(
                business, kind=data["kind"], title=data["title"],
                became_aware_at=data["became_aware_at"], time_zone=data["time_zone"],
                created_by=request.user, request=request)
        except EvidenceError as exc:
            form.add_error(None, logs.evidence_error_text(exc))
        else:
            return redirect("incidents:detail", business_id=business.pk,
                            incident_id=incident.pk)
    return render(request, "incidents/new.html", {
        "access": access, "business": business, "form": form},
        status=400 if form.errors else 200)


def _help_url(name: str, *args, query: dict | None = None) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


def _help_links(incident: Incident) -> dict[str, str | None]:
    playbook = (_help_url("help:playbook", incident.kind)
                if incident.kind in PLAYBOOK_KINDS else None)
    breach = None
    if incident.kind == "personal_data_breach":
        local = incident.became_aware_at.astimezone(_zone(incident.time_zone))
        breach = _help_url("help:breach", query={
            "aware_date": local.strftime("%Y-%m-%d"), "aware_time": local.strftime("%H:%M"),
            "time_zone": incident.time_zone})
    return {"playbook": playbook, "breach": breach}


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _detail_page(request, access, incident: Incident, form: EntryForm | None = None,
                 status: int = 200):
    return render(request, "incidents/detail.html", {
        "access": access, "business": access.business, "incident": incident,
        "view": logs.view_log(incident.log), "form": form or EntryForm(),
        "links": _help_links(incident), "can_close": access.role in CLOSERS,
        "aware_local": incident.became_aware_at.astimezone(_zone(incident.time_zone)),
        "limits": {"file": logs.megabytes(file_store.max_file_bytes()),
                   "log": logs.megabytes(file_store.max_log_bytes())}}, status=status)


@business_view(*READERS)
def detail(request, access, incident_id: int):
    incident = services.incident_of(access.business, incident_id)
    return _detail_page(request, access, incident)


@business_view(*READERS)
@require_POST
def add_entry(request, access, incident_id: int):
    incident = services.incident_of(access.business, incident_id)
    form = EntryForm(request.POST, request.FILES)
    if incident.status == Incident.Status.CLOSED:
        form.is_valid()
        form.add_error(None, _("This incident is closed: reopen it to add to its log."))
        return _detail_page(request, access, incident, form, status=400)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = logs.add_entry(incident.log, data["recorded_by"], data["text"],
                                   data["files"])
        except logs.LogChangeError as exc:
            form.add_error(None, str(exc))
        else:
            services.record_entry(incident, entry.seq, len(entry.files), request=request)
            messages.success(request, _("Entry %(seq)s added: write its fingerprint down "
                                        "(below).")
                             % {"seq": entry.seq})
            return redirect("incidents:detail", business_id=access.business.pk,
                            incident_id=incident.pk)
    return _detail_page(request, access, incident, form, status=400)


def _download(request, access, incident_id: int, what: str):
    incident = services.incident_of(access.business, incident_id)
    make = downloads.bundle_response if what == "zip" else downloads.pdf_response
    try:
        response = make(incident.log)
    except EvidenceError as exc:
        messages.error(request, logs.evidence_error_text(exc))
        return redirect("incidents:detail", business_id=access.business.pk,
                        incident_id=incident.pk)
    services.record_download(incident, what, request=request)
    return response


@business_view(*READERS)
def bundle(request, access, incident_id: int):
    return _download(request, access, incident_id, "zip")


@business_view(*READERS)
def pdf(request, access, incident_id: int):
    return _download(request, access, incident_id, "pdf")


@business_view(*CLOSERS)
@require_POST
def set_status(request, access, incident_id: int):
    incident = services.incident_of(access.business, incident_id)
    status = request.POST.get("status")
    if status not in Incident.Status.values:
        messages.error(request, _("Choose open or closed."))
    else:
        services.set_status(incident, status, request=request)
        messages.success(request, _("The incident is closed.") if status == "closed"
                         else _("The incident is open again."))
    return redirect("incidents:detail", business_id=access.business.pk,
                    incident_id=incident.pk)
