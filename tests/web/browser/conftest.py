"""Browser tests: Playwright drives Debian's chromium against the whole application.

Fixtures
- `site` (session): the real app as `make run` starts it (server.py): a file SQLite database
  in a temporary CYBERBASICS_VAR, `python -m cyberbasics.web migrate`, then
  `runserver 127.0.0.1:<free port> --noreload` in a subprocess with CYBERBASICS_LAB=1, a
  random CYBERBASICS_SECRET_KEY and CYBERBASICS_LAB_STATE describing the lab (the `world`
  fixture of tests/conftest.py, running in this process; `scanning.write_lab_state`), ready
  once /healthz answers. `site.url`; `site.logs()` (server and worker output, also shown under
  every failing test here).
- `site_with_worker` (session): the same site (one server per session) with the task worker
  running too: `cyberbasics_worker --interval 0.2 --no-startup-delay` (`db_worker` if the
  project's command is missing).
- Mail: the site sends by SMTP to `site.mailbox`, a loopback server kept in this process:
  `site.mailbox.wait_for(address, count=1)` returns the message (email.message.EmailMessage);
  `server.text_of(message)` and `server.links_in(message)` read it.
- Test data: `site.create_user(email, password=PASSWORD, **fields)` (returns the id),
  `site.create_business(owner_email, name, country="GB", domains=(...))`, and for anything
  else `site.django(code, **args)`: runs `code` in a Django process on the site's database
  (same settings and environment as the server), kept up for the session, so a call takes
  milliseconds; `args` is a dict there, and whatever the code leaves in `result` comes back
  as JSON; an exception fails the test with its traceback. (A separate process rather than
  this one's Django, which pytest-django owns: an in-memory test database and a blocker on
  every other connection.)
- `browser` (session): one chromium for the whole run, `/usr/bin/chromium` only (Playwright's
  own browsers are never downloaded), with a fresh profile folder and no way to any host
  but loopback (CHROMIUM_ARGS).
- `page` (per test): a new context (no cookies, locale en-GB, 10 s timeouts) at 360 x 740 with
  `base_url=site.url`, so `page.goto("/accounts/sign-in/")` works; `desktop_page`: the same
  at 1280 x 800. Both fail the test if the page threw a script error or logged a console
  error (a CSP violation, a missing file); a test that expects one clears
  `helpers.page_problems(page)`.
- `screenshots` (session): the folder screenshots go to.

Helpers (helpers.py): `check_accessibility(page)` (axe-core from node_modules, WCAG 2.x A/AA,
fails on serious or critical, naming rule, help and elements), `check_narrow(page)` (no
sideways scrolling at 360 px, naming what sticks out), `tab_through(page, n)` -> `Focused`
stops and `check_focus_visible(stops)`, `focused(page)`, `screenshot(page, name)` (PNG in
CYBERBASICS_SCREENSHOTS or a temporary folder named at the end of the run; never the repo),
`check_page(page, name)` (axe + 360 px + screenshot), `submit(page, form)` (click its submit
button and wait for the next page) and `sign_in(page, email, password=PASSWORD)` (the form).

Every test here is marked `browser` (`pytest -m "not browser"` leaves them out) and skipped,
with the reason, when /usr/bin/chromium is missing (`make test` installs it).

Coexistence, checked: Playwright's sync API talks to its driver over pipes and chromium
talks to 127.0.0.1 only, so tests/conftest.py's loopback guard lets both through. But while
the sync API is open, Playwright leaves its event loop marked as running in the main thread
(playwright/_impl/_greenlets.py, wait_for_future), so any asyncio.run() after it fails
("cannot be called from a running event loop"): pytest-asyncio's tests (asyncio_mode=auto)
and CLI commands. The tests here are therefore moved to the end of every run
(`pytest_collection_modifyitems` below), so nothing else runs while the browser is open.
Never write `async def` tests here; use the sync API only.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cyberbasics.web.scanning import write_lab_state

from .helpers import page_problems, screenshot_dir
from .server import Site

CHROMIUM = "/usr/bin/chromium"
# Playwright launches with a fresh temporary profile of its own (it refuses --user-data-dir).
# Even with all of these, Debian's chromium (its wrapper exports Debian's Google API keys)
# still asks accounts.google.com and update.googleapis.com: the resolver rule makes every
# name but loopback unresolvable inside chromium, so not even a DNS query leaves.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-domain-reliability",
                 "--no-default-browser-check",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]
HERE = Path(__file__).resolve().parent
MOBILE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
_sites: list[Site] = []
_REPORTS = pytest.StashKey[dict]()


def _in_here(item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    missing = not os.access(CHROMIUM, os.X_OK)
    ours = [item for item in items if _in_here(item)]
    for item in ours:
        item.add_marker(pytest.mark.browser)
        if missing:
            item.add_marker(pytest.mark.skip(
                reason=f"{CHROMIUM} is missing (`make chromium` installs Debian's chromium)"))
    # Last, after every other test: while Playwright's sync API is open, its event loop is
    # marked running in this thread between calls, and asyncio.run() (pytest-asyncio, the
    # CLI) refuses to start. The session's browser closes only when the run ends.
    items[:] = [item for item in items if not _in_here(item)] + ours


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if _in_here(item):
        item.stash.setdefault(_REPORTS, {})[report.when] = report
        if report.failed and _sites:
            report.sections.append(("cyberbasics site", _sites[0].logs(40)))
    return report


def pytest_terminal_summary(terminalreporter):
    from . import helpers

    if helpers._SCREENSHOTS is not None:
        terminalreporter.write_line(f"browser screenshots: {helpers._SCREENSHOTS}")


@pytest.fixture(scope="session")
def site(world, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("site-var")
    running = Site(var_dir, lab_state=write_lab_state(world, var_dir / "lab-state.json"))
    _sites.append(running)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        _sites.remove(running)


@pytest.fixture(scope="session")
def site_with_worker(site):
    site.start_worker()
    return site


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (`make chromium` installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _console(problems: list[str], message) -> None:
    # Chromium asks every site for /favicon.ico by itself; a 404 there is no page's error.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        problems.append(f"console error: {message.text} ({message.location.get('url')})")


def _open_page(request, browser, site, viewport):
    context = browser.new_context(base_url=site.url, viewport=viewport, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = page_problems(page)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: _console(problems, message))
    yield page
    context.close()
    reports = request.node.stash.get(_REPORTS, {})
    if problems and not any(report.failed for report in reports.values()):
        pytest.fail("the page had errors:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(request, browser, site):
    yield from _open_page(request, browser, site, MOBILE)


@pytest.fixture
def desktop_page(request, browser, site):
    yield from _open_page(request, browser, site, DESKTOP)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder screenshots go to (CYBERBASICS_SCREENSHOTS or a temporary one)."""
    return screenshot_dir()
