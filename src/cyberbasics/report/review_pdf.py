"""The review report as a PDF a business would keep: printed by WeasyPrint from the same page
as the HTML report (:mod:`.review_html`), with its print stylesheet: A4, a cover with the
business's name, the date, the score and a table of contents with page numbers, page numbers
on every other page, and the scan's evidence in an appendix.

Nothing is fetched: the page has no external resource, and the URL fetcher refuses every URL
but ``data:`` (the advisor's logo, already validated as a PNG), so a hostile text can never make
the renderer open a file or a connection.
"""

from __future__ import annotations

from typing import Any

from .review_html import to_html
from .review_model import ReviewReport


class NoFetching:
    """WeasyPrint's URL fetcher, allowed ``data:`` URIs only (built on first use so that
    importing this module does not load WeasyPrint)."""

    _class: Any = None

    @classmethod
    def create(cls) -> Any:
        if cls._class is None:
            from weasyprint.urls import URLFetcher

            class _Fetcher(URLFetcher):
                def __init__(self) -> None:
                    super().__init__(timeout=1, allowed_protocols=("data",),
                                     allow_redirects=False)

                def fetch(self, url: str, headers: Any = None) -> Any:
                    if not str(url).lower().startswith("data:"):
                        raise ValueError(f"refused to fetch {url[:80]!r}: the report is "
                                         "self-contained")
                    return super().fetch(url, headers)

            cls._class = _Fetcher
        return cls._class()


def to_pdf(report: ReviewReport, *, tagged: bool = False) -> bytes:
    """The report as PDF bytes, with the page's language, title and author in its metadata.
    ``tagged`` adds the structure tags screen readers use (PDF/UA-style); it costs about a
    fifth more time, so the default is untagged and the HTML page is the accessible form."""
    from weasyprint import HTML

    document = HTML(string=to_html(report), base_url=None, url_fetcher=NoFetching.create())
    return document.write_pdf(pdf_tags=tagged)
