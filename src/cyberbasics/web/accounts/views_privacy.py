"""Export and deletion (GDPR): a business's owner for the business, each person for their
own account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cyberbasics.web.access import business_view

from . import privacy
from .forms import ConfirmNameForm, DeleteAccountForm


def _download(document: str, filename: str) -> HttpResponse:
    response = HttpResponse(document, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%d-%H%M%S")


@business_view("owner")
def business_privacy(request, access):
    return render(request, "privacy/business.html", {"business": access.business})


@business_view("owner")
@require_POST
def business_export(request, access):
    business = access.business
    name = slugify(business.name) or "business"
    return _download(privacy.export_business(request, business),
                     f"cyberbasics-{name}-{_stamp()}.json")


@business_view("owner")
def business_delete(request, access):
    business = access.business
    form = ConfirmNameForm(business.name, request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = business.name
        privacy.delete_business(request, business)
        messages.success(request, _("%(name)s and all its data are deleted.") % {"name": name})
        return redirect("businesses:home")
    return render(request, "privacy/business_delete.html",
                  {"business": business, "form": form})


@login_required
@require_POST
def account_export(request):
    return _download(privacy.export_account(request, request.user),
                     f"cyberbasics-account-{_stamp()}.json")


@login_required
def account_delete(request):
    user = request.user
    plan = privacy.account_deletion_plan(user)
    form = DeleteAccountForm(user, request.POST or None)
    if request.method == "POST" and plan.allowed and form.is_valid():
        privacy.delete_account(request, user)
        logout(request)
        messages.success(request, _("Your account and your data are deleted."))
        return redirect("home")
    return render(request, "privacy/account_delete.html", {"plan": plan, "form": form})
