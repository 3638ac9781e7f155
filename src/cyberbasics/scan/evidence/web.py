"""Website evidence (passive): the home page over HTTPS (on the domain, else www.), the
first answer over plain HTTP, and /.well-known/security.txt. Redirects are followed by hand,
a few hops at most, each hop through the guarded client (so no hop reaches a private
address), and each page is fetched once per scan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ...net.http import FETCH_OK, Fetched, fetch_text, scan_http_client
from ...protocols.csp import CspAssessment
from ...protocols.csp import assess as assess_csp
from ...protocols.html_page import HtmlPage, read_html
from ..gather import DomainContext, collector

MAX_REDIRECTS = 5
MAX_PAGE_BYTES = 512 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class PageVisit:
    """A request and the redirects followed from it."""

    start: str
    hops: tuple[Fetched, ...]  # every answer, the first request's first
    stopped: str | None = None  # why following stopped early (loop, too many, odd target)
    fetched_at: float = 0.0  # the scan clock when the visit began (dates are judged by it)

    @property
    def final(self) -> Fetched:
        return self.hops[-1]

    @property
    def reached(self) -> bool:
        """A page was reached: the last answer is not a redirect and nothing failed."""
        final = self.final
        return (final.kind in (FETCH_OK, "too_large") and final.answered
                and final.status not in _REDIRECTS and self.stopped is None)

    @property
    def secure_end(self) -> bool:
        """The page reached is served over HTTPS (a redirect may have left it)."""
        return self.final.url.lower().startswith("https://")

    def to_json(self) -> dict:
        data = {"start": self.start, "hops": [self._hop_json(h) for h in self.hops]}
        if self.stopped:
            data["stopped"] = self.stopped
        return data

    @staticmethod
    def _hop_json(hop: Fetched) -> dict:
        data = hop.to_json()
        data.pop("headers", None)
        shown = ("location", "strict-transport-security", "content-security-policy", "server",
                 "x-powered-by", "x-frame-options", "x-content-type-options",
                 "referrer-policy")  # never Set-Cookie: its values can be session secrets
        headers = [[k, v] for k, v in hop.headers if k in shown]
        if headers:
            data["headers"] = headers
        return data


@dataclass(frozen=True)
class WebView:
    https: PageVisit | None  # the HTTPS home page that answered (domain first, then www.)
    tried: tuple[PageVisit, ...]  # every HTTPS start tried, for the evidence
    http: Fetched | None  # the first answer to http://<domain>/, else http://www.<domain>/
    html: HtmlPage | None = None  # the HTTPS home page's HTML, read once
    http_html: HtmlPage | None = None  # the plain-HTTP page's HTML, when it serves one
    csp: CspAssessment | None = None  # the HTTPS home page's policies, assessed once

    def to_json(self) -> dict:
        return {"https": self.https.to_json() if self.https else None,
                "tried": [visit.to_json() for visit in self.tried],
                "http": PageVisit._hop_json(self.http) if self.http else None}


async def http_client(ctx: DomainContext):
    """The domain's HTTP client (guard, resolver, port map), closed with the domain: one per
    batch made every request scan a pool of thousands of connections (measured: a fifth of
    a passive scan's CPU)."""
    if ctx.http is None:
        ctx.http = scan_http_client(ctx.config, ctx.dns, ctx.session.limiter)
        ctx.closers.append(ctx.http.aclose)
    return ctx.http


async def visit(ctx: DomainContext, url: str, *, limit: int = MAX_PAGE_BYTES) -> PageVisit:
    """GET url and follow redirects (http and https only), each hop fetched with a deadline."""
    client = await http_client(ctx)
    started = ctx.config.clock()
    hops: list[Fetched] = []
    seen = {url}
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        hop = await fetch_text(client, current, limit=limit, deadline=3 * ctx.config.timeout)
        hops.append(hop)
        location = hop.header("location")
        if hop.status not in _REDIRECTS or not location:
            return PageVisit(url, tuple(hops), None, started)
        try:
            target = urljoin(current, location.strip())
            parts = urlsplit(target)
            port = parts.port
        except ValueError:
            return PageVisit(url, tuple(hops), f"redirects to an invalid address {location!r}",
                             started)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return PageVisit(url, tuple(hops), f"redirects to {target!r}, not a web address",
                             started)
        if port not in (None, 80, 443):  # never aim a request at some other service
            return PageVisit(url, tuple(hops), f"redirects to another port ({target})", started)
        if target in seen:
            return PageVisit(url, tuple(hops), f"redirect loop back to {target}", started)
        seen.add(target)
        current = target
    return PageVisit(url, tuple(hops), f"more than {MAX_REDIRECTS} redirects", started)


@collector("web")
async def web(ctx: DomainContext) -> WebView:
    client = await http_client(ctx)
    apex, www, http = await asyncio.gather(
        visit(ctx, f"https://{ctx.domain}/"), visit(ctx, f"https://www.{ctx.domain}/"),
        fetch_text(client, f"http://{ctx.domain}/", limit=16 * 1024,
                   deadline=3 * ctx.config.timeout))
    if http.kind == "no_address":  # a www-only site: its plain-HTTP address is www.
        http = await fetch_text(client, f"http://www.{ctx.domain}/", limit=16 * 1024,
                                deadline=3 * ctx.config.timeout)
    chosen = next((page for page in (apex, www) if page.reached),
                  next((page for page in (apex, www) if page.final.answered), None))
    html = None
    if chosen is not None and chosen.reached and is_html(chosen.final):
        html = read_html(chosen.final.body or "")
    http_html = read_html(http.body or "") if http.answered and is_html(http) else None
    csp = None
    if chosen is not None and chosen.reached:
        csp = assess_csp(chosen.final.header_values("content-security-policy"),
                         meta=html.meta_csp if html else (),
                         report_only=chosen.final.header_values(
                             "content-security-policy-report-only"))
    return WebView(chosen, (apex, www), http, html, http_html, csp)


def is_html(hop: Fetched) -> bool:
    return "html" in (hop.content_type or "").lower()


@collector("security_txt")
async def security_txt(ctx: DomainContext) -> PageVisit:
    return await visit(ctx, f"https://{ctx.domain}/.well-known/security.txt", limit=32 * 1024)
