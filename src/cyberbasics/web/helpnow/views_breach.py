"""The breach clock (GDPR Art. 33's 72 hours, in the business's time zone) and the draft
notification: a preview page and a PDF download. Public: no sign-in.

The clock is a GET form, so the deadline page can be bookmarked or sent to a colleague; the
draft is a POST (it carries what the business typed, which does not belong in a URL or a
server log). Bad input re-renders the page with the errors and everything typed kept.
The PDF costs about a second of CPU, so each client may make only so many in ten minutes
(`web/limits.py`); past that the draft is shown as a page instead, with when to try again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cyberbasics.incident.breach import draft_notification, obligations, zone
from cyberbasics.incident.breach_pdf import to_pdf
from cyberbasics.incident.playbooks import PLAYBOOK_IDS, playbook

from .. import limits
from .defaults import (
    content_language,
    default_business_name,
    default_country,
    default_zone,
)
from .forms import ClockForm, DraftForm

_CLOCK_FIELDS = ("aware_date", "aware_time", "time_zone")
_FLAG_VALUES = ("yes", "no")


def _clock(request, language: str) -> ClockForm:
    if any(name in request.GET for name in _CLOCK_FIELDS):
        form = ClockForm(request.GET, language=language)
        form.is_valid()
        return form
    place = default_zone(request)
    moment = {k: v for k, v in _from_triage(request, place).items() if k in _CLOCK_FIELDS}
    return ClockForm(language=language, initial={"time_zone": place, **moment})


def _draft_initial(request, clock: ClockForm) -> dict:
    from ..businesses.forms import country_name

    country = default_country(request)
    initial = {"time_zone": default_zone(request), "business_name": default_business_name(request),
               "country": country_name(country) if country else ""}
    if clock.is_bound and clock.clock is not None:  # carry the moment into the draft
        initial.update({name: clock.cleaned_data[name] for name in _CLOCK_FIELDS})
    if request.GET.get("ongoing") in _FLAG_VALUES:  # from the triage's answers
        initial["ongoing"] = request.GET["ongoing"]
    initial.update(_from_triage(request, initial["time_zone"]))
    return initial


def _from_triage(request, time_zone: str) -> dict:
    """What the triage's answers say for the draft: what happened (the playbook's title, for
    the business to expand) and, when it was noticed in the last hour or today, that moment."""
    found: dict = {}
    incident = request.GET.get("incident")
    if incident in PLAYBOOK_IDS:
        found["what_happened"] = playbook(incident, content_language()).title
    noticed = request.GET.get("noticed")
    if noticed in ("last_hour", "today") and "aware_date" not in request.GET:
        now = timezone.now().astimezone(zone(time_zone))
        found["aware_date"] = now.date()
        if noticed == "last_hour":
            found["aware_time"] = now.time().replace(second=0, microsecond=0)
    return found


def _obligations(language: str) -> dict[str, list]:
    """Art. 33 (notify the authority) and Art. 34 (tell the people), in plain words."""
    groups: dict[str, list] = {"33": [], "34": []}
    for item in obligations(language):
        groups[item.article.split("(")[0]].append(item)
    return groups


@require_GET
def breach(request):
    language = content_language()
    clock = _clock(request, language)
    draft_form = DraftForm(language=language, initial=_draft_initial(request, clock))
    return _breach_page(request, language, clock, draft_form)


def _report_url(request) -> str:
    """Whom to notify: the data protection authority of the visitor's country, if known."""
    query = {"incident": "personal_data_breach"}
    country = default_country(request)
    if country:
        query["country"] = country
    return f"{reverse('help:report')}?{urlencode(query)}"


def _breach_page(request, language, clock, draft_form, status=200):
    deadline = clock.clock if clock.is_bound else None
    return render(request, "helpnow/breach.html", {
        "report_url": _report_url(request),
        "clock_form": clock, "deadline": deadline,
        "deadline_text": deadline.text(language) if deadline else None,
        "left_text": deadline.left_text(language) if deadline else None,
        "overdue": deadline.overdue() if deadline else False,
        "obligations": _obligations(language), "draft_form": draft_form,
    }, status=status)


@require_POST
def breach_draft(request):
    """The draft from the posted facts: the preview page, or the PDF to download."""
    language = content_language()
    form = DraftForm(request.POST, language=language)
    if not form.is_valid():
        clock = ClockForm(language=language, initial={"time_zone": default_zone(request)})
        return _breach_page(request, language, clock, form)
    draft = draft_notification(form.answers, language)
    refused = None
    if request.POST.get("format") == "pdf":
        refused = limits.take(limits.BREACH_PDFS, request)
        if refused is None:
            response = HttpResponse(to_pdf(draft), content_type="application/pdf")
            # An ASCII name: every browser keeps it as it is.
            response["Content-Disposition"] = \
                'attachment; filename="breach-notification-draft.pdf"'
            response["Cache-Control"] = "no-store"
            return response
    # The preview, or the draft as a page when no more PDFs are allowed for now: nothing
    # typed is lost, and the page can be printed or copied meanwhile.
    response = render(request, "helpnow/breach_draft.html", {
        "draft": draft, "draft_form": form,
        "refused_message": refused.message() if refused is not None else ""})
    response["Cache-Control"] = "no-store"
    return limits.too_many(response, refused) if refused is not None else response
