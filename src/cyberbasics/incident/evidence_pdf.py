"""The evidence log as a PDF to hand over: every entry with its time (UTC and local), author,
text, attached files with their SHA-256, the previous and own hash, and the result of checking
the chain, printed by WeasyPrint from an HTML page.

The page is built by Jinja2 with autoescaping, so every text from the log (which anyone could
have edited) is escaped; control and bidi characters are made visible first
(:func:`cyberbasics.report.safe_text.safe_text`, line breaks of the entry text kept). Nothing
is fetched: the page has no external resource and the URL fetcher refuses every URL
(:class:`cyberbasics.report.review_pdf.NoFetching`).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from ..report.safe_text import safe_text
from ..texts import words
from .evidence import EvidenceLog, rfc3339_utc, verify

TEMPLATE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<meta name="author" content="Cyber Basics">
<style>
@page { size: A4; margin: 18mm 16mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: sans-serif; font-size: 10pt; line-height: 1.4; color: #111; }
h1 { font-size: 16pt; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; }
dl { display: grid; grid-template-columns: 40mm 1fr; margin: 0; }
dt { font-weight: bold; } dd { margin: 0 0 1mm; }
.hash { font-family: monospace; font-size: 8pt; overflow-wrap: anywhere; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.entry { break-inside: avoid; }
.ok { color: #0a5d00; font-weight: bold; } .broken { color: #a00000; font-weight: bold; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p>{{ intro }}</p>
<dl>
  <dt>{{ t.business }}</dt><dd>{{ business }}</dd>
  <dt>{{ t.log_id }}</dt><dd class="hash">{{ log_id }}</dd>
  <dt>{{ t.created }}</dt><dd>{{ created }}</dd>
  <dt>{{ t.time_zone }}</dt><dd>{{ time_zone }}</dd>
  <dt>{{ t.genesis }}</dt><dd class="hash">{{ genesis }}</dd>
</dl>
<h2>{{ t.verification }}</h2>
<p class="{{ 'ok' if ok else 'broken' }}">{{ verdict }}</p>
<p>{{ t.head }}: <span class="hash">{{ head }}</span></p>
{% if not entries %}<p>{{ t.no_entries }}</p>{% endif %}
{% for e in entries %}
<section class="entry">
<h2>{{ e.heading }}</h2>
<dl>
  <dt>{{ t.recorded_at }}</dt><dd>{{ e.recorded_at }}</dd>
  <dt>{{ t.local_time }}</dt><dd>{{ e.local_time }} ({{ e.time_zone }})</dd>
  <dt>{{ t.recorded_by }}</dt><dd>{{ e.recorded_by }}</dd>
  <dt>{{ t.what_was_seen }}</dt><dd class="text">{{ e.text }}</dd>
  <dt>{{ t.files }}</dt><dd>{% if e.files %}<ul>{% for f in e.files %}
    <li>{{ f.name }} ({{ f.size }})<br><span class="hash">SHA-256 {{ f.sha256 }}</span></li>
  {% endfor %}</ul>{% else %}{{ t.no_files }}{% endif %}</dd>
  <dt>{{ t.prev_hash }}</dt><dd class="hash">{{ e.prev_hash }}</dd>
  <dt>{{ t.entry_hash }}</dt><dd class="hash">{{ e.hash }}</dd>
</dl>
</section>
{% endfor %}
<p>{{ generated }}</p>
</body>
</html>
"""


@cache
def _template() -> Any:
    from jinja2 import Environment, StrictUndefined

    environment = Environment(autoescape=True, undefined=StrictUndefined)
    return environment.from_string(TEMPLATE)


def _multiline(text: str) -> str:
    return "\n".join(safe_text(line) for line in text.splitlines())


def to_html(log: EvidenceLog, language: str = "en", *, now: dt.datetime | None = None) -> str:
    t = words("evidence", language)
    header = log.header
    result = verify(log)
    if result.problem is None:
        verdict = t["ok"].format(entries=result.entries)
    else:
        reason = t["reasons"][result.problem.reason].format(
            **{k: safe_text(v) for k, v in result.problem.params.items()})
        key = "header_broken" if result.problem.seq == 0 else "broken"
        verdict = t[key].format(seq=result.problem.seq, reason=reason)
    entries = [{
        "heading": t["entry_heading"].format(seq=e.seq),
        "recorded_at": safe_text(e.recorded_at), "local_time": safe_text(e.local_time()),
        "time_zone": safe_text(e.time_zone), "recorded_by": safe_text(e.recorded_by),
        "text": _multiline(e.text),
        "files": [{"name": safe_text(f.name), "size": t["file_size"].format(size=f.size),
                   "sha256": safe_text(f.sha256)} for f in e.files],
        "prev_hash": safe_text(e.prev_hash), "hash": safe_text(e.hash)}
        for e in log.entries]
    business = safe_text(header.business)
    return _template().render(
        lang=language, t=t, title=t["title"].format(business=business), intro=t["intro"],
        business=business, log_id=safe_text(header.log_id),
        created=safe_text(header.created), time_zone=safe_text(header.time_zone),
        genesis=safe_text(header.genesis), ok=result.ok, verdict=verdict,
        head=safe_text(result.head), entries=entries,
        generated=t["generated"].format(time=rfc3339_utc(now or dt.datetime.now(dt.UTC))))


def to_pdf(log: EvidenceLog, language: str = "en", *, now: dt.datetime | None = None) -> bytes:
    from weasyprint import HTML

    from ..report.review_pdf import NoFetching

    document = HTML(string=to_html(log, language, now=now), base_url=None,
                    url_fetcher=NoFetching.create())
    return document.write_pdf()
