"""The review report as one self-contained, accessible HTML page; the PDF is printed from the
same page (:mod:`.review_pdf`).

Like the scan report (:mod:`.html`): no script, no font, image or link to another host (the
advisor's logo is embedded as a ``data:`` URI), CSS inline with a print stylesheet, its own
Content-Security-Policy, ``lang`` on the page, landmarks and a skip link, headings in order
(business ``h1``, sections ``h2``, actions and areas ``h3``, findings ``h4``), evidence behind
``<details>``. Pictures are SVG (:mod:`.charts`) with text alternatives, and every number they
show is also in a table or a sentence. Every value is autoescaped by Jinja2; the charts escape
their own text.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from markupsafe import Markup

from . import charts
from .html import PALETTE
from .review_model import ReviewReport

TEMPLATE = "review.html.j2"


def css_string(text: str) -> Markup:
    """``text`` as a CSS string literal safe inside a ``<style>`` element: every character
    but letters, digits and spaces written as a CSS escape, so no quote, backslash or
    ``</style>`` can get out."""
    out = []
    for char in str(text):
        if char.isascii() and (char.isalnum() or char == " "):
            out.append(char)
        else:
            out.append(f"\\{ord(char):06x}")
    return Markup('"' + "".join(out) + '"')


def _charts(report: ReviewReport) -> dict[str, Markup]:
    t = report.words
    overall = report.overall
    band_names = {name: t.band(name) for name, _ in charts.BANDS}
    pictures = {
        "gauge": charts.gauge(
            "chart-overall", overall.score, overall.band, band_name=overall.band_name,
            label=(t("gauge_label", score=overall.score, band=overall.band_name)
                   if overall.score is not None else t("gauge_label_none")),
            out_of=t("out_of_100"), band_names=band_names),
        "areas": charts.bars(
            "chart-areas",
            [charts.Bar(a.name, a.score, _area_text(report, a), a.band)
             for a in report.areas],
            label=t("areas_chart_label")),
        "frameworks": charts.progress(
            "chart-frameworks",
            [charts.Progress(f.name, f.met, f.partly, f.not_met, f.unknown,
                             t("framework_bar_text", met=f.met, total=f.total),
                             f"{f.counts_text} {f.prediction_name}.")
             for f in report.frameworks],
            label=t("frameworks_chart_label"),
            legend={state: t.entry("states", state)
                    for state in ("met", "partly", "not_met", "unknown")}),
    }
    if report.change is not None:
        change = report.change
        pictures["change"] = charts.before_after(
            "chart-change", change.before, change.after,
            before_label=t("change_before"), after_label=t("change_after"),
            change=t("change_overall", change=change.delta_text),
            label=t("change_chart_label", before=_dash(change.before),
                    after=_dash(change.after), change=change.delta_text))
    return {name: Markup(svg) for name, svg in pictures.items()}  # escaped in charts


def _dash(value: int | None) -> str:
    return "–" if value is None else str(value)


def _area_text(report: ReviewReport, area) -> str:
    if area.score is None:
        return area.band_name
    return f"{area.score} · {area.band_name}"


def to_html(report: ReviewReport) -> str:
    """The report as one HTML page in its language."""
    t = report.words
    page_word = css_string(t("page_word"))
    of_word = css_string(t("page_of"))
    return _template().render(
        r=report, t=t, lang=report.language, palette=PALETTE, charts=_charts(report),
        band_colours=charts.BAND_COLOURS, page_word=page_word, of_word=of_word,
        icons={"pass": "✔", "warn": "!", "fail": "✘", "info": "i", "error": "?"})


@cache
def _template() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(
        loader=PackageLoader("cyberbasics.report", "templates"),
        autoescape=True,  # every value is escaped unless marked safe (only the charts)
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template(TEMPLATE)
