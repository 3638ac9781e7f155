"""Sign-up, sign-in (password, then the second factor when the user has one), sign-out and
the account's settings. Thin: the rules are in services.py, throttle.py and two_factor.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cyberbasics.web.businesses.models import Membership

from . import services, two_factor
from .forms import (
    CodeForm,
    DisableTwoFactorForm,
    PasswordChangeForm,
    ProfileForm,
    SignInForm,
    SignUpForm,
)
from .privacy import account_deletion_plan


def throttled_message() -> str:
    return _("Too many sign-in attempts. For your security, signing in is paused for 15 "
             "minutes; please try again later.")


def _safe_next(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return ""


def _after_sign_in() -> str:
    return reverse("businesses:home")


def _after_sign_up() -> str:
    try:
        return reverse("businesses:register")
    except NoReverseMatch:
        return reverse("businesses:home")


@sensitive_post_parameters("password1", "password2")
@never_cache
def sign_up(request):
    if request.user.is_authenticated:
        return redirect(_after_sign_in())
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.create_account(request, email=form.cleaned_data["email"],
                                name=form.cleaned_data["name"],
                                password=form.cleaned_data["password1"])
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect(_after_sign_up())
    return render(request, "accounts/sign_up.html", {"form": form})


@sensitive_post_parameters("password")
@never_cache
def sign_in(request):
    next_url = _safe_next(request)
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or _after_sign_in())
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        step = services.check_password_step(request, form.cleaned_data["email"],
                                            form.cleaned_data["password"], next_url)
        if step.outcome == "needs_code":
            return redirect("accounts:two-factor-verify")
        if step.outcome == "signed_in":
            response = redirect(next_url or _after_sign_in())
            services.apply_language(response, step.user.language)
            return response
        if step.outcome == "throttled":
            form.add_error(None, throttled_message())
            status = 429
        else:
            form.add_error(None, _("That e-mail address and password do not match an "
                                   "account. Check them and try again."))
    return render(request, "accounts/sign_in.html", {"form": form, "next": next_url},
                  status=status)


@require_POST
def sign_out(request):
    services.sign_out(request)
    messages.info(request, _("You are signed out."))
    return redirect("home")


@never_cache
def two_factor_verify(request):
    """The code after the password; also asked of a signed-in session that has not passed
    the second factor yet (the middleware sends it here)."""
    if request.user.is_authenticated:
        if two_factor.passed(request):
            return redirect(_safe_next(request) or _after_sign_in())
        if not request.user.has_second_factor:
            return redirect("accounts:two-factor-setup")
        user, next_url = request.user, _safe_next(request)
    else:
        user, next_url = two_factor.pending_user(request)
        if user is None:
            messages.info(request, _("Please sign in again."))
            return redirect("accounts:sign-in")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = services.check_code_step(request, user, form.cleaned_data["code"])
        if outcome == "signed_in":
            response = redirect(next_url or _after_sign_in())
            services.apply_language(response, user.language)
            return response
        if outcome == "throttled":
            form.add_error(None, throttled_message())
            status = 429
        else:
            form.add_error("code", _("That code is not right, or it was already used. Type "
                                     "the code your app shows now."))
    return render(request, "accounts/two_factor_verify.html",
                  {"form": form, "next": next_url}, status=status)


@login_required
@never_cache
def two_factor_setup(request):
    user = request.user
    required = two_factor.required_for(user) and not user.has_second_factor
    if user.has_second_factor:
        if not two_factor.passed(request):
            return redirect("accounts:two-factor-verify")
        return render(request, "accounts/two_factor_setup.html", {
            "enabled": True, "may_disable": not _role_required(user),
            "disable_form": DisableTwoFactorForm(user)})
    if not user.totp_secret:
        user.totp_secret = two_factor.new_secret()
        user.save(update_fields=["totp_secret"])
    form = CodeForm(request.POST or None)
    # The instructions and the QR code come first: no jumping past them to the field.
    form.fields["code"].widget.attrs.pop("autofocus", None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_second_factor(request, user, user.totp_secret,
                                          form.cleaned_data["code"]):
            messages.success(request, _("Two-step sign-in is on. From now on you will type a "
                                        "code from your app after your password."))
            return redirect(_safe_next(request) or reverse("accounts:settings"))
        form.add_error("code", _("That code is not right. Check that your app shows a code "
                                 "for Cyber Basics and type the one it shows now."))
    return render(request, "accounts/two_factor_setup.html", {
        "enabled": False, "required": required, "form": form, "next": _safe_next(request),
        "secret": two_factor.grouped(user.totp_secret),
        "qr": two_factor.qr_data_uri(user, user.totp_secret)})


def _role_required(user) -> bool:
    return user.programme_roles.exists()


@login_required
@require_POST
def two_factor_disable(request):
    user = request.user
    if _role_required(user):
        messages.error(request, _("Advisors and programme operators must keep two-step "
                                  "sign-in on."))
        return redirect("accounts:two-factor-setup")
    form = DisableTwoFactorForm(user, request.POST)
    if form.is_valid():
        services.disable_second_factor(request, user)
        messages.success(request, _("Two-step sign-in is off."))
        return redirect("accounts:settings")
    return render(request, "accounts/two_factor_setup.html", {
        "enabled": True, "may_disable": True, "disable_form": form})


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@never_cache
def account_settings(request):
    user = request.user
    action = request.POST.get("action") if request.method == "POST" else None
    profile = ProfileForm(request.POST if action == "profile" else None, instance=user)
    password = PasswordChangeForm(user, request.POST if action == "password" else None)
    if action == "profile" and profile.is_valid():
        profile.save()
        response = redirect("accounts:settings")
        services.apply_language(response, user.language)
        translation.activate(user.language or translation.get_language())
        messages.success(request, _("Your details are saved."))
        return response
    if action == "password" and password.is_valid():
        password.save()
        update_session_auth_hash(request, password.user)
        services.password_changed(request)
        messages.success(request, _("Your password is changed."))
        return redirect("accounts:settings")
    owned = [m.business for m in user.memberships.filter(role=Membership.Role.OWNER)
             .select_related("business").order_by("business__name")]
    return render(request, "accounts/settings.html", {
        "profile_form": profile, "password_form": password, "owned": owned,
        "second_factor_required": _role_required(user),
        "deletion": account_deletion_plan(user)})
