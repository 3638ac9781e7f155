"""Form widgets the site shares.

`LongSelect` renders a select of flat choices in one pass. Django renders each option
through its own template, which made a page with two selects of the ~430 time zones take
some 80 ms (the breach clock); this is the same HTML (Django's attributes, `selected` as it
writes it) at a fraction of the cost.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class LongSelect(forms.Select):
    """A `<select>` of flat (value, label) choices, for long lists; no option groups."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (key, " selected" if key in chosen else "", label)
            for key, label in (("" if v is None else str(v), label) for v, label in self.choices)))
        return format_html("<select{}>{}</select>", flatatt(final), options)
