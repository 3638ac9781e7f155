from django.conf import settings


def site(request):
    """What every page's frame needs: the languages to switch between."""
    return {"LANGUAGES_OFFERED": settings.LANGUAGES}
