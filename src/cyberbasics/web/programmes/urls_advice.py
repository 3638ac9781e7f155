"""Advisors, owners inviting them, and clients through a magic link (mounted at /).
Public: `magic` (the magic-link landing page)."""

from django.urls import path

from . import views_advice as views

app_name = "advice"
urlpatterns = [
    path("advisor/", views.advisor_home, name="advisor-home"),
    path("advisor/clients/add/", views.client_add, name="client-add"),
    path("advisor/branding/", views.branding, name="branding"),
    path("advisor/invitations/<str:token>/", views.invitation, name="invitation"),
    path("b/<int:business_id>/advisors/", views.business_advisors, name="advisors"),
    path("b/<int:business_id>/advisors/<int:access_id>/revoke/", views.advisor_revoke,
         name="advisor-revoke"),
    path("b/<int:business_id>/advisors/invitations/<int:invitation_id>/cancel/",
         views.invitation_cancel, name="invitation-cancel"),
    path("b/<int:business_id>/notes/", views.notes, name="notes"),
    path("b/<int:business_id>/magic-links/", views.links, name="links"),
    path("b/<int:business_id>/magic-links/<int:link_id>/revoke/", views.link_revoke,
         name="link-revoke"),
    path("m/<str:token>/", views.magic, name="magic"),
    path("client/", views.client_home, name="client-home"),
    path("client/leave/", views.client_leave, name="client-leave"),
]
