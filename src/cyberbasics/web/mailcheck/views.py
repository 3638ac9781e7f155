"""The email checker's pages: the public check (nothing kept), a business's check (kept in
its history, which teaches the checker its correspondents and their usual servers), the
history, one kept check, and the owner's receiving-side settings.

Each check costs DNS lookups and DKIM verification, so each client address may run only so
many in ten minutes, public and business checks together (`web/limits.py`); past that the
form comes back with the message kept and when to try again, answered 429."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ...mail.message import MessageError
from ...mail.verdict import Options
from ...texts import fill, words
from .. import limits
from ..access import business_view
from ..businesses.selectors import ADVISOR, OWNER, STAFF, businesses_for
from ..reviews.scanning import content_language
from . import services
from .checking import run_check
from .forms import MAX_MESSAGE_BYTES, MailSettingsForm, MessageForm, ReceiverForm
from .presentation import result_context, stored_context
from .selectors import check_for, checks_for, contact_domains, own_domains, receiver_settings

CHECKERS = (OWNER, STAFF, ADVISOR)
HISTORY_SHOWN = 200


def _unreadable(form, exc: MessageError, language: str) -> None:
    label = words("email", language)["labels"]["error"]
    form.add_error(None, fill(label, {"error": exc.text(language)}))


def _allowed(request, form) -> limits.Refusal | None:
    """Count this check against the client's limit; over it, the reason goes on the form."""
    refused = limits.take(limits.EMAIL_CHECKS, request)
    if refused is not None:
        form.add_error(None, refused.message())
    return refused


def _answer(response, refused: limits.Refusal | None):
    return limits.too_many(response, refused) if refused is not None else response


def _analyse(form, options, language: str):
    """The outcome for a valid form, or None with the error added to the form."""
    try:
        return run_check(form.cleaned_data["message_bytes"], options)
    except MessageError as exc:
        _unreadable(form, exc, language)
        return None


def check(request):
    """Public: anyone may check a message; nothing about it is kept."""
    language = content_language()
    form, outcome, refused = ReceiverForm(), None, None
    if request.method == "POST":
        form = ReceiverForm(request.POST, request.FILES)
        if form.is_valid() and (refused := _allowed(request, form)) is None:
            data = form.cleaned_data
            outcome = _analyse(form, Options(
                own_domains=data["own_domains"], mx_hosts=data["mx_hosts"],
                trusted_authserv_ids=data["trusted_authserv_ids"],
                trusted_arc_sealers=data["trusted_arc_sealers"]), language)
    context = {"form": form, "outcome": outcome, "stored": False, "max_bytes": MAX_MESSAGE_BYTES,
               "my_businesses": _my_businesses(request.user)}
    if outcome is not None:
        context.update(result_context(outcome.analysis, language))
    # A form with an error is answered 200, as every form of the site is: browsers log any
    # 4xx page as a console error. Only a refusal over the limit is a 429.
    return _answer(render(request, "mailcheck/check.html", context), refused)


def _my_businesses(user):
    if not user.is_authenticated:
        return []
    return list(businesses_for(user).order_by("name", "pk"))


@business_view(*CHECKERS)
def business_check(request, access):
    business = access.business
    language = content_language()
    form, outcome, checked, refused = MessageForm(), None, None, None
    if request.method == "POST":
        form = MessageForm(request.POST, request.FILES)
        if form.is_valid() and (refused := _allowed(request, form)) is None:
            options = services.business_options(business, form.cleaned_data["own_domains"])
            outcome = _analyse(form, options, language)
            if outcome is not None:
                checked = services.record_check(business, request.user, outcome,
                                                request=request)
    context = {"business": business, "access": access, "form": form, "outcome": outcome,
               "stored": True, "checked": checked, "max_bytes": MAX_MESSAGE_BYTES,
               "business_domains": own_domains(business),
               "settings": receiver_settings(business), "can_configure": access.role == OWNER}
    if outcome is not None:
        context.update(result_context(outcome.analysis, language))
    return _answer(render(request, "mailcheck/business_check.html", context), refused)


@business_view(*CHECKERS)
def history(request, access):
    checks = list(checks_for(access, request.user)[:HISTORY_SHOWN])
    language = content_language()
    rows = [{"check": c, "verdict": stored_context(c, language)["verdict"]} for c in checks]
    return render(request, "mailcheck/history.html", {
        "business": access.business, "access": access, "rows": rows,
        "only_own": access.role == STAFF, "shown_max": HISTORY_SHOWN,
        "correspondents": list(access.business.mail_correspondents.all())
        if access.role != STAFF else []})


@business_view(*CHECKERS)
def detail(request, access, check_id: int):
    checked = check_for(access, request.user, check_id)
    return render(request, "mailcheck/detail.html", {
        "business": access.business, "access": access, "checked": checked,
        **stored_context(checked, content_language())})


@business_view(OWNER)
def settings(request, access):
    business = access.business
    current = receiver_settings(business)
    form = MailSettingsForm(request.POST or None, initial={
        "mx_hosts": "\n".join(current.mx_hosts or ()),
        "trusted_authserv_ids": "\n".join(current.trusted_authserv_ids or ()),
        "trusted_arc_sealers": "\n".join(current.trusted_arc_sealers or ())})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.save_settings(business, request.user, mx_hosts=data["mx_hosts"],
                               trusted_authserv_ids=data["trusted_authserv_ids"],
                               trusted_arc_sealers=data["trusted_arc_sealers"],
                               request=request)
        messages.success(request, _("The email checker's settings are saved."))
        return redirect("mailcheck:business-check", business.pk)
    return render(request, "mailcheck/settings.html", {
        "business": business, "access": access, "form": form,
        "contacts": contact_domains(business)})
