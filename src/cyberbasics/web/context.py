from functools import cached_property

from django.conf import settings


class _Roles:
    """What the signed-in user is, for the navigation; each asked only when a page shows it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def _programme_roles(self) -> frozenset[str]:
        return frozenset(self.user.programme_roles.values_list("role", flat=True))

    @property
    def advisor(self) -> bool:
        return "advisor" in self._programme_roles

    @property
    def operator(self) -> bool:
        return "operator" in self._programme_roles

    @cached_property
    def staff(self) -> bool:
        return self.user.memberships.filter(role="staff").exists()


def site(request):
    """What every page's frame needs: the languages to switch between, the user's roles, and
    for a client who came through a magic link, the way back to their review."""
    from .businesses.selectors import MAGIC_SESSION_KEY, active_magic_link

    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    roles = _Roles(user) if signed_in else None
    session = getattr(request, "session", None)
    client = (not signed_in and session is not None and MAGIC_SESSION_KEY in session
              and active_magic_link(request) is not None)
    return {"LANGUAGES_OFFERED": settings.LANGUAGES, "nav_roles": roles,
            "magic_client": client}
