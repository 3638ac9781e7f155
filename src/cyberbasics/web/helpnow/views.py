""""I think we've been hacked": the start page, the playbooks and whom to report to. Public:
no sign-in, plain GET forms, so each works without script on any phone.

The words of the playbooks and contacts come from the core (`incident.playbooks`,
`incident.contacts`) in the page's language; the layout and the interface words are here.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cyberbasics.incident.contacts import INCIDENTS

from . import pages
from .defaults import content_language, default_country, pick_country
from .forms import CountryForm
from .reporting import contact_intro, contact_rows


@require_GET
def start(request):
    language = content_language()
    return render(request, "helpnow/start.html", {
        "playbooks": pages.playbook_links(language), "tools": pages.tool_links()})


def _country(request) -> tuple[str | None, bool]:
    """The country to show contacts for, and whether the visitor asked for one we do not
    know (the page then says so and asks again)."""
    asked = request.GET.get("country")
    chosen = pick_country(asked)
    if chosen is not None:
        return chosen, False
    return default_country(request), bool(asked)


@require_GET
def report(request):
    language = content_language()
    country, bad_country = _country(request)
    incident = request.GET.get("incident")
    bad_incident = incident is not None and incident not in INCIDENTS
    if incident not in INCIDENTS:
        incident = None
    rows = contact_rows(country, incident, language) if country and incident else []
    return render(request, "helpnow/report.html", {
        "country": country, "incident": incident, "rows": rows,
        "bad_country": bad_country, "bad_incident": bad_incident,
        "country_form": CountryForm(initial={"country": country or ""}),
        "incidents": pages.incident_choices(language),
        "contacts_text": contact_intro(language),
        "playbook_url": pages.playbook_url(incident) if incident else None,
    })


@require_GET
def playbook(request, playbook_id: str):
    language = content_language()
    try:
        shown = pages.playbook_page(playbook_id, language, request.GET)
    except pages.UnknownPlaybook:
        raise Http404 from None
    country, bad_country = _country(request)
    return render(request, "helpnow/playbook.html", {
        **pages.with_contacts(shown, country, language),
        "country": country, "bad_country": bad_country,
        "country_form": CountryForm(initial={"country": country or ""}),
        "contacts_text": contact_intro(language),
    })
