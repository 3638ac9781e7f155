"""For tests elsewhere: a client signed in as `user` whose session passed the second factor
(the user gets a confirmed factor if they had none), so advisors and operators reach their
pages without typing a code."""

from __future__ import annotations

import pyotp
from django.utils import timezone

from . import two_factor


def give_second_factor(user) -> str:
    """A confirmed TOTP secret for `user` (kept if they already have one); returns it."""
    if not user.has_second_factor:
        user.totp_secret = user.totp_secret or pyotp.random_base32()
        user.totp_confirmed_at = timezone.now()
        user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return user.totp_secret


def sign_in_with_second_factor(client, user):
    """`client.force_login(user)` (unless already signed in as them) and mark the session as
    having passed the second factor. Returns the client."""
    give_second_factor(user)
    if str(client.session.get("_auth_user_id")) != str(user.pk):
        client.force_login(user)
    session = client.session
    session[two_factor.PASSED_KEY] = user.pk
    session.save()
    return client
