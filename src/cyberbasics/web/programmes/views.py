"""Programme operators: the programme's businesses, anonymised statistics, its advisors and
the exports. Every page goes through `programme_view` (operator of that programme, else 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .access import programme_view
from .forms import EmailForm
from .stats import programme_statistics


@login_required
def index(request):
    """The programmes the user operates; straight to the dashboard when there is one."""
    programmes = list(selectors.operated_programmes(request.user))
    if len(programmes) == 1:
        return redirect("programmes:dashboard", programmes[0].pk)
    if not programmes:
        raise Http404
    return render(request, "programmes/index.html", {"programmes": programmes})


@programme_view
def dashboard(request, programme):
    return render(request, "programmes/dashboard.html", {
        "programme": programme,
        "rows": selectors.programme_businesses(programme),
        "stats": programme_statistics(programme),
    })


@programme_view
def advisors(request, programme):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        outcome = services.add_programme_advisor(programme=programme, email=email,
                                                 request=request)
        level = messages.ERROR if outcome == "not_sent" else messages.SUCCESS
        messages.add_message(request, level, {
            "granted": _("%(email)s is now an advisor of the programme."),
            "already": _("%(email)s is already an advisor of the programme."),
            "invited": _("%(email)s has no account yet: we have e-mailed an invitation."),
            "not_sent": _("%(email)s has no account yet, and the invitation could not be "
                          "sent. Please try again later."),
        }[outcome] % {"email": email})
        return redirect("programmes:advisors", programme.pk)
    return render(request, "programmes/advisors.html", {
        "programme": programme, "form": form,
        "advisors": selectors.programme_advisors(programme),
        "invitations": selectors.pending_programme_invitations(programme),
    })


@programme_view
@require_POST
def advisor_remove(request, programme, role_id: int):
    role = get_object_or_404(selectors.programme_advisors(programme), pk=role_id)
    email = role.user.email
    services.remove_programme_advisor(role, request=request)
    messages.success(request, _("%(email)s is no longer an advisor of the programme.")
                     % {"email": email})
    return redirect("programmes:advisors", programme.pk)


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _stamp(programme) -> str:
    return f"programme-{programme.pk}-{timezone.now().date().isoformat()}"


@programme_view
def export_businesses(request, programme):
    rows = selectors.programme_businesses(programme)
    # No business's own score: an operator sees who takes part and when, and scores only as
    # anonymised statistics.
    header = [_("Business"), _("Country"), _("Advisors"), _("Latest completed review")]
    text = services.csv_text(header, (
        [row.business.name, row.business.country, "; ".join(row.advisors),
         row.review.last_completed_at.date().isoformat() if row.review.last_completed_at
         else ""]
        for row in rows))
    services.record_export(programme, "businesses", request=request)
    return _csv_response(text, f"{_stamp(programme)}-businesses.csv")


@programme_view
def export_statistics(request, programme):
    stats = programme_statistics(programme)
    hidden = _("fewer than 5")

    def shown(cell):
        return hidden if cell.hidden else cell.value

    rows = [[_("Businesses"), "", shown(stats.businesses)],
            [_("Businesses with a completed review"), "", shown(stats.reviewed)],
            [_("Reviews completed"), "", shown(stats.reviews_completed)]]
    rows += [[_("Businesses in score band"), group.name, shown(group.cell)]
             for group in stats.bands]
    rows += [[_("Average score of area"), group.name, shown(group.cell)]
             for group in stats.areas]
    rows += [[_("Businesses with this action in their top five"), group.name,
              shown(group.cell)] for group in stats.top_actions]
    text = services.csv_text([_("Statistic"), _("Group"), _("Value")], rows)
    services.record_export(programme, "statistics", request=request)
    return _csv_response(text, f"{_stamp(programme)}-statistics.csv")


def invitation(request, token: str):
    """An invitation to advise for a programme, accepted while signed in with the address
    it was sent to."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found = services.find_programme_invitation(token)
    if found is None:
        return render(request, "programmes/invitation_invalid.html", status=404)
    wrong_email = found.email.lower() != request.user.email.lower()
    if request.method == "POST" and not wrong_email:
        services.accept_programme_invitation(found, request.user, request=request)
        messages.success(request, _("You are now an advisor of %(name)s.")
                         % {"name": found.programme.name})
        return redirect("advice:advisor-home")
    return render(request, "programmes/invitation.html",
                  {"invitation": found, "wrong_email": wrong_email},
                  status=403 if wrong_email else 200)
