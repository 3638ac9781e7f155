"""Pictures for the review report, drawn as SVG so they work in the HTML page and the PDF
alike, with no script and no font or file to fetch.

Each function is pure and returns one ``<svg>`` string with ``role="img"``, an ``aria-label``
and ``<title>``/``<desc>`` giving the same facts in words, so a screen reader (or a reader
who cannot tell the colours apart) loses nothing. Colour is never the only carrier of
meaning: every bar and arc has its number and its band written next to it. Fills have a
contrast of at least 3:1 against white and every text colour at least 4.5:1 (WCAG 2.2 AA;
``tests/report/test_review_report.py`` computes them).

Every text passed in is escaped here: the callers give plain text, never markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Band colours: dark enough for text on white (>= 4.5:1), so also for the bars (>= 3:1).
BAND_COLOURS = {
    "starting": "#991b1b",
    "basic": "#9a3412",
    "developing": "#854d0e",
    "good": "#1e40af",
    "strong": "#166534",
}
NO_BAND = "#4b5563"
TEXT = "#1a1a1a"
MUTED = "#4b5563"
TRACK = "#e5e7eb"      # the empty part of a bar; its outline gives the shape
OUTLINE = "#6b7280"    # >= 3:1 on white
STATE_COLOURS = {       # framework readiness: met, partly, not met; unknown stays empty
    "met": "#166534",
    "partly": "#a16207",
    "not_met": "#991b1b",
}
FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"
BANDS = (("starting", 0), ("basic", 40), ("developing", 60), ("good", 75), ("strong", 90))


def _x(text: object) -> str:
    return escape(str(text), quote=True)


def _svg(ident: str, label: str, title: str, description: str, width: int, height: int,
         body: str) -> str:
    ident = _x(ident)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-label="{_x(label)}" aria-describedby="{ident}-desc" '
            f'font-family="{FONT}">'
            f'<title id="{ident}-title">{_x(title)}</title>'
            f'<desc id="{ident}-desc">{_x(description)}</desc>{body}</svg>')


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """A generous estimate of the width of ``text`` in a sans-serif font: SVG text does not
    wrap, so the charts make room for their longest label."""
    return len(str(text)) * size * (0.66 if bold else 0.6)


def band_colour(band: str | None) -> str:
    return BAND_COLOURS.get(band or "", NO_BAND)


def band_of(score: int | None) -> str | None:
    if score is None:
        return None
    return next(name for name, lowest in reversed(BANDS) if score >= lowest)


def _point(cx: float, cy: float, radius: float, value: float) -> tuple[float, float]:
    angle = math.pi * (1 - max(0.0, min(100.0, value)) / 100)
    return cx + radius * math.cos(angle), cy - radius * math.sin(angle)


def _arc(cx: float, cy: float, radius: float, start: float, end: float) -> str:
    x0, y0 = _point(cx, cy, radius, start)
    x1, y1 = _point(cx, cy, radius, end)
    return f"M {x0:.2f} {y0:.2f} A {radius} {radius} 0 0 1 {x1:.2f} {y1:.2f}"


def gauge(ident: str, score: int | None, band: str | None, *, band_name: str, label: str,
          out_of: str, band_names: dict[str, str] | None = None) -> str:
    """The overall score as a half-circle gauge from 0 to 100: the arc filled up to the score
    in its band's colour, ticks at the band boundaries, the score and the band in words in
    the middle. ``label`` is the whole picture in words ("Overall score 53 of 100: Basic");
    ``out_of`` the small "of 100" under the number; ``band_names`` labels the bands' ranges
    in the description."""
    cx, cy, radius, width = 160, 150, 120, 28
    parts = [f'<path d="{_arc(cx, cy, radius, 0, 100)}" fill="none" stroke="{TRACK}" '
             f'stroke-width="{width}"/>',
             f'<path d="{_arc(cx, cy, radius + width / 2, 0, 100)}" fill="none" '
             f'stroke="{OUTLINE}" stroke-width="1"/>',
             f'<path d="{_arc(cx, cy, radius - width / 2, 0, 100)}" fill="none" '
             f'stroke="{OUTLINE}" stroke-width="1"/>']
    if score:
        parts.append(f'<path d="{_arc(cx, cy, radius, 0, score)}" fill="none" '
                     f'stroke="{band_colour(band)}" stroke-width="{width}"/>')
    for _, lowest in BANDS[1:]:
        x0, y0 = _point(cx, cy, radius - width / 2 - 4, lowest)
        x1, y1 = _point(cx, cy, radius + width / 2 + 4, lowest)
        parts.append(f'<line x1="{x0:.2f}" y1="{y0:.2f}" x2="{x1:.2f}" y2="{y1:.2f}" '
                     f'stroke="{TEXT}" stroke-width="2"/>')
        lx, ly = _point(cx, cy, radius + width / 2 + 14, lowest)
        parts.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" font-size="12" fill="{MUTED}" '
                     f'text-anchor="middle" aria-hidden="true">{lowest}</text>')
    parts.append(f'<text x="{cx - radius}" y="{cy + 20}" font-size="12" fill="{MUTED}" '
                 f'text-anchor="middle" aria-hidden="true">0</text>')
    parts.append(f'<text x="{cx + radius}" y="{cy + 20}" font-size="12" fill="{MUTED}" '
                 f'text-anchor="middle" aria-hidden="true">100</text>')
    shown = "–" if score is None else str(score)
    parts.append(f'<text x="{cx}" y="{cy - 34}" font-size="52" font-weight="bold" '
                 f'fill="{TEXT}" text-anchor="middle" aria-hidden="true">{shown}</text>')
    parts.append(f'<text x="{cx}" y="{cy - 12}" font-size="14" fill="{MUTED}" '
                 f'text-anchor="middle" aria-hidden="true">{_x(out_of)}</text>')
    parts.append(f'<text x="{cx}" y="{cy + 22}" font-size="20" font-weight="bold" '
                 f'fill="{band_colour(band)}" text-anchor="middle" aria-hidden="true">'
                 f'{_x(band_name)}</text>')
    ranges = []
    if band_names:
        bounds = [lowest for _, lowest in BANDS] + [101]
        ranges = [f"{band_names.get(name, name)} {bounds[i]}–{bounds[i + 1] - 1}"
                  for i, (name, _) in enumerate(BANDS)]
    description = label + (". " + "; ".join(ranges) + "." if ranges else "")
    return _svg(ident, label, label, description, 320, 180, "".join(parts))


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its name, its value 0-100 (None: no value) and what to write
    beside it ("53 · Basic", "not scored")."""
    name: str
    value: int | None
    text: str
    band: str | None = None


def bars(ident: str, rows: Sequence[Bar], *, label: str) -> str:
    """Horizontal bars, one row each: the name on the left, the bar in its band's colour out
    of 100, and its text (score and band in words) on the right."""
    bar_width, row_height = 220, 28
    longest = max((text_width(row.name, 14) for row in rows), default=0)
    label_width = int(min(max(longest + 12, 120), 420))
    width = label_width + bar_width + 10 + int(max((text_width(row.text, 14, bold=True)
                                                     for row in rows), default=0)) + 8
    height = max(1, len(rows)) * row_height + 2
    parts = []
    for i, row in enumerate(rows):
        y = i * row_height
        parts.append(f'<text x="{label_width - 8}" y="{y + 19}" font-size="14" fill="{TEXT}" '
                     f'text-anchor="end">{_x(row.name)}</text>')
        parts.append(f'<rect x="{label_width + 0.5}" y="{y + 5.5}" width="{bar_width}" '
                     f'height="18" fill="{TRACK}" stroke="{OUTLINE}" stroke-width="1"/>')
        if row.value:
            filled = bar_width * max(0, min(100, row.value)) / 100
            parts.append(f'<rect x="{label_width + 0.5}" y="{y + 5.5}" width="{filled:.1f}" '
                         f'height="18" fill="{band_colour(row.band)}"/>')
        parts.append(f'<text x="{label_width + bar_width + 10}" y="{y + 19}" font-size="14" '
                     f'fill="{band_colour(row.band) if row.value is not None else MUTED}" '
                     f'font-weight="bold">{_x(row.text)}</text>')
    description = "; ".join(f"{row.name}: {row.text}" for row in rows)
    return _svg(ident, label, label, description, width, height, "".join(parts))


@dataclass(frozen=True)
class Progress:
    """One framework's readiness: how many in-scope requirements are met, partly met, not
    met and not known, and what to write beside the bar."""
    name: str
    met: int
    partly: int
    not_met: int
    unknown: int
    text: str
    description: str


def progress(ident: str, rows: Sequence[Progress], *, label: str,
             legend: dict[str, str]) -> str:
    """Stacked progress bars: met, partly and not met in three colours, the unknown part
    left empty, with the counts in words beside each bar and a legend below."""
    width, bar_width, row_height = 640, 400, 46
    height = max(1, len(rows)) * row_height + 34
    parts = []
    for i, row in enumerate(rows):
        y = i * row_height
        total = row.met + row.partly + row.not_met + row.unknown
        parts.append(f'<text x="0" y="{y + 14}" font-size="14" fill="{TEXT}">'
                     f'{_x(row.name)}</text>')
        parts.append(f'<rect x="0.5" y="{y + 20.5}" width="{bar_width}" height="18" '
                     f'fill="#ffffff" stroke="{OUTLINE}" stroke-width="1"/>')
        x = 0.5
        for state in ("met", "partly", "not_met"):
            count = getattr(row, state)
            if not count or not total:
                continue
            part = bar_width * count / total
            parts.append(f'<rect x="{x:.1f}" y="{y + 20.5}" width="{part:.1f}" height="18" '
                         f'fill="{STATE_COLOURS[state]}" stroke="#ffffff" '
                         f'stroke-width="1"/>')
            x += part
        parts.append(f'<text x="{bar_width + 12}" y="{y + 35}" font-size="14" fill="{TEXT}">'
                     f'{_x(row.text)}</text>')
    y = len(rows) * row_height + 8
    x = 0
    for state in ("met", "partly", "not_met", "unknown"):
        fill = STATE_COLOURS.get(state, "#ffffff")
        parts.append(f'<rect x="{x + 0.5}" y="{y + 0.5}" width="16" height="16" fill="{fill}" '
                     f'stroke="{OUTLINE}" stroke-width="1"/>')
        text = legend.get(state, state)
        parts.append(f'<text x="{x + 22}" y="{y + 13}" font-size="13" fill="{TEXT}">'
                     f'{_x(text)}</text>')
        x += 32 + 7.5 * len(text)
    description = "; ".join(f"{row.name}: {row.description}" for row in rows)
    return _svg(ident, label, label, description, width, height, "".join(parts))


def before_after(ident: str, before: int | None, after: int | None, *, before_label: str,
                 after_label: str, change: str, label: str) -> str:
    """The overall score of the last review and of this one as two bars, with the change in
    words ("up 8 points")."""
    rows = [Bar(before_label, before, "–" if before is None else str(before), band_of(before)),
            Bar(after_label, after, "–" if after is None else str(after), band_of(after))]
    width, bar_width, row_height = 640, 400, 46
    parts = []
    for i, row in enumerate(rows):
        y = i * row_height
        parts.append(f'<text x="0" y="{y + 14}" font-size="14" fill="{TEXT}">'
                     f'{_x(row.name)}</text>')
        parts.append(f'<rect x="0.5" y="{y + 20.5}" width="{bar_width}" height="18" '
                     f'fill="{TRACK}" stroke="{OUTLINE}" stroke-width="1"/>')
        if row.value:
            parts.append(f'<rect x="0.5" y="{y + 20.5}" width="{bar_width * row.value / 100:.1f}"'
                         f' height="18" fill="{band_colour(row.band)}"/>')
        parts.append(f'<text x="{bar_width + 12}" y="{y + 35}" font-size="16" '
                     f'font-weight="bold" fill="{TEXT}">{_x(row.text)}</text>')
    parts.append(f'<text x="0" y="{2 * row_height + 16}" font-size="15" font-weight="bold" '
                 f'fill="{TEXT}">{_x(change)}</text>')
    description = f"{before_label}: {rows[0].text}; {after_label}: {rows[1].text}; {change}"
    return _svg(ident, label, label, description, width, 2 * row_height + 26,
                "".join(parts))
