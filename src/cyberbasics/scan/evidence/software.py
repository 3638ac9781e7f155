"""Software that tells its name and version, gathered from evidence other collectors fetch:
the website's Server, X-Powered-By and X-OWA-Version headers and generator tags (``web``),
the mail servers' SMTP greetings (``starttls``), and, in an active scan, the banners and
portal pages of exposed services (``services``, when that collector exists). Nothing is
fetched here; the names are read by ``protocols.software_names``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ...protocols import software_names as names
from ..gather import DomainContext, Unavailable, collector, collectors
from ..software import PRODUCTS, SoftwareSeen

MAX_SEEN = 100


@dataclass(frozen=True)
class SoftwareView:
    seen: tuple[SoftwareSeen, ...]
    read: tuple[str, ...] = ()  # the evidence read: "web", "starttls", "services"
    problems: tuple[str, ...] = ()  # evidence that could not be read, and why

    @property
    def versions(self) -> tuple[SoftwareSeen, ...]:
        return tuple(s for s in self.seen if s.version is not None)

    def to_json(self) -> dict:
        data = {"seen": [s.to_json() for s in self.seen], "read": list(self.read)}
        if self.problems:
            data["problems"] = list(self.problems)
        return data


def from_web(view) -> list[SoftwareSeen]:
    """Names in the answers of the website collector's WebView (pages it reached)."""
    found: list[SoftwareSeen] = []
    pages = []
    https = getattr(view, "https", None)
    if https is not None and https.reached:
        pages.append(https.final)
    http = getattr(view, "http", None)
    if http is not None and http.answered:
        pages.append(http)
    for page in pages:
        for header, reader in (("server", names.from_product_header),
                               ("x-powered-by", names.from_product_header),
                               ("x-owa-version", names.from_owa_version)):
            for value in page.header_values(header):
                found += _seen(reader(value), f"{page.url} ({_HEADER_NAMES[header]} header)")
    for html, page in ((getattr(view, "html", None), https.final if https else None),
                       (getattr(view, "http_html", None), http)):
        if html is None or page is None:
            continue
        for generator in html.generators:
            found += _seen(names.from_generator(generator), f"{page.url} (generator tag)")
    return found


_HEADER_NAMES = {"server": "Server", "x-powered-by": "X-Powered-By",
                 "x-owa-version": "X-OWA-Version"}


def from_smtp(probes) -> list[SoftwareSeen]:
    found: list[SoftwareSeen] = []
    for probe in probes or ():
        banner = getattr(probe, "banner", None)
        if banner:
            found += _seen(names.from_smtp_banner(banner),
                           f"mail server {probe.host} (SMTP greeting)")
    return found


def _seen(named: list[names.Named], where: str) -> list[SoftwareSeen]:
    return [SoftwareSeen(n.product, n.version, where, n.text) for n in named
            if n.product in PRODUCTS]


async def _evidence(ctx: DomainContext, name: str):
    """(value, problem): the named evidence, or why it could not be read."""
    try:
        value = await ctx.get(name)
    except Exception as exc:  # a failed collector: reported, never fatal here
        return None, f"{name}: {exc.__class__.__name__}: {exc}"
    if isinstance(value, Unavailable):
        return None, f"{name}: {value.reason}"
    return value, None


@collector("software")
async def software(ctx: DomainContext) -> SoftwareView:
    seen: list[SoftwareSeen] = []
    read: list[str] = []
    problems: list[str] = []
    wanted = [("web", from_web), ("starttls", from_smtp)]
    if ctx.session.config.active and "services" in collectors():
        wanted.append(("services", _from_services))
    answers = await asyncio.gather(*(_evidence(ctx, name) for name, _ in wanted))
    for (name, reader), (value, problem) in zip(wanted, answers, strict=True):
        if problem:
            problems.append(problem)
            continue
        try:
            seen += reader(value)
        except (AttributeError, TypeError, ValueError) as exc:  # evidence of another shape
            problems.append(f"{name}: could not be read ({exc})")
            continue
        read.append(name)
    unique = tuple(dict.fromkeys(seen))[:MAX_SEEN]
    return SoftwareView(unique, tuple(read), tuple(problems))


def _from_services(view) -> list[SoftwareSeen]:
    """The services collector reports what it identified as SoftwareSeen already."""
    return [s for s in getattr(view, "software", ()) or () if isinstance(s, SoftwareSeen)]
