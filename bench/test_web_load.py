"""The web load tool, small: its percentiles, and a short run against `cyberbasics serve`."""

import math

import pytest
from web_load import ENDPOINTS, benchmark, percentile, report


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([7.0], 0.99) == 7.0
    assert math.isnan(percentile([], 0.5))


@pytest.mark.timeout(400)
def test_a_short_run_against_make_run():
    figures = benchmark(users=3, requests=6, time_limit=60, think=(0.0, 0.05))
    assert "gunicorn" in figures["server"]
    assert [run["think_s"] for run in figures["runs"]] == [0.0, 0.05]
    for run in figures["runs"]:
        assert run["error_count"] == 0, run["errors"]
        assert run["requests"] == 3 * 6 and not run["cut_short"]
        counts = {endpoint: run["endpoints"][endpoint]["count"] for endpoint in ENDPOINTS}
        assert counts == {"result page": 6, "answer a question": 6, "next question page": 6}
        for row in run["endpoints"].values():
            assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert run["accounts"] and all(a.endswith(".example") for a in run["accounts"])
        assert run["per_second"] > 0
    text = "\n".join(report(figures))
    assert "result page" in text and "p95" in text and "requests/s" in text
