"""The Help now pages benchmark runs and every page it measures is small enough for a phone.

Not part of the main suite (testpaths is tests/); `make bench` runs it.
"""

from __future__ import annotations

from help_pages import PAGES, benchmark, report


def test_every_page_is_measured_and_small():
    pages = benchmark()
    assert set(pages) == set(PAGES)
    # The triage's screens are what a person taps through under stress: a few kilobytes.
    assert all(page["bytes"] < 8_000 for path, page in pages.items() if "triage" in path)
    assert all(page["bytes"] < 100_000 for page in pages.values())
    assert len(report(pages)) == len(PAGES) + 1
