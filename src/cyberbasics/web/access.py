"""The decorator every business page goes through: anonymous visitors (without a magic
link) are sent to sign in; anyone else reaches the business only in a role it allows,
otherwise 404 (never a hint that the object exists)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login

from .businesses.selectors import ADVISOR, CLIENT, OWNER, STAFF, access_for, active_magic_link

EVERYONE = (OWNER, STAFF, ADVISOR, CLIENT)
MANAGERS = (OWNER, ADVISOR, CLIENT)  # run reviews, answer, see results and the whole plan


def business_view(*roles: str):
    """`view(request, access, ...)` for URLs with a `business_id`; `roles` defaults to all."""
    allowed = roles or EVERYONE

    def decorate(view):
        @wraps(view)
        def wrapper(request, business_id: int, *args, **kwargs):
            if not request.user.is_authenticated and active_magic_link(request) is None:
                return redirect_to_login(request.get_full_path())
            access = access_for(request, business_id, allowed)
            request.access = access
            return view(request, access, *args, **kwargs)

        return wrapper

    return decorate
