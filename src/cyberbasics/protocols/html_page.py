"""What the website checks read from a home page's HTML: CSP and generator meta tags, and
the resources it loads (for mixed content).

A small tag scanner rather than a full parser: the standard library's HTMLParser takes time
that grows with the square of some malformed input (a 512 KiB page of "<a" took minutes),
and a hostile home page must not stall a scan. The scanner looks only at the tags it needs,
stops an attribute list at the next "<" or ">", and so does linear work."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

MAX_RESOURCES = 500
MAX_TAG_CHARS = 4000

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
# Image candidates (passive): "url 2x, url 640w" lists, each URL loaded by some browser.
_SRCSET_TAGS = {"img", "source"}
_TAGS = {"meta", "link", "base", *(tag for tag, _ in _RESOURCE_ATTRIBUTES)}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_TAG = re.compile(rf"<([a-zA-Z][a-zA-Z0-9]{{0,15}})(?=[\s/>])([^<>]{{0,{MAX_TAG_CHARS}}})")
_ATTRIBUTE = re.compile(r"""([^\s"'=<>/]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'<>=`]+))?""")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)


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
    complete: bool = True  # False: more resources than were kept
    base: str | None = None  # the first <base href>: relative URLs resolve against it

    def to_json(self) -> dict:
        data = {"meta_csp": list(self.meta_csp), "generators": list(self.generators),
                "resources": [r.to_json() for r in self.resources], "complete": self.complete}
        if self.base is not None:
            data["base"] = self.base
        return data


def _attributes(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        raw = match.group(2) or ""
        if raw[:1] in ("'", '"'):
            raw = raw[1:-1]
        values.setdefault(name, html.unescape(raw))
    return values


def read_html(text: str) -> HtmlPage:
    """Never raises; broken HTML gives whatever could be read."""
    meta_csp, generators, resources = [], [], []
    complete = True
    base = None
    for match in _TAG.finditer(_COMMENT.sub(" ", text)):
        tag = match.group(1).lower()
        if tag not in _TAGS:
            continue
        values = _attributes(match.group(2))
        if tag == "meta":
            if values.get("http-equiv", "").strip().lower() == "content-security-policy" \
                    and "content" in values:
                meta_csp.append(values["content"])
            if values.get("name", "").strip().lower() == "generator" and values.get("content"):
                generators.append(values["content"].strip()[:200])
            continue
        if tag == "base":
            if base is None and values.get("href"):
                base = values["href"].strip()[:2000]
            continue
        found = []
        if tag == "link":
            if "stylesheet" in values.get("rel", "").lower().split() and values.get("href"):
                found.append(("link", values["href"], "active"))
        else:
            for (resource_tag, attribute), kind in _RESOURCE_ATTRIBUTES.items():
                if tag == resource_tag and values.get(attribute):
                    found.append((tag, values[attribute], kind))
            if tag in _SRCSET_TAGS and values.get("srcset"):
                found += [(tag, url, "passive") for url in _srcset_urls(values["srcset"])]
        for tag_name, url, kind in found:
            if len(resources) >= MAX_RESOURCES:
                complete = False
                break
            resources.append(Resource(tag_name, url.strip()[:2000], kind))
    return HtmlPage(tuple(meta_csp), tuple(generators), tuple(resources), complete, base)


def _srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset: comma-separated candidates, each a URL and a descriptor."""
    return [candidate.split()[0] for candidate in value.split(",") if candidate.split()][:50]


def insecure_resources(page: HtmlPage) -> list[Resource]:
    """Resources an HTTPS page would load over plain HTTP: absolute http:// URLs, and
    relative ones when a <base href> points at plain HTTP."""
    insecure_base = (page.base or "").lower().startswith("http://")
    found = []
    for resource in page.resources:
        url = resource.url
        if url.lower().startswith("http://"):
            found.append(resource)
        elif insecure_base and not _SCHEME.match(url) and not url.startswith("//"):
            found.append(Resource(resource.tag, f"{url} (via <base href={page.base}>)",
                                  resource.kind))
    return found
