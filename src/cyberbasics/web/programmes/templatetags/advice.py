"""Small template helpers for the advisor, client and programme pages."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from ....report.review_model import ReviewWords
from ..stats import core_language

register = template.Library()

_BAND_CLASS = {"strong": "good", "good": "good", "developing": "warn", "basic": "bad",
               "starting": "bad"}


@register.simple_tag
def maybe_url(name: str, *args) -> str:
    """The URL named `name`, or "" while no page has that name (the pages of other parts of
    the site link here as they appear)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.filter
def band_name(band: str | None) -> str:
    """A score band in the page's language (the report's words)."""
    return ReviewWords(core_language()).band(band)


@register.filter
def band_class(band: str | None) -> str:
    return _BAND_CLASS.get(band or "", "neutral")


@register.filter
def shown(cell) -> str:
    """A statistic's figure, or "fewer than 5" where too few businesses are behind it."""
    from django.utils.translation import gettext

    return gettext("fewer than 5") if cell.hidden else str(cell.value)
