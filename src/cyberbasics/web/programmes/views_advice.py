"""Advisors (their clients, notes, branding, magic links), owners inviting advisors, and
clients who come through a magic link. Thin: the rules are in services.py and selectors.py."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..access import business_view
from ..businesses.models import Invitation
from ..businesses.selectors import ADVISOR, CLIENT, OWNER, access_for, active_magic_link
from . import selectors, services
from .access import advisor_view
from .forms import AddClientForm, BrandingForm, EmailForm, MagicLinkForm, NoteForm

# --- the advisor area --------------------------------------------------------------------------

@advisor_view
def advisor_home(request):
    return render(request, "advice/advisor_home.html", {
        "clients": selectors.advisor_clients(request.user),
        "programmes": selectors.advisor_programmes(request.user),
        "operated": selectors.operated_programmes(request.user),
        "branding": selectors.branding_of(request.user),
    })


@advisor_view
def client_add(request):
    programmes = selectors.advisor_programmes(request.user)
    form = AddClientForm(request.POST or None, programmes=programmes)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        business = services.add_client(
            advisor=request.user, programme=data["programme"], name=data["name"],
            country=data["country"], time_zone=data["time_zone"], domain=data["domain"],
            consent=data["consent"], request=request)
        messages.success(request, _("%(name)s is now one of your clients.")
                         % {"name": business.name})
        return redirect("advice:advisor-home")
    return render(request, "advice/client_add.html", {"form": form})


@advisor_view
def branding(request):
    current = selectors.branding_of(request.user)
    initial = {"name": current.name} if current else {}
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.save_branding(advisor=request.user, name=form.cleaned_data["name"],
                               logo=form.cleaned_data["logo"],
                               remove_logo=form.cleaned_data["remove_logo"], request=request)
        messages.success(request, _("Your branding is saved."))
        return redirect("advice:branding")
    logo = None
    if current is not None and current.logo_png:
        logo = "data:image/png;base64," + base64.b64encode(bytes(current.logo_png)).decode()
    return render(request, "advice/branding.html", {"form": form, "branding": current,
                                                    "logo": logo})


def invitation(request, token: str):
    """An owner's invitation to advise their business, accepted while signed in with the
    address it was sent to, by an advisor of a programme."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found = services.find_advisor_invitation(token)
    if found is None:
        return render(request, "advice/invitation_invalid.html", status=404)
    problem = None
    if not services.invitation_matches(found, request.user):
        problem = "email"
    elif not selectors.is_advisor(request.user):
        problem = "advisor"
    if request.method == "POST" and problem is None:
        services.accept_advisor_invitation(found, request.user, request=request)
        messages.success(request, _("You now advise %(name)s.") % {"name": found.business.name})
        return redirect("advice:advisor-home")
    return render(request, "advice/invitation.html", {"invitation": found, "problem": problem},
                  status=403 if problem else 200)


# --- owners: who advises the business ----------------------------------------------------------

@business_view(OWNER)
def business_advisors(request, access):
    business = access.business
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if services.invite_advisor(business=business, email=email, invited_by=request.user,
                                   request=request):
            messages.success(request, _("The invitation is on its way to %(email)s.")
                             % {"email": email})
        else:
            messages.error(request, _("The invitation to %(email)s could not be sent. Please "
                                      "try again later.") % {"email": email})
        return redirect("advice:advisors", business.pk)
    return render(request, "advice/business_advisors.html", {
        "business": business, "form": form,
        "accesses": selectors.active_advisor_accesses(business),
        "invitations": selectors.pending_advisor_invitations(business),
    })


@business_view(OWNER)
@require_POST
def advisor_revoke(request, access, access_id: int):
    advisor_access = get_object_or_404(access.business.advisor_accesses,
                                       pk=access_id, revoked_at__isnull=True)
    services.revoke_advisor_access(advisor_access, request=request)
    messages.success(request, _("%(email)s no longer has access to this business.")
                     % {"email": advisor_access.advisor.email})
    return redirect("advice:advisors", access.business.pk)


@business_view(OWNER)
@require_POST
def invitation_cancel(request, access, invitation_id: int):
    found = get_object_or_404(selectors.pending_advisor_invitations(access.business),
                              pk=invitation_id, kind=Invitation.Kind.ADVISOR)
    services.cancel_advisor_invitation(found, request=request)
    messages.success(request, _("The invitation is cancelled."))
    return redirect("advice:advisors", access.business.pk)


# --- advisors: notes and magic links for a client ----------------------------------------------

@business_view(ADVISOR)
def notes(request, access):
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_note(business=access.business, advisor=request.user,
                          text=form.cleaned_data["text"])
        messages.success(request, _("Note added."))
        return redirect("advice:notes", access.business.pk)
    return render(request, "advice/notes.html", {
        "business": access.business, "form": form,
        "notes": selectors.notes_for(access.business, request.user)})


@business_view(ADVISOR, OWNER)
def links(request, access):
    business = access.business
    form = None
    if access.role == ADVISOR:
        form = MagicLinkForm(request.POST or None, business=business,
                             initial={"language": translation.get_language()})
    elif request.method == "POST":
        raise Http404  # owners see and withdraw links; advisors make them
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        link, token, emailed = services.create_magic_link(
            business=business, created_by=request.user, days=data["days"],
            review=data["review"], email=data["email"] or "", language=data["language"],
            request=request)
        # The token is shown here once and never stored: no redirect, nothing to reload.
        response = render(request, "advice/link_created.html", {
            "business": business, "link": link, "url": services.magic_url(token),
            "emailed": emailed})
        response.headers["Cache-Control"] = "no-store"
        return response
    return render(request, "advice/links.html", {
        "business": business, "form": form, "access": access, "now": timezone.now(),
        "links": selectors.magic_links_for(access, request.user)})


@business_view(ADVISOR, OWNER)
@require_POST
def link_revoke(request, access, link_id: int):
    link = get_object_or_404(selectors.magic_links_for(access, request.user), pk=link_id)
    services.revoke_magic_link(link, request=request)
    messages.success(request, _("The link no longer works."))
    return redirect("advice:links", access.business.pk)


# --- clients through a magic link --------------------------------------------------------------

def magic(request, token: str):
    """Public. A valid link opens the client's page; anything else gets the same page,
    whether the link expired, was withdrawn or never existed."""
    link = services.open_magic_link(request, token)
    if link is None:
        response = render(request, "advice/magic_invalid.html", status=404)
    else:
        response = redirect("advice:client-home")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in this URL
    return response


def client_home(request):
    link = active_magic_link(request)
    if link is None:
        if request.user.is_authenticated:
            return redirect("businesses:home")
        return redirect_to_login(request.get_full_path())
    access = access_for(request, link.business_id, (CLIENT,))
    review = link.review or access.business.reviews.first()
    return render(request, "advice/client_home.html", {
        "business": access.business, "review": review, "link": link})


@require_POST
def client_leave(request):
    services.leave_client_session(request)
    messages.success(request, _("You have left the review. Your answers are saved."))
    return redirect("home")
