"""GDPR pages (export and deletion, for a business's owner and for each person) and the
business's activity log."""

from django.urls import path

from cyberbasics.web.audit import views as audit_views

from . import views_privacy as views

app_name = "privacy"
urlpatterns = [
    path("b/<int:business_id>/privacy/", views.business_privacy, name="business"),
    path("b/<int:business_id>/privacy/export/", views.business_export,
         name="business-export"),
    path("b/<int:business_id>/privacy/delete/", views.business_delete,
         name="business-delete"),
    path("b/<int:business_id>/activity/", audit_views.business_events,
         name="business-activity"),
    path("account/export/", views.account_export, name="account-export"),
    path("account/delete/", views.account_delete, name="account-delete"),
]
