"""What happens when people sign up, sign in and out, and manage their second factor.
Views call these; every step that matters is written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.utils import timezone, translation

from cyberbasics.web.audit.services import record

from . import throttle, two_factor
from .models import LoginAttempt, User


@transaction.atomic
def create_account(request, *, email: str, name: str, password: str) -> User:
    language = translation.get_language() or ""
    if language not in dict(settings.LANGUAGES):
        language = ""
    user = User.objects.create_user(email, password, name=name, language=language)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    record("account.created", request=request, actor=user)
    return user


@dataclass(frozen=True)
class PasswordStep:
    outcome: str  # "signed_in" | "needs_code" | "failed" | "throttled"
    user: User | None = None


def check_password_step(request, email: str, password: str, next_url: str) -> PasswordStep:
    """The first step of signing in: refused while throttled, then the password; a user with
    a second factor is not signed in yet but owes a code."""
    ip = throttle.client_ip(request)
    if throttle.is_locked(email, ip):
        record("sign_in.throttled", request=request, email=email, stage="password")
        return PasswordStep("throttled")
    user = authenticate(request, email=email, password=password)
    if user is None:
        throttle.record_failure(email, ip, LoginAttempt.Stage.PASSWORD)
        record("sign_in.failed", request=request, email=email, stage="password")
        return PasswordStep("failed")
    if user.has_second_factor:
        two_factor.set_pending(request, user, next_url)
        return PasswordStep("needs_code", user)
    complete_sign_in(request, user, second_factor=False)
    return PasswordStep("signed_in", user)


def check_code_step(request, user: User, code: str) -> str:
    """The second step: "signed_in", "failed" or "throttled". Counts against the same limits
    as passwords."""
    ip = throttle.client_ip(request)
    if throttle.is_locked(user.email, ip):
        record("sign_in.throttled", request=request, email=user.email, stage="code")
        return "throttled"
    if not two_factor.accept_code(user, code):
        throttle.record_failure(user.email, ip, LoginAttempt.Stage.CODE)
        record("two_factor.failed", request=request, actor=user, stage="sign_in")
        return "failed"
    request.session.pop(two_factor.PENDING_KEY, None)
    complete_sign_in(request, user, second_factor=True)
    return "signed_in"


def complete_sign_in(request, user: User, *, second_factor: bool) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if second_factor:
        two_factor.mark_passed(request, user)
    if user.language:
        translation.activate(user.language)
    throttle.clear(user.email)
    record("sign_in", request=request, actor=user, second_factor=second_factor)


def sign_out(request) -> None:
    if request.user.is_authenticated:
        record("sign_out", request=request)
    logout(request)


def apply_language(response, language: str) -> None:
    """The user's saved language: the cookie LocaleMiddleware reads (or none: the browser's)."""
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                            max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
                            path=settings.LANGUAGE_COOKIE_PATH,
                            domain=settings.LANGUAGE_COOKIE_DOMAIN,
                            secure=settings.LANGUAGE_COOKIE_SECURE or settings.HTTPS,
                            httponly=True, samesite="Lax")
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH,
                               domain=settings.LANGUAGE_COOKIE_DOMAIN)


def password_changed(request) -> None:
    record("password.changed", request=request)


def confirm_second_factor(request, user: User, secret: str, code: str) -> bool:
    """Turn the second factor on once the user typed a right code from the new secret."""
    if not two_factor.accept_code(user, code, secret=secret):
        record("two_factor.failed", request=request, stage="set_up")
        return False
    User.objects.filter(pk=user.pk).update(totp_secret=secret, totp_confirmed_at=timezone.now())
    user.totp_secret, user.totp_confirmed_at = secret, timezone.now()
    two_factor.mark_passed(request, user)
    record("two_factor.enabled", request=request)
    return True


def disable_second_factor(request, user: User) -> None:
    User.objects.filter(pk=user.pk).update(totp_secret="", totp_confirmed_at=None)
    user.totp_secret, user.totp_confirmed_at = "", None
    request.session.pop(two_factor.PASSED_KEY, None)
    record("two_factor.disabled", request=request)
