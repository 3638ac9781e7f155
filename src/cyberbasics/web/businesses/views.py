"""The dashboard, registering a business, its overview and its domains (adding, removing,
proving ownership)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ..access import EVERYONE, MANAGERS, business_view
from . import services
from .forms import BusinessForm, ConsentForm, DomainForm, country_name
from .models import Domain
from .selectors import ADVISOR, CLIENT, OWNER, STAFF, dashboard_rows, reviews_of
from .verification import FILE_PATH

EDITORS = (OWNER, ADVISOR)  # add and remove domains
ROLE_LABELS = {OWNER: gettext_lazy("owner"), STAFF: gettext_lazy("staff member"),
               ADVISOR: gettext_lazy("advisor"), CLIENT: gettext_lazy("client")}
BAND_LABELS = {"strong": gettext_lazy("Strong"), "good": gettext_lazy("Good"),
               "developing": gettext_lazy("Developing"), "basic": gettext_lazy("Basic"),
               "starting": gettext_lazy("Starting")}


def _review_rows(summaries):
    return [{"summary": s, "band": BAND_LABELS.get(s.band or "", "")} for s in summaries]


@login_required
def home(request):
    rows = [{"row": row, "role": ROLE_LABELS.get(row.role, row.role),
             "band": BAND_LABELS.get((row.latest.band if row.latest else "") or "", "")}
            for row in dashboard_rows(request.user)]
    return render(request, "businesses/home.html", {"rows": rows})


@login_required
def register(request):
    form = BusinessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        business = services.register_business(
            request.user, name=data["name"], country=data["country"],
            time_zone=data["time_zone"], profile=form.profile(), request=request)
        messages.success(request, _("%(name)s is registered. Next, add its domain.")
                         % {"name": business.name})
        return redirect("businesses:domains", business.pk)
    return render(request, "businesses/register.html", {"form": form})


@business_view(*EVERYONE)
def detail(request, access):
    from ..reviews.scanning import start_context

    business = access.business
    context = {"business": business, "access": access,
               "role": ROLE_LABELS.get(access.role, access.role),
               "country": country_name(business.country),
               "domains": list(business.domains.all())}
    if access.can_manage:
        context.update(start_context(business))
        context["reviews"] = _review_rows(reviews_of(business))
        context["open_review"] = business.reviews.filter(completed_at__isnull=True).first()
        context["latest_scan"] = business.scans.order_by("-created_at").first()
    return render(request, "businesses/detail.html", context)


@business_view(*MANAGERS)
@require_POST
def start_review(request, access):
    review = services.start_review(access.business, request=request)
    messages.success(request, _("The review is open."))
    return redirect("assessment:questions", access.business.pk, review.pk)


@business_view(*MANAGERS)
def domains(request, access):
    business = access.business
    can_edit = access.role in EDITORS
    form = DomainForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            return redirect("businesses:domains", business.pk)
        if form.is_valid():
            try:
                domain, changed = services.add_domain(business, form.cleaned_data["domain"],
                                                      request=request)
            except services.DomainError as exc:
                form.add_error("domain", str(exc))
            else:
                if changed:
                    messages.info(request, _("We added the domain %(domain)s, taken from what "
                                             "you typed.") % {"domain": domain.name})
                else:
                    messages.success(request, _("%(domain)s is added.")
                                     % {"domain": domain.name})
                return redirect("businesses:domains", business.pk)
    rows = list(business.domains.all())
    return render(request, "businesses/domains.html", {
        "business": business, "access": access, "domains": rows, "form": form,
        "can_edit": can_edit, "room_left": len(rows) < services.MAX_DOMAINS,
        "max_domains": services.MAX_DOMAINS})


@business_view(*EDITORS)
def domain_remove(request, access, domain_id: int):
    domain = get_object_or_404(access.business.domains, pk=domain_id)
    if request.method == "POST":
        name = domain.name
        services.remove_domain(domain, request=request)
        messages.success(request, _("%(domain)s is removed.") % {"domain": name})
        return redirect("businesses:domains", access.business.pk)
    return render(request, "businesses/domain_remove.html",
                  {"business": access.business, "domain": domain})


def _verify_page(request, access, domain, consent_form=None, status=200):
    return render(request, "businesses/domain_verify.html", {
        "business": access.business, "access": access, "domain": domain,
        "file_url": f"https://{domain.name}{FILE_PATH}",
        "problems": [line for line in domain.last_check_error.splitlines() if line.strip()],
        "method": method_label(domain.verified_by),
        "consent_form": consent_form or (ConsentForm() if access.role == ADVISOR else None),
    }, status=status)


def method_label(method: str) -> str:
    return str(Domain.Method(method).label) if method in Domain.Method.values else ""


@business_view(*MANAGERS)
def domain_verify(request, access, domain_id: int):
    """The two ways to prove ownership, and "Check now" (POST)."""
    domain = get_object_or_404(access.business.domains, pk=domain_id)
    if request.method == "POST" and not domain.verified:
        outcome = services.check_domain(domain, request=request)
        if outcome is not None and outcome.verified:
            messages.success(request, _("%(domain)s is verified.") % {"domain": domain.name})
        else:
            messages.error(request, _("%(domain)s is not verified yet: see why below.")
                           % {"domain": domain.name})
        return redirect("businesses:domain-verify", access.business.pk, domain.pk)
    return _verify_page(request, access, domain)


@business_view(ADVISOR)
@require_POST
def domain_consent(request, access, domain_id: int):
    domain = get_object_or_404(access.business.domains, pk=domain_id)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _verify_page(request, access, domain, consent_form=form, status=400)
    services.record_consent(domain, form.cleaned_data["consent"], request=request)
    messages.success(request, _("The owner's consent is recorded: active checks of "
                                "%(domain)s are allowed.") % {"domain": domain.name})
    return redirect("businesses:domain-verify", access.business.pk, domain.pk)
