"""A short run of the email checker's benchmark: the figures are there and add up.

Not part of the main suite (testpaths is tests/); `make bench` runs it.
"""

from __future__ import annotations

from email_check import benchmark, report


def test_the_benchmark_runs_and_the_lookups_overlap():
    figures = benchmark(rtt=0.01)
    assert figures["messages"] >= 40
    together, in_turn = figures["together"], figures["in_turn"]
    assert 1.0 <= together["median_rtt"] < in_turn["median_rtt"]
    assert len(report(figures)) == 4
