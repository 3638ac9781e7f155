"""The outside view's pages: start a scan, follow it live (an htmx fragment polled every two
seconds, which stops once the scan is finished), retry a failed one, and the history."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..access import MANAGERS, business_view
from .models import Scan
from .scanning import (
    DONE,
    ScanNotAllowed,
    area_rows,
    content_language,
    progress_signature,
    result_rows,
    retry_scan,
    start_context,
    start_scan,
)

# htmx stops polling on this status (and still swaps the final fragment in).
STOP_POLLING = 286
FINISHED = (Scan.Status.DONE, Scan.Status.FAILED)


def _summary(scan: Scan, areas) -> str:
    if scan.status == Scan.Status.QUEUED:
        return _("Waiting for the scan to start…")
    if scan.status == Scan.Status.FAILED:
        return _("The scan failed.")
    if scan.status == Scan.Status.DONE:
        return _("The scan is finished.")
    done = sum(1 for row in areas if row.state == DONE)
    return ngettext("Scanning: %(done)d of %(total)d area done.",
                    "Scanning: %(done)d of %(total)d areas done.", len(areas)) % {
        "done": done, "total": len(areas)}


def _progress_context(access, scan: Scan) -> dict:
    language = content_language()
    areas = area_rows(scan, language)
    return {
        "business": access.business, "scan": scan, "areas": areas,
        "areas_done": sum(1 for row in areas if row.state == DONE),
        "summary": _summary(scan, areas), "polling": scan.status not in FINISHED,
        "signature": progress_signature(scan),
        "results": result_rows(scan, language) if scan.status == Scan.Status.DONE else [],
    }


@business_view(*MANAGERS)
@require_POST
def start(request, access):
    business = access.business
    back = "scans:list" if request.POST.get("from") == "list" else "businesses:detail"
    try:
        scan = start_scan(business, user=request.user, request=request,
                          active=request.POST.get("active") == "on",
                          confirmed=request.POST.get("confirm") == "on",
                          language=content_language())
    except ScanNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect(back, business.pk)
    return redirect("scans:detail", business.pk, scan.pk)


@business_view(*MANAGERS)
def index(request, access):
    business = access.business
    scans = business.scans.select_related("requested_by").order_by("-created_at")[:100]
    return render(request, "reviews/scans/list.html",
                  {"business": business, "access": access, "scans": scans,
                   **start_context(business)})


@business_view(*MANAGERS)
def detail(request, access, scan_id: int):
    scan = get_object_or_404(access.business.scans, pk=scan_id)
    return render(request, "reviews/scans/detail.html",
                  {"access": access, **_progress_context(access, scan)})


@business_view(*MANAGERS)
def progress(request, access, scan_id: int):
    """The live fragment: 204 while nothing changed since `seen`; the last fragment (with
    no poll) and 286 once the scan is finished."""
    scan = get_object_or_404(access.business.scans, pk=scan_id)
    context = _progress_context(access, scan)
    if context["polling"] and request.GET.get("seen") == context["signature"]:
        return HttpResponse(status=204)
    response = render(request, "reviews/scans/_progress.html", {**context, "oob": True})
    if not context["polling"]:
        response.status_code = STOP_POLLING
    return response


@business_view(*MANAGERS)
@require_POST
def retry(request, access, scan_id: int):
    scan = get_object_or_404(access.business.scans, pk=scan_id)
    try:
        again = retry_scan(scan, user=request.user, request=request,
                           language=content_language())
    except ScanNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("scans:detail", access.business.pk, scan.pk)
    return redirect("scans:detail", access.business.pk, again.pk)
