"""Every URL of the platform. Public views (docs/web.md lists them): the home page, sign-up
and sign-in, the magic-link pages, the language switch and the health check."""

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("cyberbasics.web.accounts.urls")),
    path("", include("cyberbasics.web.accounts.urls_privacy")),
    path("", include("cyberbasics.web.businesses.urls")),
    path("", include("cyberbasics.web.reviews.urls_scans")),
    path("", include("cyberbasics.web.reviews.urls_assessment")),
    path("", include("cyberbasics.web.reviews.urls_plan")),
    path("", include("cyberbasics.web.programmes.urls_advice")),
    path("programme/", include("cyberbasics.web.programmes.urls")),
    path("help/", include("cyberbasics.web.helpnow.urls")),
    path("", include("cyberbasics.web.incidents.urls")),
    path("", include("cyberbasics.web.mailcheck.urls")),
    path("admin/", admin.site.urls),
]
