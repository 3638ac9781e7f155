"""Scoped lookups for the advisor area and the programme pages, like `web.access` does for
businesses: anonymous visitors are sent to sign in, anyone without the role gets a 404."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from .selectors import is_advisor, operated_programme


def advisor_view(view):
    """`view(request, ...)` for a signed-in advisor (of any programme)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_advisor(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def programme_view(view):
    """`view(request, programme, ...)` for URLs with a `programme_id` the user operates."""

    @wraps(view)
    def wrapper(request, programme_id: int, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        programme = operated_programme(request.user, programme_id)
        request.programme = programme
        return view(request, programme, *args, **kwargs)

    return wrapper
