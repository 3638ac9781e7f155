from django.urls import path

from . import views

app_name = "businesses"
urlpatterns = [
    path("dashboard/", views.home, name="home"),
    path("b/new/", views.register, name="register"),
    path("b/<int:business_id>/", views.detail, name="detail"),
    path("b/<int:business_id>/reviews/new/", views.start_review, name="start-review"),
    path("b/<int:business_id>/domains/", views.domains, name="domains"),
    path("b/<int:business_id>/domains/<int:domain_id>/remove/", views.domain_remove,
         name="domain-remove"),
    path("b/<int:business_id>/domains/<int:domain_id>/verify/", views.domain_verify,
         name="domain-verify"),
    path("b/<int:business_id>/domains/<int:domain_id>/consent/", views.domain_consent,
         name="domain-consent"),
]
