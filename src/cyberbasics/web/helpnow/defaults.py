"""What the Help now pages assume about a visitor before they say: the content language, the
country whose contacts to show and the time zone of the breach clock.

Nobody has to sign in for help, so each guess has a fallback: a signed-in person's first
business, then what the browser says (its Accept-Language region), then nothing (the page
asks) or London's time zone for the clock.
"""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation.trans_real import parse_accept_lang_header

from cyberbasics.incident.contacts import COUNTRIES, normalise_country
from cyberbasics.texts import DEFAULT_LANGUAGE, LANGUAGES

from ..businesses.forms import PILOT_ZONES
from ..businesses.selectors import businesses_for

DEFAULT_ZONE = "Europe/London"


def content_language() -> str:
    """The request's interface language as one the core's content has (else English)."""
    code = (get_language() or DEFAULT_LANGUAGE).split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


_CACHE = "_helpnow_first_business"


def _first_business(request):
    """The signed-in person's first business (asked once per request), or None."""
    if not hasattr(request, _CACHE):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        setattr(request, _CACHE,
                businesses_for(user).order_by("pk").first() if signed_in else None)
    return getattr(request, _CACHE)


def browser_country(request) -> str | None:
    """The first pilot country named as a region in Accept-Language ("pl-PL", "en-GB")."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    try:
        ranked = parse_accept_lang_header(header[:500])
    except ValueError:
        return None
    for code, _quality in ranked:
        _language, _dash, region = code.partition("-")
        if region.upper() in COUNTRIES:
            return region.upper()
    return None


def pick_country(value: object) -> str | None:
    """A pilot country from a query value ("pl", "UK"), or None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return normalise_country(value[:10])
    except ValueError:
        return None


def default_country(request) -> str | None:
    """The country whose contacts a page shows before the visitor chooses one."""
    business = _first_business(request)
    if business is not None and business.country in COUNTRIES:
        return business.country
    return browser_country(request)


def default_zone(request) -> str:
    """The breach clock's starting time zone: the business's, else the browser's country's,
    else Europe/London."""
    business = _first_business(request)
    if business is not None and business.time_zone:
        return business.time_zone
    country = browser_country(request)
    return PILOT_ZONES.get(country or "", DEFAULT_ZONE)


def default_business_name(request) -> str:
    business = _first_business(request)
    return business.name if business is not None else ""
