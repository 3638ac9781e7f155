from django.urls import path

from . import views

app_name = "mailcheck"
urlpatterns = [
    path("email-check/", views.check, name="check"),
    path("b/<int:business_id>/email-check/", views.business_check, name="business-check"),
    path("b/<int:business_id>/email-check/history/", views.history, name="history"),
    path("b/<int:business_id>/email-check/settings/", views.settings, name="settings"),
    path("b/<int:business_id>/email-check/<int:check_id>/", views.detail, name="detail"),
]
