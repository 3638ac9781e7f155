"""What the website checks read from a home page's HTML: CSP and generator meta tags, and
the resources it loads (for mixed content). The standard library's tolerant HTML parser does
the tokenising; the work is bounded by the size of the page the scanner fetched."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

MAX_RESOURCES = 500

# (tag, attribute) pairs whose URL is loaded or used by the page, and whether a plain-HTTP
# URL there is "active" mixed content (browsers block it) or only "passive" (shown, warned).
_RESOURCE_ATTRIBUTES = {
    ("script", "src"): "active",
    ("iframe", "src"): "active",
    ("frame", "src"): "active",
    ("object", "data"): "active",
    ("embed", "src"): "active",
    ("form", "action"): "active",
    ("img", "src"): "passive",
    ("audio", "src"): "passive",
    ("video", "src"): "passive",
    ("source", "src"): "passive",
}


@dataclass(frozen=True)
class Resource:
    tag: str
    url: str
    kind: str  # "active" or "passive"

    def to_json(self) -> dict:
        return {"tag": self.tag, "url": self.url, "kind": self.kind}


@dataclass(frozen=True)
class HtmlPage:
    meta_csp: tuple[str, ...]
    generators: tuple[str, ...]
    resources: tuple[Resource, ...]

    def to_json(self) -> dict:
        return {"meta_csp": list(self.meta_csp), "generators": list(self.generators),
                "resources": [r.to_json() for r in self.resources]}


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta_csp: list[str] = []
        self.generators: list[str] = []
        self.resources: list[Resource] = []

    def handle_starttag(self, tag, attrs):
        values = {name.lower(): (value or "") for name, value in attrs if name}
        if tag == "meta":
            equiv = values.get("http-equiv", "").strip().lower()
            if equiv == "content-security-policy" and "content" in values:
                self.meta_csp.append(values["content"])
            if values.get("name", "").strip().lower() == "generator" and values.get("content"):
                self.generators.append(values["content"].strip()[:200])
            return
        if tag == "link":
            rel = values.get("rel", "").lower().split()
            if "stylesheet" in rel and values.get("href"):
                self._add("link", values["href"], "active")
            return
        for (resource_tag, attribute), kind in _RESOURCE_ATTRIBUTES.items():
            if tag == resource_tag and values.get(attribute):
                self._add(tag, values[attribute], kind)

    def _add(self, tag: str, url: str, kind: str) -> None:
        if len(self.resources) < MAX_RESOURCES:
            self.resources.append(Resource(tag, url.strip()[:2000], kind))


def read_html(text: str) -> HtmlPage:
    """Never raises: broken HTML gives whatever could be read."""
    reader = _Reader()
    try:
        reader.feed(text)
        reader.close()
    except (AssertionError, ValueError):  # the stdlib parser's rare complaints
        pass
    return HtmlPage(tuple(reader.meta_csp), tuple(reader.generators), tuple(reader.resources))


def insecure_resources(page: HtmlPage) -> list[Resource]:
    """Resources an HTTPS page would load over plain HTTP."""
    return [r for r in page.resources if r.url.lower().startswith("http://")]
