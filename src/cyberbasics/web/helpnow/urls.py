"""Help now: public pages, no sign-in (docs/web.md, "Public pages")."""

from django.urls import path

from . import views, views_breach, views_triage

app_name = "help"
urlpatterns = [
    path("", views.start, name="start"),
    path("triage/", views_triage.triage, name="triage"),
    path("playbook/<slug:playbook_id>/", views.playbook, name="playbook"),
    path("report/", views.report, name="report"),
    path("breach/", views_breach.breach, name="breach"),
    path("breach/draft/", views_breach.breach_draft, name="breach-draft"),
]
