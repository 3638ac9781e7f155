from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/code/", views.two_factor_verify, name="two-factor-verify"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("sign-up/", views.sign_up, name="sign-up"),
    path("settings/", views.account_settings, name="settings"),
    path("two-step/", views.two_factor_setup, name="two-factor-setup"),
    path("two-step/off/", views.two_factor_disable, name="two-factor-disable"),
]
