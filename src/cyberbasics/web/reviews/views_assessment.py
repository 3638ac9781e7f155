"""The self-assessment pages: the business profile, one question a screen, the overview and
finishing; the result page and the report downloads. Thin: the rules are in assessment.py.

Every page works without JavaScript (a form posts, the page redirects); with htmx an answer
is saved as soon as an option is picked and a small "Saved" is announced.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import business_view
from ..businesses.selectors import ADVISOR, CLIENT, OWNER
from . import assessment
from .assessment import ReviewFinished
from .services import start_review

MANAGERS = (OWNER, ADVISOR, CLIENT)


def _review(access, review_id: int):
    return get_object_or_404(access.business.reviews.select_related("business"), pk=review_id)


def _url(name: str, review, **kwargs) -> str:
    return reverse(f"assessment:{name}", kwargs={"business_id": review.business_id,
                                                 "review_id": review.pk, **kwargs})


def _question_url(review, question, back_to_overview: bool = False) -> str:
    url = _url("question", review, question_id=question.id)
    return url + "?from=overview" if back_to_overview else url


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _finished(request, review):
    messages.info(request, _("This review is finished, so its answers can no longer be "
                             "changed. Start a new review to answer again."))
    return redirect(_url("result", review))


def _continue_url(review, state) -> str:
    """Where "Continue" leads: the profile before any answer, then the first question not
    answered, then the overview."""
    if not state.started:
        return _url("profile", review)
    following = state.next_unanswered()
    return _question_url(review, following) if following else _url("overview", review)


@business_view(*MANAGERS)
@require_POST
def start(request, access):
    review = start_review(access.business, user=request.user, request=request)
    return redirect(_url("questions", review))


@business_view(*MANAGERS)
@require_GET
def questions(request, access, review_id: int):
    review = _review(access, review_id)
    state = assessment.questionnaire(review)
    return render(request, "reviews/assessment/index.html", {
        "access": access, "review": review, "state": state,
        "time_left": assessment.time_left_text(state.minutes_left()),
        "continue_url": _continue_url(review, state),
    })


@business_view(*MANAGERS)
@require_http_methods(["GET", "POST"])
def profile(request, access, review_id: int):
    review = _review(access, review_id)
    language = assessment.current_language()
    if review.completed:
        return _finished(request, review) if request.method == "POST" else \
            redirect(_url("overview", review))
    back_to_overview = request.GET.get("from") == "overview" or \
        request.POST.get("return") == "overview"
    if request.method == "POST":
        form = assessment.ProfileForm(request.POST, language=language)
        if form.is_valid():
            try:
                assessment.save_profile(review, form.profile())
            except ReviewFinished:
                return _finished(request, review)
            state = assessment.questionnaire(review)
            following = state.next_unanswered()
            if back_to_overview or following is None:
                return redirect(_url("overview", review))
            return redirect(_question_url(review, following))
        status = 400
    else:
        facts = assessment.business_facts(review)
        form = assessment.ProfileForm(language=language,
                                      initial=assessment.ProfileForm.initial_from(facts))
        status = 200
    return render(request, "reviews/assessment/profile.html", {
        "access": access, "review": review, "form": form, "back_to_overview": back_to_overview,
    }, status=status)


@business_view(*MANAGERS)
@require_http_methods(["GET", "POST"])
def question(request, access, review_id: int, question_id: str):
    review = _review(access, review_id)
    language = assessment.current_language()
    state = assessment.questionnaire(review)
    asked = state.catalogue.question(question_id)
    if asked is None:
        raise Http404
    if review.completed:
        if request.method == "POST":
            if _htmx(request):
                # htmx swaps only 2xx answers: the refusal is said in the status region
                return render(request, "reviews/assessment/_saved.html", {"finished": True})
            return _finished(request, review)
        return redirect(_url("overview", review))
    back_to_overview = request.GET.get("from") == "overview" or \
        request.POST.get("return") == "overview"
    if not state.applies(asked.id):  # the profile or an earlier answer rules it out
        messages.info(request, _("That question no longer applies to your business."))
        return redirect(_url("overview", review))
    error = None
    if request.method == "POST":
        option = request.POST.get("option") or ""
        if option:
            try:
                assessment.save_answer(review, asked, option, user=request.user)
            except ReviewFinished:
                return _finished(request, review)
            except ValueError:
                error = _("Please choose one of the answers.")
        if _htmx(request):  # "Saved" in the status region, and the progress brought up to date
            state = assessment.questionnaire(review)
            view = None if error or not state.applies(asked.id) else \
                assessment.question_view(state, asked, language)
            return render(request, "reviews/assessment/_saved.html", {"error": error, "q": view})
        if error is None:
            state = assessment.questionnaire(review)
            if request.POST.get("go") == "back":
                earlier = state.before(asked.id)
                return redirect(_question_url(review, earlier, back_to_overview) if earlier
                                else _url("profile", review))
            if back_to_overview:
                return redirect(_url("overview", review))
            following = state.after(asked.id)
            return redirect(_question_url(review, following) if following
                            else _url("overview", review))
    view = assessment.question_view(state, asked, language)
    return render(request, "reviews/assessment/question.html", {
        "access": access, "review": review, "q": view, "error": error,
        "back_to_overview": back_to_overview,
        "action": _question_url(review, asked, back_to_overview),
    }, status=400 if error else 200)


@business_view(*MANAGERS)
@require_GET
def overview(request, access, review_id: int):
    review = _review(access, review_id)
    language = assessment.current_language()
    state = assessment.questionnaire(review)
    return render(request, "reviews/assessment/overview.html", {
        "access": access, "review": review, "state": state,
        "areas": assessment.overview(state, language),
        "profile": assessment.profile_summary(review, language),
        "unanswered": len(state.unanswered),
        "can_check": access.role == ADVISOR and not review.completed,
        "time_left": assessment.time_left_text(state.minutes_left()),
    })


@business_view(ADVISOR)
@require_POST
def checked(request, access, review_id: int, question_id: str):
    review = _review(access, review_id)
    if review.completed:
        return _finished(request, review)
    mark = request.POST.get("checked") == "1"
    try:
        if not assessment.set_advisor_checked(review, question_id, mark, request=request):
            raise Http404
    except ReviewFinished:
        return _finished(request, review)
    return redirect(_url("overview", review) + f"#q-{question_id}")


@business_view(*MANAGERS)
@require_POST
def finish(request, access, review_id: int):
    review = _review(access, review_id)
    if not review.completed:
        assessment.finish_review(review, assessment.current_language(), request=request)
        messages.success(request, _("The review is finished. Here is your result."))
    return redirect(_url("result", review))


@business_view(*MANAGERS)
@require_GET
def result(request, access, review_id: int):
    review = _review(access, review_id)
    language = assessment.current_language()
    state = None if review.completed else assessment.questionnaire(review)
    shown = assessment.result_body(review, language)
    return render(request, "reviews/assessment/result.html", {
        "access": access, "review": review, "body": shown["body"], "kicker": shown["kicker"],
        "state": state,
        "continue_url": _continue_url(review, state) if state is not None else None,
    })


def _download(request, access, review_id: int, kind: str) -> HttpResponse:
    review = _review(access, review_id)
    data = assessment.report_document(review, assessment.current_language(), kind,
                                      user=request.user, role=access.role, request=request)
    content_type = "application/pdf" if kind == "pdf" else "text/html; charset=utf-8"
    response = HttpResponse(data, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition_header(
        True, assessment.report_filename(review, kind))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@business_view(*MANAGERS)
@require_GET
def report_pdf(request, access, review_id: int):
    return _download(request, access, review_id, "pdf")


@business_view(*MANAGERS)
@require_GET
def report_html(request, access, review_id: int):
    return _download(request, access, review_id, "html")
