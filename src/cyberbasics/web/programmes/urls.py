"""Programme operators, under /programme/."""

from django.urls import path

from . import views

app_name = "programmes"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:programme_id>/", views.dashboard, name="dashboard"),
    path("<int:programme_id>/advisors/", views.advisors, name="advisors"),
    path("<int:programme_id>/advisors/<int:role_id>/remove/", views.advisor_remove,
         name="advisor-remove"),
    path("<int:programme_id>/export/businesses.csv", views.export_businesses,
         name="export-businesses"),
    path("<int:programme_id>/export/statistics.csv", views.export_statistics,
         name="export-statistics"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
