"""The action plan, "My actions", the business's people, staff invitations and the history.
Public: only the invitation link (it asks anonymous visitors to sign in or sign up)."""

from django.urls import path

from . import views_plan as views

app_name = "plan"
urlpatterns = [
    path("b/<int:business_id>/plan/", views.plan, name="plan"),
    path("b/<int:business_id>/plan/<int:item_id>/", views.update, name="update"),
    path("my-actions/", views.my_actions, name="my-actions"),
    path("b/<int:business_id>/my-actions/", views.business_my_actions,
         name="business-my-actions"),
    path("b/<int:business_id>/my-actions/<int:item_id>/", views.my_update, name="my-update"),
    path("b/<int:business_id>/people/", views.members, name="members"),
    path("b/<int:business_id>/people/invite/", views.invite, name="invite"),
    path("b/<int:business_id>/people/<int:membership_id>/remove/", views.remove_member,
         name="remove-member"),
    path("b/<int:business_id>/people/invitations/<int:invitation_id>/cancel/",
         views.cancel_invitation, name="cancel-invitation"),
    path("invitations/staff/<str:token>/", views.accept_invitation, name="accept-invitation"),
    path("b/<int:business_id>/history/", views.history, name="history"),
]
