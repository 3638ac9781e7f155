"""TOTP second factor (RFC 6238: 30-second steps, 6 digits, one step of clock drift either
way) and the session's record of it.

A code is accepted once: the step it belongs to is stored in `User.totp_last_step` with a
conditional update, so the same code (or an older one) is refused afterwards even by another
process racing this one.
"""

from __future__ import annotations

import hmac
import time

import pyotp
import segno

from .models import User

ISSUER = "Cyber Basics"
VALID_WINDOW = 1
# The session of a user who passed the second factor holds their id under this key.
PASSED_KEY = "cyberbasics_second_factor"
# Between a right password and a right code: {"user": id, "next": url, "at": unix time}.
PENDING_KEY = "cyberbasics_pending_sign_in"
PENDING_SECONDS = 5 * 60


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(user: User, secret: str) -> str:
    """The otpauth URI as a QR code: an SVG data: URI for an <img> (the policy allows it)."""
    return segno.make(provisioning_uri(user, secret), error="m").svg_data_uri(
        scale=5, dark="#000", light="#fff", border=4)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def clean_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "")


def matching_step(secret: str, code: str, after_step: int, now: float | None = None) -> int | None:
    """The time step (within the window) whose code is `code` and is newer than `after_step`."""
    code = clean_code(code)
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(int(now if now is not None else time.time()))
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_code(user: User, code: str, secret: str | None = None,
                now: float | None = None) -> bool:
    """Check a code against the user's secret (or `secret`, during set-up) and use it up."""
    step = matching_step(secret or user.totp_secret, code, user.totp_last_step, now)
    if step is None:
        return False
    claimed = User.objects.filter(pk=user.pk, totp_last_step__lt=step) \
        .update(totp_last_step=step)
    if claimed:
        user.totp_last_step = step
    return bool(claimed)


def mark_passed(request, user: User) -> None:
    request.session[PASSED_KEY] = user.pk


def passed(request) -> bool:
    user = request.user
    return user.is_authenticated and request.session.get(PASSED_KEY) == user.pk


def required_for(user: User) -> bool:
    """Advisors and operators (any programme role) must use a second factor; so must anyone
    who turned one on."""
    if not user.is_authenticated:
        return False
    if user.has_second_factor:
        return True
    from cyberbasics.web.programmes.models import ProgrammeRole

    return ProgrammeRole.objects.filter(user=user).exists()


def set_pending(request, user: User, next_url: str) -> None:
    request.session[PENDING_KEY] = {"user": user.pk, "next": next_url, "at": int(time.time())}


def pending_user(request) -> tuple[User | None, str]:
    """The user who gave a right password and still owes a code, with where to go next."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None, ""
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, ""
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending.get("next") or ""
