"""The evidence log without an account (public: /help/evidence/..., reached only from the
browser session that started the log) and incidents in a business's account."""

from django.urls import path

from . import views, views_anonymous

app_name = "incidents"
urlpatterns = [
    path("help/evidence/", views_anonymous.start, name="anonymous-log"),
    path("help/evidence/<str:token>/", views_anonymous.detail, name="anonymous-detail"),
    path("help/evidence/<str:token>/bundle/", views_anonymous.bundle, name="anonymous-bundle"),
    path("help/evidence/<str:token>/pdf/", views_anonymous.pdf, name="anonymous-pdf"),
    path("help/evidence/<str:token>/delete/", views_anonymous.delete, name="anonymous-delete"),
    path("help/evidence/<str:token>/keep/", views_anonymous.move, name="anonymous-move"),
    path("b/<int:business_id>/incidents/", views.incident_list, name="list"),
    path("b/<int:business_id>/incidents/new/", views.new, name="new"),
    path("b/<int:business_id>/incidents/<int:incident_id>/", views.detail, name="detail"),
    path("b/<int:business_id>/incidents/<int:incident_id>/entries/", views.add_entry,
         name="add-entry"),
    path("b/<int:business_id>/incidents/<int:incident_id>/bundle/", views.bundle,
         name="bundle"),
    path("b/<int:business_id>/incidents/<int:incident_id>/pdf/", views.pdf, name="pdf"),
    path("b/<int:business_id>/incidents/<int:incident_id>/status/", views.set_status,
         name="status"),
]
