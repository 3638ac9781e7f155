"""The draft breach notification (and the Art. 34 letter) as a PDF: printed by WeasyPrint from
the same HTML page as :meth:`breach.Draft.to_html`, A4.

Nothing is fetched: the page has no external resource and the URL fetcher is the report's
:class:`~cyberbasics.report.review_pdf.NoFetching` (``data:`` URIs only), so a hostile answer
can never make the renderer open a file or a connection.
"""

from __future__ import annotations

from ..report.review_pdf import NoFetching
from .breach import Draft


def to_pdf(draft: Draft) -> bytes:
    """The draft as PDF bytes, with its language and title in the metadata."""
    from weasyprint import HTML

    document = HTML(string=draft.to_html(), base_url=None, url_fetcher=NoFetching.create())
    return document.write_pdf()
