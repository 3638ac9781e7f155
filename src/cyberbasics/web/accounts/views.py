from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def sign_up(request):
    return render(request, "accounts/sign_up.html")


@login_required
def account_settings(request):
    return render(request, "accounts/settings.html")
