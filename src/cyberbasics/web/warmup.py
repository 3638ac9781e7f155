"""Work a web process would otherwise do on its first requests, done before it serves any:
reading the catalogue and every language's words, compiling the most visited templates.

Measured on a fresh process: the first result page took 174 ms against 7 ms for the next,
and a worker that is still cold while twenty people arrive makes them all wait behind it.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

CONTENT = ("catalogue", "questionnaire", "review", "report", "checks", "frameworks")
TEMPLATES = ("base.html", "home.html", "businesses/home.html", "businesses/detail.html",
             "reviews/assessment/question.html", "reviews/assessment/result.html",
             "reviews/assessment/_result_body.html", "reviews/plan/plan.html")


def warm_up() -> None:
    """Never stops a server from starting: a failure here only means a slower first page."""
    try:
        from django.template import TemplateDoesNotExist
        from django.template.loader import get_template

        from ..assess.catalogue import load_catalogue
        from ..assess.frameworks import load_frameworks
        from ..texts import LANGUAGES, words

        load_catalogue()
        load_frameworks()
        for language in LANGUAGES:
            for name in CONTENT:
                words(name, language)
        for name in TEMPLATES:
            try:
                get_template(name)
            except TemplateDoesNotExist:
                logger.warning("warm-up: no template %s", name)
    except Exception:
        logger.exception("warm-up failed; the first pages will be slower")
