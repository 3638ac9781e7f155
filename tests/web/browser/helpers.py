"""What a browser test checks on a page: accessibility (axe-core), no horizontal scrolling at
360 px, keyboard reachability with a visible focus, screenshots, and signing in.

Every check fails the test with a message that says what is wrong and where.
"""

from __future__ import annotations

import os
import re
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

from .server import PASSWORD, REPO

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING_IMPACTS = ("serious", "critical")
NARROW = 360


_problems: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def page_problems(page: Page) -> list[str]:
    """The script errors and console errors the page has had so far; the `page` fixtures
    fail the test on any left at its end, so a test that expects one clears this list."""
    return _problems.setdefault(page, [])


@cache
def axe_source() -> str:
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: `make install` installs axe-core from npm")
    # Evaluated through the DevTools protocol, which the page's CSP does not govern; the
    # trailing expression keeps Playwright from treating the script as a function.
    return AXE.read_text(encoding="utf-8") + "\n;true"


def check_accessibility(page: Page, *, disable: tuple[str, ...] = ()) -> list[dict]:
    """Run axe-core on the page as it is now (WCAG 2.x A and AA rules) and fail on any
    serious or critical violation, naming the rule, its help and the offending elements.
    `disable` turns rules off by id (say why where you do). Returns every violation."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS},
               "rules": {rule: {"enabled": False} for rule in disable},
               "resultTypes": ["violations"]}
    violations = page.evaluate(
        """async (options) => {
            const results = await axe.run(document, options);
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html,
                                          summary: n.failureSummary})),
            }));
        }""",
        options)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    if failing:
        lines = [f"axe-core: {len(failing)} serious or critical violation(s) on {page.url}"]
        for violation in failing:
            lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} "
                         f"({violation['helpUrl']})")
            for node in violation["nodes"][:10]:
                lines.append(f"    {node['target']}: {node['html'][:160]}")
                if node["summary"]:
                    lines.append("      " + node["summary"].replace("\n", "\n      "))
        raise AssertionError("\n".join(lines))
    return violations


def check_narrow(page: Page, width: int = NARROW) -> None:
    """The page does not scroll sideways at `width` CSS pixels (the viewport is narrowed for
    the check if it is wider, then put back). Fails naming the elements that stick out."""
    before = page.viewport_size
    if before and before["width"] != width:
        page.set_viewport_size({"width": width, "height": before["height"]})
    try:
        report = page.evaluate(
            """(width) => {
                const scroll = document.scrollingElement.scrollWidth;
                const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                    + [...el.classList].map(c => "." + c).join("");
                const wide = [...document.body.querySelectorAll("*")]
                    .filter(el => el.getBoundingClientRect().right > width + 1)
                    .filter(el => !el.parentElement
                        || el.parentElement.getBoundingClientRect().right <= width + 1)
                    .slice(0, 10)
                    .map(el => describe(el) + " ends at "
                        + Math.round(el.getBoundingClientRect().right) + " px");
                return {scroll, wide};
            }""",
            width)
    finally:
        if before and before["width"] != width:
            page.set_viewport_size(before)
    if report["scroll"] > width + 1:
        raise AssertionError(f"{page.url} scrolls sideways at {width} px: content is "
                             f"{report['scroll']} px wide; widest elements: "
                             + "; ".join(report["wide"] or ["(none found)"]))


@dataclass(frozen=True)
class Focused:
    """The element that has the keyboard focus, as a person sees it."""

    tag: str
    text: str  # visible text, value, aria-label or the label of a form control
    href: str | None
    element_id: str
    focus_visible: bool  # matches :focus-visible
    indicator: bool  # an outline or a box shadow is drawn
    on_screen: bool  # inside the viewport (scrolled to)

    @property
    def visible(self) -> bool:
        return self.focus_visible and self.indicator and self.on_screen

    def __str__(self) -> str:
        where = f" href={self.href}" if self.href else ""
        ident = f"#{self.element_id}" if self.element_id else ""
        return f"<{self.tag}{ident}{where}> {self.text!r}"


_ACTIVE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    const text = el.tagName === "SELECT" ? label
        : (el.innerText || el.value || el.getAttribute("aria-label") || label || "");
    return {
        tag: el.tagName.toLowerCase(), text: text.trim().replace(/\\s+/g, " ").slice(0, 80),
        href: el.getAttribute("href"), element_id: el.id,
        focus_visible: el.matches(":focus-visible"),
        indicator: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
            || style.boxShadow !== "none",
        on_screen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
            && box.top < innerHeight && box.left < innerWidth,
    };
}"""


def focused(page: Page) -> Focused | None:
    info = page.evaluate(_ACTIVE)
    return Focused(**info) if info else None


def tab_through(page: Page, n: int) -> list[Focused]:
    """Press Tab `n` times from where the focus is and return what each press focused
    (None when the focus left the page's elements)."""
    stops = []
    for _ in range(n):
        page.keyboard.press("Tab")
        stops.append(focused(page))
    return stops


def check_focus_visible(stops: list[Focused | None]) -> None:
    """Every stop shows where the focus is (a :focus-visible outline, on screen)."""
    hidden = [str(stop) for stop in stops if stop is not None and not stop.visible]
    assert not hidden, "focus not visible on: " + "; ".join(hidden)


def screenshot_dir() -> Path:
    """CYBERBASICS_SCREENSHOTS, or one temporary folder per test run (never the repo)."""
    global _SCREENSHOTS
    if _SCREENSHOTS is None:
        chosen = os.environ.get("CYBERBASICS_SCREENSHOTS")
        _SCREENSHOTS = (Path(chosen) if chosen
                        else Path(tempfile.mkdtemp(prefix="cyberbasics-screenshots-")))
        _SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return _SCREENSHOTS


_SCREENSHOTS: Path | None = None


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as `<name>.png` in `screenshot_dir()` and return its path."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "page"
    path = screenshot_dir() / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_page(page: Page, name: str, *, disable: tuple[str, ...] = ()) -> Path:
    """The checks every page gets: axe clean, no sideways scrolling at 360 px, and a
    screenshot (returned) to look at."""
    check_accessibility(page, disable=disable)
    check_narrow(page)
    return screenshot(page, name)


def submit(page: Page, form) -> None:
    """Click the form's submit button and wait for the page it leads to."""
    with page.expect_navigation():
        form.locator("button[type=submit], input[type=submit]").first.click()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form (English labels) and wait for the next page."""
    page.goto("/accounts/sign-in/")
    form = page.locator("main form", has=page.locator("input[type=password]"))
    form.get_by_label(re.compile(r"e-?mail", re.IGNORECASE)).fill(email)
    form.get_by_label(re.compile(r"^password", re.IGNORECASE)).fill(password)
    submit(page, form)


def drop_empty_styles(page: Page) -> None:
    """Remove the empty `style=""` attributes a Playwright screenshot leaves on form controls.
    htmx settles a swapped element by copying the old element's attributes, style included,
    with setAttribute, which the Content-Security-Policy (no inline styles) refuses with a
    console error; no user's page ever has them, so take them away after a screenshot when
    the test goes on to an htmx swap."""
    page.evaluate("""() => document.querySelectorAll('[style=""]')
        .forEach(el => el.removeAttribute('style'))""")


def look(page: Page, name: str, *, disable: tuple[str, ...] = ()) -> Path:
    """`check_page`, then `drop_empty_styles`: for pages the test goes on using."""
    path = check_page(page, name, disable=disable)
    drop_empty_styles(page)
    return path


@contextmanager
def another_person(browser, base_url: str, *, width: int = NARROW, height: int = 740,
                   locale: str = "en-GB") -> Iterator[Page]:
    """A page in a new browser context (no cookies: someone else, on their own device),
    failing like the `page` fixture does if it threw a script error or logged a console
    error (a CSP violation, a missing file) by the time the block ends."""
    context = browser.new_context(base_url=base_url, locale=locale,
                                  viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        problems = page_problems(page)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda message: problems.append(
            f"console error: {message.text} ({message.location.get('url')})")
            if message.type == "error"
            and not message.location.get("url", "").endswith("/favicon.ico") else None)
        yield page
        assert not problems, "the page had errors:\n" + "\n".join(problems)
    finally:
        context.close()


def tab_to(page: Page, target, limit: int = 80) -> Focused:
    """Press Tab from where the focus is until `target` (a Locator) has the focus, at most
    `limit` times; fails naming the stops on the way if it never does. Returns the stop."""
    element = target.element_handle()
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => el === document.activeElement", element):
            return focused(page)
        stops.append(focused(page))
    raise AssertionError(f"{limit} presses of Tab never reached {target} on {page.url}; "
                         "stops: " + "; ".join(map(str, stops[:30])))
