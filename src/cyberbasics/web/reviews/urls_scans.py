from django.urls import path

from . import views_scans as views

app_name = "scans"
urlpatterns = [
    path("b/<int:business_id>/scans/", views.index, name="list"),
    path("b/<int:business_id>/scans/new/", views.start, name="start"),
    path("b/<int:business_id>/scans/<int:scan_id>/", views.detail, name="detail"),
    path("b/<int:business_id>/scans/<int:scan_id>/progress/", views.progress, name="progress"),
    path("b/<int:business_id>/scans/<int:scan_id>/retry/", views.retry, name="retry"),
]
