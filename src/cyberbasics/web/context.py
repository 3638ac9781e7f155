from functools import cached_property

from django.conf import settings


class _Roles:
    """What the signed-in user is, for the navigation; each asked only when a page shows it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def advisor(self) -> bool:
        return self.user.programme_roles.filter(role="advisor").exists()

    @cached_property
    def operator(self) -> bool:
        return self.user.programme_roles.filter(role="operator").exists()

    @cached_property
    def staff(self) -> bool:
        return self.user.memberships.filter(role="staff").exists()


def site(request):
    """What every page's frame needs: the languages to switch between and the user's roles."""
    user = getattr(request, "user", None)
    roles = _Roles(user) if user is not None and user.is_authenticated else None
    return {"LANGUAGES_OFFERED": settings.LANGUAGES, "nav_roles": roles}
