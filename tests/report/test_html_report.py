"""The HTML report: one well-formed, self-contained, accessible page in which outside text
can never become markup; rendered from hand-built findings and from a real lab scan."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cyberbasics.report import html as html_report
from cyberbasics.report import scan_output
from cyberbasics.report.wording import report_texts
from cyberbasics.scan.engine import scan_domains
from cyberbasics.scan.model import DomainResult, Finding, ScanFailure, Severity, Status

STARTED = "2026-01-01T00:00:00.000Z"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}

HOSTILE_TXT = ('v=spf1 "><script>alert(1)</script><img src=x onerror=alert(2)> '
               "</pre></details><a href='https://evil.example/'>click</a> {{ 7*7 }} &amp;")
HOSTILE_DOMAIN = 'evil.example"><b onmouseover=alert(3)>x</b>\u202etxt.exe'


class Page(HTMLParser):
    """Reads a page strictly: every element closed in order, ids unique; keeps what the
    tests look at."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.ids: list[str] = []
        self.text: list[str] = []
        self.headings: list[int] = []
        self.style = ""
        self._in_style = False
        self.declarations: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"never closed: {self.stack}")

    def handle_decl(self, decl):
        self.declarations.append(decl)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if len(attributes) != len(attrs):
            self.problems.append(f"repeated attribute in <{tag}>")
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "style":
            self._in_style = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"</{tag}> closes a void element")
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> while {self.stack[-1:]} is open")
            return
        self.stack.pop()
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)

    def elements(self, tag):
        return [attributes for name, attributes in self.tags if name == tag]

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def finding(check, status, *, title=None, summary=None, evidence=None, result="key"):
    return Finding(check, check.split(".")[0], Status(status), Severity.MEDIUM, result,
                   title or f"Title of {check}", summary or f"Summary of {check}.",
                   f"Why {check} matters.", f"How to fix {check}.",
                   evidence if evidence is not None else {"record": f"record of {check}"})


FINDINGS = (
    finding("domain.resolves", "pass"),
    finding("domain.caa", "warn"),
    finding("domain.dnssec", "fail"),
    finding("email.spf.record", "pass", summary=f"Your SPF record: {HOSTILE_TXT}",
            evidence={"records": [HOSTILE_TXT], "note": "</pre><script>x</script>"}),
    finding("email.starttls", "error"),
    finding("email.dmarc.reporting", "info"),
    finding("web.https", "fail", title="<i>Your website</i> uses HTTPS"),
)


def results():
    scanned = DomainResult("example.com", "https://www.example.com/", "passive", STARTED, 9,
                           None, FINDINGS, "You entered a web address; we scanned example.com.")
    hostile = DomainResult(HOSTILE_DOMAIN, HOSTILE_DOMAIN, "passive", STARTED, 3, None,
                           (finding("domain.resolves", "pass", evidence={"name": HOSTILE_TXT}),))
    failed = DomainResult(None, f"<script>{HOSTILE_TXT}", "passive", STARTED, 0,
                          ScanFailure("invalid_domain", f"not a domain: {HOSTILE_TXT}"))
    return [scanned, hostile, failed]


@pytest.fixture(scope="module")
def page_text():
    return scan_output.to_html(results())


@pytest.fixture(scope="module")
def page(page_text):
    return Page(page_text)


def test_page_is_well_formed(page, page_text):
    assert page.problems == []
    assert page.declarations == ["doctype html"]
    assert len(page.ids) == len(set(page.ids)), "ids must be unique"
    # Every in-page link points at an element that exists.
    targets = {a["href"][1:] for a in page.elements("a")}
    assert targets <= set(page.ids)
    assert page_text.count("<html") == 1 and page_text.rstrip().endswith("</html>")


def test_page_language_and_landmarks(page):
    [root] = page.elements("html")
    assert root["lang"] == "en"
    names = [tag for tag, _ in page.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert names.count(landmark) == 1
    assert page.elements("meta")[0] == {"charset": "utf-8"}
    assert page.elements("title")


def test_headings_go_down_one_level_at_a_time(page):
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, page.headings


def test_page_is_self_contained(page, page_text):
    assert not page.elements("script") and not page.elements("link")
    assert not page.elements("img") and not page.elements("iframe")
    for tag, attributes in page.tags:
        for name, value in attributes.items():
            if name in ("href", "src", "action", "srcset", "poster", "data", "formaction"):
                assert value.startswith("#"), (tag, name, value)
            assert not name.startswith("on"), (tag, name)
    assert "url(" not in page.style and "@import" not in page.style
    assert "@font-face" not in page.style
    [policy] = [m["content"] for m in page.elements("meta")
                if m.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in policy


def test_outside_text_cannot_inject_markup(page, page_text):
    # No element, attribute or closing tag came from the hostile strings...
    assert not page.elements("script") and not page.elements("b")
    assert not [t for t, _ in page.tags if t == "i"]
    assert page.problems == []
    # ...they are shown as text, as they were (bidi controls made visible).
    text = page.all_text
    assert HOSTILE_TXT in text
    assert "<i>Your website</i> uses HTTPS" in text
    assert 'evil.example"><b onmouseover=alert(3)>x</b>\\u202etxt.exe' in text
    assert "\u202e" not in page_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_text
    assert "{{ 7*7 }}" in text and "49" not in text  # not run as a template either


def test_every_finding_is_present_with_its_details(page):
    articles = page.elements("article")
    assert len(articles) == len(FINDINGS) + 1
    details = page.elements("details")
    assert len(details) >= len(articles)
    text = page.all_text
    for f in FINDINGS:
        for part in (f.title, f.summary, f.why, f.fix, f.check):
            assert part in text
    # The evidence is pretty JSON in a <pre>, behind a disclosure.
    assert '"records": [' in text and '"note": "</pre><script>x</script>"' in text
    assert len(page.elements("summary")) >= len(FINDINGS)


def test_findings_are_grouped_by_area_worst_first(page_text):
    positions = {f.check: page_text.index(f'<article id="d1-{f.check.replace(".", "-")}"')
                 for f in FINDINGS}
    # domain: fail, warn, pass
    assert positions["domain.dnssec"] < positions["domain.caa"] < positions["domain.resolves"]
    # email: could not check before pass before not applicable
    assert positions["email.starttls"] < positions["email.spf.record"] \
        < positions["email.dmarc.reporting"]
    assert positions["domain.resolves"] < positions["email.starttls"] < positions["web.https"]


def test_grades_are_in_words_not_colour_alone(page):
    text = page.all_text
    words = report_texts("en")
    assert "Your grade" in text and words["area_grades"] in text
    assert re.search(r"Overall grade [A-F] \(\d+ of 100\)", text)
    for status in ("Passed", "Needs attention", "Problem", "Not applicable", "Could not check"):
        assert status in text
    assert "1 could not be checked (Title of email.starttls)" in text
    # Status icons are decoration: hidden from screen readers, the word says it.
    hidden = [a for a in page.elements("span") if a.get("aria-hidden") == "true"]
    assert hidden


def test_every_interface_word_comes_from_the_catalogue():
    template = Path(html_report.__file__).with_name("templates") / html_report.TEMPLATE
    source = template.read_text(encoding="utf-8")
    # Outside tags, {{ }}, {% %} and {# #}, and the <style> block, no words are written.
    body = re.sub(r"<style>.*?</style>", "", source, flags=re.DOTALL)
    body = re.sub(r"{#.*?#}|{{.*?}}|{%.*?%}|<[^>]*>", "", body, flags=re.DOTALL)
    leftovers = {word for word in re.findall(r"[A-Za-z]{2,}", body)}
    assert leftovers == set(), leftovers


def test_contrast_of_every_colour_pair_is_at_least_aa():
    def luminance(colour):
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for name, (fg, bg) in html_report.PALETTE.items():
        high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
        assert (high + 0.05) / (low + 0.05) >= 4.5, name


def test_unknown_language_is_refused_and_missing_ones_fall_back(monkeypatch):
    from cyberbasics.report import wording

    with pytest.raises(ValueError):
        scan_output.to_html(results(), language="xx")
    polish = Page(scan_output.to_html(results()[:1], language="pl"))
    assert polish.elements("html")[0]["lang"] == "pl"
    assert "Your grade" not in polish.all_text
    # A language without report texts: the page says honestly that it is in English.
    from cyberbasics import texts

    real = texts._catalogue

    def without_polish(language, name):
        return {} if language == "pl" else real(language, name)

    monkeypatch.setattr(wording, "_catalogue", without_polish)
    monkeypatch.setattr(texts, "_catalogue", without_polish)
    caches = (wording.report_texts, texts._merged)
    for cached in caches:
        cached.cache_clear()
    try:
        fallback = Page(scan_output.to_html(results()[:1], language="pl"))
    finally:
        for cached in caches:
            cached.cache_clear()
    assert fallback.elements("html")[0]["lang"] == "en"
    assert "Your grade" in fallback.all_text


def test_empty_report_is_still_a_page():
    page = Page(scan_output.to_html([]))
    assert page.problems == [] and page.elements("main")


def test_evidence_text_keeps_letters_and_escapes_controls():
    shown = html_report.evidence_text({"txt": "café \u202e\x1b[2J", "n": 1})
    assert shown == '{\n  "txt": "café \\u202e\\u001b[2J",\n  "n": 1\n}'


async def test_a_real_lab_scan_renders(world):
    found = await scan_domains(["bakery.example", "florist.example", "plumber.example",
                                "nosuch.example"], world.config())
    page_text = scan_output.to_html(found)
    page = Page(page_text)
    assert page.problems == []
    assert len(page.ids) == len(set(page.ids))
    assert len(page.elements("article")) == sum(len(r.findings) for r in found)
    text = page.all_text
    for scanned in found:
        for f in scanned.findings:
            assert f.title in text
    assert "Overall grade A (100 of 100)" in text  # the bakery does everything right
    # florist: the Observatory comparison, clearly apart from our grade
    assert "the HTTP Observatory's way" in text
    assert "For comparison: F (5) by the HTTP Observatory's method" in text
    # plumber: no HTTPS page, so nothing to compare
    assert "no HTTPS home page could be checked" in text
    assert "nosuch.example does not exist" in text
    for _tag, attributes in page.tags:
        for name in ("href", "src"):
            assert attributes.get(name, "#").startswith("#")
    document = json.loads(scan_output.to_json(found))
    by_domain = {r["domain"]: r for r in document["results"]}
    assert by_domain["florist.example"]["grades"]["observatory_comparison"]["grade"] == "F"
    assert by_domain["bakery.example"]["grades"]["overall"]["grade"] == "A"
