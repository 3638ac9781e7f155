"""The self-assessment, the result page and the report downloads of one review."""

from django.urls import path

from . import views_assessment as views

app_name = "assessment"
REVIEW = "b/<int:business_id>/reviews/<int:review_id>/"
urlpatterns = [
    path("b/<int:business_id>/reviews/self-assessment/", views.start, name="start"),
    path(REVIEW + "questions/", views.questions, name="questions"),
    path(REVIEW + "questions/profile/", views.profile, name="profile"),
    path(REVIEW + "questions/overview/", views.overview, name="overview"),
    path(REVIEW + "questions/finish/", views.finish, name="finish"),
    path(REVIEW + "questions/<str:question_id>/", views.question, name="question"),
    path(REVIEW + "questions/<str:question_id>/checked/", views.checked, name="checked"),
    path(REVIEW + "result/", views.result, name="result"),
    path(REVIEW + "report.pdf", views.report_pdf, name="report-pdf"),
    path(REVIEW + "report.html", views.report_html, name="report-html"),
]
