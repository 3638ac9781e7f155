"""Second factor required: a signed-in advisor or programme operator (anyone with a
programme role), or anyone who turned two-step sign-in on, reaches only the public pages and
the two-step pages until their session has passed the second factor.

Public views are listed in OPEN_VIEWS by URL name; a view elsewhere can be marked with
`@second_factor_exempt` instead.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .accounts import two_factor

OPEN_VIEWS = frozenset({
    "home", "health", "set_language",
    "accounts:sign-in", "accounts:sign-up", "accounts:sign-out",
    "accounts:two-factor-setup", "accounts:two-factor-verify",
})


def second_factor_exempt(view):
    view.second_factor_exempt = True
    return view


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or two_factor.passed(request):
            return None
        match = request.resolver_match
        if (match is not None and match.view_name in OPEN_VIEWS) \
                or getattr(view_func, "second_factor_exempt", False):
            return None
        if not two_factor.required_for(user):
            return None
        name = "accounts:two-factor-verify" if user.has_second_factor \
            else "accounts:two-factor-setup"
        target = reverse(name)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
