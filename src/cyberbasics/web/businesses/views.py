from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import businesses_for


@login_required
def home(request):
    return render(request, "businesses/home.html",
                  {"businesses": businesses_for(request.user).order_by("name")})
