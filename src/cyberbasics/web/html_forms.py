"""The site's forms as a client without a browser reads them from the HTML: for the test
that runs `make run` and the load benchmark, which both drive the real server over HTTP."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx


class Forms(HTMLParser):
    """Every form of a page: its action, method and fields (name -> value; radios and
    checkboxes keep the first value)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "",
                               "method": (attrs.get("method") or "get").lower(),
                               "fields": {}, "types": {}})
        elif tag in ("input", "button", "textarea", "select") and self.forms \
                and attrs.get("name"):
            form = self.forms[-1]
            form["types"][attrs["name"]] = attrs.get("type") or tag
            form["fields"].setdefault(attrs["name"], attrs.get("value") or "")


def form_with(html: str, field_type: str, url: str) -> dict:
    """The first POST form with a field of `field_type`, its action made absolute."""
    parser = Forms()
    parser.feed(html)
    form = next(f for f in parser.forms if f["method"] == "post"
                and field_type in f["types"].values())
    form["action"] = str(httpx.URL(url).join(form["action"] or url))
    return form


def sign_in_fields(form: dict, email: str, password: str) -> dict:
    """The sign-in form's fields filled in."""
    fields = dict(form["fields"])
    for name, kind in form["types"].items():
        if kind == "email" or name in ("email", "username"):
            fields[name] = email
        elif kind == "password":
            fields[name] = password
    return fields
