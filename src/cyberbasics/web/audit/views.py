from django.core.paginator import Paginator
from django.shortcuts import render

from cyberbasics.web.access import business_view

from .labels import label
from .models import AuditEvent


@business_view("owner")
def business_events(request, access):
    """The business's audit log, newest first, for its owners (no IP addresses)."""
    events = AuditEvent.objects.filter(business=access.business).order_by("-at", "-pk")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    rows = [{"at": e.at, "who": e.actor_label, "what": label(e.action), "code": e.action}
            for e in page]
    return render(request, "audit/business_events.html",
                  {"business": access.business, "page": page, "rows": rows})
